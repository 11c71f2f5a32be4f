"""The audit chain's jobs that open their own connections: sealing an org's pending events
(the worker's sequencer, the seed, tests), listing the orgs with work, and signing checkpoints
for the per-org anchor workflow. Apart from `core.audit` because they need the engine, and the
engine's sessions write the trail `core.audit` defines.
"""

from __future__ import annotations

import hmac
import uuid
from datetime import UTC, datetime

from sqlalchemy import text

from core.audit import (
    PIN_RENDERING,
    ChainDamaged,
    Checkpoint,
    driver,
    scan_chain,
    seal_batch,
    signing_key,
)
from core.db import app_engine


def seal_pending(org_id: uuid.UUID, batch: int = 5000, wait: bool = True) -> int:
    """Chain every event of the org that was committed before the call; returns how many.

    Each batch is its own transaction. With `wait` False, an org another sealer is working on
    is left to it.
    """
    total = 0
    with app_engine().connect() as conn:
        while True:
            with conn.begin():
                n = seal_batch(conn, org_id, batch, wait)
            total += n
            if n < batch:
                return total


def pending_orgs() -> list[uuid.UUID]:
    """Orgs with events waiting to be chained (ids only, through a SECURITY DEFINER function)."""
    with app_engine().connect() as conn:
        return list(conn.execute(text("SELECT audit_pending_orgs()")).scalars())


def _sign(org_id: uuid.UUID, seq: int, hash_hex: str, at: str) -> Checkpoint:
    kid, key = signing_key()
    unsigned = Checkpoint(org_id, seq, hash_hex, at, kid, "")
    return Checkpoint(org_id, seq, hash_hex, at, kid, hmac.digest(key, unsigned.message(), "sha256").hex())


# Entries one checkpoint verifies at most (about two seconds): a long chain met for the first
# time (an import) is certified over several checkpoints, each within the activity's timeout.
CHECKPOINT_SCAN_LIMIT = 200_000


def checkpoint(org_id: uuid.UUID, previous: Checkpoint | None) -> Checkpoint | None:
    """Seal what is pending, verify the entries since `previous`, then sign the last one.

    An anchor never certifies a chain it has not checked: the entries after the previous
    checkpoint (all of them for the first one, up to CHECKPOINT_SCAN_LIMIT at a time) are
    verified against it first, so the cost is per new entry. A broken one raises
    `ChainDamaged`, and so does a previous checkpoint's entry that was deleted or rewritten:
    the anchor never moves backwards or sideways, so `audit verify` keeps reporting the
    damage instead of the anchor forgetting it.
    """
    seal_pending(org_id)
    with app_engine().begin() as conn:
        cur = driver(conn).cursor()
        cur.execute(PIN_RENDERING, (str(org_id),))
        if previous is not None:
            cur.execute("SELECT hash FROM audit_logs WHERE org_id = %s AND seq = %s", (org_id, previous.seq))
            at_previous = cur.fetchone()
            if at_previous is None:
                raise ChainDamaged(org_id, previous.seq, "truncated", "the checkpointed entry is gone")
            if bytes(at_previous[0]).hex() != previous.hash_hex:
                raise ChainDamaged(org_id, previous.seq, "rewritten", "the checkpointed entry differs")
        scan = scan_chain(cur, org_id, previous, limit=CHECKPOINT_SCAN_LIMIT)
    if scan.damage is not None:
        raise ChainDamaged(org_id, scan.damage.seq, scan.damage.kind, scan.damage.reason)
    if scan.last_seq is None or (previous is not None and scan.last_seq == previous.seq):
        return previous
    assert scan.last_hash is not None
    return _sign(org_id, scan.last_seq, scan.last_hash.hex(), datetime.now(UTC).isoformat())


def chained_orgs() -> list[uuid.UUID]:
    """Orgs whose chain has at least one entry (ids only, through a SECURITY DEFINER function),
    whoever chained it: the worker, the seed, an import or a migration."""
    with app_engine().connect() as conn:
        return list(conn.execute(text("SELECT audit_chained_orgs()")).scalars())
