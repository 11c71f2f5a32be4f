"""Reconciliation, billing's check of its card money against Stripe: one day of Stripe balance
transactions (and payouts) matched against the ledger by Stripe ids, every mismatch named in
`reconciliation_records`.

The rules, per org and UTC day:
- a Stripe charge is matched to our payment by its PaymentIntent id; a Stripe refund to our
  refund by its refund id; the amount compared is what the ledger posted to Stripe clearing;
- `missing_in_ledger`: Stripe moved money we have no posted payment or refund for;
- `amount_differs`: both know it, the amounts differ (`ledger_amount_cents` says ours);
- `fee_unposted`: the amounts agree but Stripe kept a fee the ledger does not carry;
- `missing_in_stripe`: a card payment or refund our ledger posted that day has no Stripe
  balance transaction that day;
- a payout stamps its id and arrival date on the records of the transactions it paid out.

Idempotent per (org, day): every record has a deterministic key, so a re-run updates the day's
records in place (a record staff resolved is left alone).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from core import audit
from core.contracts.billing import DaySummary
from core.enums import AuditAction, EntryDirection, PaymentStatus, ReconciliationStatus, RefundStatus
from core.errors import NotFound
from core.stripe_gateway import BalanceTxn, PayoutInfo
from models.payment_extended import ReconciliationRecord, Refund
from models.payments import LedgerEntry, Payment
from services.billing.accounts import STRIPE_CLEARING, ensure_accounts
from services.billing.keys import payment_key, refund_key
from services.ledger import journal_id_for

MISSING_IN_LEDGER = "missing_in_ledger"
MISSING_IN_STRIPE = "missing_in_stripe"
AMOUNT_DIFFERS = "amount_differs"
FEE_UNPOSTED = "fee_unposted"
POSTED = (PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED)


def day_bounds(day: date) -> tuple[int, int]:
    """The UTC day as Unix seconds [start, end)."""
    start = datetime.combine(day, time(0), UTC)
    return int(start.timestamp()), int((start + timedelta(days=1)).timestamp())


def record_key(day: date, ref: str) -> str:
    return f"recon:{day.isoformat()}:{ref}"


def _clearing_sum(session: Session, clearing: uuid.UUID, direction: EntryDirection, **where: Any) -> int:
    q = select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0)).where(
        LedgerEntry.account_id == clearing, LedgerEntry.direction == direction
    )
    for column, value in where.items():
        col = getattr(LedgerEntry, column)
        q = q.where(col.in_(value) if isinstance(value, list) else col == value)
    return int(session.scalar(q) or 0)


def _refund_journals(refund: Refund, payment: Payment) -> list[uuid.UUID]:
    own = journal_id_for(refund_key(refund.id))
    whole = journal_id_for(f"reversal:{journal_id_for(payment_key(payment.id))}")
    return [own, whole] if refund.amount_cents == payment.amount_cents else [own]


def reconcile_day(
    session: Session, day: date, txns: Sequence[BalanceTxn], payouts: Sequence[PayoutInfo]
) -> DaySummary:
    """Match one day's Stripe transactions of this org with the ledger and write the records."""
    org_id: uuid.UUID = session.info["actor"]["org_id"]
    clearing = ensure_accounts(session)[STRIPE_CLEARING]
    now = datetime.now(UTC)
    rows: list[dict[str, Any]] = []
    seen_intents: set[str] = set()
    seen_refunds: set[str] = set()

    def add(key: str, kind: str | None, *, txn: BalanceTxn | None = None, **values: Any) -> None:
        gross = txn.amount_cents if txn else 0
        fee = txn.fee_cents if txn else 0
        rows.append(
            {
                "id": uuid.uuid4(),
                "org_id": org_id,
                "record_key": record_key(day, key),
                "reconciled_on": day,
                "stripe_balance_transaction_id": txn.id if txn else None,
                "transaction_type": txn.type if txn else values.pop("transaction_type"),
                "gross_amount_cents": gross,
                "fee_amount_cents": fee,
                "net_amount_cents": gross - fee,
                "available_on_date": (
                    datetime.fromtimestamp(txn.available_on, UTC).date() if txn and txn.available_on else None
                ),
                "status": ReconciliationStatus.UNMATCHED if kind else ReconciliationStatus.MATCHED,
                "matched_at": None if kind else now,
                "mismatch": kind,
                "payment_id": values.get("payment_id"),
                "refund_id": values.get("refund_id"),
                "ledger_amount_cents": values.get("ledger_amount_cents"),
            }
        )

    def judge(ledger: int, stripe_gross: int, fee: int) -> str | None:
        if ledger == 0:
            return MISSING_IN_LEDGER
        if ledger != stripe_gross:
            return AMOUNT_DIFFERS
        return FEE_UNPOSTED if fee else None

    for t in txns:
        if t.type in ("charge", "payment") and t.payment_intent_id:
            seen_intents.add(t.payment_intent_id)
            payment = session.scalars(
                select(Payment).where(Payment.stripe_payment_intent_id == t.payment_intent_id)
            ).first()
            ledger = (
                _clearing_sum(session, clearing, EntryDirection.DEBIT, payment_id=payment.id)
                if payment is not None
                else 0
            )
            kind = judge(ledger, t.amount_cents, t.fee_cents)
            add(t.id, kind, txn=t, payment_id=payment.id if payment else None, ledger_amount_cents=ledger)
        elif t.type == "refund" and t.source_id:
            seen_refunds.add(t.source_id)
            refund = session.scalars(select(Refund).where(Refund.stripe_refund_id == t.source_id)).first()
            ledger = 0
            if refund is not None and refund.status is RefundStatus.SUCCEEDED:
                payment = session.get(Payment, refund.payment_id)
                assert payment is not None
                ledger = -_clearing_sum(
                    session, clearing, EntryDirection.CREDIT, journal_id=_refund_journals(refund, payment)
                )
            kind = judge(ledger, t.amount_cents, t.fee_cents)
            add(t.id, kind, txn=t, refund_id=refund.id if refund else None, ledger_amount_cents=ledger)
        else:
            # Adjustments, disputes, fees billed separately: nothing of ours to match them to.
            add(t.id, MISSING_IN_LEDGER, txn=t, ledger_amount_cents=0)

    start = datetime.combine(day, time(0), UTC)
    end = start + timedelta(days=1)
    for p in session.scalars(
        select(Payment).where(
            Payment.stripe_payment_intent_id.is_not(None),
            Payment.status.in_(POSTED),
            Payment.received_at >= start,
            Payment.received_at < end,
        )
    ).all():
        if p.stripe_payment_intent_id not in seen_intents:
            ledger = _clearing_sum(session, clearing, EntryDirection.DEBIT, payment_id=p.id)
            add(
                f"payment:{p.id}",
                MISSING_IN_STRIPE,
                transaction_type="charge",
                payment_id=p.id,
                ledger_amount_cents=ledger,
            )
    for r in session.scalars(
        select(Refund).where(
            Refund.stripe_refund_id.is_not(None),
            Refund.status == RefundStatus.SUCCEEDED,
            Refund.processed_at >= start,
            Refund.processed_at < end,
        )
    ).all():
        if r.stripe_refund_id not in seen_refunds:
            add(
                f"refund:{r.id}",
                MISSING_IN_STRIPE,
                transaction_type="refund",
                refund_id=r.id,
                ledger_amount_cents=-r.amount_cents,
            )

    if rows:
        stmt = pg_insert(ReconciliationRecord).values(rows)
        kept = ("id", "org_id", "record_key", "reconciled_on")
        session.execute(
            stmt.on_conflict_do_update(
                index_elements=["org_id", "record_key"],
                index_where=ReconciliationRecord.record_key.is_not(None),
                set_={c: stmt.excluded[c] for c in rows[0] if c not in kept},
                where=ReconciliationRecord.status != ReconciliationStatus.RESOLVED,
            )
        )
    for payout in payouts:
        if payout.balance_transaction_ids:
            session.execute(
                update(ReconciliationRecord)
                .where(ReconciliationRecord.stripe_balance_transaction_id.in_(payout.balance_transaction_ids))
                .values(
                    stripe_payout_id=payout.id,
                    payout_arrival_date=datetime.fromtimestamp(payout.arrival, UTC).date(),
                )
            )
    mismatches: dict[str, int] = {}
    for row in rows:
        if row["mismatch"]:
            mismatches[row["mismatch"]] = mismatches.get(row["mismatch"], 0) + 1
    summary = DaySummary(day, sum(1 for row in rows if not row["mismatch"]), mismatches)
    audit.record(
        session,
        AuditAction.EXECUTE,
        "reconciliation_records",
        None,
        {"reconciled_on": day.isoformat(), "matched": summary.matched, "mismatches": mismatches},
    )
    return summary


def records(
    session: Session, day: date | None = None, mismatches_only: bool = False
) -> list[ReconciliationRecord]:
    q = select(ReconciliationRecord).order_by(
        ReconciliationRecord.reconciled_on.desc().nulls_last(), ReconciliationRecord.record_key
    )
    if day is not None:
        q = q.where(ReconciliationRecord.reconciled_on == day)
    if mismatches_only:
        q = q.where(ReconciliationRecord.mismatch.is_not(None))
    return list(session.scalars(q.limit(1000)).all())


def get_record(session: Session, record_id: uuid.UUID) -> ReconciliationRecord:
    r = session.get(ReconciliationRecord, record_id)
    if r is None:
        raise NotFound("reconciliation record not found", field="record_id")
    return r
