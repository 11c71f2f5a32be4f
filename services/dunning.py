"""Dunning: the collections ladder of an overdue invoice. Plain functions over a tenant Session,
shared by the dunning activities, the API and the seed.

A `dunning_configs` row (the org's default, or one house's override) lists the steps: each
`{"step": n, "days_after_due": d, "action_type": ..., "template_key": ...}`. When an invoice
becomes overdue its dunning workflow plans one `dunning_actions` row per step (status
`scheduled`, keyed `dunning_action_key(invoice, step)`), then runs each on its day. Every step
re-reads the invoice under a row lock first: an invoice that is paid, void or written off skips
every step still scheduled. A late fee is a line on the invoice plus a balanced journal
(receivable vs late-fee revenue), written in the same transaction that marks its action sent,
so a retry finds it done. E-mail wording names the house, the invoice, the amount and the pay
link and nothing clinical (42 CFR Part 2): `assert_no_part2_words` guards every message.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from core import audit
from core.enums import (
    AuditAction,
    DunningActionStatus,
    DunningActionType,
    EntryDirection,
    InvoiceStatus,
    LedgerAccountType,
    LineItemType,
    UserRole,
    UserStatus,
)
from core.errors import Conflict, NotFound, Rejected
from core.notify import Email
from models.orgs import House
from models.payment_extended import DunningConfig
from models.payments import DunningAction, Invoice, InvoiceLineItem, LedgerAccount
from models.residents import Resident
from models.users import RoleAssignment, User
from services import billing
from services.billing import RECEIVABLE, dunning_action_key
from services.ledger import Journal, Line, journal_id_for, post_journals

D, C = EntryDirection.DEBIT, EntryDirection.CREDIT
DUNNING_NAMESPACE = uuid.UUID("5d1f0a52-8c1e-4b7b-9a55-2b0c9e4d7a31")

# Accounts dunning posts to, besides billing's receivable.
LATE_FEE_REVENUE, BAD_DEBT = "4300", "6200"
ACCOUNTS: dict[str, tuple[str, LedgerAccountType, EntryDirection]] = {
    LATE_FEE_REVENUE: ("Late fee revenue", LedgerAccountType.REVENUE, C),
    BAD_DEBT: ("Bad debt expense", LedgerAccountType.EXPENSE, D),
}
# The action types the ladder can run today (SMS and card retries are not wired yet).
SUPPORTED = (DunningActionType.REMINDER_EMAIL, DunningActionType.LATE_FEE, DunningActionType.STAFF_ESCALATION)
# Steps run at this hour (UTC) of their day.
STEP_HOUR = 9
OPEN = (InvoiceStatus.OPEN, InvoiceStatus.PARTIALLY_PAID)
MAX_STEPS = 20

# Words that would reveal (or hint at) substance-use treatment: never in a dunning message.
PART2_WORDS = (
    "treatment",
    "program",
    "recovery",
    "substance",
    "detox",
    "rehab",
    "clinical",
    "diagnosis",
    "addiction",
    "alcohol",
    "drug",
    "sober",
    "therapy",
    "counsel",
    "relapse",
    "medication",
    "methadone",
    "opioid",
    "narcotic",
    "patient",
)
_PART2 = re.compile("|".join(PART2_WORDS), re.IGNORECASE)

DEFAULT_STEPS: list[dict[str, Any]] = [
    {"step": 1, "days_after_due": 3, "action_type": "reminder_email", "template_key": "dunning.reminder"},
    {"step": 2, "days_after_due": 5, "action_type": "late_fee", "template_key": None},
    {
        "step": 3,
        "days_after_due": 7,
        "action_type": "reminder_email",
        "template_key": "dunning.reminder.second",
    },
    {
        "step": 4,
        "days_after_due": 14,
        "action_type": "staff_escalation",
        "template_key": "dunning.escalation",
    },
]
DEFAULT_LATE_FEE_CENTS = 2500
DEFAULT_LATE_FEE_CAP_CENTS = 7500


# --- wording guard ------------------------------------------------------------------------------


def part2_words_in(text: str) -> list[str]:
    return sorted({m.group(0).lower() for m in _PART2.finditer(text)})


def assert_no_part2_words(text: str) -> None:
    found = part2_words_in(text)
    if found:
        raise ValueError(f"a dunning message may not contain {found}")


def neutral(name: str | None, fallback: str) -> str:
    """A house or operator name, unless it would say what kind of place this is."""
    return name if name and not part2_words_in(name) else fallback


# --- config -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StepSpec:
    step: int
    days_after_due: int
    action_type: DunningActionType
    template_key: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "days_after_due": self.days_after_due,
            "action_type": self.action_type.value,
            "template_key": self.template_key,
        }


@dataclass(frozen=True)
class NewConfig:
    name: str
    steps: Sequence[StepSpec]
    house_id: uuid.UUID | None = None
    grace_days: int = 0
    late_fee_cents: int = 0
    late_fee_cap_cents: int | None = None
    is_active: bool = True


def steps_of(raw: Sequence[dict[str, Any]]) -> list[StepSpec]:
    """Stored steps as specs; steps of a type the ladder cannot run are left out."""
    out = []
    for x in raw:
        try:
            kind = DunningActionType(x["action_type"])
        except (KeyError, ValueError):
            continue
        if kind in SUPPORTED:
            out.append(StepSpec(int(x["step"]), int(x["days_after_due"]), kind, x.get("template_key")))
    return sorted(out, key=lambda s: s.step)


def normalise(data: NewConfig) -> NewConfig:
    """The schedule as the ladder runs it. Whatever the request schema allows is accepted, so the
    rules that relate one field to another are applied here rather than refused: no late fee
    falls inside the grace period (an earlier late-fee step moves to the period's last day);
    steps run in order of their day (a given `step` number only breaks ties) and are numbered
    1, 2, 3... in that order; a fee above the cap becomes the cap. A late-fee step with no fee
    set is skipped when it comes (see `_late_fee`)."""
    steps = list(data.steps)
    if not steps:
        raise Rejected("give at least one step", field="steps")
    if len(steps) > MAX_STEPS:
        raise Rejected(f"at most {MAX_STEPS} steps", field="steps")
    for s in steps:
        if s.action_type not in SUPPORTED:
            raise Rejected(f"{s.action_type.value} steps are not supported", field="steps")

    def day(s: StepSpec) -> int:
        late = s.action_type is DunningActionType.LATE_FEE
        return max(s.days_after_due, data.grace_days) if late else s.days_after_due

    ordered = sorted(enumerate(steps), key=lambda p: (day(p[1]), p[1].step, p[0]))
    numbered = [
        StepSpec(n, day(s), s.action_type, s.template_key) for n, (_, s) in enumerate(ordered, start=1)
    ]
    fee = data.late_fee_cents
    if data.late_fee_cap_cents is not None:
        fee = min(fee, data.late_fee_cap_cents)
    return replace(data, steps=numbered, late_fee_cents=fee)


def _live_config(session: Session, house_id: uuid.UUID | None) -> DunningConfig | None:
    target = DunningConfig.house_id.is_(None) if house_id is None else DunningConfig.house_id == house_id
    return session.scalars(select(DunningConfig).where(target, DunningConfig.deleted_at.is_(None))).first()


def configure(session: Session, config_id: uuid.UUID, data: NewConfig) -> DunningConfig:
    """Set the org's default schedule (house_id None) or one house's override: the live config
    for that target is updated in place, or created with `config_id`. Running ladders keep the
    steps they planned; the new steps apply to invoices that become overdue from now on."""
    data = normalise(data)
    if data.house_id is not None and session.get(House, data.house_id) is None:
        raise NotFound("house not found", field="house_id")
    conf = session.get(DunningConfig, config_id) or _live_config(session, data.house_id)
    values = {
        "name": data.name,
        "steps": [s.as_json() for s in data.steps],
        "grace_days": data.grace_days,
        "late_fee_cents": data.late_fee_cents,
        "late_fee_cap_cents": data.late_fee_cap_cents,
        "is_active": data.is_active,
    }
    if conf is None:
        conf = DunningConfig(
            id=config_id, org_id=session.info["actor"]["org_id"], house_id=data.house_id, **values
        )
        session.add(conf)
        session.flush()
        audit.record(session, AuditAction.CREATE, "dunning_configs", conf.id)
    else:
        if conf.house_id != data.house_id:
            raise Conflict("this config belongs to another house", field="house_id")
        for k, v in values.items():
            setattr(conf, k, v)
        session.flush()
        audit.record(session, AuditAction.UPDATE, "dunning_configs", conf.id)
    return conf


def list_configs(session: Session) -> list[DunningConfig]:
    return list(
        session.scalars(
            select(DunningConfig)
            .where(DunningConfig.deleted_at.is_(None))
            .order_by(DunningConfig.house_id.is_not(None), DunningConfig.name)
        ).all()
    )


def config_for(session: Session, house_id: uuid.UUID | None) -> DunningConfig | None:
    """The house's own active config, else the org's active default, else None."""
    for target in ([house_id] if house_id else []) + [None]:
        conf = _live_config(session, target)
        if conf is not None and conf.is_active:
            return conf
    return None


# --- accounts -----------------------------------------------------------------------------------


def ensure_accounts(session: Session) -> dict[str, uuid.UUID]:
    """Billing's accounts plus late-fee revenue and bad debt, created on first use."""
    acct = billing.ensure_accounts(session)
    missing = [code for code in ACCOUNTS if code not in acct]
    if missing:
        session.execute(
            pg_insert(LedgerAccount)
            .values(
                [
                    {
                        "id": uuid.uuid4(),
                        "org_id": session.info["actor"]["org_id"],
                        "code": code,
                        "name": ACCOUNTS[code][0],
                        "account_type": ACCOUNTS[code][1],
                        "normal_balance": ACCOUNTS[code][2],
                        "is_system": True,
                    }
                    for code in missing
                ]
            )
            .on_conflict_do_nothing()
        )
    rows = session.execute(
        select(LedgerAccount.code, LedgerAccount.id).where(
            LedgerAccount.code.in_(list(ACCOUNTS)), LedgerAccount.deleted_at.is_(None)
        )
    ).all()
    return {**acct, **{r.code: r.id for r in rows}}


# --- overdue invoices ---------------------------------------------------------------------------


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


# --- the ladder ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedStep:
    step: int
    action_type: DunningActionType
    at: datetime


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
    return (
        inv.status not in OPEN
        or inv.deleted_at is not None
        or billing.invoice_outstanding(session, inv.id) <= 0
    )


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
    billing.get_invoice(session, invoice_id)
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
    """What a step needs done outside the transaction: e-mails to send (none: nothing to do).
    `stopped` when the invoice turned out settled and the ladder ends here."""

    status: DunningActionStatus
    emails: list[Email]
    stopped: bool = False


def begin_step(
    session: Session, invoice_id: uuid.UUID, step: int, at: datetime, pay_base_url: str
) -> StepWork:
    """Run the database half of a step, under the invoice's row lock. A step already sent,
    skipped or failed is not run again. A late fee is posted here (whole); a reminder or an
    escalation comes back as the e-mails to send, and is marked sent by `finish_step`."""
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
    owed = billing.invoice_outstanding(session, inv.id)
    house = neutral(billing.house_name(session, inv.house_id), "your residence")
    message_id = message_id_for(action.idempotency_key)
    if action.action_type is DunningActionType.REMINDER_EMAIL:
        to = _resident_addresses(session, inv.resident_id)
        token = billing.payment_link_token(inv.org_id, inv.id, at)
        subject, body = reminder_text(
            house,
            inv.number,
            owed,
            inv.due_date,
            f"{pay_base_url.rstrip('/')}/v1/billing/pay/{token}",
            second=step > _first_reminder_step(session, invoice_id),
        )
    else:
        to = _house_manager_addresses(session, inv.house_id)
        days = (at.date() - inv.due_date).days
        subject, body = escalation_text(house, inv.number, owed, inv.due_date, days)
    if not to:
        action.status = DunningActionStatus.FAILED
        action.failure_reason = "no e-mail address on file"
        action.executed_at = at
        return StepWork(action.status, [])
    assert_no_part2_words(subject + "\n" + body)
    return StepWork(action.status, [Email(tuple(to), subject, body, message_id)])


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
    return action


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


def _resident_addresses(session: Session, resident_id: uuid.UUID) -> list[str]:
    resident = session.get(Resident, resident_id)
    if resident is not None and resident.email:
        return [resident.email]
    users = session.scalars(
        select(User).where(
            User.resident_id == resident_id, User.deleted_at.is_(None), User.status == UserStatus.ACTIVE
        )
    ).all()
    return sorted({u.email for u in users if u.email})


def _house_manager_addresses(session: Session, house_id: uuid.UUID | None) -> list[str]:
    """The house's own house managers, else the org-wide ones."""
    for scope in ([house_id] if house_id else []) + [None]:
        target = RoleAssignment.house_id.is_(None) if scope is None else RoleAssignment.house_id == scope
        users = session.scalars(
            select(User)
            .join(RoleAssignment, RoleAssignment.user_id == User.id)
            .where(
                RoleAssignment.role == UserRole.HOUSE_MANAGER,
                RoleAssignment.deleted_at.is_(None),
                target,
                User.deleted_at.is_(None),
                User.status == UserStatus.ACTIVE,
            )
        ).all()
        found = sorted({u.email for u in users if u.email})
        if found:
            return found
    return []


def _dollars(cents: int) -> str:
    return f"${cents // 100:,}.{cents % 100:02d}"


def reminder_text(
    house: str, number: str, owed_cents: int, due: date, pay_url: str, *, second: bool
) -> tuple[str, str]:
    subject = f"{'Second reminder' if second else 'Reminder'}: invoice {number} is past due"
    body = (
        f"Hello,\n\n"
        f"Invoice {number} for your housing at {house} was due on {due:%B %-d, %Y}. "
        f"{_dollars(owed_cents)} is still outstanding.\n\n"
        f"You can pay securely online here:\n{pay_url}\n\n"
        f"If you have already paid, thank you, and please disregard this message. "
        f"If you have questions about this invoice, please speak with your house manager.\n\n"
        f"{house} billing\n"
    )
    return subject, body


def escalation_text(house: str, number: str, owed_cents: int, due: date, days: int) -> tuple[str, str]:
    subject = f"Past-due invoice {number} at {house}"
    body = (
        f"Hello,\n\n"
        f"Invoice {number} at {house} was due on {due:%B %-d, %Y} and is {days} days past due; "
        f"{_dollars(owed_cents)} is outstanding. Reminders have gone out without a payment.\n\n"
        f"Please follow up with the resident in person, and sign in to see the invoice.\n\n"
        f"{house} billing\n"
    )
    return subject, body


# --- write-off ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class WrittenOff:
    invoice_id: uuid.UUID
    written_off_cents: int
    skipped_steps: int


def write_off_key(invoice_id: uuid.UUID) -> str:
    return f"write-off:{invoice_id}"


def write_off(session: Session, invoice_id: uuid.UUID, on: date) -> WrittenOff:
    """What the invoice still owes moves from the receivable to bad debt; the invoice becomes
    uncollectible and every dunning step still scheduled is skipped. Idempotent."""
    inv = _lock_invoice(session, invoice_id)
    key = write_off_key(invoice_id)
    owed = billing.invoice_outstanding(session, inv.id)
    if inv.status is InvoiceStatus.UNCOLLECTIBLE:
        return WrittenOff(inv.id, 0, skip_remaining(session, inv.id, "written off"))
    if inv.status not in OPEN or owed <= 0:
        raise Conflict(f"invoice {inv.number} is {inv.status.value} and owes nothing", field="invoice_id")
    _post(session, inv, key, (BAD_DEBT, RECEIVABLE), owed, on, "Written off as uncollectible")
    inv.status = InvoiceStatus.UNCOLLECTIBLE
    skipped = skip_remaining(session, inv.id, "written off")
    audit.record(session, AuditAction.UPDATE, "invoices", inv.id, {"status": "uncollectible"})
    return WrittenOff(inv.id, owed, skipped)
