"""Drug testing's processes.

`OperationsDrugTestDraw` (`operations/<org>/drug-test-draw`, a Daily schedule at 06:00 in the
org's zone): every house's random draw for the day, made and recorded by one activity that
reads the draw key itself (the key never enters this history); each house manager with
residents drawn is told to sign in.

`OperationsDrugTestResult` (`operations/<org>/<test id>`): a result recorded and
assessed against the resident's recorded prescriptions; a refused test or a positive nothing
prescribed explains opens a recurrence-of-use incident with the house's response plan (its
clock in an `OperationsIncident`) and tells the house manager. A positive for a prescribed
medication (MOUD included) is recorded and opens nothing."""

import contextlib
import uuid
from dataclasses import dataclass, field

from temporalio import workflow
from temporalio.exceptions import WorkflowAlreadyStartedError

with workflow.unsafe.imports_passed_through():
    from activities.operations.drug_tests import (
        DrawDay,
        Drawn,
        DrugTestActivities,
        RecordResult,
        TestRef,
    )
    from core.contracts.safety import Assessed, Result
    from core.process import DB_STEP, Actor, Daily, Wait
    from workflows.operations import OPERATIONS
    from workflows.operations.incidents import (
        IncidentInput,
        IncidentWorkflow,
        incident_workflow_id,
        tell_manager,
    )


def result_workflow_id(org_id: uuid.UUID, test_id: uuid.UUID) -> str:
    return OPERATIONS.id(org_id, test_id)


@dataclass(frozen=True)
class DrawInput:
    actor: Actor


@dataclass
class DrawResult:
    draws: list[Drawn] = field(default_factory=list)


@workflow.defn(name="OperationsDrugTestDraw")
class DrugTestDrawWorkflow:
    @workflow.run
    async def run(self, inp: DrawInput) -> DrawResult:
        draws = await workflow.execute_activity_method(
            DrugTestActivities.draw_day, DrawDay(inp.actor, workflow.now()), **DB_STEP.options()
        )
        for d in draws:
            if d.count:
                await tell_manager(inp.actor, d.manager_id, d.house_id, f"draw-{d.draw_id}")
        return DrawResult(draws)


@dataclass(frozen=True)
class ResultInput:
    actor: Actor
    test_id: uuid.UUID
    # Stored by the first activity (encrypted there); not kept in workflow state.
    result: Result


@dataclass
class ResultOutcome:
    assessed: Assessed
    incident_id: uuid.UUID | None = None


@workflow.defn(name="OperationsDrugTestResult")
class DrugTestResultWorkflow:
    def __init__(self) -> None:
        self._out: ResultOutcome | None = None

    @workflow.run
    async def run(self, inp: ResultInput) -> ResultOutcome:
        self._out = await self._run(inp)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._out

    @workflow.update
    async def outcome(self, _: Wait) -> ResultOutcome:
        """The API's answer: the assessment, and the incident when one was opened."""
        await workflow.wait_condition(lambda: self._out is not None)
        assert self._out is not None
        return self._out

    async def _run(self, inp: ResultInput) -> ResultOutcome:
        assessed = await workflow.execute_activity_method(
            DrugTestActivities.record_result,
            RecordResult(inp.actor, inp.test_id, inp.result),
            **DB_STEP.options(),
        )
        out = ResultOutcome(assessed)
        if not assessed.recurrence:
            return out
        rec = await workflow.execute_activity_method(
            DrugTestActivities.open_recurrence, TestRef(inp.actor, inp.test_id), **DB_STEP.options()
        )
        out.incident_id = rec.incident_id
        org = inp.actor.org_id
        with contextlib.suppress(WorkflowAlreadyStartedError):
            await workflow.start_child_workflow(
                IncidentWorkflow.run,
                IncidentInput(Actor.system(org), rec.incident_id),
                id=incident_workflow_id(org, rec.incident_id),
                parent_close_policy=workflow.ParentClosePolicy.ABANDON,
            )
        await tell_manager(inp.actor, rec.manager_id, assessed.house_id, f"recurrence-{rec.incident_id}")
        return out


DRAW_SCHEDULE = Daily(
    OPERATIONS, "drug-test-draw", DrugTestDrawWorkflow.run, lambda actor: DrawInput(actor), hour=6, minute=0
)
