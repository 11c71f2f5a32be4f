"""Card-payment activities: the attempt's payment row and PaymentIntent, its confirmation
through the injected Stripe gateway, and what Stripe says it became. Database writes are
idempotent by the payment id; Stripe calls never run inside an open tenant transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import stripe
from temporalio import activity

from activities.base import TenantActivities
from core.enums import InvoiceStatus, PaymentMethodType, PaymentStatus
from core.errors import Conflict, Rejected
from core.process import Actor
from core.stripe_gateway import Intent, StripeGateway
from models.payments import Payment
from services.billing import deposits, invoices, keys, payments
from services.billing.payments import NewPayment


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


class StripeActivities(TenantActivities):
    """Activities that call Stripe: card payments and card refunds."""

    def _gateway(self) -> StripeGateway:
        if self.stripe is None:
            raise Rejected("card payments are not configured (no Stripe key)", field="method")
        return self.stripe


class CardPaymentActivities(StripeActivities):
    @activity.defn(name="billing.open_card_payment")
    def open_card_payment(self, inp: CardAttempt) -> PaymentOutcome:
        """The attempt's payment row first (our guard: localstripe ignores idempotency keys),
        then the PaymentIntent, then its id on the row. A retry finds the stored intent."""
        with self.session(inp.actor) as s:
            payment = s.get(Payment, inp.payment_id)
            if payment is None and inp.deposit_resident_id is not None:
                deposits.open_card_deposit(s, inp.payment_id, inp.deposit_resident_id, inp.amount_cents)
            elif payment is None:
                assert inp.invoice_id is not None
                inv = invoices.get_invoice(s, inp.invoice_id)
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
                    idempotency_key=keys.payment_key(inp.payment_id),
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
            payment = payments.get_payment(s, inp.payment_id)
            if payment.stripe_payment_intent_id != inp.intent_id:
                raise Conflict("the intent does not belong to this payment", field="intent_id")
            if inp.status == "succeeded" and inp.for_deposit:
                deposits.hold_deposit(s, payment, self.clock().date())
            elif inp.status == "succeeded":
                payments.record_received_payment(
                    s,
                    payment.id,
                    NewPayment(payment.resident_id, payment.amount_cents, payment.method, payment.invoice_id),
                    recorded_by=None,
                )
            else:
                payments.fail_payment(s, payment, inp.status)
            return PaymentOutcome(payment.id, payment.status, inp.intent_id, payment.failure_code)
