"""Card-refund activities: a pending refund, the Stripe refund (made once however often the
step retries), then the reversing journal, or the refund marked failed."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from temporalio import activity

from activities.billing.payments import StripeActivities
from core.enums import RefundStatus
from core.errors import Conflict, Rejected
from core.process import Actor
from models.payment_extended import Refund
from services.billing import keys, payments, refunds


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


class RefundActivities(StripeActivities):
    @activity.defn(name="billing.open_refund")
    def open_refund(self, inp: RefundRequest) -> RefundOutcome:
        with self.session(inp.actor) as s:
            payment = payments.get_payment(s, inp.payment_id)
            if payment.stripe_payment_intent_id is None:
                raise Rejected("only a Stripe payment is refunded through Stripe", field="payment_id")
            r = refunds.open_refund(
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
            intent = payments.get_payment(s, refund.payment_id).stripe_payment_intent_id
            amount = refund.amount_cents
        if intent is None:
            raise Rejected("only a Stripe payment is refunded through Stripe", field="payment_id")
        gateway = self._gateway()
        key = str(inp.refund_id)
        stripe_id = gateway.find_refund(intent, "refund_id", key) or gateway.refund(
            intent,
            amount,
            keys.refund_key(inp.refund_id),
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
                return _refund_outcome(refunds.fail_refund(s, inp.refund_id, inp.failure))
            return _refund_outcome(
                refunds.complete_refund(
                    s, inp.refund_id, stripe_refund_id=refund.stripe_refund_id, on=self.clock().date()
                )
            )


def _refund_outcome(r: Refund) -> RefundOutcome:
    return RefundOutcome(r.id, r.payment_id, r.status, r.amount_cents, r.stripe_refund_id, r.failure_code)
