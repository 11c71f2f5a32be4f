"""Double-entry posting and balances.

A journal is a set of entries sharing a journal_id whose debits equal its credits (the
database refuses anything else at commit). Entries are never changed: a correction is a
new journal that reverses the old one. Balances are always computed, never stored.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, case, func, insert, select
from sqlalchemy.orm import Session

from core.enums import EntryDirection
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


@dataclass(frozen=True)
class Journal:
    """One balanced business transaction, for `post_journals`."""

    journal_id: uuid.UUID
    lines: list[Line]
    effective_date: date
    description: str | None = None
    reverses_journal_id: uuid.UUID | None = None


def _check_balanced(lines: list[Line]) -> None:
    debits = sum(x.amount_cents for x in lines if x.direction is EntryDirection.DEBIT)
    credits = sum(x.amount_cents for x in lines if x.direction is EntryDirection.CREDIT)
    if len(lines) < 2 or debits != credits:
        raise UnbalancedJournal(f"debits {debits} != credits {credits} over {len(lines)} lines")
    if any(x.amount_cents <= 0 for x in lines):
        raise UnbalancedJournal("every line amount must be positive")


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
    journal = Journal(journal_id, lines, effective_date, description, reverses_journal_id)
    return post_journals(session, org_id, [journal]) == 1


def post_journals(session: Session, org_id: uuid.UUID, journals: Sequence[Journal]) -> int:
    """Insert many journals in one statement (a rent run posts thousands); journals already
    posted are skipped. Returns how many were new."""
    for j in journals:
        _check_balanced(j.lines)
    if not journals:
        return 0
    ids = [j.journal_id for j in journals]
    posted = set(
        session.scalars(
            select(LedgerEntry.journal_id).where(LedgerEntry.journal_id.in_(ids)).distinct()
        ).all()
    )
    fresh = [j for j in journals if j.journal_id not in posted]
    if not fresh:
        return 0
    session.execute(
        insert(LedgerEntry),
        [
            {
                "id": uuid.uuid4(),
                "org_id": org_id,
                "journal_id": j.journal_id,
                "line_no": n,
                "account_id": x.account_id,
                "direction": x.direction,
                "amount_cents": x.amount_cents,
                "resident_id": x.resident_id,
                "invoice_id": x.invoice_id,
                "payment_id": x.payment_id,
                "refund_id": x.refund_id,
                "deposit_id": x.deposit_id,
                "reverses_journal_id": j.reverses_journal_id,
                "effective_date": j.effective_date,
                "description": j.description,
            }
            for j in fresh
            for n, x in enumerate(j.lines, start=1)
        ],
    )
    return len(fresh)


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


def debit_minus_credit() -> ColumnElement[Any]:
    """SUM(debits) - SUM(credits) over the selected entries, 0 when there are none."""
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
    net = int(session.scalar(select(debit_minus_credit()).where(LedgerEntry.account_id == account_id)) or 0)
    return net if account.normal_balance is EntryDirection.DEBIT else -net


def resident_balance(session: Session, resident_id: uuid.UUID, account_id: uuid.UUID) -> int:
    """What a resident owes on a debit-normal receivable account (debits minus credits)."""
    return int(
        session.scalar(
            select(debit_minus_credit()).where(
                LedgerEntry.resident_id == resident_id, LedgerEntry.account_id == account_id
            )
        )
        or 0
    )
