"""Dunning processes, billing's collections of overdue invoices.

- `DunningSweepWorkflow` (`dunning/<org>/sweep`): started daily by the org's Temporal Schedule;
  finds open invoices past their due date whose ladder is not planned yet, and starts one
  `DunningWorkflow` per invoice as an abandoned child with `REJECT_DUPLICATE`, so each invoice's
  ladder is started once however often the sweep runs. Continues as new every `pages_per_run`.
- `DunningWorkflow` (`dunning/<org>/<invoice id>`): plans the invoice's steps from its
  `dunning_configs` (one `dunning_actions` row each), then sleeps on durable timers until each
  step's day (due date + `days_after_due`) and runs it. It stops at once when told the invoice
  changed (a payment, a write-off: `invoice_changed`) and a re-check finds nothing left to
  collect; every step also re-checks the invoice in its own transaction before acting, so a
  lost signal never lets a reminder go out for a paid invoice.
- `WriteOffWorkflow` (`dunning-writeoff/<org>/<request id>`): writes an invoice off as
  uncollectible (bad debt) and tells its dunning workflow, which stops.

Workflows carry ids, dates, enums and cents only.
"""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from temporalio import workflow
from temporalio.common import WorkflowIDReusePolicy

with workflow.unsafe.imports_passed_through():
    from temporalio.exceptions import FailureError, WorkflowAlreadyStartedError

    from activities.billing.dunning import (
        DunningActivities,
        InvoiceRef,
        OverduePage,
        OverdueQuery,
        StepInput,
        StepOutcome,
        WriteOffInput,
    )
    from core.contracts.billing import DUNNING, INVOICE_CHANGED, InvoiceChanged, PlannedStep, WrittenOff
    from core.enums import DunningActionStatus, DunningActionType
    from core.process import DB_STEP, EXTERNAL_CALL, Actor, Daily, Process

__all__ = [
    "DunningActionStatus",
    "DunningActionType",
    "OverduePage",
    "PlannedStep",
    "StepOutcome",
    "WrittenOff",
]

WRITE_OFF = Process("dunning-writeoff")
SWEEP_KEY = "sweep"


class Stopped(StrEnum):
    """Why a ladder ended before its last step."""

    SETTLED = "settled"  # paid, void or written off
    NOTHING_PLANNED = "nothing_planned"  # owed nothing, or no config applies


@dataclass(frozen=True)
class DunningInput:
    actor: Actor
    invoice_id: uuid.UUID


@dataclass
class DunningProgress:
    invoice_id: uuid.UUID
    planned: list[PlannedStep] = field(default_factory=list)
    done: list[StepOutcome] = field(default_factory=list)
    stopped: Stopped | None = None
    finished: bool = False


def dunning_id(org_id: uuid.UUID, invoice_id: uuid.UUID) -> str:
    return DUNNING.id(org_id, invoice_id)


@workflow.defn(name="DunningInvoice")
class DunningWorkflow:
    def __init__(self) -> None:
        self._progress: DunningProgress | None = None
        self._planned = False
        self._nudged = False

    @workflow.run
    async def run(self, inp: DunningInput) -> DunningProgress:
        progress = self._progress = DunningProgress(inp.invoice_id)
        ref = InvoiceRef(inp.actor, inp.invoice_id)
        progress.planned = await workflow.execute_activity_method(
            DunningActivities.plan, ref, **DB_STEP.options()
        )
        self._planned = True
        if not progress.planned:
            progress.stopped = Stopped.NOTHING_PLANNED
        for step in progress.planned:
            if not await self._until(step, ref):
                progress.stopped = Stopped.SETTLED
                break
            outcome = await workflow.execute_activity_method(
                DunningActivities.run_step,
                StepInput(inp.actor, inp.invoice_id, step.step, workflow.now()),
                **EXTERNAL_CALL.options(),
            )
            progress.done.append(outcome)
            if outcome.stopped:
                progress.stopped = Stopped.SETTLED
                break
        progress.finished = True
        await workflow.wait_condition(workflow.all_handlers_finished)
        return progress

    async def _until(self, step: PlannedStep, ref: InvoiceRef) -> bool:
        """Sleep until the step's time; False as soon as a nudge finds the invoice settled."""
        while True:
            if self._nudged:
                self._nudged = False
                if await workflow.execute_activity_method(DunningActivities.check, ref, **DB_STEP.options()):
                    return False
                continue
            wait = step.at - workflow.now()
            if wait <= timedelta(0):
                return True
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(lambda: self._nudged, timeout=wait)

    @workflow.signal(name=INVOICE_CHANGED)
    def invoice_changed(self, _: InvoiceChanged) -> None:
        self._nudged = True

    @workflow.update
    async def wait_planned(self, _: Actor) -> DunningProgress:
        """Lets the API answer once the ladder's steps are planned."""
        await workflow.wait_condition(lambda: self._planned)
        assert self._progress is not None
        return self._progress

    @workflow.query
    def progress(self) -> DunningProgress | None:
        return self._progress


async def nudge_dunning(org_id: uuid.UUID, invoice_id: uuid.UUID) -> None:
    """From inside a workflow: tell the invoice's dunning workflow to re-check it. No dunning
    workflow (never overdue, or already over) is not an error."""
    handle = workflow.get_external_workflow_handle(dunning_id(org_id, invoice_id))
    with contextlib.suppress(FailureError):
        await handle.signal(DunningWorkflow.invoice_changed, InvoiceChanged(Actor.system(org_id)))


@dataclass(frozen=True)
class SweepInput:
    actor: Actor
    # None: the day the sweep starts (the Schedule's case); fixed on the first continue-as-new.
    as_of: date | None = None
    page_size: int = 200
    pages_per_run: int = 10
    after: uuid.UUID | None = None
    started: int = 0


@dataclass(frozen=True)
class SweepResult:
    as_of: date
    started: int


@workflow.defn(name="DunningSweep")
class DunningSweepWorkflow:
    @workflow.run
    async def run(self, inp: SweepInput) -> SweepResult:
        as_of = inp.as_of or workflow.now().date()
        after, started = inp.after, inp.started
        for _ in range(inp.pages_per_run):
            page = await workflow.execute_activity_method(
                DunningActivities.overdue_invoices,
                OverdueQuery(inp.actor, as_of, after, inp.page_size),
                **DB_STEP.options(),
            )
            for invoice_id in page.invoice_ids:
                # Already started (running or finished): its ladder is that workflow's.
                with contextlib.suppress(WorkflowAlreadyStartedError):
                    await workflow.start_child_workflow(
                        DunningWorkflow.run,
                        DunningInput(Actor.system(inp.actor.org_id, inp.actor.request_id), invoice_id),
                        id=dunning_id(inp.actor.org_id, invoice_id),
                        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                        parent_close_policy=workflow.ParentClosePolicy.ABANDON,
                    )
                    started += 1
            after = page.next_after
            if after is None:
                return SweepResult(as_of, started)
        workflow.continue_as_new(
            SweepInput(inp.actor, as_of, inp.page_size, inp.pages_per_run, after, started)
        )


@dataclass(frozen=True)
class WriteOffRequest:
    actor: Actor
    invoice_id: uuid.UUID


@workflow.defn(name="DunningWriteOff")
class WriteOffWorkflow:
    """One write-off request: the `write_off` update (sent with the start) does the work, so
    its refusal (404, 409) reaches the caller as the activity raised it."""

    @workflow.init
    def __init__(self, inp: WriteOffRequest) -> None:
        self._inp = inp
        self._result: WrittenOff | None = None
        self._done = False

    @workflow.run
    async def run(self, inp: WriteOffRequest) -> WrittenOff | None:
        await workflow.wait_condition(lambda: self._done)
        if self._result is not None:
            await nudge_dunning(inp.actor.org_id, inp.invoice_id)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._result

    @workflow.update
    async def write_off(self, _: Actor) -> WrittenOff:
        if self._result is None:
            try:
                self._result = await workflow.execute_activity_method(
                    DunningActivities.write_off,
                    WriteOffInput(self._inp.actor, self._inp.invoice_id, workflow.now().date()),
                    **DB_STEP.options(),
                )
            finally:
                self._done = True
        return self._result


# Every day at 00:30 in the org's timezone, after the rent run: each overdue invoice's ladder
# starts once (its workflow id).
SWEEP_SCHEDULE = Daily(DUNNING, SWEEP_KEY, DunningSweepWorkflow.run, SweepInput, hour=0, minute=30)
