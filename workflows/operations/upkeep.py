"""A house's weekly upkeep check: `UpkeepCheckWorkflow` (`operations/<org>/upkeep-check-<house>…`),
started every Monday by the house's weekly Schedule: a reminder task for the house manager
for each vehicle whose insurance lapses within 30 days (once per vehicle and expiry date)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.operations.upkeep import CheckUpkeep, UpkeepActivities, UpkeepChecked
    from core.process import DB_STEP, Actor, Weekly
    from workflows.operations import OPERATIONS

__all__ = ["UpkeepChecked"]

UPKEEP_CHECK_KEY = "upkeep-check"


@dataclass(frozen=True)
class UpkeepCheckInput:
    actor: Actor
    house_id: uuid.UUID
    on: date | None = None


@workflow.defn(name="OperationsUpkeepCheck")
class UpkeepCheckWorkflow:
    @workflow.run
    async def run(self, inp: UpkeepCheckInput) -> UpkeepChecked:
        return await workflow.execute_activity_method(
            UpkeepActivities.check_upkeep, CheckUpkeep(inp.actor, inp.house_id, inp.on), **DB_STEP.options()
        )


# Every Monday at 07:00 in the org's timezone, for every house.
UPKEEP_CHECK_SCHEDULE = Weekly(
    OPERATIONS,
    UPKEEP_CHECK_KEY,
    UpkeepCheckWorkflow.run,
    lambda actor, house_id: UpkeepCheckInput(actor, house_id),
    weekday=0,
    hour=7,
    minute=0,
)
