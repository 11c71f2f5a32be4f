"""`OperationsPass` (`operations/<org>/<pass id>`: the API starts it): a pass from request to return. Staff
approve (with conditions) or deny; the resident departs; the workflow expects them back by the
return time and its grace (setting `pass_grace_minutes`), and when they are not: the pass is
violated, an incident opened, the house manager told, and an `OperationsAbsence` child follows
(emergency contact, the journey's left-without-notice path). A late return closes the absence."""

import contextlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.exceptions import WorkflowAlreadyStartedError

with workflow.unsafe.imports_passed_through():
    from activities.operations.passes import (
        PassActivities,
        PassRequest,
        PassStep,
        RecordDecision,
        RecordRequest,
    )
    from core.enums import PassStatus
    from core.errors import Rejected
    from core.process import DB_STEP, Actor, Wait
    from workflows.operations import OPERATIONS
    from workflows.operations.incidents import (
        AbsenceInput,
        AbsenceWorkflow,
        IncidentInput,
        IncidentWorkflow,
        absence_workflow_id,
        incident_workflow_id,
        tell_manager,
    )


def pass_workflow_id(org_id: uuid.UUID, pass_id: uuid.UUID) -> str:
    return OPERATIONS.id(org_id, pass_id)


@dataclass(frozen=True)
class PassInput:
    actor: Actor
    pass_id: uuid.UUID
    request: PassRequest
    grace_minutes: int = 15
    watch_hours: int = 96


@dataclass(frozen=True)
class Decision:
    actor: Actor
    approve: bool
    # Conditions of an approval, or the reason for a denial (encrypted once stored).
    note: str | None = None
    test_on_return: bool = False


@dataclass
class PassState:
    pass_id: uuid.UUID
    status: PassStatus = PassStatus.REQUESTED
    returns_at: datetime | None = None
    escalated: bool = False
    incident_id: uuid.UUID | None = None
    returned_late: bool = False


@workflow.defn(name="OperationsPass")
class PassWorkflow:
    def __init__(self) -> None:
        self._st: PassState | None = None
        self._decision: Decision | None = None
        self._departed: Actor | None = None
        self._back: Actor | None = None
        self._recorded = False
        self._checked_back = False

    @workflow.run
    async def run(self, inp: PassInput) -> PassState:
        st = self._st = PassState(inp.pass_id)
        rec = await workflow.execute_activity_method(
            PassActivities.record_request,
            RecordRequest(inp.actor, inp.pass_id, inp.request, workflow.now()),
            **DB_STEP.options(),
        )
        st.status, st.returns_at, self._recorded = rec.status, rec.returns_at, True
        await workflow.wait_condition(lambda: st.status is not PassStatus.REQUESTED)
        if st.status is PassStatus.APPROVED:
            # Not gone by the return time: the pass simply went unused.
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(
                    lambda: self._departed is not None, timeout=self._until(rec.returns_at)
                )
        if st.status is PassStatus.ACTIVE:
            await self._expect_back(inp, rec.returns_at + timedelta(minutes=inp.grace_minutes), rec.house_id)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return st

    async def _expect_back(self, inp: PassInput, deadline: datetime, house_id: uuid.UUID) -> None:
        st = self._state()
        with contextlib.suppress(TimeoutError):
            await workflow.wait_condition(lambda: self._back is not None, timeout=self._until(deadline))
        if self._back is None:
            over = await workflow.execute_activity_method(
                PassActivities.overdue, PassStep(inp.actor, inp.pass_id, workflow.now()), **DB_STEP.options()
            )
            st.status, st.escalated, st.incident_id = PassStatus.VIOLATED, True, over.incident_id
            await tell_manager(inp.actor, over.manager_id, house_id, f"pass-{inp.pass_id}-overdue")
            org = inp.actor.org_id
            with contextlib.suppress(WorkflowAlreadyStartedError):
                await workflow.start_child_workflow(
                    IncidentWorkflow.run,
                    IncidentInput(Actor.system(org), over.incident_id),
                    id=incident_workflow_id(org, over.incident_id),
                    parent_close_policy=workflow.ParentClosePolicy.ABANDON,
                )
            absence = await workflow.start_child_workflow(
                AbsenceWorkflow.run,
                AbsenceInput(
                    Actor.system(org),
                    over.incident_id,
                    over.resident_id,
                    over.house_id,
                    self._state().returns_at or deadline,
                    over.admission_id,
                    over.contact_delay_minutes,
                    inp.watch_hours,
                ),
                id=absence_workflow_id(org, over.incident_id),
                parent_close_policy=workflow.ParentClosePolicy.ABANDON,
            )
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(
                    lambda: self._back is not None, timeout=timedelta(hours=inp.watch_hours)
                )
            if self._back is not None:
                await absence.signal(AbsenceWorkflow.returned, Wait(self._back))
        if self._back is not None:
            st.status = await workflow.execute_activity_method(
                PassActivities.check_back,
                PassStep(self._back, inp.pass_id, workflow.now()),
                **DB_STEP.options(),
            )
            st.returned_late = st.escalated or workflow.now() > (st.returns_at or deadline)
            self._checked_back = True

    def _until(self, at: datetime) -> timedelta:
        return max(at - workflow.now(), timedelta(seconds=1))

    @workflow.update
    async def wait_requested(self, _: Wait) -> PassState:
        await workflow.wait_condition(lambda: self._recorded)
        return self._state()

    @workflow.update
    async def decide(self, d: Decision) -> PassState:
        st = self._state()
        st.status = await workflow.execute_activity_method(
            PassActivities.decide,
            RecordDecision(d.actor, st.pass_id, d.approve, d.note, d.test_on_return, workflow.now()),
            **DB_STEP.options(),
        )
        return st

    @decide.validator
    def _validate_decide(self, d: Decision) -> None:
        if self._st is None or not self._recorded or self._st.status is not PassStatus.REQUESTED:
            raise Rejected("the pass is not waiting for a decision", field="pass_id")

    @workflow.update
    async def depart(self, msg: Wait) -> PassState:
        st = self._state()
        st.status = await workflow.execute_activity_method(
            PassActivities.depart, PassStep(msg.actor, st.pass_id, workflow.now()), **DB_STEP.options()
        )
        self._departed = msg.actor
        return st

    @depart.validator
    def _validate_depart(self, msg: Wait) -> None:
        if self._st is None or self._st.status is not PassStatus.APPROVED:
            raise Rejected("only an approved pass can start", field="pass_id")

    @workflow.update
    async def check_back(self, msg: Wait) -> PassState:
        self._back = msg.actor
        await workflow.wait_condition(lambda: self._checked_back)
        return self._state()

    @check_back.validator
    def _validate_back(self, msg: Wait) -> None:
        if self._st is None or self._st.status not in (PassStatus.ACTIVE, PassStatus.VIOLATED) or self._back:
            raise Rejected("the resident is not out on this pass", field="pass_id")

    @workflow.query
    def state(self) -> PassState | None:
        return self._st

    def _state(self) -> PassState:
        assert self._st is not None
        return self._st
