"""Billing's reads for staff: invoices by filter, a resident's balance and their statement.

Every amount is summed from the ledger's journal lines when asked (never a stored balance):
what an invoice still owes is its receivable lines; what a resident owes is their receivable
lines less the credit they hold (overpayments kept for the next invoice); deposits are a
liability, shown beside the balance and never in it.

Invoices are not house-scoped in the database; a caller whose role is limited to houses sees
the invoices of the residents row security shows them, and no others."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, Text, case, func, select
from sqlalchemy.orm import Session

from core.enums import EntryDirection, InvoiceStatus
from core.errors import Rejected
from core.scope import ScopeKind
from models.payments import Invoice, LedgerAccount, LedgerEntry
from models.residents import Resident
from services import residents
from services.billing.accounts import DEPOSITS_HELD, RECEIVABLE, RESIDENT_CREDIT
from services.ledger import debit_minus_credit
from services.paging import Page, matching, page


@dataclass(frozen=True)
class InvoiceFilter:
    status: InvoiceStatus | None = None
    resident_id: uuid.UUID | None = None
    house_id: uuid.UUID | None = None
    due_from: date | None = None
    due_to: date | None = None


@dataclass(frozen=True)
class InvoiceRow:
    invoice: Invoice
    outstanding_cents: int


def _accounts(session: Session) -> dict[str, uuid.UUID]:
    codes = (RECEIVABLE, RESIDENT_CREDIT, DEPOSITS_HELD)
    rows = session.execute(select(LedgerAccount.code, LedgerAccount.id).where(LedgerAccount.code.in_(codes)))
    return {r.code: r.id for r in rows}


def _visible_residents(session: Session, stmt: Select[Any]) -> Select[Any]:
    if session.info["scope"].kind is ScopeKind.ORG:
        return stmt
    # The subquery reads residents under their scope policy: only the caller's houses' residents.
    return stmt.where(Invoice.resident_id.in_(select(Resident.id)))


def invoices(session: Session, only: InvoiceFilter, limit: int, offset: int) -> Page[InvoiceRow]:
    """Newest due date first (then id, so pages never overlap), each with what it still owes."""
    if only.due_from and only.due_to and only.due_to < only.due_from:
        raise Rejected("due_to is before due_from", field="due_to")
    stmt = matching(
        select(Invoice),
        (Invoice.status, only.status),
        (Invoice.resident_id, only.resident_id),
        (Invoice.house_id, only.house_id),
    )
    if only.due_from is not None:
        stmt = stmt.where(Invoice.due_date >= only.due_from)
    if only.due_to is not None:
        stmt = stmt.where(Invoice.due_date <= only.due_to)
    stmt = _visible_residents(session, stmt).order_by(Invoice.due_date.desc(), Invoice.id)
    found = page(session, stmt, limit, offset)
    owed = _outstanding(session, [i.id for i in found.items])
    return Page(
        [InvoiceRow(i, owed.get(i.id, 0)) for i in found.items], found.limit, found.offset, found.next_offset
    )


def _outstanding(session: Session, invoice_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    receivable = _accounts(session).get(RECEIVABLE)
    if not invoice_ids or receivable is None:
        return {}
    rows = session.execute(
        select(LedgerEntry.invoice_id, debit_minus_credit())
        .where(LedgerEntry.account_id == receivable, LedgerEntry.invoice_id.in_(invoice_ids))
        .group_by(LedgerEntry.invoice_id)
    )
    return {r[0]: int(r[1]) for r in rows}


@dataclass(frozen=True)
class Balance:
    as_of: date
    # Receivable less credit held: positive owes, negative is in credit.
    balance_cents: int
    receivable_cents: int
    credit_cents: int
    deposits_held_cents: int


def _owed_effect(receivable: uuid.UUID | None, credit: uuid.UUID | None) -> ColumnElement[Any]:
    """Each line's effect on what the resident owes: a receivable debit raises it, a credit-
    balance credit (money kept for them) lowers it, and the reverse."""
    signed = case(
        (LedgerEntry.direction == EntryDirection.DEBIT, LedgerEntry.amount_cents),
        else_=-LedgerEntry.amount_cents,
    )
    return case((LedgerEntry.account_id.in_([a for a in (receivable, credit) if a]), signed), else_=0)


def balance(session: Session, resident_id: uuid.UUID, as_of: date) -> Balance:
    residents.get_resident(session, resident_id)
    acct = _accounts(session)
    rows = session.execute(
        select(LedgerEntry.account_id, debit_minus_credit())
        .where(LedgerEntry.resident_id == resident_id, LedgerEntry.effective_date <= as_of)
        .group_by(LedgerEntry.account_id)
    )
    per_account = {r[0]: int(r[1]) for r in rows}

    def net(code: str) -> int:
        account = acct.get(code)
        return int(per_account.get(account, 0) or 0) if account else 0

    receivable, credit, held = net(RECEIVABLE), -net(RESIDENT_CREDIT), -net(DEPOSITS_HELD)
    return Balance(as_of, receivable - credit, receivable, credit, held)


@dataclass(frozen=True)
class StatementLine:
    effective_date: date
    journal_id: uuid.UUID
    description: str | None
    invoice_id: uuid.UUID | None
    payment_id: uuid.UUID | None
    refund_id: uuid.UUID | None
    change_cents: int
    balance_cents: int


@dataclass(frozen=True)
class Statement:
    resident_id: uuid.UUID
    first_day: date
    last_day: date
    opening_balance_cents: int
    closing_balance_cents: int
    lines: list[StatementLine]


def statement(session: Session, resident_id: uuid.UUID, first_day: date, last_day: date) -> Statement:
    """One line per journal that changed what the resident owes within [first_day, last_day],
    oldest first, each with the running balance; moves that change nothing (credit applied to
    an invoice) are left out."""
    if last_day < first_day:
        raise Rejected("to is before from", field="to")
    residents.get_resident(session, resident_id)
    acct = _accounts(session)
    effect = _owed_effect(acct.get(RECEIVABLE), acct.get(RESIDENT_CREDIT))
    mine = LedgerEntry.resident_id == resident_id
    opening = int(
        session.scalar(
            select(func.coalesce(func.sum(effect), 0)).where(mine, LedgerEntry.effective_date < first_day)
        )
        or 0
    )
    rows = session.execute(
        select(
            LedgerEntry.effective_date,
            LedgerEntry.journal_id,
            func.min(LedgerEntry.description),
            func.min(LedgerEntry.invoice_id.cast(Text)),
            func.min(LedgerEntry.payment_id.cast(Text)),
            func.min(LedgerEntry.refund_id.cast(Text)),
            func.sum(effect),
            func.min(LedgerEntry.created_at),
        )
        .where(mine, LedgerEntry.effective_date >= first_day, LedgerEntry.effective_date <= last_day)
        .group_by(LedgerEntry.effective_date, LedgerEntry.journal_id)
        .having(func.sum(effect) != 0)
        .order_by(LedgerEntry.effective_date, func.min(LedgerEntry.created_at), LedgerEntry.journal_id)
    ).all()
    running, lines = opening, []
    for day, journal, text_, invoice, payment, refund, change, _ in rows:
        running += int(change)
        lines.append(
            StatementLine(
                day, journal, text_, _uuid(invoice), _uuid(payment), _uuid(refund), int(change), running
            )
        )
    return Statement(resident_id, first_day, last_day, opening, running, lines)


def _uuid(value: str | None) -> uuid.UUID | None:
    return uuid.UUID(value) if value else None
