"""A house's weekly meeting check: `MeetingCheckWorkflow` (`operations/<org>/meeting-check-<house>…`),
started every Monday by the house's weekly Schedule for the week before. Each resident who
lived there the whole week is held to their phase's requirements; a shortfall becomes a task
for the house manager (once per resident and week), who is told by a notification that says
only that a weekly check needs review: no meeting, programme or name in it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.notifications import NotificationActivities, Notify
    from activities.operations.meetings import WEEKLY_CHECK, CheckMeetings, MeetingActivities, MeetingsChecked
    from core.enums import MessageChannel
    from core.process import DB_STEP, EXTERNAL_CALL, Actor, Wait, Weekly
    from workflows.operations import OPERATIONS

MEETING_CHECK_KEY = "meeting-check"
# Quiet hours hold a notification back; after this many waits it is left to the task list.
MAX_QUIET_WAITS = 3


@dataclass(frozen=True)
class MeetingCheckInput:
    actor: Actor
    house_id: uuid.UUID
    # None: the week that ended before today (the Schedule's case).
    week_start: date | None = None


@dataclass(frozen=True)
class MeetingCheckResult:
    week_start: date
    checked: int
    flagged: list[uuid.UUID]
    notified: list[MessageChannel] = field(default_factory=list)


@workflow.defn(name="OperationsMeetingCheck")
class MeetingCheckWorkflow:
    def __init__(self) -> None:
        self._checked: MeetingsChecked | None = None

    @workflow.run
    async def run(self, inp: MeetingCheckInput) -> MeetingCheckResult:
        self._checked = checked = await workflow.execute_activity_method(
            MeetingActivities.check_meetings,
            CheckMeetings(inp.actor, inp.house_id, inp.week_start),
            **DB_STEP.options(),
        )
        channels: list[MessageChannel] = []
        if checked.flagged and checked.house_manager_id is not None:
            key = f"weekly-check-{inp.house_id}-{checked.week_start.isoformat()}"
            for _ in range(MAX_QUIET_WAITS + 1):
                sent = await workflow.execute_activity_method(
                    NotificationActivities.notify,
                    Notify(
                        inp.actor,
                        checked.house_manager_id,
                        WEEKLY_CHECK,
                        inp.house_id,
                        key,
                        workflow.now(),
                    ),
                    **EXTERNAL_CALL.options(),
                )
                channels = sent.channels
                if sent.quiet_until is None:
                    break
                await workflow.sleep(max(sent.quiet_until - workflow.now(), timedelta(seconds=1)))
        return MeetingCheckResult(checked.week_start, checked.checked, checked.flagged, channels)

    @workflow.update
    async def checked(self, _: Wait) -> MeetingsChecked:
        """Answers once the week is checked and its flags raised (before the house manager is
        told, which quiet hours may hold back)."""
        await workflow.wait_condition(lambda: self._checked is not None)
        assert self._checked is not None
        return self._checked


# Every Monday at 06:00 in the org's timezone, for every house: the week before.
MEETING_CHECK_SCHEDULE = Weekly(
    OPERATIONS,
    MEETING_CHECK_KEY,
    MeetingCheckWorkflow.run,
    lambda actor, house_id: MeetingCheckInput(actor, house_id),
    weekday=0,
    hour=6,
    minute=0,
)
