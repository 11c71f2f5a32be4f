"""Temporal workflows, one module (or package) per process family (see `registry.py`)."""
