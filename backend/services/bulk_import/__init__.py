"""Bulk import and export of what a council or provider puts in: care workers, service
users, packages with their weekly patterns. CSV or XLSX, in templates whose header row
explains each column; rows matched on the organisation's own reference."""
