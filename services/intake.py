"""Leads: the queries and commands that the intake activities, the API and the seed share."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.contracts.intake import NewLead
from core.enums import HouseGender, LeadSource, LeadStatus
from core.errors import NotFound
from core.events import EventType
from models.residents import Lead
from services.events import emit
from services.paging import Page, matching, ordered, page


def record_lead(session: Session, lead_id: uuid.UUID, data: NewLead, created_by: uuid.UUID | None) -> Lead:
    """Insert the lead once: a second call with the same id returns the first row unchanged."""
    existing = session.get(Lead, lead_id)
    if existing is not None:
        return existing
    org_id = session.info["actor"]["org_id"]
    lead = Lead(
        id=lead_id,
        org_id=org_id,
        first_name=data.first_name,
        last_name=data.last_name,
        email=data.email,
        phone=data.phone,
        source=data.source,
        status=LeadStatus.NEW,
        notes=data.notes,
        date_of_birth=data.date_of_birth,
        primary_substance=data.primary_substance,
        housing_gender=data.housing_gender,
        desired_move_in_date=data.desired_move_in_date,
        house_preference_id=data.house_preference_id,
        referred_by_api_key_id=data.referred_by_api_key_id,
        # Whoever takes the inquiry owns it until it is reassigned; for a house-scoped
        # manager that is also what keeps their own lead visible to them.
        assigned_to_user_id=created_by,
        created_by=created_by,
    )
    session.add(lead)
    session.flush()
    emit(session, EventType.LEAD_CREATED, lead_id, house_id=data.house_preference_id)
    return lead


# What screening ends in; each is the lead's decided event, once.
DECIDED = (LeadStatus.APPROVED, LeadStatus.DECLINED, LeadStatus.LOST)


def set_status(
    session: Session, lead_id: uuid.UUID, status: LeadStatus, reason_code: str | None = None
) -> Lead:
    """The intake workflow's status change; idempotent."""
    lead = session.get(Lead, lead_id)
    if lead is None:
        raise NotFound("lead not found", field="lead_id")
    if lead.status != status:
        lead.status = status
    if reason_code and lead.disposition_reason != reason_code:
        lead.disposition_reason = reason_code
    if status in DECIDED:
        emit(
            session,
            EventType.LEAD_DECIDED,
            lead_id,
            occurrence=status,
            house_id=lead.house_preference_id,
            status=status,
        )
    return lead


def get_lead(session: Session, lead_id: uuid.UUID) -> Lead:
    lead = session.get(Lead, lead_id)
    if lead is None:
        raise NotFound("lead not found", field="lead_id")
    return lead


def lead_status(session: Session, lead_id: uuid.UUID) -> LeadStatus:
    """Existence and status only: nothing is decrypted, so nothing is disclosed."""
    status = session.scalar(select(Lead.status).where(Lead.id == lead_id))
    if status is None:
        raise NotFound("lead not found", field="lead_id")
    return status


class LeadSort(StrEnum):
    """Whitelisted orderings of the lead list ("-" descending)."""

    CREATED_AT = "created_at"
    CREATED_AT_DESC = "-created_at"
    DESIRED_MOVE_IN_DATE = "desired_move_in_date"
    DESIRED_MOVE_IN_DATE_DESC = "-desired_move_in_date"
    NEXT_FOLLOW_UP_AT = "next_follow_up_at"
    STATUS = "status"


_LEAD_SORT = {
    "created_at": Lead.created_at,
    "desired_move_in_date": Lead.desired_move_in_date,
    "next_follow_up_at": Lead.next_follow_up_at,
    "status": Lead.status,
}


@dataclass(frozen=True)
class LeadFilter:
    status: LeadStatus | None = None
    source: LeadSource | None = None
    house_id: uuid.UUID | None = None
    housing_gender: HouseGender | None = None
    assigned_to_user_id: uuid.UUID | None = None


def list_leads(
    session: Session,
    f: LeadFilter,
    sort: LeadSort = LeadSort.CREATED_AT_DESC,
    limit: int = 50,
    offset: int = 0,
) -> Page[Lead]:
    """Leads the caller may see (row-level security applies the caller's scope), filtered on
    plaintext columns only: names and contact details are encrypted and never searched here."""
    stmt = matching(
        select(Lead),
        (Lead.status, f.status),
        (Lead.source, f.source),
        (Lead.house_preference_id, f.house_id),
        (Lead.housing_gender, f.housing_gender),
        (Lead.assigned_to_user_id, f.assigned_to_user_id),
    )
    return page(session, ordered(stmt, sort, _LEAD_SORT, Lead.id), limit, offset)
