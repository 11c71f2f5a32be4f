"""Intake activities: they write `leads` through the intake service. Each is idempotent: the
lead id comes from the caller, so a retry finds its own earlier write."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from temporalio import activity

from activities.base import TenantActivities
from core.contracts.intake import NewLead
from core.enums import LeadStatus
from core.process import Actor
from services import intake


@dataclass(frozen=True)
class RecordLead:
    actor: Actor
    lead_id: uuid.UUID
    lead: NewLead


@dataclass(frozen=True)
class LeadStatusChange:
    actor: Actor
    lead_id: uuid.UUID
    status: LeadStatus
    reason_code: str | None = None


class IntakeActivities(TenantActivities):
    @activity.defn(name="intake.record_lead")
    def record_lead(self, inp: RecordLead) -> uuid.UUID:
        with self.session(inp.actor) as s:
            return intake.record_lead(s, inp.lead_id, inp.lead, created_by=inp.actor.user_id).id

    @activity.defn(name="intake.set_lead_status")
    def set_lead_status(self, inp: LeadStatusChange) -> None:
        with self.session(inp.actor) as s:
            intake.set_status(s, inp.lead_id, inp.status, reason_code=inp.reason_code)
