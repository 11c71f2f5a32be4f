"""Invoices: one read, the draft → open → paid/void transitions, the status a ledger change
leaves an invoice in, and a resident's open invoices."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.enums import InvoiceStatus
from core.errors import Conflict, NotFound
from core.events import EventType
from models.orgs import House
from models.payments import Invoice
from services.billing.accounts import invoice_outstanding
from services.events import emit


def get_invoice(session: Session, invoice_id: uuid.UUID) -> Invoice:
    inv = session.get(Invoice, invoice_id)
    if inv is None:
        raise NotFound("invoice not found", field="invoice_id")
    return inv


def issue_invoice(session: Session, invoice_id: uuid.UUID, issued_date: date) -> Invoice:
    """Draft → open; idempotent."""
    inv = get_invoice(session, invoice_id)
    if inv.status is InvoiceStatus.DRAFT:
        inv.status = InvoiceStatus.OPEN
        inv.issued_date = issued_date
        emit(session, EventType.INVOICE_ISSUED, inv.id, resident_id=inv.resident_id, house_id=inv.house_id)
    elif inv.issued_date is None:
        raise Conflict(f"invoice {inv.number} is {inv.status.value}", field="invoice_id")
    return inv


def settle_invoice(session: Session, invoice_id: uuid.UUID, paid_cents: int) -> Invoice:
    """Open → partially paid or paid, from what has been received in total; idempotent."""
    inv = get_invoice(session, invoice_id)
    if inv.status not in (InvoiceStatus.OPEN, InvoiceStatus.PARTIALLY_PAID, InvoiceStatus.PAID):
        raise Conflict(f"invoice {inv.number} is {inv.status.value}", field="invoice_id")
    inv.status = InvoiceStatus.PAID if paid_cents >= inv.total_cents else InvoiceStatus.PARTIALLY_PAID
    return inv


def void_invoice(session: Session, invoice_id: uuid.UUID, at: datetime) -> Invoice:
    """Open → void; the caller reverses the invoice's journal. Idempotent."""
    inv = get_invoice(session, invoice_id)
    if inv.status is InvoiceStatus.VOID:
        return inv
    if inv.status not in (InvoiceStatus.DRAFT, InvoiceStatus.OPEN):
        raise Conflict(f"invoice {inv.number} is {inv.status.value}", field="invoice_id")
    inv.status = InvoiceStatus.VOID
    inv.voided_at = at
    emit(session, EventType.INVOICE_VOIDED, inv.id, resident_id=inv.resident_id, house_id=inv.house_id)
    return inv


def refresh_status(session: Session, inv: Invoice) -> None:
    """Open, partially paid or paid, from what the invoice's receivable lines still owe (a void,
    uncollectible or draft invoice keeps its status)."""
    if inv.status in (InvoiceStatus.VOID, InvoiceStatus.UNCOLLECTIBLE, InvoiceStatus.DRAFT):
        return
    owed = invoice_outstanding(session, inv.id)
    status = (
        InvoiceStatus.PAID
        if owed <= 0
        else InvoiceStatus.OPEN
        if owed >= inv.total_cents
        else InvoiceStatus.PARTIALLY_PAID
    )
    if inv.status != status:
        inv.status = status


def open_invoices(session: Session, resident_id: uuid.UUID) -> list[Invoice]:
    return list(
        session.scalars(
            select(Invoice)
            .where(
                Invoice.resident_id == resident_id,
                Invoice.status.in_((InvoiceStatus.OPEN, InvoiceStatus.PARTIALLY_PAID)),
            )
            .order_by(Invoice.period_start_date)
        ).all()
    )


def house_name(session: Session, house_id: uuid.UUID | None) -> str:
    if house_id is None:
        return ""
    return session.scalar(select(House.name).where(House.id == house_id)) or ""
