"""Meetings: a week's attendance against each resident's phase requirements, and the weekly
check that flags a shortfall to the house manager, in Temporal time on the registry's worker."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from core.db import tenant_session
from core.enums import AttendanceStatus, MeetingKind, MessageChannel, TaskStatus, UserRole
from core.events import EventType
from core.process import Actor
from core.wording import part2_words_in
from models.operations import Task
from services import events
from services.notifications import Kind, render
from services.operations import meetings
from services.operations.meetings import NewMeeting, SelfReport
from tests.billing.builders import admit
from tests.factories import OrgFactory
from tests.operations.builders import chore_house, meeting_rules
from workflows.operations import OPERATIONS
from workflows.operations.meetings import MeetingCheckInput, MeetingCheckWorkflow

WEEK = date(2026, 11, 2)  # a Monday


def _at(day: int, hour: int = 19) -> datetime:
    return datetime.combine(WEEK + timedelta(days=day), time(hour), UTC)


def _week_of_meetings(
    org_id: uuid.UUID, house_id: uuid.UUID, rules_hm: uuid.UUID, people: dict[str, uuid.UUID]
) -> None:
    """The house meeting on Tuesday (everyone present); outside meetings self-reported: the
    newer resident three, one of them not confirmed; the longer-staying resident two."""
    staff = None
    with tenant_session(org_id, actor_type="test") as s:
        m = meetings.add_meeting(s, house_id, NewMeeting(rules_hm, "House meeting", _at(1)), staff)
        for rid in (people["new"], people["settled"]):
            meetings.record_attendance(s, house_id, m.id, rid, AttendanceStatus.PRESENT, staff, _at(1, 21))
        reports = [("new", 0), ("new", 2), ("new", 4), ("settled", 3), ("settled", 5)]
        rows = [
            meetings.report_attendance(s, SelfReport(people[who], MeetingKind.AA, _at(day), "Home group"))
            for who, day in reports
        ]
        # Staff confirm all but the newer resident's last one.
        for row in rows[:2] + rows[3:]:
            meetings.verify_attendance(s, house_id, row.id, staff, _at(6, 12), True)


async def test_the_weekly_check_flags_a_shortfall_to_the_house_manager_once(
    time_skipping: WorkflowEnvironment, registry_worker: str, orgs: OrgFactory
) -> None:
    org = orgs.create((UserRole.HOUSE_MANAGER,))
    manager = org.users[UserRole.HOUSE_MANAGER]
    house = chore_house(org.org_id, beds=4, spec=[], manager=manager)
    hid = house.house.house_id
    rules = meeting_rules(org.org_id, hid, WEEK - timedelta(days=400))
    new, settled = admit(
        org.org_id, house.house, [(WEEK - timedelta(days=30), None), (WEEK - timedelta(days=120), None)]
    )
    # Moved in mid-week: not held to a whole week's meetings.
    (midweek,) = admit(org.org_id, house.house, [(WEEK + timedelta(days=3), None)], first_bed=2)
    _week_of_meetings(org.org_id, hid, rules.house_meeting, {"new": new, "settled": settled})

    # The phase is the rule: 30 days in needs three outside meetings, 120 days in needs two.
    with tenant_session(org.org_id, actor_type="test") as s:
        newer = meetings.check_resident(s, hid, new, WEEK - timedelta(days=30), WEEK)
        longer = meetings.check_resident(s, hid, settled, WEEK - timedelta(days=120), WEEK)
    assert sorted((n.required, n.attended) for n in newer.needs) == [(1, 1), (3, 2)] and newer.short
    assert sorted((n.required, n.attended) for n in longer.needs) == [(1, 1), (2, 2)] and not longer.short

    actor = Actor.system(org.org_id)
    result = await time_skipping.client.execute_workflow(
        MeetingCheckWorkflow.run,
        MeetingCheckInput(actor, hid, WEEK),
        id=OPERATIONS.id(org.org_id, f"meeting-check-{hid}-{WEEK}"),
        task_queue=registry_worker,
    )
    assert (result.checked, result.flagged, result.notified) == (2, [new], [MessageChannel.EMAIL])
    assert midweek not in result.flagged
    again = await time_skipping.client.execute_workflow(
        MeetingCheckWorkflow.run,
        MeetingCheckInput(actor, hid, WEEK),
        id=OPERATIONS.id(org.org_id, f"meeting-check-{hid}-{WEEK}-again"),
        task_queue=registry_worker,
    )
    assert (again.flagged, again.notified) == ([], [])
    with tenant_session(org.org_id, actor_type="test") as s:
        (task,) = s.scalars(select(Task)).all()
        assert (task.resident_id, task.assigned_to_user_id, task.status) == (new, manager, TaskStatus.OPEN)
        assert part2_words_in(task.title or "") == []
        kinds = [ev.type for ev in events.read_after(s, limit=100).events]
    assert kinds == [EventType.ATTENDANCE_SHORTFALL]
    # What the house manager receives names no meeting, programme or resident.
    subject, body = render(Kind.WEEKLY_CHECK, "Maple House")
    assert part2_words_in(subject + body) == [] and "meeting" not in (subject + body).lower()


def test_a_self_report_counts_only_once_staff_confirm_it(orgs: OrgFactory) -> None:
    org = orgs.create((UserRole.HOUSE_MANAGER,))
    house = chore_house(org.org_id, beds=1, spec=[])
    hid = house.house.house_id
    meeting_rules(org.org_id, hid, WEEK - timedelta(days=400))
    (rid,) = admit(org.org_id, house.house, [(WEEK - timedelta(days=10), None)])
    with tenant_session(org.org_id, actor_type="test") as s:
        row = meetings.report_attendance(s, SelfReport(rid, MeetingKind.NA, _at(2)))
        before = meetings.check_resident(s, hid, rid, WEEK - timedelta(days=10), WEEK)
        meetings.verify_attendance(s, hid, row.id, None, _at(3), True)
        after = meetings.check_resident(s, hid, rid, WEEK - timedelta(days=10), WEEK)
    assert [n.attended for n in before.needs if n.required == 3] == [0]
    assert [n.attended for n in after.needs if n.required == 3] == [1]
