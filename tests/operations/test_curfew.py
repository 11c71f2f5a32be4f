"""A missed curfew in Temporal time, on the registry's worker and the real database: the night
closes with the resident not in; an incident opens; after the house's delay the emergency
contact gets a text (the method the resident consented to) that says nothing of treatment; and
the journey's left-without-notice path discharges the resident and frees the bed."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, time, timedelta

from sqlalchemy import select
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from core.contracts.admission import Application, DischargeKind
from core.db import tenant_session
from core.enums import BedStatus, CheckInStatus, IncidentType, MessageChannel, UserRole
from core.process import Actor, Wait
from core.wording import part2_words_in
from models.operations import Incident
from models.operations_extended import CurfewCheckIn
from models.orgs import Bed
from services.operations import curfew
from tests.admission.places import approved_lead
from tests.factories import OrgFactory
from tests.harness import result_in_temporal_time
from tests.operations.conftest import SafetyWorker
from tests.operations.places import emergency_contact, pa_house
from workflows.admission import ADMISSION
from workflows.admission.journey import AdmissionWorkflow
from workflows.admission.messages import AdmissionInput, AssignBed, Stage, Timing
from workflows.operations import OPERATIONS
from workflows.operations.curfew import CurfewNightInput, CurfewNightWorkflow
from workflows.operations.incidents import AbsenceState, AbsenceWorkflow, absence_workflow_id


async def _moved_in(
    env: WorkflowEnvironment, queue: str, actor: Actor, house_id: uuid.UUID, bed_id: uuid.UUID
) -> WorkflowHandle:
    admission_id = uuid.uuid4()
    app = Application(house_id, 20000, 0, lead_id=approved_lead(actor.org_id))
    handle = await env.client.start_workflow(
        AdmissionWorkflow.run,
        AdmissionInput(actor, admission_id, app, Timing(unaccounted_hours=24, grace_hours=12)),
        id=ADMISSION.id(actor.org_id, admission_id),
        task_queue=queue,
    )
    await handle.execute_update(AdmissionWorkflow.wait_opened, Wait(actor))
    await handle.execute_update(AdmissionWorkflow.assign_bed, AssignBed(actor, bed_id))
    for _ in range(200):
        j = await handle.query(AdmissionWorkflow.journey)
        if j is not None and j.stage is Stage.ACTIVE:
            return handle
        await asyncio.sleep(0.05)
    raise AssertionError("never moved in")


async def test_a_missed_curfew_reaches_the_emergency_contact_and_the_discharge_path(
    time_skipping: WorkflowEnvironment, safety_worker: SafetyWorker, orgs: OrgFactory
) -> None:
    org = orgs.create((UserRole.HOUSE_MANAGER, UserRole.CASE_MANAGER))
    manager = org.users[UserRole.HOUSE_MANAGER]
    place = pa_house(org.org_id, manager, ["C-1"], delay_minutes=90)
    staff = Actor(org.org_id, org.users[UserRole.CASE_MANAGER], "req-curfew")
    journey = await _moved_in(time_skipping, safety_worker.queue, staff, place.house_id, place.beds["C-1"])
    j = await journey.query(AdmissionWorkflow.journey)
    assert j is not None and j.resident_id is not None
    resident = j.resident_id
    emergency_contact(org.org_id, resident, MessageChannel.SMS)

    now = await time_skipping.get_current_time()
    with tenant_session(org.org_id, actor_type="test") as s:
        night = curfew.night_of(now, curfew.org_zone(s))
    night_wf = await time_skipping.client.start_workflow(
        CurfewNightWorkflow.run,
        CurfewNightInput(staff, night, watch_hours=48),
        id=OPERATIONS.id(org.org_id, f"curfew-{night}"),
        task_queue=safety_worker.queue,
    )
    result = await result_in_temporal_time(time_skipping, night_wf)  # time skips to the night's close
    assert [m.resident_id for m in result.missed] == [resident]
    missing = result.missed[0]
    with tenant_session(org.org_id, actor_type="test") as s:
        row = s.scalars(select(CurfewCheckIn).where(CurfewCheckIn.resident_id == resident)).one()
        assert row.status is CheckInStatus.MISSED and row.incident_id == missing.incident_id
        incident = s.get(Incident, missing.incident_id)
        assert incident is not None and incident.incident_type is IncidentType.CURFEW_VIOLATION

    # The journey discharges them as having left without notice (its 24 hours from curfew).
    done = await result_in_temporal_time(time_skipping, journey)
    assert done.discharge_kind is DischargeKind.LEFT_WITHOUT_NOTICE
    with tenant_session(org.org_id, actor_type="test") as s:
        bed = s.get(Bed, place.beds["C-1"])
        assert bed is not None and bed.status is not BedStatus.OCCUPIED

    absence = time_skipping.client.get_workflow_handle(
        absence_workflow_id(org.org_id, missing.incident_id), result_type=AbsenceState
    )
    st = await absence.query(AbsenceWorkflow.state)
    assert st.journey_signalled and st.contact_channels == [MessageChannel.SMS]
    texts = safety_worker.notifier.texts()
    assert [t.to for t in texts] == ["+12155550123"]
    assert "Rosalind has not come back to Maple House" in texts[0].body
    assert part2_words_in(texts[0].body) == []


async def test_a_contact_without_a_consented_method_is_not_told_and_an_excused_pass_is_no_miss(
    time_skipping: WorkflowEnvironment, safety_worker: SafetyWorker, orgs: OrgFactory
) -> None:
    from tests.operations.places import living_resident

    org = orgs.create((UserRole.HOUSE_MANAGER,))
    place = pa_house(org.org_id, org.users[UserRole.HOUSE_MANAGER], ["C-1"], delay_minutes=0)
    resident = living_resident(org.org_id, place.house_id)
    emergency_contact(org.org_id, resident, None)
    actor = Actor(org.org_id, org.users[UserRole.HOUSE_MANAGER], "req")
    night = date(2026, 3, 3)
    handle = await time_skipping.client.start_workflow(
        CurfewNightWorkflow.run,
        CurfewNightInput(actor, night, watch_hours=1),
        id=OPERATIONS.id(org.org_id, f"curfew-{night}"),
        task_queue=safety_worker.queue,
    )
    result = await handle.result()
    assert len(result.missed) == 1
    absence = time_skipping.client.get_workflow_handle(
        absence_workflow_id(org.org_id, result.missed[0].incident_id), result_type=AbsenceState
    )
    st = await absence.result()
    assert st.contact_channels == [] and not st.journey_signalled
    assert safety_worker.notifier.texts() == []


def test_a_check_in_after_midnight_counts_for_the_evening_before() -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    zone = ZoneInfo("America/New_York")
    assert curfew.night_of(datetime(2026, 3, 8, 0, 30, tzinfo=zone), zone) == date(2026, 3, 7)
    assert curfew.night_of(datetime(2026, 3, 7, 21, 0, tzinfo=zone), zone) == date(2026, 3, 7)
    assert time(0, 30) < curfew.NOON and timedelta(0) == timedelta()
