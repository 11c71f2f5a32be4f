"""The weekly meeting check's step: every resident of the house against their requirements, a
flag (task and event) per shortfall (services/operations/meetings.py)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from temporalio import activity

from activities.base import TenantActivities
from core.process import Actor
from services.notifications import Kind
from services.operations import meetings
from services.operations.chores import org_today, week_of

# What the house manager is told of a shortfall (for the workflow, which never imports services).
WEEKLY_CHECK = Kind.WEEKLY_CHECK


@dataclass(frozen=True)
class CheckMeetings:
    actor: Actor
    house_id: uuid.UUID
    # None: the week that ended before today in the org's timezone (the Schedule's case).
    week_start: date | None = None


@dataclass(frozen=True)
class MeetingsChecked:
    week_start: date
    checked: int
    flagged: list[uuid.UUID]
    house_manager_id: uuid.UUID | None


class MeetingActivities(TenantActivities):
    @activity.defn(name="operations.check_meetings")
    def check_meetings(self, inp: CheckMeetings) -> MeetingsChecked:
        with self.session(inp.actor) as s:
            week = inp.week_start or week_of(org_today(s, self.clock())) - timedelta(days=7)
            c = meetings.check_week(s, inp.house_id, week)
            return MeetingsChecked(c.week_start, c.checked, c.flagged, c.house_manager_id)
