"""What a resident's home page shows, read in their own session (scope 'resident': PostgreSQL
shows them their own rows and nothing else): what they owe and the next charge (summed from the
ledger when asked, never a stored balance: billing's reads), the documents waiting for their
signature, their conversations and their house's announcements.

The house operations (chores, meetings, passes, check-ins) are read by services/resident/house.py.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.enums import InvoiceStatus
from models.documents import Document, Signature
from models.payments import Invoice
from services import messaging, residents
from services.billing import reads
from services.billing.reads import InvoiceFilter
from services.signing.links import OPEN, OPEN_DOCUMENT, make_token, token_expiry

OPEN_INVOICE = (InvoiceStatus.OPEN, InvoiceStatus.PARTIALLY_PAID)


@dataclass(frozen=True)
class NextCharge:
    invoice_id: uuid.UUID
    number: str
    due_date: date
    outstanding_cents: int


@dataclass(frozen=True)
class ToSign:
    title: str
    signature_id: uuid.UUID
    # The signing page's token for this signer (the link they were sent, made again).
    token: str


@dataclass(frozen=True)
class InboxRow:
    conversation_id: uuid.UUID
    subject: str
    unread: int
    last_message_at: datetime | None


@dataclass(frozen=True)
class AnnouncementRow:
    announcement_id: uuid.UUID
    title: str
    publish_at: datetime
    read: bool


@dataclass(frozen=True)
class Home:
    first_name: str
    balance_cents: int
    next_charge: NextCharge | None
    to_sign: list[ToSign]
    inbox: list[InboxRow]
    announcements: list[AnnouncementRow]


def next_charge(session: Session, resident_id: uuid.UUID) -> NextCharge | None:
    """The open invoice due soonest that still owes something."""
    rows = [
        r
        for status in OPEN_INVOICE
        for r in reads.invoices(session, InvoiceFilter(status=status, resident_id=resident_id), 100, 0).items
        if r.outstanding_cents > 0
    ]
    if not rows:
        return None
    first = min(rows, key=lambda r: (r.invoice.due_date, r.invoice.number))
    inv: Invoice = first.invoice
    return NextCharge(inv.id, inv.number, inv.due_date, first.outstanding_cents)


def to_sign(session: Session, resident_id: uuid.UUID) -> list[ToSign]:
    """The documents waiting for this resident's signature whose link has been sent."""
    rows = session.execute(
        select(Signature, Document)
        .join(Document, Document.id == Signature.document_id)
        .where(
            Signature.signer_resident_id == resident_id,
            Signature.status.in_(OPEN),
            Signature.signing_token_hash.is_not(None),
            Document.status.in_(OPEN_DOCUMENT),
            Document.deleted_at.is_(None),
        )
        .order_by(Document.created_at, Document.id)
    ).all()
    return [
        ToSign(doc.title, sig.id, make_token(doc.org_id, doc.id, sig.id, token_expiry(sig)))
        for sig, doc in rows
        if sig.token_expires_at is not None
    ]


def home(session: Session, resident_id: uuid.UUID, user_id: uuid.UUID, today: date, now: datetime) -> Home:
    r = residents.get_resident(session, resident_id)
    return Home(
        first_name=r.first_name or "",
        balance_cents=reads.balance(session, resident_id, today).balance_cents,
        next_charge=next_charge(session, resident_id),
        to_sign=to_sign(session, resident_id),
        inbox=[
            InboxRow(
                i.conversation.id,
                i.conversation.subject or "Message from staff",
                i.unread,
                i.conversation.last_message_at,
            )
            for i in messaging.inbox(session, user_id)
        ],
        announcements=[
            AnnouncementRow(a.id, a.title, a.publish_at, read)
            for a, read in messaging.announcements(session, now, user_id)
        ],
    )
