"""Discharge settlement: the nights after a resident's discharge credited on rent already
invoiced, by the same proration rule that billed them; what was already paid becomes refundable
credit. (The deposit is settled after this, in `deposits.settle_deposit`.)"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date

from sqlalchemy import Date, cast, func, select
from sqlalchemy.orm import Session

from core.enums import InvoiceStatus, LineItemType
from core.errors import NotFound, Rejected
from models.payments import Invoice
from models.residents import Admission
from services.billing.accounts import (
    FEE_REVENUE,
    RECEIVABLE,
    RENT_REVENUE,
    RESIDENT_CREDIT,
    C,
    D,
    ensure_accounts,
    invoice_outstanding,
)
from services.billing.invoices import refresh_status
from services.billing.periods import Period, billed_days, prorate
from services.ledger import Journal, Line, journal_id_for, post_journals


def settle_discharge(session: Session, resident_id: uuid.UUID, discharged_on: date) -> int:
    """Credit the nights after a discharge on every rent invoice already issued for a period
    that ends on or after the discharge day: each line keeps what the proration rule bills for
    the nights actually stayed; the difference goes against what the invoice still owes, and
    any rest becomes the resident's credit (refundable). Idempotent per invoice. Returns the
    cents credited by this call."""
    org_id: uuid.UUID = session.info["actor"]["org_id"]
    moved_in = session.scalar(
        select(cast(func.timezone("UTC", Admission.admitted_at), Date))
        .where(Admission.resident_id == resident_id, Admission.admitted_at.is_not(None))
        .order_by(Admission.admitted_at.desc())
        .limit(1)
    )
    if moved_in is None:
        raise NotFound("no stay found for this resident", field="resident_id")
    if discharged_on < moved_in:
        raise Rejected("the discharge date is before the move-in date", field="discharged_on")
    acct = ensure_accounts(session)
    invoices = session.scalars(
        select(Invoice).where(
            Invoice.resident_id == resident_id,
            Invoice.is_rent.is_(True),
            Invoice.period_end_date >= discharged_on,
            Invoice.status.not_in((InvoiceStatus.VOID, InvoiceStatus.DRAFT)),
        )
    ).all()
    credited = 0
    for inv in invoices:
        period = Period(inv.period_start_date, inv.period_end_date)
        kept_days = billed_days(period, moved_in, discharged_on)
        by_account: dict[uuid.UUID, int] = defaultdict(int)
        for line in inv.line_items:
            back = line.amount_cents - min(
                line.amount_cents, prorate(line.unit_amount_cents, kept_days, period)
            )
            if back > 0:
                revenue = RENT_REVENUE if line.line_type is LineItemType.RENT else FEE_REVENUE
                by_account[acct[revenue]] += back
        total = sum(by_account.values())
        if total == 0:
            continue
        against_invoice = min(total, max(invoice_outstanding(session, inv.id), 0))
        lines = [Line(a, D, cents, resident_id, inv.id) for a, cents in by_account.items()]
        lines += [Line(acct[RECEIVABLE], C, against_invoice, resident_id, inv.id)] if against_invoice else []
        rest = total - against_invoice
        lines += [Line(acct[RESIDENT_CREDIT], C, rest, resident_id, inv.id)] if rest else []
        journal = Journal(
            journal_id_for(f"discharge:{inv.id}"), lines, discharged_on, "Unused nights credited"
        )
        if post_journals(session, org_id, [journal]):
            credited += total
        refresh_status(session, inv)
    return credited
