"""`OperationsIncident` (`operations/<org>/<incident id>`): an incident's state-report clock, a
durable timer to the report's due time (PA: 3 business days), escalated to the house manager a
business day before and again when overdue, stopped by the report being recorded.

`OperationsAbsence` (`operations/<org>/absence-<incident id>`): a resident who did not come back
(a missed curfew, an overdue pass). The journey's "left without notice" path is signalled at
once with the time they were due, so its configured hours run from then and it discharges and
frees the bed unless they return; after the house's delay the emergency contact is told by the
method the resident consented to; a return cancels both."""

import contextlib
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.exceptions import FailureError

with workflow.unsafe.imports_passed_through():
    from activities.notifications import Kind, Notify
    from activities.operations.incidents import (
        Clock,
        Escalate,
        IncidentActivities,
        IncidentRef,
        OpenIncident,
        ReportMade,
        TellContact,
    )
    from core.contracts.safety import NewIncident
    from core.enums import MessageChannel
    from core.process import DB_STEP, EXTERNAL_CALL, Actor, Wait
    from workflows.admission import ADMISSION
    from workflows.admission.messages import Returned, Unaccounted
    from workflows.operations import OPERATIONS


def incident_workflow_id(org_id: uuid.UUID, incident_id: uuid.UUID) -> str:
    return OPERATIONS.id(org_id, incident_id)


def absence_workflow_id(org_id: uuid.UUID, incident_id: uuid.UUID) -> str:
    return OPERATIONS.id(org_id, f"absence-{incident_id}")


async def tell_manager(
    actor: Actor, manager_id: uuid.UUID | None, house_id: uuid.UUID | None, key: str
) -> None:
    """The house manager hears that something needs them: no detail leaves the app."""
    if manager_id is None:
        return
    # By name and untyped: only that it ran matters here (quiet hours are the user's choice).
    await workflow.execute_activity(
        "notifications.notify",
        Notify(Actor.system(actor.org_id), manager_id, Kind.HOUSE_ATTENTION, house_id, key, workflow.now()),
        **EXTERNAL_CALL.options(),
    )


@dataclass(frozen=True)
class IncidentInput:
    actor: Actor
    incident_id: uuid.UUID
    # Staff's report, stored by the first activity; None when another process opened it.
    new: NewIncident | None = None


@dataclass
class IncidentState:
    incident_id: uuid.UUID
    due_at: datetime | None = None
    escalations: list[str] = field(default_factory=list)
    reported: bool = False


@workflow.defn(name="OperationsIncident")
class IncidentWorkflow:
    def __init__(self) -> None:
        self._state: IncidentState | None = None
        self._reported = False
        self._opened = False

    @workflow.run
    async def run(self, inp: IncidentInput) -> IncidentState:
        st = self._state = IncidentState(inp.incident_id)
        if inp.new is not None:
            clock = await workflow.execute_activity_method(
                IncidentActivities.open_incident,
                OpenIncident(inp.actor, inp.incident_id, inp.new),
                **DB_STEP.options(),
            )
        else:
            clock = await workflow.execute_activity_method(
                IncidentActivities.report_clock, IncidentRef(inp.actor, inp.incident_id), **DB_STEP.options()
            )
        st.due_at, st.reported = clock.due_at, clock.reported
        self._reported = clock.reported
        self._opened = True
        if clock.due_at is not None:
            await self._clock(inp, clock)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return st

    async def _clock(self, inp: IncidentInput, clock: Clock) -> None:
        for at, overdue in ((clock.warn_at, False), (clock.due_at, True)):
            if at is None or self._reported:
                continue
            wait = (at - workflow.now()).total_seconds()
            if wait > 0:
                with contextlib.suppress(TimeoutError):
                    await workflow.wait_condition(lambda: self._reported, timeout=timedelta(seconds=wait))
            if self._reported:
                return
            manager = await workflow.execute_activity_method(
                IncidentActivities.escalate,
                Escalate(inp.actor, inp.incident_id, overdue),
                **DB_STEP.options(),
            )
            self._state_().escalations.append("overdue" if overdue else "due_soon")
            key = f"incident-{inp.incident_id}-{'overdue' if overdue else 'due-soon'}"
            await tell_manager(inp.actor, manager, None, key)
        await workflow.wait_condition(lambda: self._reported)

    @workflow.update
    async def wait_opened(self, _: Wait) -> IncidentState:
        await workflow.wait_condition(lambda: self._opened)
        return self._state_()

    @workflow.update
    async def report_made(self, msg: Wait) -> IncidentState:
        await workflow.execute_activity_method(
            IncidentActivities.record_state_report,
            ReportMade(msg.actor, self._state_().incident_id, workflow.now()),
            **DB_STEP.options(),
        )
        self._reported = self._state_().reported = True
        return self._state_()

    @workflow.query
    def state(self) -> IncidentState | None:
        return self._state

    def _state_(self) -> IncidentState:
        assert self._state is not None
        return self._state


@dataclass(frozen=True)
class AbsenceInput:
    actor: Actor
    incident_id: uuid.UUID
    resident_id: uuid.UUID
    house_id: uuid.UUID
    since: datetime
    admission_id: uuid.UUID | None
    contact_delay_minutes: int
    # How long to keep watching for the return (the journey's unaccounted and grace hours).
    watch_hours: int = 96


@dataclass
class AbsenceState:
    contact_channels: list[MessageChannel] = field(default_factory=list)
    journey_signalled: bool = False
    returned: bool = False


@workflow.defn(name="OperationsAbsence")
class AbsenceWorkflow:
    def __init__(self) -> None:
        self._state = AbsenceState()

    @workflow.run
    async def run(self, inp: AbsenceInput) -> AbsenceState:
        st = self._state
        journey = (
            workflow.get_external_workflow_handle(ADMISSION.id(inp.actor.org_id, inp.admission_id))
            if inp.admission_id
            else None
        )
        if journey is not None:
            with contextlib.suppress(FailureError):
                await journey.signal(
                    "report_unaccounted", Unaccounted(Actor.system(inp.actor.org_id), inp.since)
                )
                st.journey_signalled = True
        contact_at = inp.since + timedelta(minutes=inp.contact_delay_minutes)
        if not await self._returned_by(contact_at):
            st.contact_channels = await workflow.execute_activity_method(
                IncidentActivities.tell_contact,
                TellContact(inp.actor, inp.incident_id, inp.resident_id, inp.house_id),
                **EXTERNAL_CALL.options(),
            )
        if await self._returned_by(inp.since + timedelta(hours=inp.watch_hours)) and journey is not None:
            with contextlib.suppress(FailureError):
                await journey.signal("report_returned", Returned(Actor.system(inp.actor.org_id)))
        return st

    async def _returned_by(self, at: datetime) -> bool:
        wait = (at - workflow.now()).total_seconds()
        if wait > 0 and not self._state.returned:
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(lambda: self._state.returned, timeout=timedelta(seconds=wait))
        return self._state.returned

    @workflow.signal
    def returned(self, _: Wait) -> None:
        self._state.returned = True

    @workflow.query
    def state(self) -> AbsenceState:
        return self._state
