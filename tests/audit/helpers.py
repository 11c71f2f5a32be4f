"""Shared steps of the audit tests: write events, chain them, read the chain, tamper as a
superuser, and anchor through the real Temporal worker."""

from __future__ import annotations

import asyncio
import contextlib
import io
import subprocess
import sys
import time
import uuid
from pathlib import Path

from sqlalchemy import select, text
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.service import RPCError

from core import audit, audit_sealer
from core.audit import Checkpoint
from core.db import tenant_session
from core.enums import AuditAction
from models.audit import AuditLog
from tests.db import as_owner

BIN = Path(sys.executable).parent


def write_events(org_id: uuid.UUID, n: int, user_id: uuid.UUID | None = None) -> None:
    for i in range(n):
        with tenant_session(org_id, user_id, request_id=f"req-{i}") as s:
            audit.record(s, AuditAction.EXECUTE, "test_events", details={"i": i})


def chain(org_id: uuid.UUID) -> list[AuditLog]:
    """The org's chain after folding in everything committed so far."""
    audit_sealer.seal_pending(org_id)
    with tenant_session(org_id, actor_type="test") as s:
        rows = list(s.scalars(select(AuditLog).order_by(AuditLog.seq)))
        s.expunge_all()
        return rows


def pending(org_id: uuid.UUID) -> int:
    with as_owner() as c:
        return int(
            c.execute(text("SELECT count(*) FROM audit_events WHERE org_id = :o"), {"o": org_id}).scalar_one()
        )


def tamper(*statements: str, **params: object) -> None:
    # A superuser can switch triggers off for its session: what an attacker with the
    # database password could do, and what the chain and its anchor exist to reveal.
    with as_owner() as c:
        c.execute(text("SET LOCAL session_replication_role = replica"))
        for sql in statements:
            c.execute(text(sql), params)


def verify_cli(org_id: uuid.UUID | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "recoveryos"), "audit", "verify", *(["--org", str(org_id)] if org_id else [])],
        capture_output=True,
        text=True,
        timeout=120,
    )


def verify(org_id: uuid.UUID | None = None) -> tuple[int, str]:
    """`recoveryos audit verify [--org]` in this process: (exit code, output)."""
    from cli.admin import audit_verify

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = audit_verify(org_id)
    return code, out.getvalue()


def anchor_now(org_id: uuid.UUID) -> Checkpoint | None:
    """Start the org's anchor workflow on the test stack's worker and take a checkpoint."""
    from core.config import get_settings
    from core.temporal import connect
    from workflows.audit import AuditAnchorWorkflow, anchor_input, anchor_workflow_id

    async def go() -> Checkpoint | None:
        client = await connect()
        handle = await client.start_workflow(
            AuditAnchorWorkflow.run,
            anchor_input(org_id),
            id=anchor_workflow_id(org_id),
            task_queue=get_settings().task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        )
        return await handle.execute_update(AuditAnchorWorkflow.checkpoint_now)

    return asyncio.run(go())


def sweep_anchors() -> set[uuid.UUID]:
    """One pass of the worker's anchor sweep against the test stack's Temporal."""
    from core.config import get_settings
    from core.temporal import connect
    from workflows.audit_sequencer import ensure_anchors

    async def go() -> set[uuid.UUID]:
        return await ensure_anchors(await connect(), get_settings().task_queue)

    return asyncio.run(go())


def latest_anchor(org_id: uuid.UUID, timeout: float = 20.0) -> Checkpoint | None:
    """The org's anchor as `audit verify` reads it, once the anchor workflow has taken one."""
    from cli.admin import fetch_anchors

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(RPCError):
            cp = asyncio.run(fetch_anchors(org_id)).get(org_id)
            if cp is not None:
                return cp
        time.sleep(0.2)
    return None


def alerts(org_id: uuid.UUID) -> list[dict[str, object]]:
    """The details of the org's `chain_broken` alert events, chained or not."""
    where = "WHERE org_id = :o AND entity_type = 'audit_chain' AND outcome = 'failure'"
    with as_owner() as c:
        rows = c.execute(
            text(
                f"SELECT details FROM audit_events {where} UNION ALL SELECT details FROM audit_logs {where}"
            ),
            {"o": org_id},
        ).scalars()
        return [dict(r) for r in rows]
