"""Billing activities: rent batches, payments received, card payments through the injected
Stripe gateway, refunds. Database writes are idempotent by deterministic keys; Stripe calls
never run inside an open tenant transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date

import stripe
from temporalio import activity

from activities.base import TenantActivities
from core.enums import DepositStatus, InvoiceStatus, PaymentMethodType, PaymentStatus, RefundStatus
from core.errors import Conflict, Rejected
from core.process import Actor
from core.stripe_gateway import Intent, StripeGateway
from models.payment_extended import Refund
from models.payments import Payment
from services import billing
from services.billing import Deduction, DepositOutcome, Disposition, NewPayment, RentBatch


@dataclass(frozen=True)
class RentBatchInput:
    actor: Actor
    as_of: date
    after: uuid.UUID | None
    limit: int


@dataclass(frozen=True)
class CardAttempt:
    """One attempt to pay an invoice by card: the payment id is the attempt's idempotency key."""

    actor: Actor
    payment_id: uuid.UUID
    # None when the attempt pays a security deposit (then `deposit_resident_id` is set).
    invoice_id: uuid.UUID | None
    amount_cents: int
    deposit_resident_id: uuid.UUID | None = None


@dataclass(frozen=True)
class ConfirmCard:
    actor: Actor
    payment_id: uuid.UUID
    intent_id: str
    # A Stripe PaymentMethod id (e.g. "pm_card_visa") or, against localstripe, a token.
    payment_method: str


@dataclass(frozen=True)
class SettleCard:
    actor: Actor
    payment_id: uuid.UUID
    intent_id: str
    status: str
    for_deposit: bool = False


@dataclass(frozen=True)
class PaymentOutcome:
    payment_id: uuid.UUID
    status: PaymentStatus
    intent_id: str | None = None
    failure_code: str | None = None


@dataclass(frozen=True)
class DischargeInput:
    actor: Actor
    resident_id: uuid.UUID
    discharged_on: date


@dataclass(frozen=True)
class RefundRequest:
    actor: Actor
    refund_id: uuid.UUID
    payment_id: uuid.UUID
    amount_cents: int


@dataclass(frozen=True)
class RefundStep:
    actor: Actor
    refund_id: uuid.UUID
    # Why Stripe refused (for `fail_refund`).
    failure: str | None = None


@dataclass(frozen=True)
class RefundOutcome:
    refund_id: uuid.UUID
    payment_id: uuid.UUID
    status: RefundStatus
    amount_cents: int
    stripe_refund_id: str | None = None
    failure_code: str | None = None


@dataclass(frozen=True)
class DepositLookup:
    actor: Actor
    resident_id: uuid.UUID


@dataclass(frozen=True)
class DepositFound:
    deposit_id: uuid.UUID
    amount_cents: int
    # False once settled (a re-run then only finishes a pending card refund).
    held: bool


@dataclass(frozen=True)
class SettleDepositInput:
    actor: Actor
    deposit_id: uuid.UUID
    on: date
    deductions: list[Deduction] = field(default_factory=list)
    disposition: Disposition = Disposition.REFUND
    apply_to_open_invoices: bool = True
    forfeit_reason: str | None = None


class BillingActivities(TenantActivities):
    def _gateway(self) -> StripeGateway:
        if self.stripe is None:
            raise Rejected("card payments are not configured (no Stripe key)", field="method")
        return self.stripe

    @activity.defn(name="billing.issue_rent_batch")
    def issue_rent_batch(self, inp: RentBatchInput) -> RentBatch:
        with self.session(inp.actor) as s:
            return billing.issue_rent_batch(s, inp.as_of, inp.after, inp.limit)

    @activity.defn(name="billing.open_card_payment")
    def open_card_payment(self, inp: CardAttempt) -> PaymentOutcome:
        """The attempt's payment row first (our guard: localstripe ignores idempotency keys),
        then the PaymentIntent, then its id on the row. A retry finds the stored intent."""
        with self.session(inp.actor) as s:
            payment = s.get(Payment, inp.payment_id)
            if payment is None and inp.deposit_resident_id is not None:
                billing.open_card_deposit(s, inp.payment_id, inp.deposit_resident_id, inp.amount_cents)
            elif payment is None:
                assert inp.invoice_id is not None
                inv = billing.get_invoice(s, inp.invoice_id)
                if inv.status not in (InvoiceStatus.OPEN, InvoiceStatus.PARTIALLY_PAID):
                    raise Conflict(f"the invoice is {inv.status.value}", field="invoice_id")
                payment = Payment(
                    id=inp.payment_id,
                    org_id=inp.actor.org_id,
                    resident_id=inv.resident_id,
                    invoice_id=inv.id,
                    amount_cents=inp.amount_cents,
                    method=PaymentMethodType.CARD,
                    status=PaymentStatus.PENDING,
                    idempotency_key=billing.payment_key(inp.payment_id),
                )
                s.add(payment)
            elif payment.stripe_payment_intent_id:
                return PaymentOutcome(payment.id, payment.status, payment.stripe_payment_intent_id)
        intent = self._gateway().create_intent(
            inp.amount_cents,
            "usd",
            {"org_id": str(inp.actor.org_id), "payment_id": str(inp.payment_id)},
            idempotency_key=f"pi-create:{inp.payment_id}",
        )
        with self.session(inp.actor) as s:
            payment = s.get(Payment, inp.payment_id)
            assert payment is not None
            if payment.stripe_payment_intent_id is None:
                payment.stripe_payment_intent_id = intent.id
                payment.status = PaymentStatus.PROCESSING
            return PaymentOutcome(payment.id, payment.status, payment.stripe_payment_intent_id)

    @activity.defn(name="billing.confirm_card_payment")
    def confirm_card_payment(self, inp: ConfirmCard) -> str:
        gateway = self._gateway()
        current = gateway.get_intent(inp.intent_id)
        if current.status in ("succeeded", "processing", "canceled"):
            return current.status
        try:
            intent: Intent = gateway.confirm_intent(
                inp.intent_id, inp.payment_method, f"pi-confirm:{inp.payment_id}"
            )
        except stripe.CardError:
            # Declined: Stripe leaves the intent waiting for another method. This attempt is
            # over (retrying the same card would be declined again); the page offers a new one.
            return "requires_payment_method"
        return intent.status

    @activity.defn(name="billing.settle_card_payment")
    def settle_card_payment(self, inp: SettleCard) -> PaymentOutcome:
        """Record what Stripe says the intent became; success posts the payment journal."""
        with self.session(inp.actor) as s:
            payment = billing.get_payment(s, inp.payment_id)
            if payment.stripe_payment_intent_id != inp.intent_id:
                raise Conflict("the intent does not belong to this payment", field="intent_id")
            if inp.status == "succeeded" and inp.for_deposit:
                billing.hold_deposit(s, payment, self.clock().date())
            elif inp.status == "succeeded":
                billing.record_received_payment(
                    s,
                    payment.id,
                    NewPayment(payment.resident_id, payment.amount_cents, payment.method, payment.invoice_id),
                    recorded_by=None,
                )
            elif payment.status in (PaymentStatus.PENDING, PaymentStatus.PROCESSING):
                payment.status = PaymentStatus.FAILED
                payment.failure_code = inp.status
            return PaymentOutcome(payment.id, payment.status, inp.intent_id, payment.failure_code)

    @activity.defn(name="billing.settle_discharge")
    def settle_discharge(self, inp: DischargeInput) -> int:
        with self.session(inp.actor) as s:
            return billing.settle_discharge(s, inp.resident_id, inp.discharged_on)

    # --- refunds back through Stripe ---------------------------------------------------------

    @activity.defn(name="billing.open_refund")
    def open_refund(self, inp: RefundRequest) -> RefundOutcome:
        with self.session(inp.actor) as s:
            payment = billing.get_payment(s, inp.payment_id)
            if payment.stripe_payment_intent_id is None:
                raise Rejected("only a Stripe payment is refunded through Stripe", field="payment_id")
            r = billing.open_refund(
                s, inp.refund_id, inp.payment_id, inp.amount_cents, requested_by=inp.actor.user_id
            )
            return _refund_outcome(r)

    @activity.defn(name="billing.send_card_refund")
    def send_card_refund(self, inp: RefundStep) -> str:
        """Refund through Stripe once: a retry finds the refund already stored, or already made
        at Stripe (by the refund id in its metadata: localstripe ignores idempotency keys, and a
        lost answer must not refund twice), before it asks Stripe for a new one."""
        with self.session(inp.actor) as s:
            refund = s.get(Refund, inp.refund_id)
            if refund is None:
                raise Conflict("refund not found", field="refund_id")
            if refund.stripe_refund_id:
                return refund.stripe_refund_id
            intent = billing.get_payment(s, refund.payment_id).stripe_payment_intent_id
            amount = refund.amount_cents
        if intent is None:
            raise Rejected("only a Stripe payment is refunded through Stripe", field="payment_id")
        gateway = self._gateway()
        key = str(inp.refund_id)
        stripe_id = gateway.find_refund(intent, "refund_id", key) or gateway.refund(
            intent,
            amount,
            billing.refund_key(inp.refund_id),
            {"org_id": str(inp.actor.org_id), "refund_id": key},
        )
        with self.session(inp.actor) as s:
            refund = s.get(Refund, inp.refund_id)
            assert refund is not None
            if refund.stripe_refund_id is None:
                refund.stripe_refund_id = stripe_id
        return stripe_id

    @activity.defn(name="billing.complete_refund")
    def complete_refund(self, inp: RefundStep) -> RefundOutcome:
        with self.session(inp.actor) as s:
            refund = s.get(Refund, inp.refund_id)
            if refund is None:
                raise Conflict("refund not found", field="refund_id")
            if inp.failure is not None:
                return _refund_outcome(billing.fail_refund(s, inp.refund_id, inp.failure))
            return _refund_outcome(
                billing.complete_refund(
                    s, inp.refund_id, stripe_refund_id=refund.stripe_refund_id, on=self.clock().date()
                )
            )

    # --- deposits at discharge ----------------------------------------------------------------

    @activity.defn(name="billing.find_deposit")
    def find_deposit(self, inp: DepositLookup) -> DepositFound | None:
        with self.session(inp.actor) as s:
            d = billing.held_deposit(s, inp.resident_id)
            if d is None:
                return None
            return DepositFound(d.id, d.amount_cents, d.status is DepositStatus.HELD)

    @activity.defn(name="billing.settle_deposit")
    def settle_deposit(self, inp: SettleDepositInput) -> DepositOutcome:
        with self.session(inp.actor) as s:
            return billing.settle_deposit(
                s,
                inp.deposit_id,
                inp.deductions,
                inp.disposition,
                inp.on,
                apply_to_open_invoices=inp.apply_to_open_invoices,
                forfeit_reason=inp.forfeit_reason,
                decided_by=inp.actor.user_id,
            )

    @activity.defn(name="billing.deposit_outcome")
    def deposit_outcome(self, inp: DepositLookup) -> DepositOutcome:
        with self.session(inp.actor) as s:
            d = billing.held_deposit(s, inp.resident_id)
            if d is None:
                raise Conflict("no deposit for this resident", field="resident_id")
            return billing.deposit_outcome(s, d)


def _refund_outcome(r: Refund) -> RefundOutcome:
    return RefundOutcome(r.id, r.payment_id, r.status, r.amount_cents, r.stripe_refund_id, r.failure_code)
