"""Double-entry posting and balances.

A journal is a set of entries sharing a journal_id whose debits equal its credits (the
database refuses anything else at commit). Entries are never changed: a correction is a
new journal that reverses the old one. Balances are always computed, never stored.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, case, func, insert, select
from sqlalchemy.orm import Session

from models.enums import EntryDirection
from models.payments import LedgerAccount, LedgerEntry

# uuid5 namespace for journal ids derived from business idempotency keys.
JOURNAL_NAMESPACE = uuid.UUID("6f1c1c57-3c55-4d43-a4c4-4cbe3e0a8e7e")


@dataclass(frozen=True)
class Line:
    account_id: uuid.UUID
    direction: EntryDirection
    amount_cents: int
    resident_id: uuid.UUID | None = None
    invoice_id: uuid.UUID | None = None
    payment_id: uuid.UUID | None = None
    refund_id: uuid.UUID | None = None
    deposit_id: uuid.UUID | None = None


class UnbalancedJournal(ValueError):
    pass


def journal_id_for(idempotency_key: str) -> uuid.UUID:
    """The same business event always maps to the same journal, so a retry cannot post twice."""
    return uuid.uuid5(JOURNAL_NAMESPACE, idempotency_key)


def post_journal(
    session: Session,
    org_id: uuid.UUID,
    journal_id: uuid.UUID,
    lines: list[Line],
    effective_date: date,
    description: str | None = None,
    reverses_journal_id: uuid.UUID | None = None,
) -> bool:
    """Insert a journal; returns False when it was already posted (a retried activity)."""
    debits = sum(x.amount_cents for x in lines if x.direction is EntryDirection.DEBIT)
    credits = sum(x.amount_cents for x in lines if x.direction is EntryDirection.CREDIT)
    if len(lines) < 2 or debits != credits:
        raise UnbalancedJournal(f"debits {debits} != credits {credits} over {len(lines)} lines")
    if any(x.amount_cents <= 0 for x in lines):
        raise UnbalancedJournal("every line amount must be positive")
    exists = session.scalar(
        select(func.count()).select_from(LedgerEntry).where(LedgerEntry.journal_id == journal_id)
    )
    if exists:
        return False
    session.execute(
        insert(LedgerEntry),
        [
            {
                "id": uuid.uuid4(),
                "org_id": org_id,
                "journal_id": journal_id,
                "line_no": n,
                "account_id": x.account_id,
                "direction": x.direction,
                "amount_cents": x.amount_cents,
                "resident_id": x.resident_id,
                "invoice_id": x.invoice_id,
                "payment_id": x.payment_id,
                "refund_id": x.refund_id,
                "deposit_id": x.deposit_id,
                "reverses_journal_id": reverses_journal_id,
                "effective_date": effective_date,
                "description": description,
            }
            for n, x in enumerate(lines, start=1)
        ],
    )
    return True


def reverse_journal(
    session: Session, org_id: uuid.UUID, journal_id: uuid.UUID, effective_date: date
) -> uuid.UUID:
    """Post the mirror image of a journal; the original stays as it was."""
    rows = session.scalars(
        select(LedgerEntry).where(LedgerEntry.journal_id == journal_id).order_by(LedgerEntry.line_no)
    ).all()
    if not rows:
        raise ValueError("journal not found")
    flip = {EntryDirection.DEBIT: EntryDirection.CREDIT, EntryDirection.CREDIT: EntryDirection.DEBIT}
    new_id = journal_id_for(f"reversal:{journal_id}")
    post_journal(
        session,
        org_id,
        new_id,
        [
            Line(
                r.account_id,
                flip[r.direction],
                r.amount_cents,
                r.resident_id,
                r.invoice_id,
                r.payment_id,
                r.refund_id,
                r.deposit_id,
            )
            for r in rows
        ],
        effective_date,
        description="reversal",
        reverses_journal_id=journal_id,
    )
    return new_id


def _signed() -> ColumnElement[Any]:
    return func.coalesce(
        func.sum(
            case(
                (LedgerEntry.direction == EntryDirection.DEBIT, LedgerEntry.amount_cents),
                else_=-LedgerEntry.amount_cents,
            )
        ),
        0,
    )


def account_balance(session: Session, account_id: uuid.UUID) -> int:
    """Balance in the account's normal direction (debit-normal: debits minus credits)."""
    account = session.get(LedgerAccount, account_id)
    if account is None:
        raise ValueError("account not found")
    debit_minus_credit = int(
        session.scalar(select(_signed()).where(LedgerEntry.account_id == account_id)) or 0
    )
    return debit_minus_credit if account.normal_balance is EntryDirection.DEBIT else -debit_minus_credit


def resident_balance(session: Session, resident_id: uuid.UUID, account_id: uuid.UUID) -> int:
    """What a resident owes on a debit-normal receivable account (debits minus credits)."""
    return int(
        session.scalar(
            select(_signed()).where(
                LedgerEntry.resident_id == resident_id, LedgerEntry.account_id == account_id
            )
        )
        or 0
    )
