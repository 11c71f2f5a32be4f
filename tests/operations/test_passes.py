"""A pass in Temporal time on the registry's worker and the real database: requested, approved
with conditions, the resident leaves and is not back by the return time and its grace; the pass
escalates (violated, an incident with follow-up tasks, the house manager told) and the late
return closes it."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from core.contracts.safety import PassRequest
from core.db import tenant_session
from core.enums import IncidentType, MessageChannel, PassStatus, PassType, UserRole
from core.process import Actor, Wait
from models.operations import Incident, Pass, Task
from tests.factories import OrgFactory
from tests.harness import result_in_temporal_time
from tests.operations.conftest import SafetyWorker
from tests.operations.places import emergency_contact, living_resident, pa_house
from workflows.operations.passes import Decision, PassInput, PassState, PassWorkflow, pass_workflow_id


async def _state(handle, until) -> PassState:
    for _ in range(400):
        st = await handle.query(PassWorkflow.state)
        if st is not None and until(st):
            return st
        await asyncio.sleep(0.05)
    raise AssertionError(f"the pass never reached the state asked: {st}")


async def test_a_pass_that_comes_back_late_escalates_and_is_closed_by_the_late_return(
    time_skipping: WorkflowEnvironment, safety_worker: SafetyWorker, orgs: OrgFactory
) -> None:
    org = orgs.create((UserRole.HOUSE_MANAGER, UserRole.CASE_MANAGER))
    manager = org.users[UserRole.HOUSE_MANAGER]
    place = pa_house(org.org_id, manager, ["A-1"], delay_minutes=600)
    resident = living_resident(org.org_id, place.house_id)
    emergency_contact(org.org_id, resident, MessageChannel.SMS)
    staff = Actor(org.org_id, manager, "req-pass")
    now = await time_skipping.get_current_time()
    pass_id = uuid.uuid4()
    req = PassRequest(
        resident, PassType.DAY, now + timedelta(minutes=5), now + timedelta(hours=4), "Aunt's house"
    )
    handle = await time_skipping.client.start_workflow(
        PassWorkflow.run,
        PassInput(staff, pass_id, req, grace_minutes=15),
        id=pass_workflow_id(org.org_id, pass_id),
        task_queue=safety_worker.queue,
    )
    await handle.execute_update(PassWorkflow.wait_requested, Wait(staff))
    st = await handle.execute_update(PassWorkflow.decide, Decision(staff, True, "Call the house at 3 pm"))
    assert st.status is PassStatus.APPROVED
    st = await handle.execute_update(PassWorkflow.depart, Wait(staff))
    assert st.status is PassStatus.ACTIVE

    # Four hours and a quarter later nobody has checked them in: the pass escalates.
    await time_skipping.sleep(timedelta(hours=4, minutes=20))
    st = await _state(handle, lambda s: s.escalated)
    assert st.status is PassStatus.VIOLATED and st.incident_id is not None
    with tenant_session(org.org_id, actor_type="test") as s:
        p = s.get(Pass, pass_id)
        assert p is not None and p.status is PassStatus.VIOLATED and p.conditions == "Call the house at 3 pm"
        incident = s.get(Incident, st.incident_id)
        assert incident is not None and incident.incident_type is IncidentType.CURFEW_VIOLATION
        assert incident.resident_id == resident and incident.occurred_at == p.returns_at
        tasks = s.scalars(select(Task).where(Task.related_entity_id == incident.id)).all()
        assert {t.assigned_to_user_id for t in tasks} == {manager} and len(tasks) == 2
    emails = [e for e in safety_worker.notifier.emails() if "needs your attention" in e.body]
    assert emails, "the house manager was told"

    # They walk in an hour late: the pass closes as violated, the absence ends before any
    # message to the emergency contact (the house waits ten hours).
    st = await handle.execute_update(PassWorkflow.check_back, Wait(staff))
    assert st.status is PassStatus.VIOLATED and st.returned_late
    await result_in_temporal_time(time_skipping, handle)
    with tenant_session(org.org_id, actor_type="test") as s:
        p = s.get(Pass, pass_id)
        assert p is not None and p.actual_returned_at is not None and p.actual_returned_at > p.returns_at
    assert safety_worker.notifier.texts() == []


async def test_a_pass_back_on_time_completes_without_an_incident(
    time_skipping: WorkflowEnvironment, safety_worker: SafetyWorker, orgs: OrgFactory
) -> None:
    org = orgs.create((UserRole.HOUSE_MANAGER,))
    manager = org.users[UserRole.HOUSE_MANAGER]
    place = pa_house(org.org_id, manager, ["A-1"])
    resident = living_resident(org.org_id, place.house_id)
    staff = Actor(org.org_id, manager, "req-pass")
    now = await time_skipping.get_current_time()
    pass_id = uuid.uuid4()
    req = PassRequest(resident, PassType.DAY, now, now + timedelta(hours=4))
    handle = await time_skipping.client.start_workflow(
        PassWorkflow.run,
        PassInput(staff, pass_id, req),
        id=pass_workflow_id(org.org_id, pass_id),
        task_queue=safety_worker.queue,
    )
    await handle.execute_update(PassWorkflow.wait_requested, Wait(staff))
    await handle.execute_update(PassWorkflow.decide, Decision(staff, True))
    await handle.execute_update(PassWorkflow.depart, Wait(staff))
    st = await handle.execute_update(PassWorkflow.check_back, Wait(staff))
    assert st.status is PassStatus.COMPLETED and not st.escalated
    with tenant_session(org.org_id, actor_type="test") as s:
        assert s.scalars(select(Incident)).all() == []
