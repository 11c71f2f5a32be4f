"""The ledger side of the demo's money: a balanced journal per issued invoice (and the void
one's reversal), payment, deposit and refund, posted through services.ledger under the keys the
billing activities use."""

from __future__ import annotations

import uuid
from datetime import date

from core.enums import EntryDirection, LineItemType, PaymentMethodType
from models.payment_extended import Refund
from models.payments import Deposit, Invoice, Payment
from seed.context import Plan, SeedContext
from services import ledger
from services.billing import keys

# An invoice's lines: type and amount in cents.
Lines = list[tuple[LineItemType, int]]


def post(
    ctx: SeedContext,
    key: str,
    lines: list[tuple[str, EntryDirection, int]],
    when: date,
    description: str,
    *,
    resident: Plan | None = None,
    invoice: Invoice | None = None,
    payment: Payment | None = None,
    refund: Refund | None = None,
    deposit: Deposit | None = None,
) -> uuid.UUID:
    """Post a journal the way billing activities do: keyed, balanced, through services.ledger."""
    ctx.flush()
    journal = ledger.journal_id_for(key)
    ledger.post_journal(
        ctx.s,
        ctx.org_id,
        journal,
        [
            ledger.Line(
                ctx.accounts[code].id,
                direction,
                amount,
                resident_id=resident.id if resident else None,
                invoice_id=invoice.id if invoice else None,
                payment_id=payment.id if payment else None,
                refund_id=refund.id if refund else None,
                deposit_id=deposit.id if deposit else None,
            )
            for code, direction, amount in lines
        ],
        when,
        description,
    )
    ctx.count("ledger_entries", len(lines))
    return journal


def post_invoices(
    ctx: SeedContext, posted: list[tuple[Invoice, Plan, Lines]], void: tuple[Invoice, Plan, Lines] | None
) -> None:
    """A journal per issued invoice (rent, fees and credits on their revenue accounts); the
    void invoice's journal and its reversal."""
    for inv, r, ls in posted:
        rent_amt = sum(a for t, a in ls if t is LineItemType.RENT)
        fee_amt = sum(a for t, a in ls if t not in (LineItemType.RENT, LineItemType.CREDIT))
        credit_amt = -sum(a for t, a in ls if t is LineItemType.CREDIT)
        jl: list[tuple[str, EntryDirection, int]] = [("1100", EntryDirection.DEBIT, inv.total_cents)]
        if credit_amt:
            jl.append(("4000", EntryDirection.DEBIT, credit_amt))
        if rent_amt:
            jl.append(("4000", EntryDirection.CREDIT, rent_amt))
        if fee_amt:
            jl.append(("4100", EntryDirection.CREDIT, fee_amt))
        _post_invoice(ctx, inv, r, jl)
    if void is not None:
        vi, vr, vls = void
        amount = sum(a for _, a in vls)
        issued = _post_invoice(
            ctx, vi, vr, [("1100", EntryDirection.DEBIT, amount), ("4100", EntryDirection.CREDIT, amount)]
        )
        ledger.reverse_journal(ctx.s, ctx.org_id, issued, vi.period_start_date)
        ctx.count("ledger_entries", 2)


def _post_invoice(
    ctx: SeedContext, inv: Invoice, r: Plan, lines: list[tuple[str, EntryDirection, int]]
) -> uuid.UUID:
    assert inv.issued_date is not None
    key = keys.journal_key("invoice", inv.id)
    return post(ctx, key, lines, inv.issued_date, f"Invoice {inv.number}", resident=r, invoice=inv)


def post_payments(ctx: SeedContext, payments: list[tuple[Payment, Invoice, Plan]]) -> None:
    """Cards land in Stripe clearing, checks in operating cash."""
    for pay, pinv, r in payments:
        cash = "1010" if pay.method is PaymentMethodType.CARD else "1000"
        assert pay.received_at is not None
        post(
            ctx,
            keys.journal_key("payment", pay.id),
            [
                (cash, EntryDirection.DEBIT, pay.amount_cents),
                ("1100", EntryDirection.CREDIT, pay.amount_cents),
            ],
            pay.received_at.date(),
            f"Payment on invoice {pinv.number}" if pinv else "Payment on account",
            resident=r,
            invoice=pinv,
            payment=pay,
        )


def post_deposits(
    ctx: SeedContext,
    deposits: list[tuple[Deposit, Payment, Plan]],
    refunds: list[tuple[Refund, Deposit, Plan]],
) -> None:
    """Deposits held as a liability; each refund releases its deposit, part as cash back and
    the damages kept as fee revenue."""
    for dep, pay, r in deposits:
        post(
            ctx,
            keys.journal_key("deposit", dep.id),
            [
                ("1000", EntryDirection.DEBIT, dep.amount_cents),
                ("2100", EntryDirection.CREDIT, dep.amount_cents),
            ],
            dep.received_date,
            "Security deposit received",
            resident=r,
            payment=pay,
            deposit=dep,
        )
    for ref, dep, r in refunds:
        assert ref.processed_at is not None
        kept = dep.amount_cents - ref.amount_cents
        post(
            ctx,
            keys.journal_key("refund", ref.id),
            [
                ("2100", EntryDirection.DEBIT, dep.amount_cents),
                ("1000", EntryDirection.CREDIT, ref.amount_cents),
                ("4100", EntryDirection.CREDIT, kept),
            ],
            ref.processed_at.date(),
            "Security deposit returned at discharge, damages retained",
            resident=r,
            deposit=dep,
            refund=ref,
        )
