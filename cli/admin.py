"""Platform administration: audit-chain verification and field-key rotation.

Both read across orgs, so they connect as the owner (superuser or BYPASSRLS), except
`audit verify --org`, which works with any role allowed to read that org.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError
from temporalio.client import Client
from temporalio.converter import WorkflowSerializationContext
from temporalio.service import RPCError, RPCStatusCode
from tqdm import tqdm

import models  # noqa: F401  (registers every encrypted field)
from core.audit import ChainReport, Checkpoint, verify_org
from core.crypto import field_aad
from core.db import owner_engine, owner_session, set_tenant
from core.enums import AuditAction
from core.fieldcrypt import field_cipher
from models.base import ENCRYPTED_FIELDS


def audit_verify(org_id: uuid.UUID | None = None) -> int:
    """Check every org's chain against its anchor, each in its own transaction, and print one
    line per org and a summary.

    Exit 0 when every chain verifies against its anchor; 1 when one is broken; 2 when none is
    broken but completeness could not be proven: the anchors could not be read, or a chain has
    no anchor yet (its last entries, or all of it, could be deleted unnoticed)."""
    try:
        anchors = asyncio.run(fetch_anchors(org_id))
    except Exception as exc:  # Temporal down or unreachable: say so, still check the chains
        print(f"anchors unavailable ({type(exc).__name__}: {exc}); truncation cannot be checked")
        anchors = None
    reports = verify_chains(org_id, anchors or {})
    for r in reports:
        print(f"org {r.org_id}: {_describe(r)}")
    broken = sum(not r.ok for r in reports)
    unanchored = sum(r.unanchored for r in reports)
    if not reports:
        print("no audit entries found")
    print(
        f"{len(reports)} orgs checked: {len(reports) - broken - unanchored} ok, {broken} broken, "
        f"{unanchored} unanchored" + ("; anchors unavailable" if anchors is None else "")
    )
    return 1 if broken else 2 if anchors is None or unanchored else 0


def _describe(r: ChainReport) -> str:
    anchor = f"anchored at seq {r.anchor_seq}" if r.anchor_seq is not None else "no anchor"
    if not r.ok:
        entry = f" (entry {r.broken_id})" if r.broken_id else ""
        at = f" at seq {r.broken_seq}" if r.broken_seq is not None else ""
        status = f"BROKEN{at}{entry}, {r.kind}: {r.reason}"
    elif r.unanchored:
        status = (
            "UNANCHORED: the chain verifies, but its last entries or all of it could be deleted unnoticed"
        )
    else:
        status = "ok"
    return f"{r.entries} entries checked, {anchor}, {r.pending} not chained yet, {status}"


async def fetch_anchors(org_id: uuid.UUID | None = None) -> dict[uuid.UUID, Checkpoint]:
    """The latest signed checkpoint of each org's chain (of one org with `org_id`), from Temporal.

    Read from each anchor workflow's history, not asked of it with its `latest` query: a query
    needs a worker to answer, and verification must work while no worker runs (or while the
    one that ran the workflow last is gone and its sticky queue has not timed out yet)."""
    from temporalio.client import WorkflowExecutionStatus

    from core.process import org_of
    from core.temporal import connect
    from workflows.audit import anchor_workflow_id

    client = await connect()
    if org_id is not None:
        ids = [anchor_workflow_id(org_id)]
    else:
        ids = [
            wf.id
            async for wf in client.list_workflows("WorkflowType = 'AuditAnchor'")
            if wf.status == WorkflowExecutionStatus.RUNNING
        ]
    anchors: dict[uuid.UUID, Checkpoint] = {}
    for wf_id in ids:
        org = org_of(wf_id)
        try:
            cp = await latest_in_history(client, wf_id)
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND:
                continue  # no anchor for this org yet
            raise
        if org is not None and cp is not None:
            anchors[org] = cp
    return anchors


async def latest_in_history(client: Client, wf_id: str) -> Checkpoint | None:
    """The furthest checkpoint in the anchor workflow's current run: the one it started with
    (carried over when it continued as new) or a later `audit_checkpoint` result, as the
    workflow itself keeps it."""
    from activities.audit import CHECKPOINT
    from workflows.audit import AnchorInput

    history = await client.get_workflow_handle(wf_id).fetch_history()
    converter = client.data_converter.with_context(
        WorkflowSerializationContext(namespace=client.namespace, workflow_id=wf_id)
    )
    checkpoints: set[int] = set()
    latest: Checkpoint | None = None
    for e in history.events:
        cp: Checkpoint | None = None
        if e.HasField("workflow_execution_started_event_attributes"):
            [inp] = await converter.decode(
                e.workflow_execution_started_event_attributes.input.payloads, [AnchorInput]
            )
            cp = inp.latest
        elif e.HasField("activity_task_scheduled_event_attributes"):
            if e.activity_task_scheduled_event_attributes.activity_type.name == CHECKPOINT:
                checkpoints.add(e.event_id)
        elif e.HasField("activity_task_completed_event_attributes"):
            done = e.activity_task_completed_event_attributes
            if done.scheduled_event_id in checkpoints and done.result.payloads:
                [cp] = await converter.decode(done.result.payloads, [Checkpoint])
        if cp is not None and (latest is None or cp.seq >= latest.seq):
            latest = cp
    return latest


def verify_chains(
    org_id: uuid.UUID | None = None, anchors: dict[uuid.UUID, Checkpoint] | None = None
) -> list[ChainReport]:
    """One report per org, each org read in its own transaction: whatever one chain holds,
    the others are still checked."""
    anchors = anchors or {}
    with owner_engine().connect() as conn:
        if org_id is not None:
            orgs = [org_id]
        else:
            with conn.begin():
                found = conn.execute(
                    text("SELECT org_id FROM audit_logs UNION SELECT org_id FROM audit_events")
                ).scalars()
                # An org whose whole chain was deleted is known from its anchor alone.
                orgs = sorted({*found, *anchors})
        return [_verify_one(conn, o, anchors.get(o)) for o in orgs]


def _verify_one(conn: Connection, org_id: uuid.UUID, anchor: Checkpoint | None) -> ChainReport:
    try:
        with conn.begin():
            return verify_org(conn, org_id, anchor)
    except (DBAPIError, ValueError) as exc:  # rows a superuser made unreadable are damage too
        report = ChainReport(org_id, 0, anchor_seq=anchor.seq if anchor else None)
        report.kind = "unreadable"
        report.reason = f"the chain could not be read ({type(exc).__name__})"
        return report


# --- key rotation ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Target:
    table: str
    columns: tuple[str, ...]


def _targets() -> list[_Target]:
    by_table: dict[str, list[str]] = defaultdict(list)
    for f in ENCRYPTED_FIELDS:
        by_table[f.table].append(f.field)
    return [_Target(t, tuple(sorted(cols))) for t, cols in sorted(by_table.items())]


def _stale_predicate(columns: tuple[str, ...]) -> str:
    # Bytes 2.. of a ciphertext are (key id length, key id); anything else is an older key.
    return " OR ".join(f"({c} IS NOT NULL AND substring({c} from 2 for :n) <> :prefix)" for c in columns)


def stale_count(conn: Connection, active: str) -> int:
    prefix = bytes([len(active.encode())]) + active.encode()
    total = 0
    for t in _targets():
        total += conn.execute(
            text(f"SELECT count(*) FROM {t.table} WHERE {_stale_predicate(t.columns)}"),
            {"n": len(prefix), "prefix": prefix},
        ).scalar_one()
    return total


def rotate_keys(batch_size: int = 500, quiet: bool = False, max_batches: int | None = None) -> int:
    """Re-encrypt every field not yet under the active key.

    Each batch commits on its own and selects only rows still on an old key, so an
    interrupted run (or one cut short by max_batches) resumes where it stopped. The
    plaintext never changes, so the append-only guards and audit-column triggers are
    switched off for the batch's own transaction only; each org gets one audit entry per
    table it touched.
    """
    cipher = field_cipher()
    active = cipher.ring.active
    prefix = bytes([len(active.encode())]) + active.encode()
    engine = owner_engine()
    with engine.connect() as conn:
        todo = stale_count(conn, active)
    bar = tqdm(total=todo, unit="row", desc=f"re-encrypting under {active}", disable=quiet or todo == 0)
    per_org: dict[tuple[uuid.UUID, str], int] = defaultdict(int)
    batches = 0
    for t in _targets():
        cols = ", ".join(t.columns)
        has_org = t.table != "organizations"
        while max_batches is None or batches < max_batches:
            with engine.begin() as conn:
                rows = conn.execute(
                    text(
                        f"SELECT id, {'org_id' if has_org else 'id AS org_id'}, {cols} FROM {t.table} "
                        f"WHERE {_stale_predicate(t.columns)} ORDER BY id LIMIT :lim FOR UPDATE"
                    ),
                    {"n": len(prefix), "prefix": prefix, "lim": batch_size},
                ).all()
                if not rows:
                    break
                batches += 1
                conn.execute(text(f"ALTER TABLE {t.table} DISABLE TRIGGER USER"))
                for row in rows:
                    values = {}
                    for c in t.columns:
                        blob = getattr(row, c)
                        if blob is None:
                            continue
                        aad = field_aad(t.table, c, row.id)
                        values[c] = cipher.encrypt(cipher.decrypt(bytes(blob), aad), aad)
                    sets = ", ".join(f"{c} = :{c}" for c in values)
                    conn.execute(
                        text(f"UPDATE {t.table} SET {sets} WHERE id = :id"), {**values, "id": row.id}
                    )
                    per_org[(row.org_id, t.table)] += 1
                conn.execute(text(f"ALTER TABLE {t.table} ENABLE TRIGGER USER"))
            bar.update(len(rows))
    bar.close()
    _audit_rotation(per_org, active)
    if not quiet:
        print(f"{sum(per_org.values())} rows re-encrypted under {active}; {stale_count_now(active)} left")
    return 0


def stale_count_now(active: str) -> int:
    with owner_engine().connect() as conn:
        return stale_count(conn, active)


def _audit_rotation(per_org: dict[tuple[uuid.UUID, str], int], active: str) -> None:
    from core import audit

    by_org: dict[uuid.UUID, dict[str, int]] = defaultdict(dict)
    for (org, table), n in per_org.items():
        by_org[org][table] = n
    for org, tables in by_org.items():
        with owner_session() as s:
            set_tenant(s, org)
            s.info["actor"] = {"org_id": org, "user_id": None, "actor_type": "system:key-rotation"}
            audit.record(s, AuditAction.EXECUTE, "field_keys", details={"rotated_to": active, "rows": tables})
