"""FHIR R4 (UK Core where a profile exists): read-only resources built from the records."""
