"""Dunning, billing's collections ladder of an overdue invoice. Plain functions over a tenant
Session, shared by the dunning activities, the API and the seed.

An invoice's schedule comes from its `dunning_configs` row (`dunning_config`). When an invoice
becomes overdue its dunning workflow plans one `dunning_actions` row per step (status
`scheduled`, keyed `dunning_action_key(invoice, step)`), then runs each on its day. Every step
re-reads the invoice under a row lock first: an invoice that is paid, void or written off skips
every step still scheduled. A late fee is a line on the invoice plus a balanced journal
(receivable vs late-fee revenue), written in the same transaction that marks its action sent,
so a retry finds it done. E-mails are worded and addressed by `dunning_messages`, which keeps
anything clinical out of them.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session
from temporalio.service import RPCError

from core import audit
from core.contracts.billing import DUNNING, INVOICE_CHANGED, InvoiceChanged, PlannedStep, WrittenOff
from core.enums import AuditAction, DunningActionStatus, DunningActionType, InvoiceStatus, LineItemType
from core.errors import Conflict, NotFound
from core.events import EventType
from core.process import Actor, Process
from models.payment_extended import DunningConfig
from models.payments import DunningAction, Invoice, InvoiceLineItem
from services.billing.accounts import (
    BAD_DEBT,
    LATE_FEE_REVENUE,
    RECEIVABLE,
    C,
    D,
    ensure_accounts,
    invoice_outstanding,
)
from services.billing.dunning_config import config_for, steps_of
from services.billing.dunning_messages import (
    assert_no_part2_words,
    escalation_text,
    house_manager_recipients,
    neutral,
    reminder_text,
    resident_recipients,
)
from services.billing.invoices import get_invoice, house_name
from services.billing.keys import dunning_action_key
from services.billing.links import payment_link_url
from services.events import emit
from services.ledger import Journal, Line, journal_id_for, post_journals
from services.notifications import Kind, Outgoing, Written, plan_for

log = logging.getLogger("recoveryos.dunning")
DUNNING_NAMESPACE = uuid.UUID("5d1f0a52-8c1e-4b7b-9a55-2b0c9e4d7a31")
# Steps run at this hour (UTC) of their day.
STEP_HOUR = 9
OPEN = (InvoiceStatus.OPEN, InvoiceStatus.PARTIALLY_PAID)


def overdue_invoices(
    session: Session, as_of: date, after: uuid.UUID | None, limit: int
) -> tuple[list[uuid.UUID], uuid.UUID | None]:
    """Open invoices due before `as_of` whose ladder has not been planned yet, by id after the
    cursor; returns (ids, next cursor or None)."""
    planned = select(DunningAction.id).where(DunningAction.invoice_id == Invoice.id).exists()
    q = (
        select(Invoice.id)
        .where(
            Invoice.status.in_(OPEN),
            Invoice.deleted_at.is_(None),
            Invoice.due_date < as_of,
            ~planned,
        )
        .order_by(Invoice.id)
        .limit(limit)
    )
    if after is not None:
        q = q.where(Invoice.id > after)
    ids = list(session.scalars(q).all())
    return ids, (ids[-1] if len(ids) == limit else None)


def step_at(due: date, days_after_due: int) -> datetime:
    return datetime.combine(due + timedelta(days=days_after_due), time(STEP_HOUR), UTC)


def _lock_invoice(session: Session, invoice_id: uuid.UUID) -> Invoice:
    inv = session.scalars(
        select(Invoice).where(Invoice.id == invoice_id).with_for_update(of=Invoice)
    ).one_or_none()
    if inv is None:
        raise NotFound("invoice not found", field="invoice_id")
    return inv


def settled(session: Session, inv: Invoice) -> bool:
    """Nothing left to collect: paid, void, written off, or nothing outstanding."""
    return inv.status not in OPEN or inv.deleted_at is not None or invoice_outstanding(session, inv.id) <= 0


def plan(session: Session, invoice_id: uuid.UUID) -> list[PlannedStep]:
    """One scheduled action per step of the invoice's config (idempotent), in step order; []
    when the invoice owes nothing or no config applies. Steps already planned keep their rows
    and days; steps of the config that have no row yet get one, so a ladder that starts late,
    or finds its first steps written by someone else (an import, the seed), still plans every
    step that is due, none twice."""
    inv = _lock_invoice(session, invoice_id)
    existing = _actions(session, invoice_id)
    if not existing and settled(session, inv):
        return []
    known = next((a.dunning_config_id for a in existing if a.dunning_config_id is not None), None)
    conf = session.get(DunningConfig, known) if known is not None else config_for(session, inv.house_id)
    have = {a.step_number for a in existing}
    missing = [s for s in steps_of(conf.steps) if s.step not in have] if conf is not None else []
    rows = [
        {
            "id": uuid.uuid4(),
            "org_id": inv.org_id,
            "invoice_id": inv.id,
            "resident_id": inv.resident_id,
            "dunning_config_id": known or (conf.id if conf is not None else None),
            "action_type": s.action_type,
            "status": DunningActionStatus.SCHEDULED,
            "step_number": s.step,
            "scheduled_for": step_at(inv.due_date, s.days_after_due),
            "idempotency_key": dunning_action_key(inv.id, s.step),
            "template_key": s.template_key,
        }
        for s in missing
    ]
    if rows:
        session.execute(pg_insert(DunningAction).on_conflict_do_nothing(), rows)
        audit.record(session, AuditAction.CREATE, "dunning_actions", None, {"invoice_id": str(inv.id)})
        existing = _actions(session, invoice_id)
    return [
        PlannedStep(a.step_number, a.action_type, a.scheduled_for)
        for a in existing
        if a.status is DunningActionStatus.SCHEDULED
    ]


def _actions(session: Session, invoice_id: uuid.UUID) -> list[DunningAction]:
    return list(
        session.scalars(
            select(DunningAction)
            .where(DunningAction.invoice_id == invoice_id)
            .order_by(DunningAction.step_number)
        ).all()
    )


def actions(session: Session, invoice_id: uuid.UUID) -> list[DunningAction]:
    get_invoice(session, invoice_id)
    return _actions(session, invoice_id)


def skip_remaining(session: Session, invoice_id: uuid.UUID, reason: str) -> int:
    """Every step still scheduled is skipped, with the reason; returns how many."""
    result = session.execute(
        update(DunningAction)
        .where(DunningAction.invoice_id == invoice_id, DunningAction.status == DunningActionStatus.SCHEDULED)
        .values(status=DunningActionStatus.SKIPPED, failure_reason=reason)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def stop_reason(session: Session, inv: Invoice) -> str:
    if inv.status is InvoiceStatus.UNCOLLECTIBLE:
        return "written off"
    if inv.status is InvoiceStatus.VOID:
        return "invoice void"
    return "paid"


def check(session: Session, invoice_id: uuid.UUID) -> bool:
    """True (and every scheduled step skipped) when the invoice no longer needs collecting."""
    inv = _lock_invoice(session, invoice_id)
    if settled(session, inv):
        skip_remaining(session, invoice_id, stop_reason(session, inv))
        return True
    return False


def _action(session: Session, invoice_id: uuid.UUID, step: int) -> DunningAction:
    a = session.scalars(
        select(DunningAction).where(DunningAction.idempotency_key == dunning_action_key(invoice_id, step))
    ).one_or_none()
    if a is None:
        raise NotFound("no such dunning step", field="step")
    return a


@dataclass(frozen=True)
class StepWork:
    """What a step needs done outside the transaction: the notifier's messages to send (none:
    nothing to do). `stopped` when the invoice turned out settled and the ladder ends here;
    `quiet_until` when a recipient's quiet hours hold the step back until then."""

    status: DunningActionStatus
    messages: list[Outgoing]
    stopped: bool = False
    quiet_until: datetime | None = None


def begin_step(
    session: Session,
    invoice_id: uuid.UUID,
    step: int,
    at: datetime,
    pay_base_url: str,
    now: datetime | None = None,
) -> StepWork:
    """Run the database half of a step, under the invoice's row lock. A step already sent,
    skipped or failed is not run again. A late fee is posted here (whole); a reminder or an
    escalation comes back as the notifier's messages (services/notifications.py: dunning's own
    e-mail, the template's text, by each recipient's preferences, nothing in quiet hours at
    `now`), and is marked sent by `finish_step`."""
    inv = _lock_invoice(session, invoice_id)
    action = _action(session, invoice_id, step)
    if action.status is not DunningActionStatus.SCHEDULED:
        return StepWork(action.status, [])
    if settled(session, inv):
        skip_remaining(session, invoice_id, stop_reason(session, inv))
        return StepWork(DunningActionStatus.SKIPPED, [], stopped=True)
    if action.action_type is DunningActionType.LATE_FEE:
        _late_fee(session, inv, action, at)
        return StepWork(action.status, [])
    owed = invoice_outstanding(session, inv.id)
    house = neutral(house_name(session, inv.house_id), "your residence")
    message_id = message_id_for(action.idempotency_key)
    if action.action_type is DunningActionType.REMINDER_EMAIL:
        kind, to = Kind.PAYMENT_DUE, resident_recipients(session, inv.resident_id)
        subject, body = reminder_text(
            house,
            inv.number,
            owed,
            inv.due_date,
            payment_link_url(pay_base_url, inv.org_id, inv.id, at),
            second=step > _first_reminder_step(session, invoice_id),
        )
    else:
        kind, to = Kind.PAYMENT_OVERDUE, house_manager_recipients(session, inv.house_id)
        days = (at.date() - inv.due_date).days
        subject, body = escalation_text(house, inv.number, owed, inv.due_date, days)
    assert_no_part2_words(subject + "\n" + body)
    written = Written(subject, body, message_id)
    planned = plan_for(session, to, kind, inv.house_id, now or at, action.idempotency_key, written)
    if planned.quiet_until is not None:
        return StepWork(action.status, [], quiet_until=planned.quiet_until)
    if not planned.messages:
        action.status = DunningActionStatus.FAILED
        action.failure_reason = "no e-mail address on file"
        action.executed_at = at
        return StepWork(action.status, [])
    return StepWork(action.status, planned.messages)


def finish_step(
    session: Session, invoice_id: uuid.UUID, step: int, at: datetime, message_id: str
) -> DunningAction:
    action = _action(session, invoice_id, step)
    if action.status is DunningActionStatus.SCHEDULED:
        action.status = DunningActionStatus.SENT
        action.executed_at = at
        action.provider_message_id = message_id
        audit.record(
            session,
            AuditAction.EXECUTE,
            "dunning_actions",
            action.id,
            {"action_type": action.action_type.value},
        )
        _step_taken(session, action)
    return action


def _step_taken(session: Session, action: DunningAction) -> None:
    emit(
        session,
        EventType.DUNNING_STEP_TAKEN,
        action.invoice_id,
        occurrence=str(action.step_number),
        resident_id=action.resident_id,
        step=action.step_number,
        action=action.action_type,
    )


def _first_reminder_step(session: Session, invoice_id: uuid.UUID) -> int:
    return int(
        session.scalar(
            select(func.min(DunningAction.step_number)).where(
                DunningAction.invoice_id == invoice_id,
                DunningAction.action_type == DunningActionType.REMINDER_EMAIL,
            )
        )
        or 0
    )


def message_id_for(action_key: str) -> str:
    return f"<{uuid.uuid5(DUNNING_NAMESPACE, action_key).hex}@dunning.recoveryos>"


def late_fee_key(invoice_id: uuid.UUID, step: int) -> str:
    return f"late-fee:{invoice_id}:{step}"


def late_fees_charged(session: Session, invoice_id: uuid.UUID) -> int:
    return int(
        session.scalar(
            select(func.coalesce(func.sum(InvoiceLineItem.amount_cents), 0)).where(
                InvoiceLineItem.invoice_id == invoice_id,
                InvoiceLineItem.line_type == LineItemType.LATE_FEE,
                InvoiceLineItem.deleted_at.is_(None),
            )
        )
        or 0
    )


def _late_fee(session: Session, inv: Invoice, action: DunningAction, at: datetime) -> None:
    """The fee as a line on the invoice and a receivable-vs-late-fee-revenue journal, capped by
    the config; the line's id and the journal's id derive from the step's key."""
    conf = session.get(DunningConfig, action.dunning_config_id) if action.dunning_config_id else None
    fee = conf.late_fee_cents if conf is not None else 0
    if conf is not None and conf.late_fee_cap_cents is not None:
        fee = min(fee, conf.late_fee_cap_cents - late_fees_charged(session, inv.id))
    action.executed_at = at
    if fee <= 0:
        action.status = DunningActionStatus.SKIPPED
        action.failure_reason = (
            "config removed"
            if conf is None
            else "no late fee is set"
            if conf.late_fee_cents <= 0
            else "late fee cap reached"
        )
        return
    key = late_fee_key(inv.id, action.step_number)
    line_id = uuid.uuid5(DUNNING_NAMESPACE, key)
    if session.get(InvoiceLineItem, line_id) is None:
        position = session.scalar(
            select(func.coalesce(func.max(InvoiceLineItem.position), -1) + 1).where(
                InvoiceLineItem.invoice_id == inv.id
            )
        )
        session.add(
            InvoiceLineItem(
                id=line_id,
                org_id=inv.org_id,
                invoice_id=inv.id,
                line_type=LineItemType.LATE_FEE,
                unit_amount_cents=fee,
                amount_cents=fee,
                position=position,
            )
        )
        inv.subtotal_cents += fee
        inv.total_cents += fee
    _post(session, inv, key, (RECEIVABLE, LATE_FEE_REVENUE), fee, at.date(), "Late fee")
    action.status = DunningActionStatus.SENT
    audit.record(session, AuditAction.EXECUTE, "dunning_actions", action.id, {"action_type": "late_fee"})
    _step_taken(session, action)


def _post(
    session: Session, inv: Invoice, key: str, accounts: tuple[str, str], cents: int, on: date, what: str
) -> None:
    """One two-line journal on the invoice: debit the first account, credit the second; its id
    derives from `key`, so posting it again is a no-op."""
    acct = ensure_accounts(session)
    debit, credit = accounts
    lines = [
        Line(acct[debit], D, cents, inv.resident_id, inv.id),
        Line(acct[credit], C, cents, inv.resident_id, inv.id),
    ]
    post_journals(session, inv.org_id, [Journal(journal_id_for(key), lines, on, what)])


def write_off_key(invoice_id: uuid.UUID) -> str:
    return f"write-off:{invoice_id}"


def write_off(session: Session, invoice_id: uuid.UUID, on: date) -> WrittenOff:
    """What the invoice still owes moves from the receivable to bad debt; the invoice becomes
    uncollectible and every dunning step still scheduled is skipped. Idempotent."""
    inv = _lock_invoice(session, invoice_id)
    key = write_off_key(invoice_id)
    owed = invoice_outstanding(session, inv.id)
    if inv.status is InvoiceStatus.UNCOLLECTIBLE:
        return WrittenOff(inv.id, 0, skip_remaining(session, inv.id, "written off"))
    if inv.status not in OPEN or owed <= 0:
        raise Conflict(f"invoice {inv.number} is {inv.status.value} and owes nothing", field="invoice_id")
    _post(session, inv, key, (BAD_DEBT, RECEIVABLE), owed, on, "Written off as uncollectible")
    inv.status = InvoiceStatus.UNCOLLECTIBLE
    skipped = skip_remaining(session, inv.id, "written off")
    audit.record(session, AuditAction.UPDATE, "invoices", inv.id, {"status": "uncollectible"})
    emit(session, EventType.INVOICE_WRITTEN_OFF, inv.id, resident_id=inv.resident_id, house_id=inv.house_id)
    return WrittenOff(inv.id, owed, skipped)


class Signals(Protocol):
    """A door to the caller's org's processes that can signal one (the API's `Processes`).
    Services sit below workflows, so the signal goes by its name (`core.contracts.billing`)."""

    actor: Actor

    async def signal(self, process: Process, key: uuid.UUID, signal: str, arg: InvoiceChanged) -> None: ...


async def invoice_changed(processes: Signals, invoice_id: uuid.UUID | None) -> None:
    """Tell an invoice's dunning workflow, if there is one running, that money came in, so it
    re-checks the invoice at once. Best effort: every step re-checks the invoice anyway."""
    if invoice_id is None:
        return
    with contextlib.suppress(NotFound, Conflict):
        try:
            await processes.signal(DUNNING, invoice_id, INVOICE_CHANGED, InvoiceChanged(processes.actor))
        except RPCError as exc:
            log.warning(
                "could not reach the dunning workflow",
                extra={"invoice_id": str(invoice_id), "error": exc.message},
            )
