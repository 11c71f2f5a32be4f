"""PatientNotice on the time-skipping server: a notice the resident never signs ends with its
signature request, unacknowledged, and the good-faith effort is recorded (45 CFR 164.520(e));
nothing is acknowledged and no event says so."""

from __future__ import annotations

from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from core.db import tenant_session
from core.enums import DocumentStatus, UserRole
from core.events import EventType
from core.process import Actor, Wait
from models.compliance import PatientNotice
from models.events import DomainEvent
from services.consent.notices import notice_id
from tests.documents.factories import make_resident
from tests.factories import OrgFactory
from workflows.consent import CONSENT
from workflows.consent.notice import NoticeInput, PatientNoticeWorkflow


async def test_an_unsigned_notice_ends_unacknowledged_with_the_effort_recorded(
    time_skipping: WorkflowEnvironment, registry_worker: str, orgs: OrgFactory
) -> None:
    org = orgs.create((UserRole.CASE_MANAGER,))
    actor = Actor(org.org_id, org.users[UserRole.CASE_MANAGER], "test")
    resident = make_resident(org.org_id, "Silvana", "Sinfirma")
    nid = notice_id(resident)
    handle = await time_skipping.client.start_workflow(
        PatientNoticeWorkflow.run,
        NoticeInput(actor, nid, resident),
        id=CONSENT.id(org.org_id, nid),
        task_queue=registry_worker,
    )
    given = await handle.execute_update(PatientNoticeWorkflow.wait_delivered, Wait(actor))
    assert given.status is DocumentStatus.PENDING_SIGNATURE and given.document_id is not None
    state = await handle.result()  # skips past the signing deadline (14 days)
    assert state.status is DocumentStatus.EXPIRED and state.signature_id is None
    with tenant_session(org.org_id, actor_type="test") as s:
        row = s.get(PatientNotice, nid)
        assert row is not None and row.acknowledged_at is None and row.document_id == given.document_id
        assert row.refusal_note == "The electronic acknowledgement ended unsigned (expired)."
        types = s.scalars(select(DomainEvent.type).where(DomainEvent.subject_id == nid)).all()
        assert EventType.PATIENT_NOTICE_ACKNOWLEDGED.value not in types
