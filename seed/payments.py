"""Money received and returned: saved payment methods, payments on invoices (and a declined
card), security deposits and their refunds, and Stripe's side of it for reconciliation. Every
idempotency key comes from the builders in services.billing that the billing activities use."""

from __future__ import annotations

import uuid
from datetime import timedelta

from core.enums import (
    DepositStatus,
    PaymentMethodType,
    PaymentStatus,
    ReconciliationStatus,
    RefundStatus,
    ResidentStatus,
    UserRole,
)
from models.payment_extended import PaymentMethod, Refund
from models.payments import Deposit, DepositDeduction, Invoice, PayerConfig, Payment
from seed.context import Plan, SeedContext, on_day
from seed.factories.billing import PaymentFactory, PaymentMethodFactory, ReconciliationRecordFactory
from services.billing import keys


def payment_methods(
    ctx: SeedContext, family: dict[uuid.UUID, tuple[PayerConfig, str]]
) -> dict[uuid.UUID, PaymentMethod]:
    """A saved card (Stripe tokens only) for each current resident; their family payer's bank
    account where they have one."""
    cards: dict[uuid.UUID, PaymentMethod] = {}
    for r in ctx.residents:
        if not r.current:
            continue
        cards[r.id] = ctx.add(
            PaymentMethodFactory.build(
                id=ctx.nid(),
                org_id=ctx.org_id,
                resident_id=r.id,
                stripe_customer_id=f"cus_{r.id.hex[:14]}",
                brand=ctx.pick(["visa", "mastercard", "discover"]),
                last4=f"{ctx.rng.randint(1000, 9999)}",
                exp_month=ctx.rng.randint(1, 12),
                exp_year=2027 + ctx.rng.randint(0, 3),
                holder_name=r.person.full,
                is_default=True,
            )
        )
        if r.id in family:
            payer, name = family[r.id]
            ctx.add(
                PaymentMethodFactory.build(
                    id=ctx.nid(),
                    org_id=ctx.org_id,
                    resident_id=r.id,
                    payer_config_id=payer.id,
                    method_type=PaymentMethodType.ACH,
                    brand="First Mountain Credit Union",
                    last4=f"{ctx.rng.randint(1000, 9999)}",
                    holder_name=name,
                )
            )
    return cards


def invoice_payments(
    ctx: SeedContext, paid: list[tuple[Invoice, Plan, int]], cards: dict[uuid.UUID, PaymentMethod]
) -> list[tuple[Payment, Invoice, Plan]]:
    """By saved card, or by check for residents without one and those in position 1 or 5."""
    payments: list[tuple[Payment, Invoice, Plan]] = []
    for inv, r, amount in paid:
        card = r.id in cards and r.i % 4 != 1
        pay_id = ctx.nid()
        pay = ctx.add(
            PaymentFactory.build(
                id=pay_id,
                org_id=ctx.org_id,
                resident_id=r.id,
                invoice_id=inv.id,
                payer_config_id=inv.payer_config_id,
                payment_method_id=cards[r.id].id if card else None,
                amount_cents=amount,
                method=PaymentMethodType.CARD if card else PaymentMethodType.CHECK,
                stripe_payment_intent_id=f"pi_{pay_id.hex[:24]}" if card else None,
                idempotency_key=keys.payment_key(pay_id),
                received_at=on_day(inv.due_date, 10),
                reference_number=None
                if card
                else ctx.p(f"Check no. {ctx.rng.randint(1000, 9999)}-{r.n:03d}"),
                recorded_by=None if card else ctx.users[UserRole.BILLING_SPECIALIST].id,
            )
        )
        payments.append((pay, inv, r))
    return payments


def declined_card(
    ctx: SeedContext, open_invoices: list[tuple[Invoice, Plan]], cards: dict[uuid.UUID, PaymentMethod]
) -> None:
    """A declined card attempt on the first open invoice."""
    if not open_invoices:
        return
    inv, r = open_invoices[0]
    fail_id = ctx.nid()
    ctx.add(
        PaymentFactory.build(
            id=fail_id,
            org_id=ctx.org_id,
            resident_id=r.id,
            invoice_id=inv.id,
            payment_method_id=cards[r.id].id,
            amount_cents=inv.total_cents,
            method=PaymentMethodType.CARD,
            status=PaymentStatus.FAILED,
            stripe_payment_intent_id=f"pi_{fail_id.hex[:24]}",
            idempotency_key=keys.payment_key(fail_id),
            failure_code="card_declined",
            failure_message="Your card was declined.",
        )
    )


def deposits(ctx: SeedContext) -> list[tuple[Deposit, Payment, Plan]]:
    """A $500 deposit for everyone who moved in, each funded by a money order on account;
    refunded at discharge."""
    funded: list[tuple[Payment, Plan]] = []
    for r in ctx.residents:
        if r.move_in is None:
            continue
        r.deposit_payment = ctx.add(
            PaymentFactory.build(
                id=ctx.nid(),
                org_id=ctx.org_id,
                resident_id=r.id,
                amount_cents=50000,
                method=PaymentMethodType.MONEY_ORDER,
                idempotency_key=keys.deposit_payment_key(r.id),
                received_at=on_day(r.move_in, 13),
                reference_number=ctx.p(f"Money order {ctx.rng.randint(10**9, 10**10 - 1)}"),
                recorded_by=ctx.users[UserRole.BILLING_SPECIALIST].id,
            )
        )
        funded.append((r.deposit_payment, r))
    ctx.flush()
    deposits: list[tuple[Deposit, Payment, Plan]] = []
    for pay, r in funded:
        assert r.move_in is not None and r.admission is not None
        gone = r.status is ResidentStatus.DISCHARGED
        dep = ctx.new(
            Deposit,
            resident_id=r.id,
            admission_id=r.admission.id,
            payment_id=pay.id,
            amount_cents=50000,
            status=DepositStatus.REFUNDED if gone else DepositStatus.HELD,
            received_date=r.move_in,
            refunded_date=r.move_out if gone else None,
        )
        deposits.append((dep, pay, r))
    ctx.flush()
    return deposits


def refunds(
    ctx: SeedContext, deposits: list[tuple[Deposit, Payment, Plan]]
) -> list[tuple[Refund, Deposit, Plan]]:
    """Each refunded deposit returned by check less $150 for damage, then the itemised
    deduction behind each."""
    refunds: list[tuple[Refund, Deposit, Plan]] = []
    for dep, pay, r in deposits:
        if dep.status is not DepositStatus.REFUNDED:
            continue
        assert r.move_out is not None
        ref = ctx.new(
            Refund,
            payment_id=pay.id,
            resident_id=r.id,
            deposit_id=dep.id,
            amount_cents=35000,
            method=PaymentMethodType.CHECK,
            status=RefundStatus.SUCCEEDED,
            idempotency_key=keys.deposit_refund_key(dep.id),
            reason=ctx.p(f"Deposit returned to {r.person.first} less $150 for a damaged closet door"),
            requested_by=ctx.users[UserRole.BILLING_SPECIALIST].id,
            approved_by=ctx.users[UserRole.EXECUTIVE_DIRECTOR].id,
            processed_at=on_day(r.move_out, 15) + timedelta(days=3),
        )
        refunds.append((ref, dep, r))
    for ref, dep, r in refunds:
        ctx.new(
            DepositDeduction,
            deposit_id=dep.id,
            position=1,
            category="damage",
            amount_cents=dep.amount_cents - ref.amount_cents,
            reason=ctx.p(f"Damaged closet door in {r.person.first}'s room"),
        )
    return refunds


def reconciliation(
    ctx: SeedContext,
    payments: list[tuple[Payment, Invoice, Plan]],
    refunds: list[tuple[Refund, Deposit, Plan]],
) -> None:
    """Stripe's side: each card payment matched (the second disputed), each refund unmatched."""
    matched = 0
    for pay, _inv, r in payments:
        if pay.method is not PaymentMethodType.CARD:
            continue
        fee = round(pay.amount_cents * 0.029) + 30
        assert pay.received_at is not None
        disputed = matched == 1
        ctx.new(
            ReconciliationRecordFactory.build,
            of=pay,
            stripe_payout_id=f"po_{ctx.org_id.hex[:8]}{pay.received_at:%Y%m%d}",
            transaction_type="charge",
            payment_id=pay.id,
            gross_amount_cents=pay.amount_cents,
            fee_amount_cents=fee,
            net_amount_cents=pay.amount_cents - fee,
            available_on_date=pay.received_at.date() + timedelta(days=2),
            payout_arrival_date=pay.received_at.date() + timedelta(days=3),
            status=ReconciliationStatus.DISPUTED if disputed else ReconciliationStatus.MATCHED,
            matched_at=None if disputed else pay.received_at + timedelta(days=3),
            matched_by=None if disputed else ctx.users[UserRole.BILLING_SPECIALIST].id,
            resolution_note=ctx.p(
                f"Cardholder disputes the charge; {r.person.first} says a relative used the card."
            )
            if disputed
            else None,
        )
        matched += 1
    for ref, _dep, _r in refunds:
        ctx.new(
            ReconciliationRecordFactory.build,
            of=ref,
            transaction_type="refund",
            refund_id=ref.id,
            gross_amount_cents=-ref.amount_cents,
            fee_amount_cents=0,
            net_amount_cents=-ref.amount_cents,
            status=ReconciliationStatus.UNMATCHED,
        )
