"""House operations, one module per subject; every read and write is house-scoped by the
session's row-level security."""
