"""Incident activities: open one (staff, or another process under a deterministic id), the
state-report clock's reads and escalations, the report made; and a missing resident's
emergency contact told by the method the resident consented to (sent outside any transaction,
with a Message-ID stable per incident so a retry is the same e-mail)."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from temporalio import activity

from activities.base import Deps, TenantActivities
from core.contracts.safety import NewIncident
from core.enums import MessageChannel
from core.notify import Email, Sms
from core.process import Actor
from services.operations import curfew, incidents


@dataclass(frozen=True)
class OpenIncident:
    actor: Actor
    incident_id: uuid.UUID
    new: NewIncident


@dataclass(frozen=True)
class Clock:
    """The state-report clock of an incident: None fields when no report is due."""

    due_at: datetime | None
    warn_at: datetime | None
    reported: bool


@dataclass(frozen=True)
class IncidentRef:
    actor: Actor
    incident_id: uuid.UUID


@dataclass(frozen=True)
class Escalate:
    actor: Actor
    incident_id: uuid.UUID
    overdue: bool


@dataclass(frozen=True)
class ReportMade:
    actor: Actor
    incident_id: uuid.UUID
    at: datetime


@dataclass(frozen=True)
class TellContact:
    actor: Actor
    incident_id: uuid.UUID
    resident_id: uuid.UUID
    house_id: uuid.UUID


class IncidentActivities(TenantActivities):
    def __init__(self, deps: Deps) -> None:
        super().__init__(deps)
        self.notifier = deps.notifier

    @activity.defn(name="operations.open_incident")
    def open_incident(self, inp: OpenIncident) -> Clock:
        with self.session(inp.actor) as s:
            incidents.check_new(inp.new)
            i = incidents.open_incident(s, inp.incident_id, inp.new, inp.actor.user_id)
            return Clock(*incidents.report_clock(s, i), i.state_reported_at is not None)

    @activity.defn(name="operations.incident_clock")
    def report_clock(self, inp: IncidentRef) -> Clock:
        with self.session(inp.actor) as s:
            i = incidents.get_incident(s, inp.incident_id)
            return Clock(*incidents.report_clock(s, i), i.state_reported_at is not None)

    @activity.defn(name="operations.escalate_state_report")
    def escalate(self, inp: Escalate) -> uuid.UUID | None:
        """Returns the house manager to notify (None once the report was made)."""
        with self.session(inp.actor) as s:
            return incidents.escalate_state_report(s, inp.incident_id, inp.overdue)

    @activity.defn(name="operations.record_state_report")
    def record_state_report(self, inp: ReportMade) -> None:
        with self.session(inp.actor) as s:
            incidents.record_state_report(s, inp.incident_id, inp.at)

    @activity.defn(name="operations.tell_emergency_contact")
    def tell_contact(self, inp: TellContact) -> list[MessageChannel]:
        with self.session(inp.actor) as s:
            messages = curfew.contact_messages(s, inp.resident_id, inp.house_id)
        sent = []
        for n, m in enumerate(messages):
            if m.channel is MessageChannel.EMAIL:
                mid = f"<absence-{inp.incident_id}-{n}@recoveryos>"
                self.notifier.send_email(Email((m.to,), m.subject, m.body, mid))
            else:
                self.notifier.send_sms(Sms(m.to, m.body))
            sent.append(m.channel)
        with self.session(inp.actor) as s:
            curfew.contact_notified(s, inp.resident_id, inp.house_id, inp.incident_id, sorted(set(sent)))
        return sent
