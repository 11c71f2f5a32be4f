"""Shared core: configuration, database sessions with tenant context, crypto, audit chain."""
