"""Recording scenarios for house safety's workflows (tests/test_replay.py; registry.py names
this module): a pass denied, a pass never returned, an absence, an incident reported, a curfew
night, a day's draw and a positive explained by a prescription."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from temporalio.client import Client, WorkflowHandle

from core.process import Actor, Wait


async def _pass(client: Client, queue: str, actor: Actor, approve: bool) -> WorkflowHandle:
    from core.contracts.safety import PassRequest
    from core.enums import PassType
    from tests.operations.places import living_resident, pa_house
    from workflows.operations.passes import Decision, PassInput, PassWorkflow, pass_workflow_id

    place = pa_house(actor.org_id, None, ["H-1"])
    resident = living_resident(actor.org_id, place.house_id, "Historia")
    pass_id = uuid.uuid4()
    start = datetime.now(UTC)
    req = PassRequest(resident, PassType.DAY, start, start + timedelta(hours=2))
    handle = await client.start_workflow(
        PassWorkflow.run,
        PassInput(actor, pass_id, req, grace_minutes=5, watch_hours=1),
        id=pass_workflow_id(actor.org_id, pass_id),
        task_queue=queue,
    )
    await handle.execute_update(PassWorkflow.wait_requested, Wait(actor))
    await handle.execute_update(PassWorkflow.decide, Decision(actor, approve, "note"))
    if approve:
        await handle.execute_update(PassWorkflow.depart, Wait(actor))
    return handle


async def pass_denied(client: Client, queue: str, actor: Actor) -> WorkflowHandle:
    return await _pass(client, queue, actor, False)


async def pass_overdue(client: Client, queue: str, actor: Actor) -> WorkflowHandle:
    return await _pass(client, queue, actor, True)


async def absence(client: Client, queue: str, actor: Actor) -> WorkflowHandle:
    from tests.operations.places import living_resident, pa_house
    from workflows.operations.incidents import AbsenceInput, AbsenceWorkflow, absence_workflow_id

    place = pa_house(actor.org_id, None, ["H-1"])
    resident = living_resident(actor.org_id, place.house_id, "Historia")
    incident = uuid.uuid4()
    return await client.start_workflow(
        AbsenceWorkflow.run,
        AbsenceInput(actor, incident, resident, place.house_id, datetime.now(UTC), None, 0, 1),
        id=absence_workflow_id(actor.org_id, incident),
        task_queue=queue,
    )


async def incident_reported(client: Client, queue: str, actor: Actor) -> WorkflowHandle:
    from core.contracts.safety import NewIncident
    from core.enums import IncidentSeverity, IncidentType
    from tests.operations.places import pa_house
    from workflows.operations.incidents import IncidentInput, IncidentWorkflow, incident_workflow_id

    place = pa_house(actor.org_id, None, ["H-1"])
    incident = uuid.uuid4()
    new = NewIncident(
        place.house_id,
        None,
        IncidentType.POLICE,
        IncidentSeverity.MEDIUM,
        datetime.now(UTC),
        "Police called.",
        police_involved=True,
    )
    handle = await client.start_workflow(
        IncidentWorkflow.run,
        IncidentInput(actor, incident, new),
        id=incident_workflow_id(actor.org_id, incident),
        task_queue=queue,
    )
    await handle.execute_update(IncidentWorkflow.wait_opened, Wait(actor))
    await handle.execute_update(IncidentWorkflow.report_made, Wait(actor))
    return handle


async def curfew_night(client: Client, queue: str, actor: Actor) -> WorkflowHandle:
    from workflows.operations import OPERATIONS
    from workflows.operations.curfew import CurfewNightInput, CurfewNightWorkflow

    return await client.start_workflow(
        CurfewNightWorkflow.run,
        CurfewNightInput(actor, date(2026, 1, 2)),
        id=OPERATIONS.id(actor.org_id, f"curfew-{uuid.uuid4()}"),
        task_queue=queue,
    )


async def draw(client: Client, queue: str, actor: Actor) -> WorkflowHandle:
    from workflows.operations import OPERATIONS
    from workflows.operations.drug_tests import DrawInput, DrugTestDrawWorkflow

    return await client.start_workflow(
        DrugTestDrawWorkflow.run,
        DrawInput(actor),
        id=OPERATIONS.id(actor.org_id, f"draw-{uuid.uuid4()}"),
        task_queue=queue,
    )


async def prescribed_positive(client: Client, queue: str, actor: Actor) -> WorkflowHandle:
    from core.contracts.safety import Result
    from core.db import tenant_session
    from core.enums import DrugTestResult, DrugTestType
    from services.operations import drug_tests
    from tests.operations.places import living_resident, pa_house
    from workflows.operations.drug_tests import DrugTestResultWorkflow, ResultInput, result_workflow_id

    place = pa_house(actor.org_id, None, ["H-1"])
    meds = [{"name": "buprenorphine/naloxone", "dose": "8 mg/2 mg"}]
    resident = living_resident(actor.org_id, place.house_id, "Historia", meds)
    test_id = uuid.uuid4()
    now = datetime.now(UTC)
    with tenant_session(actor.org_id, actor_type="test") as s:
        c = drug_tests.Collection(resident, DrugTestType.URINE, drug_tests.Basis.SCHEDULED, now)
        drug_tests.collect(s, test_id, c, None)
    result = Result(DrugTestResult.POSITIVE, now, [{"substance": "buprenorphine"}])
    return await client.start_workflow(
        DrugTestResultWorkflow.run,
        ResultInput(actor, test_id, result),
        id=result_workflow_id(actor.org_id, test_id),
        task_queue=queue,
    )


SCENARIOS = {
    "operations-pass-denied": pass_denied,
    "operations-pass-overdue": pass_overdue,
    "operations-absence": absence,
    "operations-incident-reported": incident_reported,
    "operations-curfew-night": curfew_night,
    "operations-drug-test-draw": draw,
    "operations-prescribed-positive": prescribed_positive,
}
