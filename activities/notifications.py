"""Notifying a user: the plan is read in a tenant transaction (services/notifications.py), then
each message goes out through the injected notifier (SMTP, Twilio or its stand-in), outside
any transaction. A retried activity skips what an earlier attempt sent (`SendProgress`), and
an e-mail keeps its Message-ID."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from temporalio import activity

from activities.base import Deps, SendProgress, TenantActivities
from core.enums import MessageChannel
from core.process import Actor
from services import notifications
from services.notifications import Kind


@dataclass(frozen=True)
class Notify:
    actor: Actor
    user_id: uuid.UUID
    kind: Kind
    house_id: uuid.UUID | None
    # The business key of what is notified (a message id, an invoice and its due date...).
    key: str
    at: datetime


@dataclass(frozen=True)
class Notified:
    channels: list[MessageChannel]
    # Quiet hours: nothing was sent; notify again at this time.
    quiet_until: datetime | None = None


class NotificationActivities(TenantActivities):
    def __init__(self, deps: Deps) -> None:
        super().__init__(deps)
        self.notifier = deps.notifier

    @activity.defn(name="notifications.notify")
    def notify(self, inp: Notify) -> Notified:
        with self.session(inp.actor) as s:
            planned = notifications.plan(s, inp.user_id, inp.kind, inp.house_id, inp.at, inp.key)
        progress = SendProgress()
        notifications.deliver(self.notifier, planned.messages, progress.done, progress.sent)
        return Notified([m.channel for m in planned.messages], planned.quiet_until)
