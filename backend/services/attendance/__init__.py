"""Attendance: check-in, check-out, no-access, offline sync and corrections, as one pipeline."""
