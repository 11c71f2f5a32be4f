"""Card refunds: `CardRefundWorkflow` (`billing-refund/<org>/<refund id>`), a refund of a card
payment back through Stripe, posted as a reversing journal once Stripe has made it. The
discharge settlement sends a deposit's card refund the same way (`refund_through_stripe`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from temporalio.exceptions import ActivityError

    from activities.billing.refunds import RefundActivities, RefundOutcome, RefundRequest, RefundStep

    # Types of activity results must be importable inside the sandbox by their own module:
    # pydantic resolves their annotations there.
    from core.enums import RefundStatus
    from core.process import DB_STEP, EXTERNAL_CALL, Actor, Process

__all__ = ["RefundStatus"]

# One workflow per card refund: `billing-refund/<org>/<refund id>`.
REFUND = Process("billing-refund")


async def refund_through_stripe(actor: Actor, refund_id: uuid.UUID) -> RefundOutcome:
    """Send a pending refund through Stripe, then post it; a refusal marks it failed."""
    failure: str | None = None
    try:
        await workflow.execute_activity_method(
            RefundActivities.send_card_refund, RefundStep(actor, refund_id), **EXTERNAL_CALL.options()
        )
    except ActivityError as exc:
        failure = str(exc.cause or exc)[:100]
    return await workflow.execute_activity_method(
        RefundActivities.complete_refund, RefundStep(actor, refund_id, failure), **DB_STEP.options()
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
            RefundActivities.open_refund,
            RefundRequest(inp.actor, inp.refund_id, inp.payment_id, inp.amount_cents),
            **DB_STEP.options(),
        )
        self._outcome = await refund_through_stripe(inp.actor, inp.refund_id)
        # Let a waiting `wait_outcome` (the staff request) answer before the run closes.
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._outcome

    @workflow.update
    async def wait_outcome(self, _: Actor) -> RefundOutcome:
        await workflow.wait_condition(lambda: self._outcome is not None)
        assert self._outcome is not None
        return self._outcome
