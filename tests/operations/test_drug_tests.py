"""Drug testing on the registry's worker and the real database: a day's random draw recomputed
from its record alone and equal, the weekly cap respected, the rate holding over many draws; a
positive for a prescribed medication (MOUD) that opens no recurrence while an unprescribed one
(and a refusal) opens a recurrence-of-use incident with the house's response plan and tells the
house manager."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from core.config import get_settings
from core.contracts.safety import DrawInputs, Result, draw, explained_by
from core.db import tenant_session
from core.enums import DrugTestResult, DrugTestType, IncidentType, UserRole
from core.process import Actor
from models.operations import DrugTest, Incident, Task
from models.operations_safety import DrugTestDraw
from services.operations import drug_tests
from tests.factories import OrgFactory
from tests.operations.conftest import SafetyWorker
from tests.operations.places import living_resident, pa_house
from workflows.operations import OPERATIONS
from workflows.operations.drug_tests import (
    DrawInput,
    DrugTestDrawWorkflow,
    DrugTestResultWorkflow,
    ResultInput,
    result_workflow_id,
)

KEY = b"k" * 32
BUP = [{"name": "buprenorphine/naloxone", "dose": "8 mg/2 mg SL daily", "prescriber": "Dr. Strandberg"}]


async def test_a_days_random_draw_is_recomputed_from_its_record_and_equal(
    time_skipping: WorkflowEnvironment, safety_worker: SafetyWorker, orgs: OrgFactory
) -> None:
    org = orgs.create((UserRole.HOUSE_MANAGER,))
    place = pa_house(org.org_id, org.users[UserRole.HOUSE_MANAGER], ["D-1"])
    with tenant_session(org.org_id, actor_type="test") as s:
        from models.orgs import House

        house = s.get(House, place.house_id)
        assert house is not None
        house.random_test_rate_bp = 5000
    people = [living_resident(org.org_id, place.house_id, f"Res{n}") for n in range(8)]
    actor = Actor(org.org_id, org.users[UserRole.HOUSE_MANAGER], "req-draw")
    result = await (
        await time_skipping.client.start_workflow(
            DrugTestDrawWorkflow.run,
            DrawInput(actor),
            id=OPERATIONS.id(org.org_id, "drug-test-draw"),
            task_queue=safety_worker.queue,
        )
    ).result()
    [drawn] = [d for d in result.draws if d.house_id == place.house_id]
    key = get_settings().draw_key()
    with tenant_session(org.org_id, actor_type="test") as s:
        row = s.get(DrugTestDraw, drawn.draw_id)
        assert row is not None and sorted(row.eligible) == sorted(str(p) for p in people)
        v = drug_tests.verify(s, key, row.id)
        assert v.equal and [str(r) for r in v.recomputed] == row.selected
        # The same day drawn again is the recorded draw, not a new one.
        again = drug_tests.make_draw(s, key, place.house_id, row.draw_date)
        assert again.id == row.id and again.selected == row.selected
        # With another key the list differs or at least is not accepted as the same draw.
        assert not drug_tests.verify(s, b"x" * 32, row.id).equal
    history = await time_skipping.client.get_workflow_handle(
        OPERATIONS.id(org.org_id, "drug-test-draw")
    ).fetch_history()
    assert key.hex() not in history.to_json()


def test_the_draw_keeps_the_rate_and_the_weekly_cap() -> None:
    residents = tuple(uuid.UUID(int=n + 1) for n in range(50))
    house = uuid.UUID(int=999)
    drawn = 0
    for d in range(40):
        inp = DrawInputs(house, date(2026, 1, 1) + timedelta(days=d), residents, 2000, 2, {})
        drawn += len(draw(KEY, inp))
    assert 0.17 < drawn / (50 * 40) < 0.23  # 20 % each day, independently
    capped = DrawInputs(house, date(2026, 1, 7), residents, 10_000, 2, {str(r): 2 for r in residents[:10]})
    assert set(draw(KEY, capped)) == set(residents[10:])
    # Unpredictable without the key: another key draws another list.
    inp = DrawInputs(house, date(2026, 1, 7), residents, 3000, 7, {})
    assert draw(KEY, inp) != draw(b"y" * 32, inp)


def test_a_prescription_explains_its_own_analytes_only() -> None:
    assert explained_by("buprenorphine", BUP) and explained_by("norbuprenorphine", BUP)
    assert explained_by("methadone", [{"name": "methadone"}]) and explained_by(
        "EDDP", [{"name": "methadone"}]
    )
    assert not explained_by("fentanyl", BUP) and not explained_by("cocaine", [])


async def _result(env, w, org_id, actor, resident, outcome, substances):
    test_id = uuid.uuid4()
    now = datetime.now(UTC)
    with tenant_session(org_id, actor_type="test") as s:
        c = drug_tests.Collection(
            resident, DrugTestType.URINE, drug_tests.Basis.FOR_CAUSE, now, reason="Missed check-in"
        )
        drug_tests.collect(s, test_id, c, None)
    handle = await env.client.start_workflow(
        DrugTestResultWorkflow.run,
        ResultInput(actor, test_id, Result(outcome, now + timedelta(hours=1), substances)),
        id=result_workflow_id(org_id, test_id),
        task_queue=w.queue,
    )
    return test_id, await handle.result()


async def test_a_prescribed_positive_opens_no_recurrence_while_an_unprescribed_one_and_a_refusal_do(
    time_skipping: WorkflowEnvironment, safety_worker: SafetyWorker, orgs: OrgFactory
) -> None:
    org = orgs.create((UserRole.HOUSE_MANAGER,))
    manager = org.users[UserRole.HOUSE_MANAGER]
    place = pa_house(org.org_id, manager, ["D-1"])
    resident = living_resident(org.org_id, place.house_id, medications=BUP)
    actor = Actor(org.org_id, manager, "req-test")

    _, moud = await _result(
        time_skipping,
        safety_worker,
        org.org_id,
        actor,
        resident,
        DrugTestResult.POSITIVE,
        [{"substance": "buprenorphine"}],
    )
    assert not moud.assessed.recurrence and moud.assessed.explained == 1 and moud.incident_id is None
    with tenant_session(org.org_id, actor_type="test") as s:
        assert s.scalars(select(Incident)).all() == []
    assert safety_worker.notifier.emails() == []

    test_id, other = await _result(
        time_skipping,
        safety_worker,
        org.org_id,
        actor,
        resident,
        DrugTestResult.POSITIVE,
        [{"substance": "buprenorphine"}, {"substance": "fentanyl", "level": "4 ng/mL"}],
    )
    assert other.assessed.recurrence and other.assessed.unexplained == 1 and other.incident_id is not None
    with tenant_session(org.org_id, actor_type="test") as s:
        incident = s.get(Incident, other.incident_id)
        assert incident is not None and incident.incident_type is IncidentType.RELAPSE
        assert incident.drug_test_id == test_id
        assert incident.actions_taken == "Meet within 24 hours; review the recovery plan."
        assert len(s.scalars(select(Task).where(Task.related_entity_id == incident.id)).all()) == 2
        t = s.get(DrugTest, test_id)
        assert t is not None and t.declared_medications == BUP
    assert [e.to for e in safety_worker.notifier.emails()] == [(org.emails[UserRole.HOUSE_MANAGER],)]

    _, refused = await _result(
        time_skipping, safety_worker, org.org_id, actor, resident, DrugTestResult.REFUSED, []
    )
    assert refused.assessed.recurrence and refused.incident_id is not None
