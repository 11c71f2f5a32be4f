"""Retention and destruction: policies per record type with their legal floor (policies.py),
legal holds (holds.py), the dry run and the destruction under a confirmed run (runs.py), and the
destruction certificate (certificate.py)."""
