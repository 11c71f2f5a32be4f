"""Dunning activities, billing's collections: find overdue invoices, plan an invoice's ladder,
run one step, stop, write off. Database writes are keyed by `dunning_action_key(invoice, step)`
(unique per org), so a retried activity writes nothing twice; e-mail goes out through the
injected notifier between two short transactions, never inside one, with a Message-ID derived
from the step's key."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from temporalio import activity

from activities.base import Deps, TenantActivities
from core.config import get_settings
from core.contracts.billing import PlannedStep, WrittenOff
from core.enums import DunningActionStatus
from core.process import Actor
from services.billing import dunning


@dataclass(frozen=True)
class OverdueQuery:
    actor: Actor
    as_of: date
    after: uuid.UUID | None
    limit: int


@dataclass(frozen=True)
class OverduePage:
    invoice_ids: list[uuid.UUID]
    next_after: uuid.UUID | None


@dataclass(frozen=True)
class InvoiceRef:
    actor: Actor
    invoice_id: uuid.UUID


@dataclass(frozen=True)
class StepInput:
    actor: Actor
    invoice_id: uuid.UUID
    step: int
    # The workflow's time: the step's date in the ledger and on the action row.
    at: datetime


@dataclass(frozen=True)
class StepOutcome:
    step: int
    status: DunningActionStatus
    # The invoice turned out paid, void or written off: the ladder ends.
    stopped: bool = False


@dataclass(frozen=True)
class WriteOffInput:
    actor: Actor
    invoice_id: uuid.UUID
    on: date


class DunningActivities(TenantActivities):
    def __init__(self, deps: Deps) -> None:
        super().__init__(deps)
        self.notifier = deps.notifier

    @activity.defn(name="dunning.overdue_invoices")
    def overdue_invoices(self, inp: OverdueQuery) -> OverduePage:
        with self.session(inp.actor) as s:
            ids, after = dunning.overdue_invoices(s, inp.as_of, inp.after, inp.limit)
        return OverduePage(ids, after)

    @activity.defn(name="dunning.plan")
    def plan(self, inp: InvoiceRef) -> list[PlannedStep]:
        with self.session(inp.actor) as s:
            return dunning.plan(s, inp.invoice_id)

    @activity.defn(name="dunning.check")
    def check(self, inp: InvoiceRef) -> bool:
        """True when the invoice needs no more collecting (its scheduled steps are skipped)."""
        with self.session(inp.actor) as s:
            return dunning.check(s, inp.invoice_id)

    @activity.defn(name="dunning.run_step")
    def run_step(self, inp: StepInput) -> StepOutcome:
        """Re-check the invoice and do the step: a late fee whole in one transaction; an e-mail
        prepared in one, sent outside any, and marked sent in a second. A retry after the send
        resends the same Message-ID at most; after the mark, it sends nothing."""
        with self.session(inp.actor) as s:
            work = dunning.begin_step(s, inp.invoice_id, inp.step, inp.at, get_settings().public_base_url)
        if not work.emails:
            return StepOutcome(inp.step, work.status, work.stopped)
        sent = [self.notifier.send_email(e) for e in work.emails]
        with self.session(inp.actor) as s:
            action = dunning.finish_step(s, inp.invoice_id, inp.step, inp.at, sent[0])
            return StepOutcome(inp.step, action.status)

    @activity.defn(name="dunning.write_off")
    def write_off(self, inp: WriteOffInput) -> WrittenOff:
        with self.session(inp.actor) as s:
            return dunning.write_off(s, inp.invoice_id, inp.on)
