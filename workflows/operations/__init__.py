"""House operations, one module per process: chores, meetings, passes, curfew, drug tests,
incidents (workflows carry ids, dates and enums only).

`OPERATIONS` is the family's process: its workflows run under `operations/<org>/<key>` and it
scopes the Idempotency-Keys of the family's creates.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from core.process import Process

OPERATIONS = Process("operations")
