"""Reference data: organisations' framework standing, people, contracts and packages of care."""
