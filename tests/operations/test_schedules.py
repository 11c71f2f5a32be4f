"""Each house's weekly Schedules on the Temporal dev server: created by `schedules sync` for
every house (chore week, meeting check, upkeep check), Mondays in the org's timezone, kept up
to date by a second sync."""

from __future__ import annotations

from temporalio.client import ScheduleActionStartWorkflow

from cli.schedules import sync_houses
from core.enums import UserRole
from core.temporal import connect
from tests.billing.builders import make_house
from tests.factories import OrgFactory
from workflows.operations.chores import CHORE_WEEK_SCHEDULE
from workflows.operations.meetings import MEETING_CHECK_SCHEDULE
from workflows.operations.upkeep import UPKEEP_CHECK_SCHEDULE


async def test_every_house_gets_its_weekly_schedules_once(stack: str, orgs: OrgFactory) -> None:
    org = orgs.create((UserRole.HOUSE_MANAGER,))
    houses = [make_house(org.org_id, beds=1, name=n).house_id for n in ("Alder House", "Beech House")]
    client = await connect()
    assert await sync_houses(client, [(org.org_id, "America/Chicago")]) == (6, 0)
    assert await sync_houses(client, [(org.org_id, "America/Chicago")]) == (0, 6)
    for weekly, workflow_type in (
        (CHORE_WEEK_SCHEDULE, "OperationsChoreWeek"),
        (MEETING_CHECK_SCHEDULE, "OperationsMeetingCheck"),
        (UPKEEP_CHECK_SCHEDULE, "OperationsUpkeepCheck"),
    ):
        for house_id in houses:
            handle = client.get_schedule_handle(weekly.schedule_id(org.org_id, house_id))
            desc = await handle.describe()
            action = desc.schedule.action
            assert isinstance(action, ScheduleActionStartWorkflow) and action.workflow == workflow_type
            (calendar,) = desc.schedule.spec.calendars
            # Temporal counts weekdays from Sunday: Monday is 1.
            assert [r.start for r in calendar.day_of_week] == [1]
            assert desc.schedule.spec.time_zone_name == "America/Chicago"
            await handle.delete()
