"""The discharge seam: `DischargeSettlementWorkflow` (`billing/<org>/discharge-<resident id>`).
The lifecycle family starts it (as a child workflow, or through the client) with a
`SettleDischarge(actor, resident_id, discharged_on)`; it credits the nights after discharge on
rent already invoiced (the proration rule), leaving any overpayment as refundable credit. Since
`billing-deposit-settlement` it then settles the resident's security deposit: it waits for
staff's decision (the `settle_deposit` update: itemised deductions, refund or forfeit) unless
the input carried one, posts each deduction, applies what is left to open invoices, and refunds
the rest to the deposit's own method (a card through Stripe) or forfeits it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from temporalio.exceptions import ActivityError, ApplicationError

    # Types of activity results must be importable inside the sandbox by their own module:
    # pydantic resolves their annotations there (a deposit's card refund answers a RefundOutcome).
    from activities.billing.refunds import RefundOutcome
    from activities.billing.settlement import (
        DepositFound,
        DepositLookup,
        DischargeInput,
        SettleDepositInput,
        SettlementActivities,
    )
    from core.contracts.billing import Deduction, DepositOutcome, Disposition, validate_deductions
    from core.enums import DepositStatus
    from core.errors import Rejected
    from core.process import DB_STEP, Actor
    from workflows.billing.refunds import refund_through_stripe

__all__ = ["DepositStatus", "RefundOutcome"]


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
            SettlementActivities.settle_discharge,
            DischargeInput(inp.actor, inp.resident_id, inp.discharged_on),
            **DB_STEP.options(),
        )
        if not workflow.patched(DEPOSIT_PATCH):
            return DischargeSettled(inp.resident_id, credited)
        self._deposit = await workflow.execute_activity_method(
            SettlementActivities.find_deposit, DepositLookup(inp.actor, inp.resident_id), **DB_STEP.options()
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
                    SettlementActivities.settle_deposit,
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
            refunded = await refund_through_stripe(decision.actor, outcome.refund_id)
            outcome = await workflow.execute_activity_method(
                SettlementActivities.deposit_outcome,
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
