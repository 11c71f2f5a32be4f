"""The AmendmentRequest workflow in Temporal time on the real database: 60 days and one 30-day
extension; an accepted amendment changes the record and tells the people the resident named; a
denial's letter, and the statement of disagreement kept with the record and in a later export."""

from __future__ import annotations

import io
import json
import uuid
from datetime import timedelta

import pytest
from pypdf import PdfReader
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from core.contracts.rights import Amendment, AmendmentDenial, AmendmentGround, export_file
from core.db import tenant_session
from core.enums import RequestStatus, UserRole
from core.events import EventType
from core.process import Actor, Wait
from models.residents import Resident
from services.events import events_about
from tests.breach.conftest import BreachWorker, resident_in
from tests.factories import OrgFactory, SampleOrg
from workflows.rights import (
    ACCESS,
    AMENDMENT,
    AccessInput,
    AccessRequestWorkflow,
    AmendmentInput,
    AmendmentRequestWorkflow,
    DenyAmendmentMsg,
    DisagreeMsg,
    ExtendMsg,
)

OFFICER = UserRole.COMPLIANCE_OFFICER
DAY = timedelta(days=1)
STATEMENT = "I was at my sister's house that night; the incident report names the wrong person."


async def _amend(
    env: WorkflowEnvironment, w: BreachWorker, org: SampleOrg, resident: uuid.UUID, amendment: Amendment
) -> tuple[WorkflowHandle, uuid.UUID, Actor]:
    officer = Actor(org.org_id, org.users[OFFICER], "req-test")
    request_id = uuid.uuid4()
    handle = await env.client.start_workflow(
        AmendmentRequestWorkflow.run,
        AmendmentInput(officer, request_id, resident, "Please correct my record", amendment),
        id=AMENDMENT.id(org.org_id, request_id),
        task_queue=w.queue,
    )
    await handle.execute_update(AmendmentRequestWorkflow.wait_recorded, Wait(officer))
    return handle, request_id, officer


async def test_an_accepted_amendment_changes_the_record_and_tells_the_people_named(
    time_skipping: WorkflowEnvironment, breach_worker: BreachWorker, orgs: OrgFactory
) -> None:
    org = orgs.create((OFFICER,))
    resident = resident_in(org.org_id, "PA", "Casimir", "Oyelaran")
    named = ("intake@partner-clinic.example.org", "caseworker@county.example.gov")
    handle, request_id, officer = await _amend(
        time_skipping, breach_worker, org, resident, Amendment("pronouns", "they/them", named)
    )
    st = await handle.query(AmendmentRequestWorkflow.state)
    assert st is not None and st.due_at - st.requested_at == 60 * DAY
    await time_skipping.sleep(50 * DAY)
    st = await handle.execute_update(
        AmendmentRequestWorkflow.extend, ExtendMsg(officer, "Waiting on the house log")
    )
    assert st.due_at - st.requested_at == 90 * DAY
    await time_skipping.sleep(20 * DAY)  # day 70: past 60, inside the extension
    st = await handle.execute_update(AmendmentRequestWorkflow.accept, Wait(officer))
    assert st.status is RequestStatus.FULFILLED and st.people_told == 2 and not st.overdue
    await handle.result()
    with tenant_session(org.org_id, actor_type="test") as s:
        r = s.get(Resident, resident)
        assert r is not None and r.pronouns == "they/them"
        types = events_about(s, request_id)
    assert types == [
        EventType.AMENDMENT_REQUESTED,
        EventType.AMENDMENT_EXTENDED,
        EventType.AMENDMENT_ACCEPTED,
    ]
    told = [e for e in breach_worker.notifier.emails() if e.to[0] in named]
    assert sorted(e.to[0] for e in told) == sorted(named)
    assert all("Oyelaran" not in e.body and "they/them" not in e.body for e in told)


async def test_a_denial_with_a_statement_of_disagreement_keeps_it_in_later_exports(
    time_skipping: WorkflowEnvironment, breach_worker: BreachWorker, orgs: OrgFactory
) -> None:
    org = orgs.create((OFFICER,))
    resident = resident_in(org.org_id, "PA", "Oriana", "Feldspar-Mwangi")
    handle, request_id, officer = await _amend(time_skipping, breach_worker, org, resident, Amendment())
    with pytest.raises(WorkflowUpdateFailedError):  # nothing to disagree with yet
        await handle.execute_update(AmendmentRequestWorkflow.disagree, DisagreeMsg(officer, STATEMENT))
    denial = AmendmentDenial(
        AmendmentGround.ACCURATE_AND_COMPLETE, "It matches the house log", "Privacy officer"
    )
    st = await handle.execute_update(AmendmentRequestWorkflow.deny, DenyAmendmentMsg(officer, denial))
    assert st.status is RequestStatus.DENIED
    letter = breach_worker.files.get(export_file(org.org_id, request_id, "denial"))
    words = " ".join(" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(letter)).pages)
    for needed in (
        "Oriana Feldspar-Mwangi",
        "accurate and complete",
        "If you disagree",
        "written statement",
        "How to complain",
        "Office for Civil Rights",
    ):
        assert needed in words, needed
    st = await handle.execute_update(AmendmentRequestWorkflow.disagree, DisagreeMsg(officer, STATEMENT))
    assert st.disagreement_filed
    await handle.result()

    # A later request for a copy of the records carries the statement with the record.
    access_id = uuid.uuid4()
    access = await time_skipping.client.start_workflow(
        AccessRequestWorkflow.run,
        AccessInput(officer, access_id, resident),
        id=ACCESS.id(org.org_id, access_id),
        task_queue=breach_worker.queue,
    )
    await access.execute_update(AccessRequestWorkflow.wait_recorded, Wait(officer))
    await access.execute_update(AccessRequestWorkflow.fulfil, Wait(officer))
    records = json.loads(breach_worker.files.get(export_file(org.org_id, access_id, "json")))
    amendment = next(r for r in records["data_access_requests"] if r["id"] == str(request_id))
    assert amendment["disagreement"] == STATEMENT and amendment["denial_ground"] == "accurate_and_complete"
    pdf = breach_worker.files.get(export_file(org.org_id, access_id, "pdf"))
    words = " ".join(" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "sister's house" in words
