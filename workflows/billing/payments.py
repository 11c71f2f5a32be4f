"""Card payments: `CardPaymentWorkflow` (`billing-payment/<org>/<payment id>`), one attempt to
pay an invoice (or a security deposit) by card through a Stripe PaymentIntent; a Stripe webhook
signals it when the intent settles asynchronously. With a PaymentMethod id it confirms the
intent itself (the payment page's server-side form, localstripe in tests); without one
(`payment_method=""`) the resident's browser confirms it with Stripe.js and the webhook, or the
page's return, signals the result. A payment that settles an overdue invoice tells its dunning
workflow.
"""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.billing.payments import (
        CardAttempt,
        CardPaymentActivities,
        ConfirmCard,
        PaymentOutcome,
        SettleCard,
    )

    # Types of activity results must be importable inside the sandbox by their own module:
    # pydantic resolves their annotations there.
    from core.enums import PaymentStatus
    from core.process import DB_STEP, EXTERNAL_CALL, Actor, Process, answer_for_waiters
    from workflows.billing.dunning import nudge_dunning

# One workflow per card-payment attempt: `billing-payment/<org>/<payment id>`.
PAYMENT = Process("billing-payment")
# How long a card attempt waits for Stripe to settle an intent (e.g. 3-D Secure, ACH).
SETTLE_WINDOW = timedelta(days=3)
# The intent statuses after which nothing more happens to it by itself.
SETTLED_STATUSES = ("succeeded", "canceled", "requires_payment_method")


@dataclass(frozen=True)
class CardPaymentInput:
    actor: Actor
    payment_id: uuid.UUID
    # None for a security deposit paid by card (then `deposit_resident_id` names the resident).
    invoice_id: uuid.UUID | None
    amount_cents: int
    # A Stripe PaymentMethod id the workflow confirms the intent with; "" when the resident's
    # browser confirms it (Stripe.js) and the workflow only waits to hear how it settled.
    payment_method: str
    deposit_resident_id: uuid.UUID | None = None


@dataclass(frozen=True)
class IntentSettled:
    """Sent by the Stripe webhook endpoint once per processed event."""

    actor: Actor
    intent_id: str
    status: str


@workflow.defn(name="BillingCardPayment")
class CardPaymentWorkflow:
    def __init__(self) -> None:
        self._outcome: PaymentOutcome | None = None
        self._opened: PaymentOutcome | None = None
        self._settled: IntentSettled | None = None
        # Why the attempt could not open (the invoice was paid meanwhile): what a waiting
        # update answers instead of an outcome.
        self._failure: ApplicationError | None = None

    @workflow.run
    async def run(self, inp: CardPaymentInput) -> PaymentOutcome:
        try:
            opened = await workflow.execute_activity_method(
                CardPaymentActivities.open_card_payment,
                CardAttempt(
                    inp.actor, inp.payment_id, inp.invoice_id, inp.amount_cents, inp.deposit_resident_id
                ),
                **DB_STEP.options(),
            )
        except ActivityError as err:
            self._failure = answer_for_waiters(err)
            await workflow.wait_condition(workflow.all_handlers_finished)
            raise
        assert opened.intent_id is not None
        self._opened = opened
        if inp.payment_method:
            status = await workflow.execute_activity_method(
                CardPaymentActivities.confirm_card_payment,
                ConfirmCard(inp.actor, inp.payment_id, opened.intent_id, inp.payment_method),
                **EXTERNAL_CALL.options(),
            )
        else:
            status = "requires_confirmation"  # by the browser, with the intent's client secret
        if status not in SETTLED_STATUSES:
            # Settles later: the webhook tells us, or the window closes and the attempt fails.
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(lambda: self._settled is not None, timeout=SETTLE_WINDOW)
            status = self._settled.status if self._settled is not None else "expired"
        self._outcome = await workflow.execute_activity_method(
            CardPaymentActivities.settle_card_payment,
            SettleCard(
                inp.actor, inp.payment_id, opened.intent_id, status, inp.deposit_resident_id is not None
            ),
            **DB_STEP.options(),
        )
        if (
            self._outcome.status is PaymentStatus.SUCCEEDED
            and inp.invoice_id is not None
            and workflow.patched("billing-dunning-nudge")
        ):
            # An overdue invoice's dunning stops at once when this paid it.
            await nudge_dunning(inp.actor.org_id, inp.invoice_id)
        # Let a waiting `wait_outcome` (the payment page) answer before the run closes.
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._outcome

    @workflow.signal
    def intent_settled(self, event: IntentSettled) -> None:
        if self._settled is None:
            self._settled = event

    @workflow.update
    async def intent_opened(self, _: Actor) -> PaymentOutcome:
        """The attempt's PaymentIntent, once created (the page then fetches its client secret
        from Stripe: the secret itself never enters the workflow's history)."""
        await workflow.wait_condition(lambda: self._opened is not None or self._failure is not None)
        if self._failure is not None:
            raise self._failure
        assert self._opened is not None
        return self._opened

    @workflow.update
    async def wait_outcome(self, _: Actor) -> PaymentOutcome:
        await workflow.wait_condition(lambda: self._outcome is not None or self._failure is not None)
        if self._failure is not None:
            raise self._failure
        assert self._outcome is not None
        return self._outcome

    @workflow.query
    def outcome(self) -> PaymentOutcome | None:
        return self._outcome
