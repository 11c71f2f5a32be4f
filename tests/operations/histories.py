"""Recording scenarios for house operations' chore and meeting workflows (tests/test_replay.py;
registry.py names this module)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta

from temporalio.client import Client, WorkflowHandle

from core.db import tenant_session
from core.enums import MeetingKind
from core.process import Actor
from services.operations import meetings
from services.operations.meetings import SelfReport
from tests.billing.builders import admit
from tests.operations.builders import chore_house, meeting_rules
from workflows.operations import OPERATIONS
from workflows.operations.chores import ChoreWeekInput, ChoreWeekWorkflow
from workflows.operations.meetings import MeetingCheckInput, MeetingCheckWorkflow

WEEK = date(2026, 11, 2)  # a Monday


async def chore_week(client: Client, queue: str, actor: Actor) -> WorkflowHandle:
    """Four residents, four chores; one moves out on the Wednesday (a chore handed on), the
    rest of the week's chores missed at its close."""
    house = chore_house(actor.org_id, beds=4, name=f"History House {uuid.uuid4().hex[:4]}")
    admit(actor.org_id, house.house, [(WEEK - timedelta(days=30), None)] * 3)
    admit(actor.org_id, house.house, [(WEEK - timedelta(days=30), WEEK + timedelta(days=2))], first_bed=3)
    return await client.start_workflow(
        ChoreWeekWorkflow.run,
        ChoreWeekInput(actor, house.house.house_id, WEEK),
        id=OPERATIONS.id(actor.org_id, f"chore-week-{house.house.house_id}"),
        task_queue=queue,
    )


async def meeting_check_shortfall(client: Client, queue: str, actor: Actor) -> WorkflowHandle:
    """One resident short of their meetings: flagged, the house manager notified."""
    house = chore_house(
        actor.org_id, beds=1, spec=[], manager=actor.user_id, name=f"History House {uuid.uuid4().hex[:4]}"
    )
    hid = house.house.house_id
    meeting_rules(actor.org_id, hid, WEEK - timedelta(days=400))
    (rid,) = admit(actor.org_id, house.house, [(WEEK - timedelta(days=30), None)])
    with tenant_session(actor.org_id, actor_type="test") as s:
        at = datetime.combine(WEEK + timedelta(days=1), time(19), UTC)
        row = meetings.report_attendance(s, SelfReport(rid, MeetingKind.AA, at))
        meetings.verify_attendance(s, hid, row.id, None, at, True)
    return await client.start_workflow(
        MeetingCheckWorkflow.run,
        MeetingCheckInput(actor, hid, WEEK),
        id=OPERATIONS.id(actor.org_id, f"meeting-check-{hid}"),
        task_queue=queue,
    )


async def upkeep_check(client: Client, queue: str, actor: Actor) -> WorkflowHandle:
    """One vehicle's insurance lapses in ten days: one reminder."""
    from services.operations import vehicles
    from services.operations.vehicles import NewVehicle
    from workflows.operations.upkeep import UpkeepCheckInput, UpkeepCheckWorkflow

    house = chore_house(actor.org_id, beds=1, spec=[], name=f"History House {uuid.uuid4().hex[:4]}")
    hid = house.house.house_id
    with tenant_session(actor.org_id, actor_type="test") as s:
        vehicles.register(s, hid, NewVehicle(make="Ford", insurance_expires_date=WEEK + timedelta(days=10)))
    return await client.start_workflow(
        UpkeepCheckWorkflow.run,
        UpkeepCheckInput(actor, hid, WEEK),
        id=OPERATIONS.id(actor.org_id, f"upkeep-check-{hid}"),
        task_queue=queue,
    )


SCENARIOS = {
    "chore_week": chore_week,
    "meeting_check_shortfall": meeting_check_shortfall,
    "upkeep_check": upkeep_check,
}
