"""Temporal activities: one class per process family (or, in a family's package, per process),
built by the worker with its dependencies (see `registry.py`)."""
