"""A house's chore week: `ChoreWeekWorkflow` (`operations/<org>/chore-week-<house>…`), started
every Monday by the house's weekly Schedule. It rotates the week's chores, then at the start of
each following day hands on the open chores of anyone who moved out (a move-in joins next
week's rotation: nobody else's week changes), and after Sunday marks what was never done as
missed. Each step is idempotent, so a re-run of the same week changes nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.operations.chores import (
        ChoreActivities,
        CloseChoreWeek,
        MendChores,
        RotateChores,
        Rotated,
    )
    from core.contracts.operations import Assigned
    from core.process import DB_STEP, Actor, Wait, Weekly
    from workflows.operations import OPERATIONS

__all__ = ["Assigned", "Rotated"]

CHORE_WEEK_KEY = "chore-week"


@dataclass(frozen=True)
class ChoreWeekInput:
    actor: Actor
    house_id: uuid.UUID
    # None: the week holding today in the org's timezone (the Schedule's case).
    week_start: date | None = None


@dataclass(frozen=True)
class ChoreWeekResult:
    week_start: date
    # As the rotation made them on Monday.
    assigned: list[Assigned]
    # Handed on after move-outs during the week.
    handed_on: list[Assigned] = field(default_factory=list)
    missed: list[Assigned] = field(default_factory=list)


@workflow.defn(name="OperationsChoreWeek")
class ChoreWeekWorkflow:
    def __init__(self) -> None:
        self._rotated: Rotated | None = None

    @workflow.run
    async def run(self, inp: ChoreWeekInput) -> ChoreWeekResult:
        self._rotated = await workflow.execute_activity_method(
            ChoreActivities.rotate_chores,
            RotateChores(inp.actor, inp.house_id, inp.week_start),
            **DB_STEP.options(),
        )
        week = self._rotated.week_start
        handed_on: list[Assigned] = []
        for day in range(1, 7):
            on = week + timedelta(days=day)
            await self._until(on)
            handed_on += await workflow.execute_activity_method(
                ChoreActivities.mend_chores,
                MendChores(inp.actor, inp.house_id, week, on),
                **DB_STEP.options(),
            )
        await self._until(week + timedelta(days=7))
        missed = await workflow.execute_activity_method(
            ChoreActivities.close_chore_week,
            CloseChoreWeek(inp.actor, inp.house_id, week),
            **DB_STEP.options(),
        )
        return ChoreWeekResult(week, self._rotated.assigned, handed_on, missed)

    async def _until(self, day: date) -> None:
        """Sleep until the start of `day` (UTC); at once if it has passed (a late start)."""
        wait = datetime.combine(day, time(0), UTC) - workflow.now()
        if wait > timedelta(0):
            await workflow.sleep(wait)

    @workflow.query
    def rotation(self) -> Rotated | None:
        """The week's rotation once made (None before)."""
        return self._rotated

    @workflow.update
    async def rotated(self, _: Wait) -> Rotated:
        """Answers once the week's rotation is made (the API's update-with-start)."""
        await workflow.wait_condition(lambda: self._rotated is not None)
        assert self._rotated is not None
        return self._rotated


# Every Monday at 00:10 in the org's timezone, for every house.
CHORE_WEEK_SCHEDULE = Weekly(
    OPERATIONS,
    CHORE_WEEK_KEY,
    ChoreWeekWorkflow.run,
    lambda actor, house_id: ChoreWeekInput(actor, house_id),
    weekday=0,
    hour=0,
    minute=10,
)
