"""Part 2 processes, one module per process (workflows carry ids, dates and enums only).

`CONSENT` is the consent family's process: its workflows run under `consent/<org>/<key>` and it
scopes the Idempotency-Keys of the family's creates.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from core.process import Process

CONSENT = Process("consent")
