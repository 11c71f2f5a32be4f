"""Intake: a lead is recorded, screened by staff, and approved, declined or lost.

The lead's details travel in the (encrypted) workflow input only long enough for the first
activity to write them to the database; the workflow keeps ids and status, never PHI.
"""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.intake import IntakeActivities, LeadStatusChange, RecordLead
    from core.contracts.intake import NewLead
    from core.enums import LeadStatus
    from core.errors import Conflict
    from core.process import DB_STEP, Actor, Process, Wait

INTAKE = Process("intake")
SCREENING_WINDOW = timedelta(days=30)


class Decision(StrEnum):
    APPROVE = "approve"
    DECLINE = "decline"


@dataclass(frozen=True)
class IntakeInput:
    actor: Actor
    lead_id: uuid.UUID
    # PHI, encrypted by the codec; None when the lead was recorded before the workflow started.
    lead: NewLead | None = None


@dataclass(frozen=True)
class ScreeningDecision:
    actor: Actor
    decision: Decision
    reason_code: str | None = None


@dataclass
class IntakeState:
    lead_id: uuid.UUID
    status: LeadStatus = LeadStatus.NEW
    decided_by: uuid.UUID | None = None
    history: list[LeadStatus] = field(default_factory=list)


@workflow.defn(name="Intake")
class IntakeWorkflow:
    def __init__(self) -> None:
        self._state: IntakeState | None = None
        self._recorded = False
        self._decision: ScreeningDecision | None = None

    @workflow.run
    async def run(self, inp: IntakeInput) -> IntakeState:
        self._state = state = IntakeState(lead_id=inp.lead_id)
        if inp.lead is not None:
            await workflow.execute_activity_method(
                IntakeActivities.record_lead,
                RecordLead(inp.actor, inp.lead_id, inp.lead),
                **DB_STEP.options(),
            )
        self._recorded = True
        state.history.append(LeadStatus.NEW)

        with contextlib.suppress(TimeoutError):
            await workflow.wait_condition(lambda: self._decision is not None, timeout=SCREENING_WINDOW)
        decision = self._decision
        if decision is None:
            status, actor = LeadStatus.LOST, inp.actor
        else:
            status = LeadStatus.APPROVED if decision.decision is Decision.APPROVE else LeadStatus.DECLINED
            actor = decision.actor
            state.decided_by = actor.user_id
        await workflow.execute_activity_method(
            IntakeActivities.set_lead_status,
            LeadStatusChange(actor, inp.lead_id, status, decision.reason_code if decision else None),
            **DB_STEP.options(),
        )
        state.status = status
        state.history.append(status)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return state

    @workflow.update
    async def wait_recorded(self, _: Wait) -> IntakeState:
        """Lets the API answer 201 only once the lead is in the database."""
        await workflow.wait_condition(lambda: self._recorded)
        assert self._state is not None
        return self._state

    @workflow.update
    async def decide(self, decision: ScreeningDecision) -> IntakeState:
        self._decision = decision
        await workflow.wait_condition(
            lambda: self._state is not None and self._state.status != LeadStatus.NEW
        )
        assert self._state is not None
        return self._state

    @decide.validator
    def _validate_decide(self, decision: ScreeningDecision) -> None:
        if self._decision is not None:
            raise Conflict("this lead has already been screened", field="decision")

    @workflow.query
    def state(self) -> IntakeState | None:
        return self._state
