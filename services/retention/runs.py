"""A retention run, step by step (the RetentionRun workflow's activities call these): the dry run
lists what is past its period and not held (ids only; nothing changes); a named person confirms
or declines that list; the destruction then erases exactly what was listed and is still not
held, inside one transaction that names the confirmed run (the database's freeze triggers let an
erasure through only then, migration 0023), and returns the object keys of the files to delete.

What "destroyed" means per record type:
- document: its content, every version's content and change summary, and its signatures' personal
  fields set to NULL; its files and its versions' files deleted from the store, their encrypted
  filenames overwritten; the row soft-deleted. Ids, dates, statuses and digests stay: they say
  a document existed and what became of it, not what it said.
- resident (discharged, period run, every document of theirs past its own period too): every
  encrypted field of their row, their discharges and their drug tests erased (NOT NULL ones
  overwritten with ERASED), their files deleted, the row soft-deleted.
- breach_incident: every encrypted field erased; its closing report and letters deleted.
The audit log is never touched: its rows hold ids, not PHI, and `audit verify` still checks
every link of the chain after a run.

Idempotent: a run listed once per (org, day); a destruction already done returns what it did.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, text
from sqlalchemy.orm import Session

from core import audit
from core.contracts.breach import letter_file, report_file
from core.contracts.retention import ERASED, Destroyed, Listing, RecordType, years_before
from core.enums import AuditAction, ResidentStatus
from core.errors import Conflict, NotFound
from core.events import EventType
from models.base import ENCRYPTED_FIELDS, Base
from models.compliance import BreachIncident
from models.documents import Document, Signature
from models.documents_extended import DocumentVersion
from models.files import FileUpload
from models.operations import DrugTest
from models.resident_tracking import Discharge
from models.residents import Resident
from models.retention import DestructionRun
from services.events import Subject, emit_many
from services.retention import holds, policies

ENTITY = "destruction_run"
# A soft-deleted row still holds its ciphertext: retention reads and erases those too.
ALL = {"include_deleted": True}
DESTROYABLE = (RecordType.DOCUMENT, RecordType.RESIDENT, RecordType.BREACH_INCIDENT)
FILES = "files"


def get_run(session: Session, run_id: uuid.UUID) -> DestructionRun:
    run = session.get(DestructionRun, run_id)
    if run is None:
        raise NotFound(f"no retention run {run_id}", field="run_id")
    return run


def runs(session: Session) -> list[DestructionRun]:
    return list(session.scalars(select(DestructionRun).order_by(DestructionRun.run_on.desc())))


def _already_destroyed(session: Session, kind: RecordType) -> set[str]:
    rows = session.scalars(
        select(DestructionRun.destroyed[kind.value]).where(DestructionRun.status == "destroyed")
    )
    return {i for ids in rows if ids for i in ids}


def _documents_past(session: Session, today: date) -> list[Document]:
    return list(
        session.scalars(
            select(Document)
            .where(
                # A resident's document with no period of its own (a draft never signed) goes
                # with its resident's record.
                or_(
                    Document.retention_until_date <= today,
                    and_(Document.retention_until_date.is_(None), Document.resident_id.is_not(None)),
                ),
                Document.legal_hold.is_(False),
            )
            .order_by(Document.id),
            execution_options=ALL,
        )
    )


def expired(session: Session, today: date) -> dict[str, list[str]]:
    """Record type → ids past their period, not held and not yet destroyed (nothing changes).

    A resident's record goes as a whole and last: their documents go when both their own period
    and their resident's have run, and the resident's row only once no document of theirs is
    left to wait for."""
    held_residents, held_incidents = holds.held(session)
    done = {k: _already_destroyed(session, k) for k in DESTROYABLE}
    cutoff = years_before(today, policies.years_for(session, RecordType.RESIDENT))
    last_discharge = (
        select(Discharge.resident_id, func.max(Discharge.discharged_at).label("at"))
        .where(Discharge.deleted_at.is_(None))
        .group_by(Discharge.resident_id)
        .subquery()
    )
    past_residents = {
        r
        for r in session.scalars(
            select(Resident.id)
            .join(last_discharge, last_discharge.c.resident_id == Resident.id)
            .where(
                Resident.status.in_((ResidentStatus.DISCHARGED, ResidentStatus.ALUMNI)),
                func.date(last_discharge.c.at) <= cutoff,
            ),
            execution_options=ALL,
        )
        if r not in held_residents and str(r) not in done[RecordType.RESIDENT]
    }
    gone = past_residents | {uuid.UUID(i) for i in done[RecordType.RESIDENT]}
    docs = [
        d
        for d in _documents_past(session, today)
        if str(d.id) not in done[RecordType.DOCUMENT]
        and (d.resident_id is None or (d.resident_id in gone and d.resident_id not in held_residents))
    ]
    listed_docs = {d.id for d in docs}
    still_waiting = {
        rid
        for did, rid in session.execute(
            select(Document.id, Document.resident_id).where(Document.resident_id.in_(past_residents)),
            execution_options=ALL,
        )
        if did not in listed_docs and str(did) not in done[RecordType.DOCUMENT]
    }
    incidents = session.scalars(
        select(BreachIncident.id)
        .where(BreachIncident.retain_until_date <= today, BreachIncident.decided_at.is_not(None))
        .order_by(BreachIncident.id),
        execution_options=ALL,
    )
    return {
        RecordType.DOCUMENT.value: sorted(str(i) for i in listed_docs),
        RecordType.RESIDENT.value: sorted(str(r) for r in past_residents - still_waiting),
        RecordType.BREACH_INCIDENT.value: [
            str(i)
            for i in incidents
            if i not in held_incidents and str(i) not in done[RecordType.BREACH_INCIDENT]
        ],
    }


def _counts(listing: dict[str, Any]) -> dict[str, int]:
    return {k: len(v) for k, v in listing.items() if k != FILES}


def _emit(session: Session, type_: EventType, run_id: uuid.UUID, counts: dict[str, int]) -> None:
    """Ids and counts only: `documents`, `residents`, `breach_incidents`."""
    emit_many(session, type_, [Subject(run_id, names={f"{k}s": v for k, v in counts.items()})])


def _listing(run: DestructionRun) -> Listing:
    return Listing(run.id, _counts(run.listing), run.status)


def dry_run(
    session: Session, run_id: uuid.UUID, run_on: date, workflow_id: str | None, at: datetime
) -> Listing:
    """List what would be destroyed on `run_on`, with counts; nothing else is changed."""
    run = session.get(DestructionRun, run_id)
    if run is not None:
        return _listing(run)
    listing = expired(session, run_on)
    run = DestructionRun(
        id=run_id,
        org_id=session.info["actor"]["org_id"],
        run_on=run_on,
        status="listed",
        listing=listing,
        counts=_counts(listing),
        workflow_id=workflow_id,
        listed_at=at,
    )
    session.add(run)
    session.flush()
    counts = _counts(listing)
    audit.record(session, AuditAction.EXECUTE, ENTITY, run_id, {"step": "dry_run", "counts": counts})
    _emit(session, EventType.RETENTION_LISTED, run_id, counts)
    return _listing(run)


def _answer(
    session: Session, run_id: uuid.UUID, status: str, user_id: uuid.UUID | None, at: datetime
) -> Listing:
    run = get_run(session, run_id)
    if run.status == status:
        return _listing(run)
    if run.status != "listed":
        raise Conflict(f"this run is already {run.status}", field="run_id")
    run.status = status
    if status == "confirmed":
        run.confirmed_at, run.confirmed_by_user_id = at, user_id
    audit.record(session, AuditAction.UPDATE, ENTITY, run_id, {"step": status})
    return _listing(run)


def confirm(session: Session, run_id: uuid.UUID, user_id: uuid.UUID | None, at: datetime) -> Listing:
    return _answer(session, run_id, "confirmed", user_id, at)


def decline(session: Session, run_id: uuid.UUID, user_id: uuid.UUID | None, at: datetime) -> Listing:
    return _answer(session, run_id, "declined", user_id, at)


def lapse(session: Session, run_id: uuid.UUID, at: datetime) -> Listing:
    return _answer(session, run_id, "lapsed", None, at)


def erase(obj: Any) -> None:
    """Every encrypted field of a row: NULL, or ERASED where the column may not be NULL (the
    ciphertext of what it said is gone either way; a blind index goes with its field)."""
    table = Base.metadata.tables[obj.__tablename__]
    for f in ENCRYPTED_FIELDS:
        if f.table == obj.__tablename__ and getattr(obj, f"{f.field}_ct") is not None:
            setattr(obj, f.field, None if table.c[f.field].nullable else ERASED)


def _erase_file(session: Session, file_id: uuid.UUID | None, at: datetime, keys: list[str]) -> None:
    f = session.get(FileUpload, file_id, execution_options=ALL) if file_id else None
    if f is None:
        return
    keys.append(f.storage_key)
    erase(f)
    f.deleted_at = f.deleted_at or at


def _destroy_document(session: Session, doc: Document, at: datetime, keys: list[str]) -> None:
    for v in session.scalars(
        select(DocumentVersion).where(DocumentVersion.document_id == doc.id), execution_options=ALL
    ):
        if v.erased_at is None:
            v.content, v.change_summary, v.erased_at = None, None, at
        _erase_file(session, v.file_upload_id, at, keys)
    for sig in session.scalars(
        select(Signature).where(Signature.document_id == doc.id), execution_options=ALL
    ):
        erase(sig)
    doc.content = None
    doc.deleted_at = doc.deleted_at or at
    _erase_file(session, doc.file_upload_id, at, keys)


def _destroy_resident(session: Session, r: Resident, at: datetime, keys: list[str]) -> None:
    for row in [
        *session.scalars(select(Discharge).where(Discharge.resident_id == r.id), execution_options=ALL),
        *session.scalars(select(DrugTest).where(DrugTest.resident_id == r.id), execution_options=ALL),
    ]:
        erase(row)
    for f in session.scalars(select(FileUpload).where(FileUpload.resident_id == r.id), execution_options=ALL):
        _erase_file(session, f.id, at, keys)
    erase(r)
    r.deleted_at = r.deleted_at or at


def _destroy_incident(session: Session, inc: BreachIncident, at: datetime, keys: list[str]) -> None:
    org = inc.org_id
    keys.append(report_file(org, inc.id))
    keys += [letter_file(org, inc.id, uuid.UUID(str(r))) for r in inc.affected_resident_ids or []]
    erase(inc)
    inc.deleted_at = inc.deleted_at or at


def destroy(session: Session, run_id: uuid.UUID, at: datetime) -> Destroyed:
    """Erase what the confirmed run listed and no hold placed since protects; once."""
    run = get_run(session, run_id)
    if run.status == "destroyed":
        return Destroyed(_counts(run.destroyed), _counts(run.skipped), list(run.destroyed.get(FILES, [])))
    if run.status != "confirmed":
        raise Conflict(f"a run is destroyed once confirmed; this one is {run.status}", field="run_id")
    # The freeze triggers let an erasure through only inside a transaction naming a confirmed run.
    session.execute(text("SELECT set_config('recoveryos.destruction_run', :r, true)"), {"r": str(run_id)})
    held_residents, held_incidents = holds.held(session)
    destroyed: dict[str, list[str]] = {k.value: [] for k in DESTROYABLE}
    skipped: dict[str, list[str]] = {k.value: [] for k in DESTROYABLE}
    keys: list[str] = []
    steps: list[tuple[RecordType, type[Any], Callable[[Any], bool], Callable[..., None]]] = [
        (
            RecordType.DOCUMENT,
            Document,
            lambda d: d.legal_hold or d.resident_id in held_residents,
            _destroy_document,
        ),
        (RecordType.RESIDENT, Resident, lambda r: r.id in held_residents, _destroy_resident),
        (RecordType.BREACH_INCIDENT, BreachIncident, lambda inc: inc.id in held_incidents, _destroy_incident),
    ]
    for kind, model, is_held, destroy_one in steps:
        for i in run.listing.get(kind.value, []):
            row = session.get(model, uuid.UUID(i), execution_options=ALL)
            if row is None or is_held(row):
                skipped[kind.value].append(i)
                continue
            destroy_one(session, row, at, keys)
            destroyed[kind.value].append(i)
    session.flush()
    for entity, ids in destroyed.items():
        for i in ids:
            audit.record(session, AuditAction.DELETE, entity, uuid.UUID(i), {"run": str(run_id)})
    run.destroyed = {**destroyed, FILES: sorted(set(keys))}
    run.skipped = skipped
    run.status, run.destroyed_at = "destroyed", at
    audit.record(
        session,
        AuditAction.DELETE,
        ENTITY,
        run_id,
        {"step": "destroyed", "counts": _counts(destroyed), "skipped": _counts(skipped)},
    )
    return Destroyed(_counts(destroyed), _counts(skipped), sorted(set(keys)))


def certified(session: Session, run_id: uuid.UUID, sha: bytes) -> None:
    run = get_run(session, run_id)
    if run.certificate_sha256 is not None:
        return
    run.certificate_sha256 = sha
    audit.record(session, AuditAction.CREATE, ENTITY, run_id, {"step": "certified"})
    _emit(session, EventType.RETENTION_DESTROYED, run_id, _counts(run.destroyed))


def certificate(session: Session, run_id: uuid.UUID) -> bytes:
    """The certificate's recorded digest; reading it is audited."""
    run = get_run(session, run_id)
    if run.certificate_sha256 is None:
        raise NotFound("this run has no certificate yet", field="run_id")
    audit.record(session, AuditAction.EXPORT, ENTITY, run_id, {"file": "certificate"})
    return run.certificate_sha256
