"""SUD counseling notes over HTTP (`/v1/residents/{id}/counseling-notes`), apart from the rest
of the record. Staff with `clinical:read` write them; each is readable by its author, or by
staff with `clinical:read` under the resident's active counseling-notes consent covering the
program's staff (services/consent/counseling.py). Any other note is invisible: absent from the
list, 404 when named."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy.orm import Session

from api.deps import TenantDep
from api.fields import Day, Trimmed
from api.routes.consent.deps import ClinicalReader, caller
from core.contracts.consent import CounselingSessionKind
from models.part2 import CounselingNote
from services.consent import counseling
from services.consent.access import Caller

router = APIRouter(tags=["consent"])


class CounselingNoteIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "session_date": "2026-11-30",
                    "session_kind": "individual",
                    "body": "Discussed coping plan for the holidays; next session in one week.",
                }
            ]
        },
    )
    session_date: Day = Field(description="the day of the counseling session (not in the future)")
    session_kind: CounselingSessionKind = Field(description="individual, group, joint or family")
    body: Annotated[str, Trimmed(20000)] = Field(description="the note (stored encrypted)")

    @field_validator("session_date")
    @classmethod
    def _not_future(cls, v: date) -> date:
        if v > datetime.now(UTC).date():
            raise ValueError("a session cannot be in the future")
        return v


class CounselingNoteOut(BaseModel):
    id: uuid.UUID = Field(description="the note")
    resident_id: uuid.UUID = Field(description="the resident")
    author_user_id: uuid.UUID = Field(description="who wrote it")
    session_date: date = Field(description="the day of the session")
    session_kind: CounselingSessionKind = Field(description="individual, group, joint or family")
    body: str = Field(description="the note")
    created_at: datetime = Field(description="when it was written")

    @classmethod
    def of(cls, n: CounselingNote) -> CounselingNoteOut:
        return cls(
            id=n.id,
            resident_id=n.resident_id,
            author_user_id=n.author_user_id,
            session_date=n.session_date,
            session_kind=n.session_kind,
            body=n.body or "",
            created_at=n.created_at,
        )


@router.post(
    "/v1/residents/{resident_id}/counseling-notes", status_code=201, response_model=CounselingNoteOut
)
async def write_counseling_note(
    resident_id: uuid.UUID, body: CounselingNoteIn, p: ClinicalReader, db: TenantDep
) -> CounselingNoteOut:
    """Write a counseling note; its author can always read it back."""
    new = counseling.NewNote(body.session_date, body.session_kind, body.body)
    return await db.run(_write, uuid.uuid4(), resident_id, p.person, new)


def _write(
    s: Session, note_id: uuid.UUID, resident_id: uuid.UUID, author: uuid.UUID, new: counseling.NewNote
) -> CounselingNoteOut:
    return CounselingNoteOut.of(counseling.write_note(s, note_id, resident_id, author, new))


def _list(s: Session, c: Caller, resident_id: uuid.UUID) -> list[CounselingNoteOut]:
    rows = counseling.readable_notes(s, c, resident_id, datetime.now(UTC))
    return [CounselingNoteOut.of(n) for n in rows]


def _one(s: Session, c: Caller, resident_id: uuid.UUID, note_id: uuid.UUID) -> CounselingNoteOut:
    return CounselingNoteOut.of(counseling.readable_note(s, c, resident_id, note_id, datetime.now(UTC)))


@router.get("/v1/residents/{resident_id}/counseling-notes", response_model=list[CounselingNoteOut])
async def list_counseling_notes(
    resident_id: uuid.UUID, p: ClinicalReader, db: TenantDep
) -> list[CounselingNoteOut]:
    """The resident's counseling notes the caller may read: their own, or all of them under
    the resident's counseling-notes consent. Others are absent, not redacted."""
    return await db.run(_list, caller(p), resident_id)


@router.get("/v1/residents/{resident_id}/counseling-notes/{note_id}", response_model=CounselingNoteOut)
async def get_counseling_note(
    resident_id: uuid.UUID, note_id: uuid.UUID, p: ClinicalReader, db: TenantDep
) -> CounselingNoteOut:
    """One counseling note; 404 unless the caller wrote it or holds the consent basis."""
    return await db.run(_one, caller(p), resident_id, note_id)
