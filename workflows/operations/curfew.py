"""`OperationsCurfewNight` (`operations/<org>/curfew-night`, a Daily schedule at 18:00 in the
org's zone): tonight's curfews. It plans who is due in when, sleeps to each close time (curfew
plus the configuration's grace), closes those curfews, and for each resident missing starts the
incident's clock and an `OperationsAbsence` (emergency contact after the house's delay, the
journey's left-without-notice path) and tells the house manager."""

import contextlib
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import groupby

from temporalio import workflow
from temporalio.exceptions import WorkflowAlreadyStartedError

with workflow.unsafe.imports_passed_through():
    from activities.operations.curfew import CloseCurfews, CurfewActivities, Missing, PlanNight
    from core.contracts.safety import Due  # noqa: F401  (resolves the plan's type in the sandbox)
    from core.process import DB_STEP, Actor, Daily
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


@dataclass(frozen=True)
class CurfewNightInput:
    actor: Actor
    # None: tonight in the org's zone (the schedule's run).
    night: date | None = None
    watch_hours: int = 96


@dataclass
class NightResult:
    night: date | None = None
    due: int = 0
    missed: list[Missing] = field(default_factory=list)


@workflow.defn(name="OperationsCurfewNight")
class CurfewNightWorkflow:
    @workflow.run
    async def run(self, inp: CurfewNightInput) -> NightResult:
        plan = await workflow.execute_activity_method(
            CurfewActivities.plan_night, PlanNight(inp.actor, workflow.now(), inp.night), **DB_STEP.options()
        )
        out = NightResult(plan.night, len(plan.dues))
        for closes_at, group in groupby(
            sorted(plan.dues, key=lambda d: d.closes_at), key=lambda d: d.closes_at
        ):
            wait = closes_at - workflow.now()
            if wait > timedelta(0):
                await workflow.sleep(wait)
            missing = await workflow.execute_activity_method(
                CurfewActivities.close, CloseCurfews(inp.actor, plan.night, list(group)), **DB_STEP.options()
            )
            for m in missing:
                await self._missing(inp, m)
                out.missed.append(m)
        return out

    async def _missing(self, inp: CurfewNightInput, m: Missing) -> None:
        org = inp.actor.org_id
        system = Actor.system(org)
        with contextlib.suppress(WorkflowAlreadyStartedError):
            await workflow.start_child_workflow(
                IncidentWorkflow.run,
                IncidentInput(system, m.incident_id),
                id=incident_workflow_id(org, m.incident_id),
                parent_close_policy=workflow.ParentClosePolicy.ABANDON,
            )
        with contextlib.suppress(WorkflowAlreadyStartedError):
            await workflow.start_child_workflow(
                AbsenceWorkflow.run,
                AbsenceInput(
                    system,
                    m.incident_id,
                    m.resident_id,
                    m.house_id,
                    m.since,
                    m.admission_id,
                    m.contact_delay_minutes,
                    inp.watch_hours,
                ),
                id=absence_workflow_id(org, m.incident_id),
                parent_close_policy=workflow.ParentClosePolicy.ABANDON,
            )
        await tell_manager(inp.actor, m.manager_id, m.house_id, f"curfew-{m.incident_id}")


CURFEW_SCHEDULE = Daily(
    OPERATIONS,
    "curfew-night",
    CurfewNightWorkflow.run,
    lambda actor: CurfewNightInput(actor),
    hour=18,
    minute=0,
)
