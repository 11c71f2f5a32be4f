"""The AccountingRequest workflow's steps: each writes through services/consent/accounting.py in
one tenant transaction and is idempotent (the request's id keys its row, its file and its
events). The accounting PDF is written to the file store outside any transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from temporalio import activity

from activities.base import Deps, TenantActivities
from core.process import Actor
from services.consent import accounting
from services.consent.package import accounting_pdf
from services.documents import storage_key


@dataclass(frozen=True)
class OpenAccounting:
    actor: Actor
    request_id: uuid.UUID
    resident_id: uuid.UUID
    period_start: date
    period_end: date
    fee_cents: int
    at: datetime


@dataclass(frozen=True)
class Opened:
    due_at: datetime
    fee_cents: int


@dataclass(frozen=True)
class ExtendAccounting:
    """The one extension. `reason` is what the resident is told in writing: it goes to the
    database and is not kept in the workflow's state."""

    actor: Actor
    reason: str
    at: datetime | None = None


@dataclass(frozen=True)
class Extend:
    actor: Actor
    request_id: uuid.UUID
    reason: str
    at: datetime


@dataclass(frozen=True)
class Remind:
    actor: Actor
    request_id: uuid.UUID
    days_left: int


@dataclass(frozen=True)
class Fulfil:
    actor: Actor
    request_id: uuid.UUID
    at: datetime


class AccountingActivities(TenantActivities):
    def __init__(self, deps: Deps) -> None:
        super().__init__(deps)
        self.files = deps.files

    @activity.defn(name="consent.accounting.open")
    def open(self, inp: OpenAccounting) -> Opened:
        with self.session(inp.actor) as s:
            o = accounting.open_request(
                s,
                inp.request_id,
                inp.resident_id,
                inp.period_start,
                inp.period_end,
                inp.fee_cents,
                inp.at,
                inp.actor.user_id,
            )
        return Opened(o.due_at, o.fee_cents)

    @activity.defn(name="consent.accounting.extend")
    def extend(self, inp: Extend) -> datetime:
        with self.session(inp.actor) as s:
            return accounting.extend(s, inp.request_id, inp.reason, inp.at)

    @activity.defn(name="consent.accounting.remind")
    def remind(self, inp: Remind) -> None:
        with self.session(inp.actor) as s:
            accounting.remind(s, inp.request_id, inp.days_left)

    @activity.defn(name="consent.accounting.fulfil")
    def fulfil(self, inp: Fulfil) -> None:
        with self.session(inp.actor) as s:
            c = accounting.contents(s, inp.request_id)
        if c.fulfilled:
            return
        pdf = accounting_pdf(c.resident_name, c.since, c.until, c.lines)
        fid = accounting.response_file_id(inp.request_id)
        self.files.put(storage_key(inp.actor.org_id, fid), pdf, "application/pdf")
        with self.session(inp.actor) as s:
            accounting.fulfil(s, inp.request_id, self.files.bucket, pdf, inp.at, inp.actor.user_id)
