"""The intake workflow in Temporal time: a lead nobody screens is marked lost after the
30-day window, and recording a lead twice (a retried activity) writes one row."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.leads import NewLead, RecordLead, record_lead, set_lead_status
from core.db import tenant_session
from models.enums import LeadStatus, UserRole
from models.residents import Lead
from tests.factories import OrgFactory
from workflows.intake import IntakeInput, IntakeWorkflow, workflow_id


async def test_an_unscreened_lead_is_marked_lost_after_thirty_days(
    time_skipping: WorkflowEnvironment, orgs: OrgFactory
) -> None:
    org = orgs.create((UserRole.CASE_MANAGER,))
    lead_id = str(uuid.uuid4())
    queue = f"intake-{lead_id[:8]}"
    async with Worker(
        time_skipping.client,
        task_queue=queue,
        workflows=[IntakeWorkflow],
        activities=[record_lead, set_lead_status],
        activity_executor=ThreadPoolExecutor(4),
    ):
        handle = await time_skipping.client.start_workflow(
            IntakeWorkflow.run,
            IntakeInput(
                str(org.org_id),
                lead_id,
                str(org.users[UserRole.CASE_MANAGER]),
                "req-1",
                NewLead("Casimir", "Oyelaran-Brandt", source="website"),
            ),
            id=workflow_id(lead_id),
            task_queue=queue,
        )
        state = await handle.result()
    assert state.status == "lost" and state.history == ["recorded", "lost"]
    with tenant_session(org.org_id, actor_type="test") as s:
        lead = s.get(Lead, uuid.UUID(lead_id))
        assert lead is not None and lead.status is LeadStatus.LOST


def test_recording_the_same_lead_twice_writes_one_row(orgs: OrgFactory) -> None:
    org = orgs.create((UserRole.CASE_MANAGER,))
    inp = RecordLead(str(org.org_id), str(uuid.uuid4()), NewLead("Ines", "Abernathy-Coll"), None, None)
    assert record_lead(inp) == record_lead(inp) == inp.lead_id
    with tenant_session(org.org_id, actor_type="test") as s:
        assert s.scalar(select(func.count()).select_from(Lead)) == 1
