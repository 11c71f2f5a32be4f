"""The journey's clocks in Temporal time: a missing resident is discharged by the workflow
after the grace period unless staff cancel."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

from sqlalchemy import select
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from core.db import tenant_session
from models.enums import UserRole
from models.resident_tracking import Discharge
from services.admission import Application, DischargeKind
from tests.admission.places import approved_lead, house
from tests.factories import OrgFactory
from workflows.admission import (
    ADMISSION,
    AdmissionInput,
    AdmissionWorkflow,
    AssignBed,
    Returned,
    Stage,
    Timing,
    Unaccounted,
)
from workflows.common import Actor, Wait


async def _open(
    env: WorkflowEnvironment, queue: str, actor: Actor, house_id: uuid.UUID, timing: Timing = Timing()
) -> WorkflowHandle:
    admission_id = uuid.uuid4()
    app = Application(house_id, 20000, 50000, lead_id=approved_lead(actor.org_id))
    handle = await env.client.start_workflow(
        AdmissionWorkflow.run,
        AdmissionInput(actor, admission_id, app, timing),
        id=ADMISSION.id(actor.org_id, admission_id),
        task_queue=queue,
    )
    await handle.execute_update(AdmissionWorkflow.wait_opened, Wait(actor))
    return handle


async def _stage(handle: WorkflowHandle, stage: Stage) -> None:
    for _ in range(400):
        j = await handle.query(AdmissionWorkflow.journey)
        if j is not None and j.stage is stage:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{handle.id} never reached {stage}: {j}")


async def test_a_resident_unaccounted_for_is_discharged_after_the_grace_period_unless_staff_cancel(
    time_skipping: WorkflowEnvironment, registry_worker: str, orgs: OrgFactory
) -> None:
    org = orgs.create((UserRole.CASE_MANAGER,))
    actor = Actor(org.org_id, org.users[UserRole.CASE_MANAGER], "req-test")
    layout = house(org.org_id, ["M-1", "M-2"])
    timing = Timing(offer_hours=48, unaccounted_hours=24, grace_hours=12)
    back, gone = [
        await _open(time_skipping, registry_worker, actor, layout.house_id, timing) for _ in range(2)
    ]
    await back.execute_update(AdmissionWorkflow.assign_bed, AssignBed(actor, layout.beds["M-1"]))
    await gone.execute_update(AdmissionWorkflow.assign_bed, AssignBed(actor, layout.beds["M-2"]))

    now = await time_skipping.get_current_time()
    for handle in (back, gone):
        await handle.signal(AdmissionWorkflow.report_unaccounted, Unaccounted(actor, now))
    # Staff find one of them again before the deadline: that discharge is cancelled.
    await back.signal(AdmissionWorkflow.report_returned, Returned(actor))
    j = await gone.result()  # time skips to the discharge the workflow makes itself
    back_now = await back.query(AdmissionWorkflow.journey)
    assert back_now is not None and back_now.stage is Stage.ACTIVE
    assert j.discharge_kind is DischargeKind.LEFT_WITHOUT_NOTICE

    with tenant_session(org.org_id, actor_type="test") as s:
        d = s.scalars(select(Discharge)).one()
        assert (d.kind, d.bed_id, d.discharged_by_user_id) == (
            "left_without_notice",
            layout.beds["M-2"],
            None,
        )
        assert d.discharged_at - now >= timedelta(hours=24)
