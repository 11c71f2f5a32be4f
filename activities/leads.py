"""Activities that write `leads`. Each is idempotent: the lead id comes from the caller,
so a retried activity finds its own earlier write instead of inserting twice."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from temporalio import activity

from core.db import tenant_session
from models.enums import LeadSource, LeadStatus
from models.residents import Lead


@dataclass
class NewLead:
    first_name: str
    last_name: str
    email: str | None = None
    phone: str | None = None
    source: str = "other"
    notes: str | None = None


@dataclass
class RecordLead:
    org_id: str
    lead_id: str
    lead: NewLead
    actor_user_id: str | None = None
    request_id: str | None = None


@dataclass
class LeadStatusChange:
    org_id: str
    lead_id: str
    status: str
    actor_user_id: str | None = None


@activity.defn
def record_lead(inp: RecordLead) -> str:
    org_id, lead_id, lead, actor_user_id = inp.org_id, inp.lead_id, inp.lead, inp.actor_user_id
    with tenant_session(org_id, actor_user_id, actor_type="workflow:intake", request_id=inp.request_id) as s:
        if s.get(Lead, uuid.UUID(lead_id)) is not None:
            return lead_id
        s.add(
            Lead(
                id=uuid.UUID(lead_id),
                org_id=uuid.UUID(org_id),
                first_name=lead.first_name,
                last_name=lead.last_name,
                email=lead.email,
                phone=lead.phone,
                source=LeadSource(lead.source),
                status=LeadStatus.NEW,
                notes=lead.notes,
                created_by=uuid.UUID(actor_user_id) if actor_user_id else None,
            )
        )
    return lead_id


@activity.defn
def set_lead_status(inp: LeadStatusChange) -> None:
    with tenant_session(inp.org_id, inp.actor_user_id, actor_type="workflow:intake") as s:
        row = s.get(Lead, uuid.UUID(inp.lead_id))
        if row is None:
            raise ValueError("lead not found")
        if row.status != LeadStatus(inp.status):
            row.status = LeadStatus(inp.status)
