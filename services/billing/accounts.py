"""The one chart of accounts billing (and its dunning) posts to, created per org on first use,
and the sums read back from it: what an invoice still owes, the credit residents hold, the trial
balance. Balances are always summed from ledger lines, never stored."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from core.enums import EntryDirection, LedgerAccountType
from models.payments import LedgerAccount, LedgerEntry
from services.ledger import debit_minus_credit

D, C = EntryDirection.DEBIT, EntryDirection.CREDIT

# The org's whole chart: the demo seed writes exactly these (seed/billing.py).
CASH, STRIPE_CLEARING, RECEIVABLE = "1000", "1010", "1100"
DEPOSITS_HELD, RESIDENT_CREDIT, EQUITY = "2100", "2200", "3000"
RENT_REVENUE, FEE_REVENUE, DEPOSIT_KEPT, LATE_FEE_REVENUE = "4000", "4100", "4200", "4300"
PROCESSING_FEES, BAD_DEBT = "6100", "6200"
ACCOUNTS: dict[str, tuple[str, LedgerAccountType, EntryDirection]] = {
    CASH: ("Operating cash", LedgerAccountType.ASSET, D),
    STRIPE_CLEARING: ("Stripe clearing", LedgerAccountType.ASSET, D),
    RECEIVABLE: ("Accounts receivable", LedgerAccountType.ASSET, D),
    DEPOSITS_HELD: ("Resident deposits held", LedgerAccountType.LIABILITY, C),
    RESIDENT_CREDIT: ("Resident credit balances", LedgerAccountType.LIABILITY, C),
    EQUITY: ("Owner's equity", LedgerAccountType.EQUITY, C),
    RENT_REVENUE: ("Rent revenue", LedgerAccountType.REVENUE, C),
    FEE_REVENUE: ("Program and testing fees", LedgerAccountType.REVENUE, C),
    DEPOSIT_KEPT: ("Deposit deductions and forfeits", LedgerAccountType.REVENUE, C),
    # Dunning's: late fees, and what is written off as uncollectible.
    LATE_FEE_REVENUE: ("Late fee revenue", LedgerAccountType.REVENUE, C),
    PROCESSING_FEES: ("Payment processing fees", LedgerAccountType.EXPENSE, D),
    BAD_DEBT: ("Bad debt expense", LedgerAccountType.EXPENSE, D),
}


def ensure_accounts(session: Session) -> dict[str, uuid.UUID]:
    """The billing accounts by code, creating missing ones (concurrent callers are safe: the
    live-code unique index decides, the loser re-reads)."""
    org_id = session.info["actor"]["org_id"]
    found = _accounts(session)
    missing = [code for code in ACCOUNTS if code not in found]
    if missing:
        session.execute(
            pg_insert(LedgerAccount)
            .values(
                [
                    {
                        "id": uuid.uuid4(),
                        "org_id": org_id,
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
        found = _accounts(session)
    return found


def _accounts(session: Session) -> dict[str, uuid.UUID]:
    rows = session.execute(
        select(LedgerAccount.code, LedgerAccount.id).where(LedgerAccount.code.in_(list(ACCOUNTS)))
    ).all()
    return {r.code: r.id for r in rows}


def resident_credits(
    session: Session, resident_ids: Sequence[uuid.UUID], acct: dict[str, uuid.UUID]
) -> dict[uuid.UUID, int]:
    """Credit each resident holds from overpayments (credit-normal liability)."""
    if not resident_ids:
        return {}
    rows = session.execute(
        select(LedgerEntry.resident_id, (-debit_minus_credit()).label("credit"))
        .where(
            LedgerEntry.account_id == acct[RESIDENT_CREDIT], LedgerEntry.resident_id.in_(list(resident_ids))
        )
        .group_by(LedgerEntry.resident_id)
    ).all()
    return {r.resident_id: int(r.credit) for r in rows if r.credit > 0}


def invoice_outstanding(session: Session, invoice_id: uuid.UUID) -> int:
    acct = ensure_accounts(session)
    return int(
        session.scalar(
            select(debit_minus_credit()).where(
                LedgerEntry.invoice_id == invoice_id, LedgerEntry.account_id == acct[RECEIVABLE]
            )
        )
        or 0
    )


def trial_balance(session: Session) -> int:
    """Debits minus credits over the org's whole ledger: zero when every journal balances."""
    return int(session.scalar(select(debit_minus_credit())) or 0)
