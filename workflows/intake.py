"""Intake: a lead is recorded, screened by staff, and approved, declined or lost.

The lead's details travel in the (encrypted) workflow input only long enough for the first
activity to write them to the database; the workflow keeps ids and status, never PHI.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.leads import LeadStatusChange, NewLead, RecordLead, record_lead, set_lead_status

SCREENING_WINDOW = timedelta(days=30)


@dataclass
class IntakeInput:
    org_id: str
    lead_id: str
    actor_user_id: str | None
    request_id: str | None
    lead: NewLead | None = None


@dataclass
class ScreeningDecision:
    decision: str  # "approve" | "decline"
    decided_by: str
    reason_code: str | None = None


@dataclass
class IntakeState:
    lead_id: str
    status: str = "new"
    decided_by: str | None = None
    history: list[str] = field(default_factory=list)


TIMEOUT = timedelta(seconds=30)
RETRY = RetryPolicy(maximum_attempts=10, non_retryable_error_types=["ValueError"])


@workflow.defn(name="Intake")
class IntakeWorkflow:
    def __init__(self) -> None:
        self._state: IntakeState | None = None
        self._recorded = False
        self._decision: ScreeningDecision | None = None

    @workflow.run
    async def run(self, inp: IntakeInput) -> IntakeState:
        self._state = IntakeState(lead_id=inp.lead_id)
        if inp.lead is not None:
            await workflow.execute_activity(
                record_lead,
                RecordLead(inp.org_id, inp.lead_id, inp.lead, inp.actor_user_id, inp.request_id),
                start_to_close_timeout=TIMEOUT,
                retry_policy=RETRY,
            )
        self._recorded = True
        self._state.history.append("recorded")

        got = await _wait(lambda: self._decision is not None, SCREENING_WINDOW)
        if got and self._decision is not None:
            status = "approved" if self._decision.decision == "approve" else "declined"
            self._state.decided_by = self._decision.decided_by
        else:
            status = "lost"
        await workflow.execute_activity(
            set_lead_status,
            LeadStatusChange(inp.org_id, inp.lead_id, status, self._state.decided_by),
            start_to_close_timeout=TIMEOUT,
            retry_policy=RETRY,
        )
        self._state.status = status
        self._state.history.append(status)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._state

    @workflow.update
    async def wait_recorded(self) -> IntakeState:
        """Lets the API answer 201 only once the lead is in the database."""
        await workflow.wait_condition(lambda: self._recorded)
        assert self._state is not None
        return self._state

    @workflow.update
    async def decide(self, decision: ScreeningDecision) -> IntakeState:
        self._decision = decision
        await workflow.wait_condition(lambda: self._state is not None and self._state.status != "new")
        assert self._state is not None
        return self._state

    @decide.validator
    def _validate_decide(self, decision: ScreeningDecision) -> None:
        if decision.decision not in ("approve", "decline"):
            raise ApplicationError("decision must be 'approve' or 'decline'", type="ValueError")
        if self._decision is not None:
            raise ApplicationError("this lead has already been screened", type="AlreadyDecided")
        if not self._recorded:
            raise ApplicationError("the lead is still being recorded", type="NotReady")

    @workflow.query
    def state(self) -> IntakeState | None:
        return self._state


async def _wait(cond: object, timeout: timedelta) -> bool:
    try:
        await workflow.wait_condition(cond, timeout=timeout)  # type: ignore[arg-type]
        return True
    except TimeoutError:
        return False


def workflow_id(lead_id: str) -> str:
    return f"intake-lead-{lead_id}"
