"""The audit trail: written without a lock on the hot path, chained by a sequencer, anchored.

1. **Write.** Every tenant transaction inserts its audit events (writes it made, PHI it
   decrypted, explicit `record` calls) into `audit_events` in the same transaction, so an
   event commits if and only if the change does. No lock, no read of the chain head.
2. **Seal.** `seal_pending(org_id)` (the worker's sequencer loop, the anchor activity, or a
   test that wants the chain now) folds an org's events into `audit_logs` in batches: under
   a per-org advisory lock held only by sealers, it reads the head, streams the events with
   COPY, computes each entry's HMAC and calls `audit_seal`, which checks the head did not
   move, copies the events into the chain and deletes them in the same transaction. A
   sealer killed at any point leaves either the whole batch chained or none of it; two
   sealers racing cannot fork the chain ((org_id, seq) and the entry id are unique).
3. **Sign.** An entry's HMAC covers every column: the row as PostgreSQL's COPY text format
   renders `id, org_id, seq, occurred_at, ..., details, hmac_key_id` (an injective
   encoding: tabs, newlines and backslashes inside values are escaped), prefixed by the
   previous entry's hash. Session settings that change how values render (TimeZone,
   DateStyle, bytea_output) are pinned for sealers and verifiers alike.
4. **Anchor.** `checkpoint(org_id, previous)` signs the chain head (seq, hash, time); the
   per-org `AuditAnchor` workflow keeps the latest one in its Temporal history, out of reach
   of whoever controls PostgreSQL. `verify_org` compares the chain with it, so deleting the
   last entries, or the whole chain, is reported with the missing range.

Values of PHI never enter an event: only table, row id and field names.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import psycopg
from psycopg.types.json import Jsonb
from sqlalchemy import Connection, event, inspect
from sqlalchemy.orm import Session

from core.config import get_settings
from core.enums import AuditAction

ZERO_HASH = b"\x00" * 32

# The columns an entry's HMAC covers, in signing order: all of them but prev_hash (which
# prefixes the message) and hash (the result).
SIGNED_COLUMNS = (
    "id, org_id, seq, occurred_at, actor_user_id, actor_type, action, entity_type, entity_id, "
    "outcome, source_ip, request_id, details, hmac_key_id"
)
# An event's columns as the sealer reads them: the signed columns without seq and key id,
# which the sealer adds in their places.
_EVENT_COLUMNS = (
    "id, org_id, occurred_at, actor_user_id, actor_type, action, entity_type, entity_id, "
    "outcome, source_ip, request_id, details"
)
# How values render in COPY text depends on these; pinned for every signer and verifier.
PIN_RENDERING = (
    "SELECT set_config('TimeZone', 'UTC', true), set_config('DateStyle', 'ISO, YMD', true), "
    "set_config('bytea_output', 'hex', true), set_config('app.org_id', %s, true)"
)


def key_id(key: bytes) -> str:
    # Derived from the key itself, so the id in each entry names its key without a registry.
    return "audit-" + hashlib.sha256(key).hexdigest()[:12]


@lru_cache(maxsize=1)
def signing_key() -> tuple[str, bytes]:
    key = get_settings().audit_key()
    return key_id(key), key


@lru_cache(maxsize=1)
def _verification_keys() -> dict[str, bytes]:
    s = get_settings()
    return {key_id(k): k for k in [*s.audit_previous_keys(), s.audit_key()]}


def reset_key_cache() -> None:
    signing_key.cache_clear()
    _verification_keys.cache_clear()


def entry_hash(key: bytes, prev_hash: bytes | None, signed: bytes) -> bytes:
    return hmac.digest(key, (prev_hash or ZERO_HASH) + signed, "sha256")


# --- writing: events into the outbox, inside the caller's transaction -------------------------


@dataclass
class _Pending:
    action: AuditAction
    entity_type: str
    entity_id: uuid.UUID | None
    details: dict[str, Any]
    outcome: str = "success"


def record(
    session: Session,
    action: AuditAction,
    entity_type: str,
    entity_id: uuid.UUID | None = None,
    details: dict[str, Any] | None = None,
    outcome: str = "success",
) -> None:
    """Write an event now, inside the caller's transaction, so it commits or rolls back with it."""
    _insert_events(session, [_Pending(action, entity_type, entity_id, details or {}, outcome)])


_EVENT_COLUMNS_IN = (
    "id, org_id, actor_user_id, actor_type, action, entity_type, entity_id, outcome, source_ip, "
    "request_id, details"
)
_INSERT_EVENT = (
    f"INSERT INTO audit_events ({_EVENT_COLUMNS_IN}) "
    "VALUES (%s, %s, %s, %s, %s::audit_action, %s, %s, %s, %s::inet, %s, %s)"
)
# The same insert for the read events of a transaction that queued no write. Its one-time
# filter runs before the row is inserted: if the transaction has written nothing at all (no
# transaction id yet), its commit need not wait for the WAL flush (README "Read performance").
# The filter is always true; it decides synchronous_commit in the same round trip.
_INSERT_READ_EVENT = (
    f"INSERT INTO audit_events ({_EVENT_COLUMNS_IN}) "
    "SELECT %s::uuid, %s::uuid, %s::uuid, %s::text, %s::audit_action, %s::text, %s::uuid, %s::text, "
    "%s::inet, %s::text, %s::jsonb "
    "WHERE (SELECT CASE WHEN pg_current_xact_id_if_assigned() IS NULL "
    "THEN set_config('synchronous_commit', 'off', true) ELSE 'unchanged' END) IS NOT NULL"
)


# Many events of one transaction (a run of webhook deliveries records one per attempt) in one
# statement: the same rows as one INSERT each, in the same order (so `event_no`, the sealing
# order, is the order they were queued in), without a round of the executor per row. One text
# whatever the count, so psycopg prepares it once.
_INSERT_EVENTS = (
    f"INSERT INTO audit_events ({_EVENT_COLUMNS_IN}) "
    "SELECT id, org_id, actor_user_id, actor_type, action::audit_action, entity_type, entity_id, "
    "outcome, source_ip::inet, request_id, details "
    "FROM unnest(%s::uuid[], %s::uuid[], %s::uuid[], %s::text[], %s::text[], %s::text[], "
    "%s::uuid[], %s::text[], %s::text[], %s::text[], %s::jsonb[]) WITH ORDINALITY AS e("
    "id, org_id, actor_user_id, actor_type, action, entity_type, entity_id, outcome, source_ip, "
    "request_id, details, n) ORDER BY n"
)


def _insert_events(session: Session, pending: list[_Pending], sql: str = _INSERT_EVENT) -> None:
    # A driver-level statement on the transaction's connection: no SQL compilation per request,
    # and psycopg prepares it server-side after a few uses.
    if not pending:
        return
    actor = session.info["actor"]
    ip = actor.get("source_ip")
    process = actor.get("process")
    org_id, user_id = actor["org_id"], actor.get("user_id")
    actor_type, request_id = actor.get("actor_type", "user"), actor.get("request_id")
    source_ip = str(ipaddress.ip_address(ip)) if ip else None
    rows = [
        (
            uuid.uuid4(),
            org_id,
            user_id,
            actor_type,
            p.action.value,
            p.entity_type,
            p.entity_id,
            p.outcome,
            source_ip,
            request_id,
            Jsonb({**p.details, "process": process} if process else p.details),
        )
        for p in pending
    ]
    if len(rows) > 1 and sql == _INSERT_EVENT:
        columns = tuple(list(column) for column in zip(*rows, strict=True))
        session.connection().exec_driver_sql(_INSERT_EVENTS, columns)
        return
    session.connection().exec_driver_sql(sql, rows[0] if len(rows) == 1 else rows)


# --- automatic write and read auditing for tenant sessions --------------------------------

_SKIP_TABLES = {"audit_logs", "audit_events", "user_sessions"}


def _changed_fields(obj: Any) -> list[str]:
    state = inspect(obj)
    names = []
    for attr in state.mapper.column_attrs:
        if state.attrs[attr.key].history.has_changes():
            col = attr.columns[0].name
            names.append(col)
    return sorted(set(names) - {"updated_at", "updated_by", "created_at", "created_by"})


@event.listens_for(Session, "after_flush")
def _queue_writes(session: Session, _ctx: Any) -> None:
    if "actor" not in session.info:
        return
    queue: list[_Pending] = session.info.setdefault("audit_queue", [])
    for obj, action in (
        *((o, AuditAction.CREATE) for o in session.new),
        *((o, AuditAction.UPDATE) for o in session.dirty),
        *((o, AuditAction.DELETE) for o in session.deleted),
    ):
        table = getattr(obj, "__tablename__", None)
        if table is None or table in _SKIP_TABLES:
            continue
        fields = _changed_fields(obj) if action is not AuditAction.DELETE else []
        if action is AuditAction.UPDATE and not fields:
            continue
        if action is AuditAction.UPDATE and "deleted_at" in fields and getattr(obj, "deleted_at", None):
            action = AuditAction.DELETE
        queue.append(_Pending(action, table, getattr(obj, "id", None), {"fields": fields}))


def write_audit_trail(session: Session) -> None:
    """Called by tenant_session just before commit: the writes it made, then the PHI it decrypted.

    A transaction whose only writes are its read events commits with synchronous_commit off
    (README "Read performance"): it does not wait for the WAL to reach the disk, so a crash of
    PostgreSQL or of the machine within a fraction of a second can lose those read events.
    """
    session.flush()
    pending: list[_Pending] = session.info.pop("audit_queue", [])
    reads: dict[tuple[str, uuid.UUID], set[str]] = session.info.pop("phi_reads", {})
    shown: list[tuple[str, tuple[str, ...], list[str]]] = session.info.pop("phi_read_groups", [])
    read_only = not pending and get_settings().read_audit_async_commit
    written = {(p.entity_type, p.entity_id) for p in pending}
    pending.extend(_read_events(reads, written))
    pending.extend(_shown_events(shown))
    _insert_events(session, pending, _INSERT_READ_EVENT if read_only else _INSERT_EVENT)


# Reads of more rows than this of one table and the same fields in one transaction (a list, the
# bed board) are one event naming every row id in `details.ids`, not one event per row: the
# same disclosure, found with `entity_id = X OR details->'ids' ? X`, at a fraction of the cost.
READ_GROUP_MIN = 10


def _read_events(
    reads: dict[tuple[str, uuid.UUID], set[str]], written: set[tuple[str, uuid.UUID | None]]
) -> list[_Pending]:
    groups: dict[tuple[str, frozenset[str]], list[uuid.UUID]] = {}
    for (table, row_id), fields in reads.items():
        if (table, row_id) in written:
            continue  # reading back what this transaction wrote is not a disclosure
        groups.setdefault((table, frozenset(fields)), []).append(row_id)
    events = []
    for (table, fieldset), ids in sorted(groups.items(), key=lambda g: (g[0][0], sorted(g[0][1]))):
        # str() of a UUID is slow enough to matter at bed-board sizes: once per id.
        events += _read_group(table, tuple(sorted(fieldset)), list(map(str, ids)))
    return events


def _shown_events(shown: list[tuple[str, tuple[str, ...], list[str]]]) -> list[_Pending]:
    """Reads recorded by id text, without the rows (models.base.note_phi_read_group)."""
    return [e for table, names, ids in shown for e in _read_group(table, names, ids)]


def _read_group(table: str, names: tuple[str, ...], ids: list[str]) -> list[_Pending]:
    """A few rows read: one event each. More: one event naming every id."""
    named = sorted(ids)
    if len(named) < READ_GROUP_MIN:
        return [_Pending(AuditAction.READ, table, uuid.UUID(i), {"fields": list(names)}) for i in named]
    details = {"fields": list(names), "ids": named, "count": len(named)}
    return [_Pending(AuditAction.READ, table, None, details)]


# --- sealing: events into the chain ----------------------------------------------------------


def driver(conn: Connection) -> psycopg.Connection[Any]:
    raw = conn.connection.driver_connection
    assert isinstance(raw, psycopg.Connection)
    return raw


def copy_lines(cur: psycopg.Cursor[Any], query: str, params: tuple[Any, ...]) -> Iterator[bytes]:
    """Rows of `COPY (query) TO STDOUT` in text format, one line each, without the newline."""
    rest = b""
    with cur.copy(f"COPY ({query}) TO STDOUT", params) as copy:
        for block in copy:
            lines = (rest + bytes(block)).split(b"\n")
            rest = lines.pop()
            yield from lines
    if rest:
        yield rest


def seal_batch(conn: Connection, org_id: uuid.UUID, limit: int = 5000, wait: bool = True) -> int:
    """Chain up to `limit` of the org's oldest events inside the caller's open transaction.

    Returns how many were chained; 0 when there were none, or when `wait` is False and another
    sealer holds the org. Nothing is visible to anyone until the caller commits.
    """
    kid, key = signing_key()
    cur = driver(conn).cursor()
    cur.execute(PIN_RENDERING, (str(org_id),))
    lock = "pg_advisory_xact_lock" if wait else "pg_try_advisory_xact_lock"
    cur.execute(f"SELECT {lock}(hashtextextended(%s, 0))::text", (f"audit-chain:{org_id}",))
    got = cur.fetchone()
    if not wait and got is not None and got[0] == "false":
        return 0
    cur.execute("SELECT seq, hash FROM audit_logs WHERE org_id = %s ORDER BY seq DESC LIMIT 1", (org_id,))
    head = cur.fetchone()
    first = (head[0] if head else 0) + 1
    prev0 = bytes(head[1]) if head else None
    kid_b = kid.encode()
    seq, prev = first, prev0
    ids: list[str] = []
    hashes: list[bytes] = []
    for line in copy_lines(
        cur,
        f"SELECT {_EVENT_COLUMNS} FROM audit_events WHERE org_id = %s ORDER BY event_no LIMIT %s",
        (org_id, limit),
    ):
        row_id, org, rest = line.split(b"\t", 2)
        h = entry_hash(key, prev, b"\t".join((row_id, org, str(seq).encode(), rest, kid_b)))
        ids.append(row_id.decode())
        hashes.append(h)
        prev, seq = h, seq + 1
    if not ids:
        return 0
    cur.execute("SELECT audit_seal(%s, %s, %s, %s::uuid[], %s::bytea[])", (first, prev0, kid, ids, hashes))
    return len(ids)


# --- anchoring: signed checkpoints of each chain head ------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    """An org's chain head at a moment, signed with the audit key. Ids and hashes only."""

    org_id: uuid.UUID
    seq: int
    hash_hex: str
    at: str
    key_id: str
    signature_hex: str

    def message(self) -> bytes:
        return f"anchor\x00{self.org_id}\x00{self.seq}\x00{self.hash_hex}\x00{self.at}".encode()

    def valid(self) -> bool:
        key = _verification_keys().get(self.key_id)
        if key is None:
            return False
        expected = hmac.digest(key, self.message(), "sha256").hex()
        return hmac.compare_digest(expected, self.signature_hex)


class ChainDamaged(Exception):
    """The entries since the last checkpoint do not verify: the anchor refuses to certify them.

    Carries the org, the first bad seq and the kind of damage only (ids and numbers, no values).
    """

    def __init__(self, org_id: uuid.UUID, seq: int, kind: str, reason: str) -> None:
        super().__init__(f"audit chain of org {org_id} is broken at seq {seq} ({kind}): {reason}")
        self.org_id, self.seq, self.kind, self.reason = org_id, seq, kind, reason


# --- verification ------------------------------------------------------------------------


@dataclass(frozen=True)
class Damage:
    seq: int
    entry_id: uuid.UUID | None
    # One word an operator can grep for: altered, gap, outside, unknown-key, relinked,
    # rewritten, truncated, deleted, forged-anchor.
    kind: str
    reason: str


@dataclass
class _Scan:
    entries: int = 0
    last_seq: int | None = None
    last_hash: bytes | None = None
    damage: Damage | None = None


def _entry_damage(
    seq: int, expected: int, key: bytes | None, kid: bytes, prev_ok: bool, hash_ok: bool
) -> tuple[str, str] | None:
    if seq != expected:
        if seq < 1:
            return "outside", f"seq {seq} lies outside the chain (entries start at 1)"
        return "gap", f"sequence gap: expected {expected}, found {seq}"
    if key is None:
        return "unknown-key", f"signed with unknown key {kid.decode()}"
    if not prev_ok:
        return "relinked", "prev_hash does not match the previous entry"
    if not hash_ok:
        return "altered", "HMAC mismatch: the entry was altered"
    return None


def scan_chain(
    cur: psycopg.Cursor[Any],
    org_id: uuid.UUID,
    after: Checkpoint | None = None,
    anchor: Checkpoint | None = None,
    limit: int | None = None,
) -> _Scan:
    """Check the org's entries after the checkpoint `after` (every entry, whatever its seq,
    without one), each linked to the one before and the one at `anchor`'s seq equal to it;
    the first bad entry is the damage.

    The COPY is always read to its end (a COPY left half-read fails the transaction).
    """
    keys = {k.encode(): v for k, v in _verification_keys().items()}
    if after is None:
        expected, prev_hex, prev = 1, b"\\N", ZERO_HASH
        query = f"SELECT {SIGNED_COLUMNS}, prev_hash, hash FROM audit_logs WHERE org_id = %s ORDER BY seq"
        params: tuple[Any, ...] = (org_id,)
    else:
        expected, prev = after.seq + 1, bytes.fromhex(after.hash_hex)
        prev_hex = b"\\\\x" + after.hash_hex.encode()
        query = (
            f"SELECT {SIGNED_COLUMNS}, prev_hash, hash FROM audit_logs "
            "WHERE org_id = %s AND seq > %s ORDER BY seq"
        )
        params = (org_id, after.seq)
    if limit is not None:
        query, params = f"{query} LIMIT %s", (*params, limit)
    scan = _Scan()
    for line in copy_lines(cur, query, params):
        if scan.damage is not None:
            continue
        scan.entries += 1
        signed, prev_field, hash_field = line.rsplit(b"\t", 2)
        row_id, _, seq_field, _ = signed.split(b"\t", 3)
        seq = int(seq_field)
        kid_field = signed[signed.rfind(b"\t") + 1 :]
        key = keys.get(kid_field)
        digest = _unhex(hash_field)
        hash_ok = key is not None and hmac.compare_digest(digest, entry_hash(key, prev, signed))
        bad = _entry_damage(seq, expected, key, kid_field, prev_field == prev_hex, hash_ok)
        if bad is None and anchor is not None and seq == anchor.seq and digest.hex() != anchor.hash_hex:
            bad = (
                "rewritten",
                f"entry {seq} differs from the anchor taken at {anchor.at}: the chain was rewritten",
            )
        if bad is not None:
            scan.damage = Damage(seq, uuid.UUID(row_id.decode()), *bad)
            continue
        prev, prev_hex, expected = digest, hash_field, expected + 1
        scan.last_seq, scan.last_hash = seq, digest
    return scan


@dataclass
class ChainReport:
    org_id: uuid.UUID
    entries: int
    broken_seq: int | None = None
    broken_id: uuid.UUID | None = None
    reason: str | None = None
    kind: str | None = None
    # Events committed but not chained yet (the sequencer runs a few seconds behind).
    pending: int = 0
    anchor_seq: int | None = None
    # Entries the anchor proves existed and the chain no longer has (first, last).
    missing: tuple[int, int] | None = None

    @property
    def ok(self) -> bool:
        return self.reason is None

    @property
    def unanchored(self) -> bool:
        """A chain with entries and no checkpoint: its last entries, or all of it, could be
        deleted without a trace, so it is not reported as verified."""
        return self.ok and self.anchor_seq is None and self.entries > 0

    def _damaged(self, damage: Damage) -> ChainReport:
        self.broken_seq, self.broken_id = damage.seq, damage.entry_id
        self.kind, self.reason = damage.kind, damage.reason
        return self


def _unhex(copy_bytea: bytes) -> bytes:
    # COPY text renders bytea as \\x<hex> (the backslash itself escaped).
    return bytes.fromhex(copy_bytea[3:].decode())


def verify_org(conn: Connection, org_id: uuid.UUID, anchor: Checkpoint | None = None) -> ChainReport:
    """Stream every chain entry of the org, whatever its seq, and check it against the anchor.

    Runs inside the caller's transaction (which sees the org: the owner, or a session with
    app.org_id set to it).
    """
    cur = driver(conn).cursor()
    cur.execute(PIN_RENDERING, (str(org_id),))
    cur.execute("SELECT count(*) FROM audit_events WHERE org_id = %s", (org_id,))
    pending_row = cur.fetchone()
    report = ChainReport(org_id, 0, pending=int(pending_row[0]) if pending_row else 0)
    if anchor is not None:
        report.anchor_seq = anchor.seq
        if anchor.org_id != org_id or not anchor.valid():
            reason = "the anchor's signature does not verify: it was not made with our audit key"
            return report._damaged(Damage(anchor.seq, None, "forged-anchor", reason))
    scan = scan_chain(cur, org_id, anchor=anchor)
    report.entries = scan.entries
    if scan.damage is not None:
        return report._damaged(scan.damage)
    last = scan.last_seq or 0
    if anchor is not None and anchor.seq > last:
        report.missing = (last + 1, anchor.seq)
        kind, what = (
            ("deleted", "the whole chain was deleted")
            if last == 0
            else ("truncated", f"the chain was truncated after entry {last}")
        )
        reason = f"{what}: entries {last + 1}..{anchor.seq} are missing (anchored at {anchor.at})"
        return report._damaged(Damage(last + 1, None, kind, reason))
    return report
