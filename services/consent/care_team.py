"""A resident's care team: the staff whose `treatment-team` basis lets them read the resident's
Part 2 fields (services/consent/access.py). Staff with `consent:manage` assign and remove
members: assigning one grants access to Part 2 records, so it is a privacy decision, not an
edit of the resident's details (`resident:write`). Rows are never deleted: a removal sets
`ended_at`, so who could read when stays answerable."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import NotFound, Rejected
from models.part2 import CareTeamMember
from models.users import User
from services.residents import get_resident


def members(session: Session, resident_id: uuid.UUID) -> list[CareTeamMember]:
    get_resident(session, resident_id)
    return list(
        session.scalars(
            select(CareTeamMember)
            .where(CareTeamMember.resident_id == resident_id, CareTeamMember.ended_at.is_(None))
            .order_by(CareTeamMember.started_at, CareTeamMember.id)
        )
    )


def add_member(
    session: Session, resident_id: uuid.UUID, user_id: uuid.UUID, role: str, by: uuid.UUID
) -> CareTeamMember:
    """Assign a staff user; assigning someone already on the team returns their row."""
    resident = get_resident(session, resident_id)
    user = session.get(User, user_id)
    if user is None or user.deleted_at is not None or user.resident_id is not None:
        raise Rejected("no staff user with this id in your organisation", field="user_id")
    current = session.scalar(
        select(CareTeamMember).where(
            CareTeamMember.resident_id == resident_id,
            CareTeamMember.user_id == user_id,
            CareTeamMember.ended_at.is_(None),
        )
    )
    if current is not None:
        return current
    row = CareTeamMember(
        org_id=resident.org_id,
        resident_id=resident_id,
        user_id=user_id,
        role=role,
        created_by=by,
    )
    session.add(row)
    session.flush()
    return row


def remove_member(
    session: Session, resident_id: uuid.UUID, user_id: uuid.UUID, at: datetime, by: uuid.UUID
) -> None:
    get_resident(session, resident_id)
    row = session.scalar(
        select(CareTeamMember).where(
            CareTeamMember.resident_id == resident_id,
            CareTeamMember.user_id == user_id,
            CareTeamMember.ended_at.is_(None),
        )
    )
    if row is None:
        raise NotFound("this user is not on the resident's care team", field="user_id")
    row.ended_at = max(at, row.started_at)
    row.updated_by = by
