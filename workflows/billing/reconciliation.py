"""Daily reconciliation, billing's check against Stripe: `reconciliation/<org>/…`, started
every day by the org's Temporal Schedule (for the day before) or on demand for any day, compares
that day's Stripe balance transactions and payouts with the ledger and writes
`reconciliation_records` naming every mismatch. Idempotent per (org, day): a re-run updates the
same records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.billing.reconciliation import ReconcileInput, ReconciliationActivities
    from core.contracts.billing import DaySummary
    from core.process import EXTERNAL_CALL, Actor, Daily, Process

__all__ = ["DaySummary"]

RECONCILIATION = Process("reconciliation")
DAILY_KEY = "daily"


@dataclass(frozen=True)
class ReconcileDay:
    actor: Actor
    # None: yesterday, in UTC (the Schedule's case: it runs after the day has closed).
    day: date | None = None


@workflow.defn(name="DailyReconciliation")
class ReconciliationWorkflow:
    def __init__(self) -> None:
        self._summary: DaySummary | None = None

    @workflow.run
    async def run(self, inp: ReconcileDay) -> DaySummary:
        day = inp.day or workflow.now().date() - timedelta(days=1)
        self._summary = await workflow.execute_activity_method(
            ReconciliationActivities.reconcile_day,
            ReconcileInput(inp.actor, day),
            start_to_close_timeout=timedelta(minutes=10),
            retry_policy=EXTERNAL_CALL.retry,
        )
        return self._summary

    @workflow.update
    async def wait_summary(self, _: Actor) -> DaySummary:
        await workflow.wait_condition(lambda: self._summary is not None)
        assert self._summary is not None
        return self._summary


# Every day at 02:15 UTC whatever the org's timezone: Stripe's day is UTC.
DAILY_SCHEDULE = Daily(
    RECONCILIATION, DAILY_KEY, ReconciliationWorkflow.run, ReconcileDay, hour=2, minute=15, utc=True
)
