"""Demo data builders (the demo county; the lead merges the county build into this package)."""
