"""Billing: idempotency keys and the invoice transitions that billing activities, routes and
the seed share.

Every key is deterministic in the business event it names, so a retried activity finds the
row (unique per org) or the journal (`core.ledger.journal_id_for`) it already wrote.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy.orm import Session

from core.errors import Conflict, NotFound
from models.enums import InvoiceStatus
from models.payments import Invoice


def rent_invoice_key(resident_id: uuid.UUID, period_start: date) -> str:
    """One rent invoice per resident and billing period."""
    return f"rent:{resident_id}:{period_start.isoformat()}"


def charge_invoice_key(resident_id: uuid.UUID, invoice_number: str) -> str:
    """A one-off charge (fee, damages) is one invoice, named by its number."""
    return f"charge:{resident_id}:{invoice_number}"


def payment_key(invoice_id: uuid.UUID, attempt: int) -> str:
    return f"payment:{invoice_id}:{attempt}"


def deposit_payment_key(resident_id: uuid.UUID) -> str:
    return f"deposit:{resident_id}"


def deposit_refund_key(deposit_id: uuid.UUID) -> str:
    return f"refund:deposit:{deposit_id}"


def dunning_action_key(invoice_id: uuid.UUID, step: int) -> str:
    return f"dunning:{invoice_id}:{step}"


def journal_key(kind: str, row_id: uuid.UUID) -> str:
    """The ledger journal of one money event: `invoice`, `payment`, `deposit`, `refund`."""
    return f"journal:{kind}:{row_id}"


def _invoice(session: Session, invoice_id: uuid.UUID) -> Invoice:
    inv = session.get(Invoice, invoice_id)
    if inv is None:
        raise NotFound("invoice not found", field="invoice_id")
    return inv


def issue_invoice(session: Session, invoice_id: uuid.UUID, issued_date: date) -> Invoice:
    """Draft → open; idempotent."""
    inv = _invoice(session, invoice_id)
    if inv.status is InvoiceStatus.DRAFT:
        inv.status = InvoiceStatus.OPEN
        inv.issued_date = issued_date
    elif inv.issued_date is None:
        raise Conflict(f"invoice {inv.number} is {inv.status.value}", field="invoice_id")
    return inv


def settle_invoice(session: Session, invoice_id: uuid.UUID, paid_cents: int) -> Invoice:
    """Open → partially paid or paid, from what has been received in total; idempotent."""
    inv = _invoice(session, invoice_id)
    if inv.status not in (InvoiceStatus.OPEN, InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.PAID):
        raise Conflict(f"invoice {inv.number} is {inv.status.value}", field="invoice_id")
    inv.status = InvoiceStatus.PAID if paid_cents >= inv.total_cents else InvoiceStatus.PARTIALLY_PAID
    return inv


def void_invoice(session: Session, invoice_id: uuid.UUID, at: datetime) -> Invoice:
    """Open → void; the caller reverses the invoice's journal. Idempotent."""
    inv = _invoice(session, invoice_id)
    if inv.status is InvoiceStatus.VOID:
        return inv
    if inv.status not in (InvoiceStatus.DRAFT, InvoiceStatus.OPEN):
        raise Conflict(f"invoice {inv.number} is {inv.status.value}", field="invoice_id")
    inv.status = InvoiceStatus.VOID
    inv.voided_at = at
    return inv
