"""The one lookup of a resident by id, shared by every family: row-level security decides what
the caller may see (their org, and their houses or property when scoped), so a resident outside
it is the same 404 naming `resident_id` as one that does not exist, or was deleted."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from core.errors import NotFound
from models.residents import Resident


def get_resident(session: Session, resident_id: uuid.UUID) -> Resident:
    resident = session.get(Resident, resident_id)
    if resident is None or resident.deleted_at is not None:
        raise NotFound("resident not found", field="resident_id")
    return resident
