"""SUD counseling notes (§2.11): kept apart from the rest of the record, in their own table and
routes, never part of `/record`, and readable only by

- their author, or
- a reader holding `clinical:read` while the resident has an active consent of kind
  `counseling_notes` (signed, not revoked, not expired) whose recipients are the class
  `program_operations` (the program's own staff). Such a consent covers counseling notes only
  (a CHECK constraint of migration 0020), so no TPO or other consent ever opens them.

No other basis applies: not the care team, not break-glass, not `self` (like HIPAA
psychotherapy notes, they are outside the patient's own access to their records). A note the
caller may not read is invisible: absent from the list, 404 when named.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit
from core.contracts.consent import ConsentKind, CounselingSessionKind
from core.enums import AuditAction
from core.errors import NotFound
from models.part2 import CounselingNote
from services.consent.access import Caller, active_consents, covers_staff
from services.residents import get_resident


@dataclass(frozen=True)
class NewNote:
    session_date: date
    session_kind: CounselingSessionKind
    body: str


def notes_consent(
    session: Session, caller: Caller, resident_id: uuid.UUID, now: datetime
) -> uuid.UUID | None:
    """The counseling-notes consent that lets `caller` read every note of the resident."""
    if not caller.clinical or caller.resident_id is not None:
        return None
    for c in active_consents(session, resident_id, now):
        if c.kind is ConsentKind.COUNSELING_NOTES and covers_staff(c):
            return c.id
    return None


def write_note(
    session: Session, note_id: uuid.UUID, resident_id: uuid.UUID, author: uuid.UUID, new: NewNote
) -> CounselingNote:
    """A note by `author` (idempotent by id: a retried request finds the first)."""
    existing = session.get(CounselingNote, note_id)
    if existing is not None and existing.author_user_id == author:
        return existing
    resident = get_resident(session, resident_id)
    note = CounselingNote(
        id=note_id,
        org_id=resident.org_id,
        resident_id=resident_id,
        author_user_id=author,
        session_date=new.session_date,
        session_kind=new.session_kind,
        body=new.body,
        created_by=author,
    )
    session.add(note)
    session.flush()
    return note


def readable_notes(
    session: Session, caller: Caller, resident_id: uuid.UUID, now: datetime
) -> list[CounselingNote]:
    """The notes `caller` may read, newest session first (the others are simply not there)."""
    get_resident(session, resident_id)
    consent = notes_consent(session, caller, resident_id, now)
    q = select(CounselingNote).where(CounselingNote.resident_id == resident_id)
    if consent is None:
        q = q.where(CounselingNote.author_user_id == caller.user_id)
    rows = list(
        session.scalars(q.order_by(CounselingNote.session_date.desc(), CounselingNote.created_at.desc()))
    )
    _audit(session, resident_id, consent, len(rows))
    return rows


def readable_note(
    session: Session, caller: Caller, resident_id: uuid.UUID, note_id: uuid.UUID, now: datetime
) -> CounselingNote:
    get_resident(session, resident_id)
    consent = notes_consent(session, caller, resident_id, now)
    note = session.get(CounselingNote, note_id)
    if (
        note is None
        or note.resident_id != resident_id
        or (consent is None and note.author_user_id != caller.user_id)
    ):
        raise NotFound("counseling note not found", field="note_id")
    _audit(session, resident_id, consent, 1)
    return note


def _audit(session: Session, resident_id: uuid.UUID, consent: uuid.UUID | None, count: int) -> None:
    basis = f"consent:{consent}" if consent else "author"
    audit.record(
        session, AuditAction.READ, "counseling_notes", resident_id, {"access_basis": basis, "count": count}
    )
