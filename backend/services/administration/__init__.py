"""Administration: organisations, contracts, people, packages and care workers set up and
changed, each change audited with who, when, before and after."""
