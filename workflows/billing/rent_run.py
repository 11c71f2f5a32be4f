"""The rent run: `RentRunWorkflow` (`billing/<org>/rent-run…`), started by the org's Temporal
Schedule every day; issues the rent invoice of the current period for every resident who has
none yet, in batches of `batch_size` residents per activity (one transaction each), continuing
as new every `batches_per_run` batches so its history stays bounded at any number of residents.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.billing.rent_run import RentBatchInput, RentRunActivities

    # Types of activity results must be importable inside the sandbox by their own module:
    # pydantic resolves their annotations there.
    from core.contracts.billing import RentBatch
    from core.process import DB_STEP, Actor, Daily
    from workflows.billing import BILLING

__all__ = ["RentBatch"]

RENT_RUN_KEY = "rent-run"


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
                RentRunActivities.issue_rent_batch,
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


# Every day at 00:05 in the org's timezone: each resident's invoice for the period, once.
RENT_RUN_SCHEDULE = Daily(BILLING, RENT_RUN_KEY, RentRunWorkflow.run, RentRunInput, hour=0, minute=5)
