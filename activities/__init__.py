"""Temporal activities: one class per process family, built by the worker with its
dependencies (see `registry.py`)."""
