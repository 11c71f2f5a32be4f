"""Outgoing webhooks, one module per part:

- `signing`: Standard Webhooks secrets and signatures (the `standardwebhooks` library);
- `endpoints`: staff register, change, rotate and disable endpoints (reference data, CRUD);
- `payloads`: what a receiver gets for an event: ids and types, never PHI;
- `deliveries`: the delivering workflow's reads and writes: the endpoint's feed after its
  stored position, one row per attempt, the position moved on success, disabling.
"""
