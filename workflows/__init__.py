"""Temporal workflows, one module per process family (see `registry.py`)."""
