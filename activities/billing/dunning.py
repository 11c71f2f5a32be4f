"""Dunning activities, billing's collections: find overdue invoices, plan an invoice's ladder,
run one step, stop, write off. Database writes are keyed by `dunning_action_key(invoice, step)`
(unique per org), so a retried activity writes nothing twice; e-mail goes out through the
notifier (services/notifications.py, the same path as every notification) between two short
transactions, never inside one, with a Message-ID derived from the step's key."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.base import Deps, SendProgress, TenantActivities
from core.config import get_settings
from core.contracts.billing import PlannedStep, WrittenOff
from core.enums import DunningActionStatus, MessageChannel
from core.process import Actor
from services import notifications
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
        """Re-check the invoice and do the step: a late fee whole in one transaction; a notice
        planned in one by the notifier (services/notifications.py: the recipients' channels and
        quiet hours), sent outside any, and marked sent in a second. A retry skips what an
        earlier attempt sent (`SendProgress`); after the mark, it sends nothing. In a
        recipient's quiet hours nothing is sent and the activity is retried when they end."""
        base = get_settings().public_base_url
        with self.session(inp.actor) as s:
            work = dunning.begin_step(s, inp.invoice_id, inp.step, inp.at, base, self.clock())
        if work.quiet_until is not None:
            raise ApplicationError(
                "the recipients' quiet hours: the step goes when they end",
                type="QuietHours",
                next_retry_delay=max(work.quiet_until - self.clock(), timedelta(seconds=1)),
            )
        if not work.messages:
            return StepOutcome(inp.step, work.status, work.stopped)
        progress = SendProgress()
        notifications.deliver(self.notifier, work.messages, progress.done, progress.sent)
        email = next((m.message_id for m in work.messages if m.channel is MessageChannel.EMAIL), None)
        with self.session(inp.actor) as s:
            action = dunning.finish_step(s, inp.invoice_id, inp.step, inp.at, email or work.messages[0].ident)
            return StepOutcome(inp.step, action.status)

    @activity.defn(name="dunning.write_off")
    def write_off(self, inp: WriteOffInput) -> WrittenOff:
        with self.session(inp.actor) as s:
            return dunning.write_off(s, inp.invoice_id, inp.on)
