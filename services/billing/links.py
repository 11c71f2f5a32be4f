"""Payment links: the resident's signed, expiring link to pay one invoice, and what the payment
page behind it shows (the house name and the amount due, nothing clinical)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.enums import InvoiceStatus
from models.payments import Invoice, LedgerEntry
from services.billing.accounts import RECEIVABLE, ensure_accounts, invoice_outstanding
from services.billing.invoices import get_invoice, house_name
from services.ledger import debit_minus_credit

PAYMENT_LINK_TTL = timedelta(days=14)


@dataclass(frozen=True)
class PayLink:
    org_id: uuid.UUID
    invoice_id: uuid.UUID
    expires: datetime


class BadLink(Exception):
    """A payment link that was altered, or has expired (`expired` True)."""

    def __init__(self, expired: bool) -> None:
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


def _link_mac(body: str) -> str:
    import base64

    from core.fieldcrypt import blind_digest

    # The blind-index key under its own purpose: a keyed HMAC-SHA256 that only the API holds.
    return base64.urlsafe_b64encode(blind_digest("payment-link.v1", body)).decode().rstrip("=")


def payment_link_token(org_id: uuid.UUID, invoice_id: uuid.UUID, now: datetime) -> str:
    body = f"{org_id.hex}.{invoice_id.hex}.{int((now + PAYMENT_LINK_TTL).timestamp())}"
    return f"{body}.{_link_mac(body)}"


def payment_link_url(base_url: str, org_id: uuid.UUID, invoice_id: uuid.UUID, now: datetime) -> str:
    """The resident's payment page for an invoice (the API serves it at /v1/billing/pay/…)."""
    return f"{base_url.rstrip('/')}/v1/billing/pay/{payment_link_token(org_id, invoice_id, now)}"


def payable_invoice(session: Session) -> uuid.UUID | None:
    """An open invoice that still owes something (the oldest), e.g. for the seed to show a link."""
    acct = ensure_accounts(session)
    return session.scalar(
        select(Invoice.id)
        .join(LedgerEntry, LedgerEntry.invoice_id == Invoice.id)
        .where(
            Invoice.status.in_((InvoiceStatus.OPEN, InvoiceStatus.PARTIALLY_PAID)),
            Invoice.house_id.is_not(None),
            LedgerEntry.account_id == acct[RECEIVABLE],
        )
        .group_by(Invoice.id, Invoice.period_start_date, Invoice.number)
        .having(debit_minus_credit() > 0)
        .order_by(Invoice.period_start_date, Invoice.number)
        .limit(1)
    )


def read_payment_link(token: str, now: datetime) -> PayLink:
    import hmac

    parts = token.split(".")
    if len(parts) != 4:
        raise BadLink(expired=False)
    body = ".".join(parts[:3])
    if not hmac.compare_digest(_link_mac(body), parts[3]):
        raise BadLink(expired=False)
    try:
        link = PayLink(
            uuid.UUID(hex=parts[0]), uuid.UUID(hex=parts[1]), datetime.fromtimestamp(int(parts[2]), UTC)
        )
    except ValueError:
        raise BadLink(expired=False) from None
    if link.expires <= now:
        raise BadLink(expired=True)
    return link


@dataclass(frozen=True)
class PayPage:
    """What the resident's payment page shows: nothing clinical."""

    invoice_id: uuid.UUID
    number: str
    house_name: str
    period_start: date
    period_end: date
    amount_due_cents: int
    status: InvoiceStatus


def pay_page(session: Session, invoice_id: uuid.UUID) -> PayPage:
    inv = get_invoice(session, invoice_id)
    return PayPage(
        inv.id,
        inv.number,
        house_name(session, inv.house_id),
        inv.period_start_date,
        inv.period_end_date,
        max(invoice_outstanding(session, inv.id), 0),
        inv.status,
    )


def dollars(cents: int) -> str:
    """An amount as a resident reads it on the pay page and in a reminder: $1,234.05."""
    return f"${cents // 100:,}.{cents % 100:02d}"
