"""Patient-notice activities: each writes through services/consent/notices.py in one tenant
transaction and is idempotent (the notice's id is fixed by resident and version, its
document's by the notice)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from temporalio import activity

from activities.base import TenantActivities
from core.process import Actor
from services.consent import notices


@dataclass(frozen=True)
class Deliver:
    actor: Actor
    notice_id: uuid.UUID
    resident_id: uuid.UUID
    at: datetime


@dataclass(frozen=True)
class Acknowledged:
    actor: Actor
    notice_id: uuid.UUID
    signature_id: uuid.UUID
    at: datetime


@dataclass(frozen=True)
class Unsigned:
    actor: Actor
    notice_id: uuid.UUID
    # How the signature request ended: expired, voided or declined.
    outcome: str


class NoticeActivities(TenantActivities):
    @activity.defn(name="notice.deliver")
    def deliver(self, inp: Deliver) -> uuid.UUID:
        """The notice's document id, once it and the delivery row exist."""
        with self.session(inp.actor) as s:
            row = notices.deliver(s, inp.notice_id, inp.resident_id, inp.at, inp.actor.user_id)
            assert row.document_id is not None
            return row.document_id

    @activity.defn(name="notice.acknowledge")
    def acknowledge(self, inp: Acknowledged) -> None:
        with self.session(inp.actor) as s:
            notices.acknowledge(s, inp.notice_id, inp.signature_id, inp.at)

    @activity.defn(name="notice.unsigned")
    def unsigned(self, inp: Unsigned) -> None:
        with self.session(inp.actor) as s:
            notices.not_acknowledged(s, inp.notice_id, inp.outcome)
