"""Billing processes.

- `RentRunWorkflow` (`billing/<org>/rent-run…`): started by the org's Temporal Schedule every
  day; issues the rent invoice of the current period for every resident who has none yet, in
  batches of `batch_size` residents per activity (one transaction each), continuing as new
  every `batches_per_run` batches so its history stays bounded at any number of residents.
- `DischargeSettlementWorkflow` (`billing/<org>/discharge-<resident id>`): the discharge seam.
  The lifecycle family starts it (as a child workflow, or through the client) with a
  `SettleDischarge(actor, resident_id, discharged_on)`; it credits the nights after discharge
  on rent already invoiced (the proration rule), leaving any overpayment as refundable credit.
- `CardPaymentWorkflow` (`billing-payment/<org>/<payment id>`): one attempt to pay an invoice
  by card through a Stripe PaymentIntent; a Stripe webhook signals it when the intent settles
  asynchronously. With a PaymentMethod id it confirms the intent itself (the payment page's
  server-side form, localstripe in tests); without one (`payment_method=""`) the resident's
  browser confirms it with Stripe.js and the webhook, or the page's return, signals the result.

Workflows carry ids, dates and cents only.
"""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.billing import (
        BillingActivities,
        CardAttempt,
        ConfirmCard,
        DischargeInput,
        PaymentOutcome,
        RentBatchInput,
        SettleCard,
    )

    # Types of activity results must be importable inside the sandbox by their own module:
    # pydantic resolves their annotations there.
    from models.enums import PaymentStatus
    from services.billing import RentBatch
    from workflows.common import DB_STEP, EXTERNAL_CALL, Actor, Process

__all__ = ["PaymentStatus", "RentBatch"]

BILLING = Process("billing")
# One workflow per card-payment attempt: `billing-payment/<org>/<payment id>`.
PAYMENT = Process("billing-payment")
RENT_RUN_KEY = "rent-run"
# How long a card attempt waits for Stripe to settle an intent (e.g. 3-D Secure, ACH).
SETTLE_WINDOW = timedelta(days=3)


@dataclass(frozen=True)
class RentRunInput:
    actor: Actor
    # None: the day the run starts (the Schedule's case); fixed on the first continue-as-new.
    as_of: date | None = None
    batch_size: int = 500
    batches_per_run: int = 40
    # Carried across continue-as-new.
    after: uuid.UUID | None = None
    issued: int = 0
    scanned: int = 0
    total_cents: int = 0
    runs: int = 1


@dataclass(frozen=True)
class RentRunResult:
    as_of: date
    issued: int
    scanned: int
    total_cents: int
    runs: int


@workflow.defn(name="BillingRentRun")
class RentRunWorkflow:
    def __init__(self) -> None:
        self._progress: RentRunResult | None = None

    @workflow.run
    async def run(self, inp: RentRunInput) -> RentRunResult:
        as_of = inp.as_of or workflow.now().date()
        after, issued, scanned, total = inp.after, inp.issued, inp.scanned, inp.total_cents
        self._progress = RentRunResult(as_of, issued, scanned, total, inp.runs)
        for _ in range(inp.batches_per_run):
            batch = await workflow.execute_activity_method(
                BillingActivities.issue_rent_batch,
                RentBatchInput(inp.actor, as_of, after, inp.batch_size),
                **DB_STEP.options(),
            )
            issued, scanned, total = issued + batch.issued, scanned + batch.scanned, total + batch.total_cents
            after = batch.next_after
            self._progress = RentRunResult(as_of, issued, scanned, total, inp.runs)
            if after is None:
                return self._progress
        workflow.continue_as_new(
            RentRunInput(
                inp.actor,
                as_of,
                inp.batch_size,
                inp.batches_per_run,
                after,
                issued,
                scanned,
                total,
                inp.runs + 1,
            )
        )

    @workflow.query
    def progress(self) -> RentRunResult | None:
        return self._progress


# The intent statuses after which nothing more happens to it by itself.
SETTLED_STATUSES = ("succeeded", "canceled", "requires_payment_method")


@dataclass(frozen=True)
class CardPaymentInput:
    actor: Actor
    payment_id: uuid.UUID
    invoice_id: uuid.UUID
    amount_cents: int
    # A Stripe PaymentMethod id the workflow confirms the intent with; "" when the resident's
    # browser confirms it (Stripe.js) and the workflow only waits to hear how it settled.
    payment_method: str


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

    @workflow.run
    async def run(self, inp: CardPaymentInput) -> PaymentOutcome:
        opened = await workflow.execute_activity_method(
            BillingActivities.open_card_payment,
            CardAttempt(inp.actor, inp.payment_id, inp.invoice_id, inp.amount_cents),
            **DB_STEP.options(),
        )
        assert opened.intent_id is not None
        self._opened = opened
        if inp.payment_method:
            status = await workflow.execute_activity_method(
                BillingActivities.confirm_card_payment,
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
            BillingActivities.settle_card_payment,
            SettleCard(inp.actor, inp.payment_id, opened.intent_id, status),
            **DB_STEP.options(),
        )
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
        await workflow.wait_condition(lambda: self._opened is not None)
        assert self._opened is not None
        return self._opened

    @workflow.update
    async def wait_outcome(self, _: Actor) -> PaymentOutcome:
        await workflow.wait_condition(lambda: self._outcome is not None)
        assert self._outcome is not None
        return self._outcome

    @workflow.query
    def outcome(self) -> PaymentOutcome | None:
        return self._outcome


@dataclass(frozen=True)
class SettleDischarge:
    """The discharge seam's input: ids and a date only."""

    actor: Actor
    resident_id: uuid.UUID
    discharged_on: date


@dataclass(frozen=True)
class DischargeSettled:
    resident_id: uuid.UUID
    credited_cents: int


def discharge_key(resident_id: uuid.UUID) -> str:
    return f"discharge-{resident_id}"


@workflow.defn(name="BillingDischargeSettlement")
class DischargeSettlementWorkflow:
    @workflow.run
    async def run(self, inp: SettleDischarge) -> DischargeSettled:
        credited = await workflow.execute_activity_method(
            BillingActivities.settle_discharge,
            DischargeInput(inp.actor, inp.resident_id, inp.discharged_on),
            **DB_STEP.options(),
        )
        return DischargeSettled(inp.resident_id, credited)
