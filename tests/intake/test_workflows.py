"""The intake workflow in Temporal time, on the registry's worker and the real database."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select, text
from temporalio.client import WorkflowUpdateFailedError
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from activities.base import Deps
from activities.intake import IntakeActivities, RecordLead
from core.audit_sealer import seal_pending
from core.contracts.intake import NewLead
from core.db import app_engine, tenant_session
from core.enums import LeadSource, LeadStatus, UserRole
from core.process import Actor
from models.residents import Lead
from tests.factories import OrgFactory
from workflows.intake import INTAKE, Decision, IntakeInput, IntakeWorkflow, ScreeningDecision


def _actor(org_id: uuid.UUID, user_id: uuid.UUID | None = None) -> Actor:
    return Actor(org_id, user_id, "req-test")


async def test_an_unscreened_lead_is_marked_lost_after_thirty_days(
    time_skipping: WorkflowEnvironment, registry_worker: str, orgs: OrgFactory
) -> None:
    org = orgs.create((UserRole.CASE_MANAGER,))
    lead_id = uuid.uuid4()
    actor = _actor(org.org_id, org.users[UserRole.CASE_MANAGER])
    state = await time_skipping.client.execute_workflow(
        IntakeWorkflow.run,
        IntakeInput(actor, lead_id, NewLead("Casimir", "Oyelaran-Brandt", source=LeadSource.WEBSITE)),
        id=INTAKE.id(org.org_id, lead_id),
        task_queue=registry_worker,
    )
    assert state.status is LeadStatus.LOST
    assert state.history == [LeadStatus.NEW, LeadStatus.LOST]
    with tenant_session(org.org_id, actor_type="test") as s:
        lead = s.get(Lead, lead_id)
        assert lead is not None and lead.status is LeadStatus.LOST


async def test_a_decision_approves_the_lead_and_names_who_decided(
    time_skipping: WorkflowEnvironment, registry_worker: str, orgs: OrgFactory
) -> None:
    org = orgs.create((UserRole.CASE_MANAGER,))
    lead_id = uuid.uuid4()
    staff = _actor(org.org_id, org.users[UserRole.CASE_MANAGER])
    handle = await time_skipping.client.start_workflow(
        IntakeWorkflow.run,
        IntakeInput(staff, lead_id, NewLead("Odile", "Marchetti")),
        id=INTAKE.id(org.org_id, lead_id),
        task_queue=registry_worker,
    )
    state = await handle.execute_update(
        IntakeWorkflow.decide, ScreeningDecision(staff, Decision.APPROVE, "fits-program")
    )
    assert (state.status, state.decided_by) == (LeadStatus.APPROVED, staff.user_id)
    # Refused by the validator while the workflow runs, by the server once it has finished.
    with pytest.raises((WorkflowUpdateFailedError, RPCError)):
        await handle.execute_update(IntakeWorkflow.decide, ScreeningDecision(staff, Decision.DECLINE))
    await handle.result()
    with tenant_session(org.org_id, actor_type="test") as s:
        lead = s.get(Lead, lead_id)
        assert lead is not None
        assert (lead.status, lead.disposition_reason) == (LeadStatus.APPROVED, "fits-program")


async def test_every_row_the_workflow_writes_is_audited_with_its_workflow_type_id_and_run(
    time_skipping: WorkflowEnvironment, registry_worker: str, orgs: OrgFactory
) -> None:
    org = orgs.create((UserRole.CASE_MANAGER,))
    lead_id = uuid.uuid4()
    wf_id = INTAKE.id(org.org_id, lead_id)
    handle = await time_skipping.client.start_workflow(
        IntakeWorkflow.run,
        IntakeInput(_actor(org.org_id), lead_id, NewLead("Teodor", "Halvorsen")),
        id=wf_id,
        task_queue=registry_worker,
    )
    await handle.result()
    seal_pending(org.org_id)  # chained now rather than a second later by the worker's sequencer
    with tenant_session(org.org_id, actor_type="test") as s:
        processes = (
            s.execute(
                text(
                    "SELECT details->'process' FROM audit_logs "
                    "WHERE entity_type = 'leads' AND entity_id = :id ORDER BY seq"
                ),
                {"id": lead_id},
            )
            .scalars()
            .all()
        )
    assert len(processes) == 2  # recorded, then marked lost
    assert {p["workflow_type"] for p in processes} == {"Intake"}
    assert {p["workflow_id"] for p in processes} == {wf_id}
    assert {p["run_id"] for p in processes} == {handle.result_run_id}
    assert [p["activity"] for p in processes] == ["intake.record_lead", "intake.set_lead_status"]


def test_recording_the_same_lead_twice_writes_one_row(orgs: OrgFactory) -> None:
    """A retried activity finds its own earlier write (run outside a worker: the session needs
    no activity context beyond what the test gives it)."""
    org = orgs.create((UserRole.CASE_MANAGER,))
    inp = RecordLead(_actor(org.org_id), uuid.uuid4(), NewLead("Ines", "Abernathy-Coll"))
    acts = IntakeActivities(Deps(engine=app_engine()))
    from temporalio.testing import ActivityEnvironment

    env = ActivityEnvironment()
    assert env.run(acts.record_lead, inp) == env.run(acts.record_lead, inp) == inp.lead_id
    with tenant_session(org.org_id, actor_type="test") as s:
        assert s.scalar(select(func.count()).select_from(Lead)) == 1
