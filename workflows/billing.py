"""Billing processes.

- `RentRunWorkflow` (`billing/<org>/rent-run…`): started by the org's Temporal Schedule every
  day; issues the rent invoice of the current period for every resident who has none yet, in
  batches of `batch_size` residents per activity (one transaction each), continuing as new
  every `batches_per_run` batches so its history stays bounded at any number of residents.
- `DischargeSettlementWorkflow` (`billing/<org>/discharge-<resident id>`): the discharge seam.
  The lifecycle family starts it (as a child workflow, or through the client) with a
  `SettleDischarge(actor, resident_id, discharged_on)`; it credits the nights after discharge
  on rent already invoiced (the proration rule), leaving any overpayment as refundable credit.
  Since `billing-deposit-settlement` it then settles the resident's security deposit: it waits
  for staff's decision (the `settle_deposit` update: itemised deductions, refund or forfeit)
  unless the input carried one, posts each deduction, applies what is left to open invoices,
  and refunds the rest to the deposit's own method (a card through Stripe) or forfeits it.
- `CardPaymentWorkflow` (`billing-payment/<org>/<payment id>`): one attempt to pay an invoice
  (or a security deposit) by card through a Stripe PaymentIntent; a Stripe webhook signals it
  when the intent settles asynchronously. With a PaymentMethod id it confirms the intent itself
  (the payment page's server-side form, localstripe in tests); without one (`payment_method=""`)
  the resident's browser confirms it with Stripe.js and the webhook, or the page's return,
  signals the result.
- `CardRefundWorkflow` (`billing-refund/<org>/<refund id>`): a refund of a card payment back
  through Stripe, posted as a reversing journal once Stripe has made it.

Workflows carry ids, dates and cents only.
"""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from temporalio.exceptions import ActivityError, ApplicationError

    from activities.billing import (
        BillingActivities,
        CardAttempt,
        ConfirmCard,
        DepositFound,
        DepositLookup,
        DischargeInput,
        PaymentOutcome,
        RefundOutcome,
        RefundRequest,
        RefundStep,
        RentBatchInput,
        SettleCard,
        SettleDepositInput,
    )

    # Types of activity results must be importable inside the sandbox by their own module:
    # pydantic resolves their annotations there.
    from core.enums import DepositStatus, PaymentStatus, RefundStatus
    from core.errors import Rejected
    from core.process import DB_STEP, EXTERNAL_CALL, Actor, Process
    from services.billing import Deduction, DepositOutcome, Disposition, RentBatch, validate_deductions
    from workflows.dunning import nudge_dunning

__all__ = [
    "Deduction",
    "DepositOutcome",
    "DepositStatus",
    "Disposition",
    "PaymentStatus",
    "RefundStatus",
    "RentBatch",
]

BILLING = Process("billing")
# One workflow per card-payment attempt: `billing-payment/<org>/<payment id>`.
PAYMENT = Process("billing-payment")
# One workflow per card refund: `billing-refund/<org>/<refund id>`.
REFUND = Process("billing-refund")
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

    @workflow.run
    async def run(self, inp: CardPaymentInput) -> PaymentOutcome:
        opened = await workflow.execute_activity_method(
            BillingActivities.open_card_payment,
            CardAttempt(inp.actor, inp.payment_id, inp.invoice_id, inp.amount_cents, inp.deposit_resident_id),
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
class DepositDecision:
    """Staff's settlement of a security deposit at discharge (the move-out inspection):
    itemised deductions, whether open invoices are paid from the deposit, and what happens to
    the rest. Reasons are free text: they travel encrypted and are stored encrypted."""

    actor: Actor
    deductions: list[Deduction] = field(default_factory=list)
    disposition: Disposition = Disposition.REFUND
    apply_to_open_invoices: bool = True
    forfeit_reason: str | None = None


@dataclass(frozen=True)
class SettleDischarge:
    """The discharge seam's input: ids and a date (and, optionally, the deposit decision when
    the caller already has it; otherwise staff send it with the `settle_deposit` update)."""

    actor: Actor
    resident_id: uuid.UUID
    discharged_on: date
    deposit: DepositDecision | None = None


@dataclass(frozen=True)
class DischargeSettled:
    resident_id: uuid.UUID
    credited_cents: int
    # None when the resident left no deposit.
    deposit: DepositOutcome | None = None


def discharge_key(resident_id: uuid.UUID) -> str:
    return f"discharge-{resident_id}"


DEPOSIT_PATCH = "billing-deposit-settlement"


@workflow.defn(name="BillingDischargeSettlement")
class DischargeSettlementWorkflow:
    def __init__(self) -> None:
        self._decision: DepositDecision | None = None
        self._deposit: DepositFound | None = None
        self._outcome: DepositOutcome | None = None
        self._looked_up = False
        self._settled = False
        # A decision the settling activity refused (e.g. the deposit changed meanwhile): the
        # update that sent it fails with this, and the workflow waits for another.
        self._refused: tuple[DepositDecision, str, str | None] | None = None

    @workflow.run
    async def run(self, inp: SettleDischarge) -> DischargeSettled:
        if self._decision is None:
            self._decision = inp.deposit
        credited = await workflow.execute_activity_method(
            BillingActivities.settle_discharge,
            DischargeInput(inp.actor, inp.resident_id, inp.discharged_on),
            **DB_STEP.options(),
        )
        if not workflow.patched(DEPOSIT_PATCH):
            return DischargeSettled(inp.resident_id, credited)
        self._deposit = await workflow.execute_activity_method(
            BillingActivities.find_deposit, DepositLookup(inp.actor, inp.resident_id), **DB_STEP.options()
        )
        self._looked_up = True
        if self._deposit is None:
            self._settled = True
            await workflow.wait_condition(workflow.all_handlers_finished)
            return DischargeSettled(inp.resident_id, credited)
        while True:
            if self._deposit.held:
                # The move-out inspection comes after the discharge: wait for staff's decision.
                await workflow.wait_condition(lambda: self._decision is not None)
            decision = self._decision or DepositDecision(inp.actor)
            try:
                outcome = await workflow.execute_activity_method(
                    BillingActivities.settle_deposit,
                    SettleDepositInput(
                        decision.actor,
                        self._deposit.deposit_id,
                        inp.discharged_on,
                        decision.deductions,
                        decision.disposition,
                        decision.apply_to_open_invoices,
                        decision.forfeit_reason,
                    ),
                    **DB_STEP.options(),
                )
                break
            except ActivityError as exc:
                cause = exc.cause
                if not (self._deposit.held and isinstance(cause, ApplicationError) and cause.non_retryable):
                    raise
                field_ = (
                    cause.details[0].get("field")
                    if cause.details and isinstance(cause.details[0], dict)
                    else None
                )
                self._refused = (decision, cause.message, field_)
                self._decision = None
        if outcome.refund_pending and outcome.refund_id is not None:
            refunded = await _refund_through_stripe(decision.actor, outcome.refund_id)
            outcome = await workflow.execute_activity_method(
                BillingActivities.deposit_outcome,
                DepositLookup(inp.actor, inp.resident_id),
                **DB_STEP.options(),
            )
            workflow.logger.info("deposit refund %s", refunded.status)
        self._outcome = outcome
        self._settled = True
        await workflow.wait_condition(workflow.all_handlers_finished)
        return DischargeSettled(inp.resident_id, credited, outcome)

    @workflow.update
    async def settle_deposit(self, decision: DepositDecision) -> DepositOutcome | None:
        """Staff's deposit decision; answers with the settled deposit (None: no deposit).
        Deductions above the deposit are refused (only this update fails, naming the field)."""
        await workflow.wait_condition(lambda: self._looked_up)
        if self._deposit is not None:
            self._check_amount(decision)
        if self._decision is None:
            self._decision = decision
        elif self._decision != decision:
            raise Rejected("this deposit has already been settled", field="deductions")
        await workflow.wait_condition(
            lambda: self._settled or (self._refused is not None and self._refused[0] == decision)
        )
        if not self._settled and self._refused is not None:
            _, message, field_ = self._refused
            self._refused = None
            raise Rejected(message, field=field_)
        return self._outcome

    @settle_deposit.validator
    def _validate_settle_deposit(self, decision: DepositDecision) -> None:
        if self._settled or (self._decision is not None and self._decision != decision):
            raise Rejected("this deposit has already been settled", field="deductions")
        validate_deductions(decision.deductions)
        if self._deposit is not None:
            self._check_amount(decision)
        if decision.disposition is Disposition.FORFEIT and not decision.forfeit_reason:
            raise Rejected("a forfeited deposit needs a reason", field="forfeit_reason")

    def _check_amount(self, decision: DepositDecision) -> None:
        assert self._deposit is not None
        claimed = sum(d.amount_cents for d in decision.deductions)
        held = self._deposit.amount_cents
        if claimed > held:
            raise Rejected(
                f"deductions total {claimed} cents, more than the {held} deposit", field="deductions"
            )

    @workflow.query
    def deposit(self) -> DepositOutcome | None:
        return self._outcome

    @workflow.query
    def awaiting_decision(self) -> bool:
        """True while a held deposit waits for staff's settlement."""
        return self._deposit is not None and self._deposit.held and self._decision is None


async def _refund_through_stripe(actor: Actor, refund_id: uuid.UUID) -> RefundOutcome:
    """Send a pending refund through Stripe, then post it; a refusal marks it failed."""
    failure: str | None = None
    try:
        await workflow.execute_activity_method(
            BillingActivities.send_card_refund, RefundStep(actor, refund_id), **EXTERNAL_CALL.options()
        )
    except ActivityError as exc:
        failure = str(exc.cause or exc)[:100]
    return await workflow.execute_activity_method(
        BillingActivities.complete_refund, RefundStep(actor, refund_id, failure), **DB_STEP.options()
    )


@dataclass(frozen=True)
class CardRefundInput:
    actor: Actor
    refund_id: uuid.UUID
    payment_id: uuid.UUID
    amount_cents: int


@workflow.defn(name="BillingCardRefund")
class CardRefundWorkflow:
    """A refund of a card payment: a pending refund row (what is left to refund counts it), the
    Stripe refund (once, whatever the retries), then the reversing journal."""

    def __init__(self) -> None:
        self._outcome: RefundOutcome | None = None

    @workflow.run
    async def run(self, inp: CardRefundInput) -> RefundOutcome:
        await workflow.execute_activity_method(
            BillingActivities.open_refund,
            RefundRequest(inp.actor, inp.refund_id, inp.payment_id, inp.amount_cents),
            **DB_STEP.options(),
        )
        self._outcome = await _refund_through_stripe(inp.actor, inp.refund_id)
        # Let a waiting `wait_outcome` (the staff request) answer before the run closes.
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._outcome

    @workflow.update
    async def wait_outcome(self, _: Actor) -> RefundOutcome:
        await workflow.wait_condition(lambda: self._outcome is not None)
        assert self._outcome is not None
        return self._outcome
