"""The follow-up's steps: plan the waves, send a wave's link (or its reminder) and close a wave
left unanswered. Each reads and writes in a tenant transaction (services/reports/outcomes.py);
the message goes out afterwards through the injected notifier, outside any transaction. A
retried send goes out with the same Message-ID."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from temporalio import activity

from activities.base import Deps, TenantActivities
from core.contracts.outcomes import FollowUpInput
from core.enums import MessageChannel
from core.notify import Email, Sms
from core.process import Actor
from services.reports import outcomes


@dataclass(frozen=True)
class SendWave:
    actor: Actor
    survey_id: uuid.UUID
    at: datetime
    reminder: bool = False


@dataclass(frozen=True)
class WaveRef:
    actor: Actor
    survey_id: uuid.UUID


class OutcomeActivities(TenantActivities):
    def __init__(self, deps: Deps) -> None:
        super().__init__(deps)
        self.notifier = deps.notifier

    @activity.defn(name="outcomes.plan")
    def plan(self, inp: FollowUpInput) -> list[int]:
        with self.session(inp.actor) as s:
            return outcomes.plan(s, inp)

    @activity.defn(name="outcomes.send")
    def send(self, inp: SendWave) -> bool:
        """True when the link went out; False when nothing may be sent any more."""
        with self.session(inp.actor) as s:
            m = outcomes.prepare_send(s, inp.survey_id, inp.at, inp.reminder)
        if m is None:
            return False
        if m.channel is MessageChannel.EMAIL:
            self.notifier.send_email(Email((m.to,), m.subject, m.body, m.message_id))
        else:
            self.notifier.send_sms(Sms(m.to, m.body))
        return True

    @activity.defn(name="outcomes.state")
    def state(self, inp: WaveRef) -> str:
        """The wave's status: "answered", "stopped" (no contact, consent withdrawn), ..."""
        with self.session(inp.actor) as s:
            return outcomes.state(s, inp.survey_id)

    @activity.defn(name="outcomes.close")
    def close(self, inp: WaveRef) -> bool:
        with self.session(inp.actor) as s:
            return outcomes.close(s, inp.survey_id)
