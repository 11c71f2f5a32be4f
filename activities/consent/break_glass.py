"""Break-glass activities: each writes through services/consent/break_glass.py in one tenant
transaction and is idempotent (the grant's id is the API's; escalation and review are written
once). The escalation e-mail goes out after its transaction, with a Message-ID fixed by the
grant, so a retried send is the same message."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from temporalio import activity

from activities.base import Deps, TenantActivities
from core.config import get_settings
from core.enums import BreakGlassReviewOutcome
from core.process import Actor
from services.consent import break_glass


@dataclass(frozen=True)
class OpenGrant:
    actor: Actor
    event_id: uuid.UUID
    resident_id: uuid.UUID
    # PHI: stored (encrypted) by this first activity and kept nowhere in the workflow's state.
    reason: str
    at: datetime
    minutes: int


@dataclass(frozen=True)
class Grant:
    occurred_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class GrantStep:
    actor: Actor
    event_id: uuid.UUID
    at: datetime


@dataclass(frozen=True)
class RecordReview:
    actor: Actor
    event_id: uuid.UUID
    outcome: BreakGlassReviewOutcome
    # PHI: the reviewer's findings, stored encrypted.
    notes: str
    at: datetime


class BreakGlassActivities(TenantActivities):
    def __init__(self, deps: Deps) -> None:
        super().__init__(deps)
        self.notifier = deps.notifier

    @activity.defn(name="break_glass.open")
    def open(self, inp: OpenGrant) -> Grant:
        assert inp.actor.user_id is not None, "a grant belongs to the user who opened it"
        with self.session(inp.actor) as s:
            ev = break_glass.open_grant(
                s, inp.event_id, inp.actor.user_id, inp.resident_id, inp.reason, inp.at, inp.minutes
            )
            return Grant(ev.occurred_at, ev.expires_at)

    @activity.defn(name="break_glass.record_end")
    def record_end(self, inp: GrantStep) -> None:
        with self.session(inp.actor) as s:
            break_glass.record_end(s, inp.event_id, inp.at)

    @activity.defn(name="break_glass.escalate")
    def escalate(self, inp: GrantStep) -> bool:
        """True when the grant is escalated (False: it was reviewed first)."""
        with self.session(inp.actor) as s:
            escalated, email = break_glass.escalate(s, inp.event_id, inp.at, get_settings().public_base_url)
        if email is not None:
            self.notifier.send_email(email)
        return escalated

    @activity.defn(name="break_glass.review")
    def review(self, inp: RecordReview) -> None:
        assert inp.actor.user_id is not None, "a review is a person's"
        with self.session(inp.actor) as s:
            break_glass.review(s, inp.event_id, inp.actor.user_id, inp.outcome, inp.notes, inp.at)
