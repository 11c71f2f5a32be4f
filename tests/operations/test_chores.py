"""Chores: the rotation's rule on its own, and a month of a house's chore weeks in Temporal
time (a move-out on a Wednesday, a move-in on the Thursday) on the registry's worker and the
real database."""

from __future__ import annotations

import itertools
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from core.db import tenant_session
from core.enums import AdmissionStatus, ChoreStatus, UserRole
from core.events import EventType
from core.process import Actor
from models.operations import ChoreAssignment
from models.residents import Admission
from services import events
from services.operations import chores
from services.operations.chores import ChoreSlot, Ledger, rotate, week_of
from tests.billing.builders import admit
from tests.factories import OrgFactory
from tests.operations.builders import chore_house
from workflows.operations import OPERATIONS
from workflows.operations.chores import ChoreWeekInput, ChoreWeekResult, ChoreWeekWorkflow

MON = date(2027, 1, 4)


def _ids(n: int) -> list[uuid.UUID]:
    return sorted((uuid.uuid4() for _ in range(n)), key=str)


def test_nobody_gets_last_weeks_chore_when_someone_else_can_take_it() -> None:
    a, b = _ids(2)
    kitchen, porch = uuid.uuid4(), uuid.uuid4()
    book = Ledger(load={a: 3, b: 3})
    book.last_week[kitchen].add(a)
    book.last_week[porch].add(b)
    plan = rotate([ChoreSlot(kitchen, 3), ChoreSlot(porch, 1)], [a, b], book, MON)
    assert plan == {kitchen: b, porch: a}


def test_the_heaviest_chore_goes_to_the_least_loaded_and_a_newcomer_starts_level() -> None:
    a, b, new = _ids(3)
    kitchen, trash = uuid.uuid4(), uuid.uuid4()
    # `new` has no history: counted as level with `b` (the least loaded), not as zero.
    plan = rotate([ChoreSlot(trash, 1), ChoreSlot(kitchen, 3)], [a, b, new], Ledger(load={a: 8, b: 4}), MON)
    assert plan[kitchen] in (b, new) and plan[trash] in (b, new) and plan[kitchen] != plan[trash]


def test_an_empty_house_gets_no_rotation() -> None:
    assert rotate([ChoreSlot(uuid.uuid4(), 1)], [], Ledger(), MON) == {}


def _week_rows(org_id: uuid.UUID, house_id: uuid.UUID, week: date) -> list[ChoreAssignment]:
    with tenant_session(org_id, actor_type="test") as s:
        rows = chores.week_assignments(s, house_id, week)
        s.expunge_all()
        return rows


async def _week(
    env: WorkflowEnvironment,
    queue: str,
    actor: Actor,
    house_id: uuid.UUID,
    week: date,
    meanwhile: Callable[[list[ChoreAssignment]], None] = lambda rotated: None,
) -> ChoreWeekResult:
    """One chore week. `meanwhile` sees the week's rotation as Monday made it (the service the
    workflow's first step calls; the workflow then finds it made) and acts before the rest of
    the week runs: the test server's clock may already be past the week (it skips ahead
    whenever nothing is waiting), so the workflow's daily steps follow one another at once."""
    with tenant_session(actor.org_id, actor_type="test") as s:
        chores.rotate_week(s, house_id, week)
    meanwhile(_week_rows(actor.org_id, house_id, week))
    return await env.client.execute_workflow(
        ChoreWeekWorkflow.run,
        ChoreWeekInput(actor, house_id, week),
        id=OPERATIONS.id(actor.org_id, f"chore-week-{house_id}-{week}"),
        task_queue=queue,
    )


def _verify(org_id: uuid.UUID, house_id: uuid.UUID, rows: list[ChoreAssignment], n: int) -> None:
    with tenant_session(org_id, actor_type="test") as s:
        for a in rows[:n]:
            chores.verify(s, house_id, a.id, None, datetime.now(UTC), True, None)


def _move_out(org_id: uuid.UUID, resident_id: uuid.UUID, on: date) -> None:
    with tenant_session(org_id, actor_type="test") as s:
        stay = s.scalars(select(Admission).where(Admission.resident_id == resident_id)).one()
        stay.status, stay.ended_at = AdmissionStatus.COMPLETED, datetime.combine(on, time(12), UTC)


async def test_a_month_of_chore_rotation_with_a_move_in_and_a_move_out(
    time_skipping: WorkflowEnvironment, registry_worker: str, orgs: OrgFactory
) -> None:
    org = orgs.create((UserRole.HOUSE_MANAGER,))
    house = chore_house(org.org_id, beds=5)
    hid = house.house.house_id
    today = (await time_skipping.get_current_time()).date()
    w1 = week_of(today) + timedelta(days=7)
    w2 = w1 + timedelta(days=7)
    a, b, c, d = admit(org.org_id, house.house, [(w1 - timedelta(days=30), None)] * 4)
    actor = Actor.system(org.org_id)
    weeks = [w1 + timedelta(days=7 * n) for n in range(4)]
    newcomer: list[uuid.UUID] = []
    leaver: list[uuid.UUID] = []

    def midweek(rotated: list[ChoreAssignment]) -> None:
        # Recorded on the Monday: someone with a chore still ahead moves out on the Wednesday,
        # someone new moves in on the Thursday.
        gone = min((r.resident_id for r in rotated if r.due_date >= w2 + timedelta(days=2)), key=str)
        _move_out(org.org_id, gone, w2 + timedelta(days=2))
        leaver.append(gone)
        newcomer.extend(admit(org.org_id, house.house, [(w2 + timedelta(days=3), None)], first_bed=4))

    results = [
        await _week(time_skipping, registry_worker, actor, hid, w1, lambda r: _verify(org.org_id, hid, r, 2))
    ]
    results.append(await _week(time_skipping, registry_worker, actor, hid, w2, midweek))
    for week in weeks[2:]:
        results.append(await _week(time_skipping, registry_worker, actor, hid, week))
    (gone,), (e,) = leaver, newcomer
    stayed = [r for r in (a, b, c, d) if r != gone]

    held: dict[date, dict[uuid.UUID, uuid.UUID]] = {}
    load: Counter[uuid.UUID] = Counter()
    for week, result in zip(weeks, results, strict=True):
        rows = _week_rows(org.org_id, hid, week)
        live = [r for r in rows if r.status is not ChoreStatus.EXCUSED]
        # Every chore is someone's every week, exactly once.
        assert sorted(r.chore_id for r in live) == sorted(house.chore_ids.values())
        held[week] = {r.chore_id: r.resident_id for r in live}
        for r in live:
            load[r.resident_id] += house.points[r.chore_id]
        # Sunday night closed the week: what nobody verified is missed.
        assert {m.assignment_id for m in result.missed} == {
            r.id for r in live if r.status is ChoreStatus.MISSED
        }

    # Week one: two verified, the rest missed (and counted toward the house's consequences).
    assert len(results[0].missed) == 2 and len(results[0].assigned) == 4
    # Week two: the Wednesday move-out's open chores went to who stayed; nobody else's changed.
    w2_rows = _week_rows(org.org_id, hid, w2)
    kept = {(x.chore_id, x.resident_id) for x in results[1].assigned if x.resident_id != gone}
    assert kept <= {(r.chore_id, r.resident_id) for r in w2_rows if r.status is not ChoreStatus.EXCUSED}
    left = [r for r in w2_rows if r.resident_id == gone and r.due_date >= w2 + timedelta(days=2)]
    assert left and all(r.status is ChoreStatus.EXCUSED for r in left)
    assert sorted(x.chore_id for x in results[1].handed_on) == sorted(r.chore_id for r in left)
    assert all(x.resident_id in stayed for x in results[1].handed_on)
    # The Thursday move-in joined from week three, not mid-week; the leaver is gone from it.
    assert e not in held[w2].values() and e in held[weeks[2]].values() and e in held[weeks[3]].values()
    assert gone not in held[weeks[2]].values() and gone not in held[weeks[3]].values()
    # Nobody had the same chore two weeks running (always avoidable with three or more).
    for prev, nxt in itertools.pairwise(weeks):
        for chore_id, who in held[nxt].items():
            assert held[prev][chore_id] != who
    # The month's load evened out among those who lived there all month: within one chore's worth.
    steady = [load[r] for r in stayed]
    assert max(steady) - min(steady) <= 3, steady

    misses = {m.resident_id: m.missed for m in _misses(org.org_id, hid, w1, weeks[3] + timedelta(days=6))}
    assert sum(misses.values()) == 4 * 4 - 2
    with tenant_session(org.org_id, actor_type="test") as s:
        kinds = [ev.type for ev in events.read_after(s, limit=500).events]
    assert kinds.count(EventType.CHORES_ROTATED) == 4 and kinds.count(EventType.CHORE_MISSED) == 14


def _misses(org_id: uuid.UUID, house_id: uuid.UUID, first: date, last: date) -> list[chores.Misses]:
    with tenant_session(org_id, actor_type="test") as s:
        return chores.misses(s, house_id, first, last)


async def test_rerunning_a_week_changes_nothing(
    time_skipping: WorkflowEnvironment, registry_worker: str, orgs: OrgFactory
) -> None:
    org = orgs.create((UserRole.HOUSE_MANAGER,))
    house = chore_house(org.org_id, beds=3)
    hid = house.house.house_id
    admit(org.org_id, house.house, [(MON - timedelta(days=10), None)] * 3)
    actor = Actor.system(org.org_id)
    # A week long past: the workflow does not wait; a second run finds it rotated and closed.
    first = await _week(time_skipping, registry_worker, actor, hid, MON - timedelta(days=700))
    again = await time_skipping.client.execute_workflow(
        ChoreWeekWorkflow.run,
        ChoreWeekInput(actor, hid, MON - timedelta(days=700)),
        id=OPERATIONS.id(org.org_id, f"chore-week-again-{hid}"),
        task_queue=registry_worker,
    )
    assert first.assigned == [] and again.assigned == []
    week = MON
    with tenant_session(org.org_id, actor_type="test") as s:
        made = chores.rotate_week(s, hid, week)
    with tenant_session(org.org_id, actor_type="test") as s:
        remade = chores.rotate_week(s, hid, week)
        per: dict[uuid.UUID, int] = defaultdict(int)
        for x in remade.assigned:
            per[x.resident_id] += 1
    assert made.created and not remade.created and made.assigned == remade.assigned
    assert sorted(per.values()) == [1, 1, 2]
    with tenant_session(org.org_id, actor_type="test") as s:
        n = len(list(s.scalars(select(ChoreAssignment))))
    assert n == 4
