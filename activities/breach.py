"""Breach response activities: each writes through services/breach/ in one tenant transaction
and is idempotent (a step already on the incident's timeline is not written again). PDFs are
made and stored, and e-mail is sent, outside any transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from temporalio import activity

from activities.base import Deps, TenantActivities
from core.contracts.breach import (
    Assessment,
    Delay,
    Facts,
    NewIncident,
    Obligation,
    letter_file,
    report_file,
)
from core.filestore import sha256
from core.notify import Email
from core.process import Actor
from services.breach import incidents, letters
from services.users import owner_addresses


@dataclass(frozen=True)
class Record:
    actor: Actor
    incident_id: uuid.UUID
    report: NewIncident
    at: datetime


@dataclass(frozen=True)
class Assess:
    actor: Actor
    incident_id: uuid.UUID
    assessment: Assessment
    at: datetime


@dataclass(frozen=True)
class Step:
    """An obligation met (or escalated), with the clocks as they now stand."""

    actor: Actor
    incident_id: uuid.UUID
    obligation: Obligation
    obligations: list[Obligation]
    at: datetime
    # Escalation only: "warning" (near the deadline) or "overdue".
    point: str = ""


@dataclass(frozen=True)
class Delayed:
    actor: Actor
    incident_id: uuid.UUID
    delay: Delay
    obligations: list[Obligation]
    # PII: the official who asked orally (164.412(b)); stored encrypted, never in state.
    official: str | None = None


@dataclass(frozen=True)
class Clocks:
    actor: Actor
    incident_id: uuid.UUID
    obligations: list[Obligation]


@dataclass(frozen=True)
class Close:
    actor: Actor
    incident_id: uuid.UUID
    at: datetime


class BreachActivities(TenantActivities):
    def __init__(self, deps: Deps) -> None:
        super().__init__(deps)
        self.files = deps.files
        self.notifier = deps.notifier

    @activity.defn(name="breach.record")
    def record(self, inp: Record) -> Facts:
        with self.session(inp.actor) as s:
            return incidents.record(s, inp.incident_id, inp.report, inp.actor.user_id, inp.at)

    @activity.defn(name="breach.save_clocks")
    def save_clocks(self, inp: Clocks) -> None:
        with self.session(inp.actor) as s:
            incidents.save_obligations(s, inp.incident_id, inp.obligations)

    @activity.defn(name="breach.assess")
    def assess(self, inp: Assess) -> None:
        with self.session(inp.actor) as s:
            incidents.assess(s, inp.incident_id, inp.assessment, inp.actor.user_id, inp.at)

    @activity.defn(name="breach.write_letters")
    def write_letters(self, inp: Close) -> int:
        """One letter per affected resident on record, stored under a key derived from the
        incident and the resident; their digests recorded once."""
        with self.session(inp.actor) as s:
            batch = letters.letter_set(s, inp.incident_id)
        digests = {}
        for letter in batch.letters:
            pdf = letters.notice_letter_pdf(batch, letter)
            key = letter_file(inp.actor.org_id, inp.incident_id, letter.resident_id)
            self.files.put(key, pdf, "application/pdf")
            digests[str(letter.resident_id)] = sha256(pdf).hex()
        with self.session(inp.actor) as s:
            incidents.record_letters(s, inp.incident_id, digests, inp.at)
        return len(digests)

    @activity.defn(name="breach.complete")
    def complete(self, inp: Step) -> None:
        with self.session(inp.actor) as s:
            incidents.complete(s, inp.incident_id, inp.obligation, inp.obligations, inp.at)

    @activity.defn(name="breach.delay")
    def delay(self, inp: Delayed) -> None:
        with self.session(inp.actor) as s:
            incidents.delay(s, inp.incident_id, inp.delay, inp.official, inp.obligations)

    @activity.defn(name="breach.escalate")
    def escalate(self, inp: Step) -> None:
        """E-mail the org's owners about an obligation still open near (or past) its deadline.
        The message names the obligation and the date, never a person or what was exposed."""
        ob = inp.obligation
        with self.session(inp.actor) as s:
            to = owner_addresses(s)
        if to:
            late = inp.point == "overdue"
            subject = f"{'Overdue' if late else 'Due soon'}: breach incident {str(inp.incident_id)[:8]}"
            body = (
                f"An obligation of breach incident {inp.incident_id} is still open:\n\n"
                f"  {ob.title}\n  due {ob.due_at:%Y-%m-%d %H:%M} UTC ({ob.citation})\n\n"
                "Sign in to RecoveryOS to see the incident. This message names no one on purpose."
            )
            msg_id = f"<breach-{inp.incident_id}-{ob.key}-{inp.point}-{ob.due_at:%Y%m%d}@recoveryos>"
            self.notifier.send_email(Email(tuple(to), subject, body, msg_id))
        with self.session(inp.actor) as s:
            incidents.escalated(s, inp.incident_id, ob, inp.point, inp.at)

    @activity.defn(name="breach.close")
    def close(self, inp: Close) -> None:
        with self.session(inp.actor) as s:
            if incidents.get_incident(s, inp.incident_id).closed_at is not None:
                return
            data = letters.report_data(s, inp.incident_id)
        pdf = letters.closing_report_pdf(data, inp.at)
        self.files.put(report_file(inp.actor.org_id, inp.incident_id), pdf, "application/pdf")
        with self.session(inp.actor) as s:
            incidents.close(s, inp.incident_id, sha256(pdf), inp.at)
