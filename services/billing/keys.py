"""Deterministic ids and idempotency keys of billing's rows and journals. Each is backed by a
unique constraint, so a retried activity (or a second request) finds its row instead of writing
it twice."""

from __future__ import annotations

import uuid
from datetime import date

BILLING_NAMESPACE = uuid.UUID("0b6f3c1e-7f44-4a8e-9d0a-6c2b1f1e0b11")


def rent_invoice_key(resident_id: uuid.UUID, period_start: date) -> str:
    return f"rent:{resident_id}:{period_start.isoformat()}"


def rent_invoice_id(org_id: uuid.UUID, resident_id: uuid.UUID, period_start: date) -> uuid.UUID:
    return uuid.uuid5(BILLING_NAMESPACE, f"{org_id}:{rent_invoice_key(resident_id, period_start)}")


def invoice_number(invoice_id: uuid.UUID, period_start: date) -> str:
    return f"R{period_start:%Y%m%d}-{invoice_id.hex[:10].upper()}"


def receipt_number(payment_id: uuid.UUID) -> str:
    return f"RCPT-{payment_id.hex[:12].upper()}"


def payment_key(payment_id: uuid.UUID) -> str:
    return f"payment:{payment_id}"


def refund_key(refund_id: uuid.UUID) -> str:
    return f"refund:{refund_id}"


def charge_invoice_key(resident_id: uuid.UUID, invoice_number: str) -> str:
    """A one-off charge (fee, damages) is one invoice, named by its number."""
    return f"charge:{resident_id}:{invoice_number}"


def deposit_payment_key(resident_id: uuid.UUID) -> str:
    return f"deposit:{resident_id}"


def deposit_refund_key(deposit_id: uuid.UUID) -> str:
    return f"refund:deposit:{deposit_id}"


def deposit_id_for(org_id: uuid.UUID, resident_id: uuid.UUID) -> uuid.UUID:
    """One deposit per resident: its id is derived from `deposit_payment_key`."""
    return uuid.uuid5(BILLING_NAMESPACE, f"{org_id}:{deposit_payment_key(resident_id)}")


def deposit_refund_id(deposit_id: uuid.UUID) -> uuid.UUID:
    return uuid.uuid5(BILLING_NAMESPACE, deposit_refund_key(deposit_id))


def dunning_action_key(invoice_id: uuid.UUID, step: int) -> str:
    return f"dunning:{invoice_id}:{step}"


def journal_key(kind: str, row_id: uuid.UUID) -> str:
    """The ledger journal of one money event: `invoice`, `payment`, `deposit`, `refund`."""
    return f"journal:{kind}:{row_id}"
