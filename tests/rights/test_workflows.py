"""The AccessRequest workflow in Temporal time on the real database: 30 days, one 30-day
extension with a written reason before the first deadline, fulfilment as a decrypted export
behind an expiring single-resident link, denial with its grounds, and the overdue mark."""

from __future__ import annotations

import io
import json
import uuid
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import text
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from core.contracts.rights import Denial, DenialGround, export_file
from core.db import tenant_session
from core.enums import RequestStatus, UserRole
from core.events import EventType
from core.process import Actor, Wait
from models.compliance_extended import DataAccessRequest
from services.events import events_about
from services.rights.links import LinkRefused, make_token, read_token
from tests.breach.conftest import BreachWorker, resident_in
from tests.db import as_owner
from tests.factories import OrgFactory, SampleOrg
from workflows.rights import ACCESS, AccessInput, AccessRequestWorkflow, DenyMsg, ExtendMsg

OFFICER = UserRole.COMPLIANCE_OFFICER
DAY = timedelta(days=1)


async def _request(
    env: WorkflowEnvironment, w: BreachWorker, org: SampleOrg, resident: uuid.UUID
) -> tuple[WorkflowHandle, uuid.UUID, Actor]:
    officer = Actor(org.org_id, org.users[OFFICER], "req-test")
    request_id = uuid.uuid4()
    handle = await env.client.start_workflow(
        AccessRequestWorkflow.run,
        AccessInput(officer, request_id, resident, "Everything you hold about me", link_days=7),
        id=ACCESS.id(org.org_id, request_id),
        task_queue=w.queue,
    )
    await handle.execute_update(AccessRequestWorkflow.wait_recorded, Wait(officer))
    return handle, request_id, officer


async def test_a_request_extended_once_with_its_reason_is_then_fulfilled_behind_an_expiring_link(
    time_skipping: WorkflowEnvironment, breach_worker: BreachWorker, orgs: OrgFactory
) -> None:
    org = orgs.create((OFFICER,))
    resident = resident_in(org.org_id, "PA", "Philippa", "Nakashima-Orr")
    other = resident_in(org.org_id, "PA", "Someone", "Else-Entirely")
    handle, request_id, officer = await _request(time_skipping, breach_worker, org, resident)
    started = await handle.query(AccessRequestWorkflow.state)
    assert started is not None
    first = started.due_at
    await time_skipping.sleep(20 * DAY)
    st = await handle.execute_update(
        AccessRequestWorkflow.extend, ExtendMsg(officer, "Older files are off site")
    )
    assert st.extended and st.due_at == first + 30 * DAY
    with pytest.raises(WorkflowUpdateFailedError) as twice:
        await handle.execute_update(AccessRequestWorkflow.extend, ExtendMsg(officer, "Again"))
    assert "once" in str(twice.value.cause)
    await time_skipping.sleep(25 * DAY)  # day 45: past the first 30 days, inside the extension
    st = await handle.execute_update(AccessRequestWorkflow.fulfil, Wait(officer))
    assert st.status is RequestStatus.FULFILLED and not st.overdue
    assert st.link_expires_at is not None
    await handle.result()

    with tenant_session(org.org_id, actor_type="test") as s:
        req = s.get(DataAccessRequest, request_id)
        assert req is not None and req.extension_reason == "Older files are off site"
        assert req.extension_notified_at is not None and req.extended_due_at == st.due_at
        assert req.status is RequestStatus.FULFILLED and req.export_json_sha256 is not None
        types = events_about(s, request_id)
    assert types == [
        EventType.ACCESS_REQUESTED,
        EventType.ACCESS_REQUEST_EXTENDED,
        EventType.ACCESS_REQUEST_FULFILLED,
    ]

    # The export holds that resident's records, decrypted, and no one else's.
    records = json.loads(breach_worker.files.get(export_file(org.org_id, request_id, "json")))
    assert records["residents"][0]["last_name"] == "Nakashima-Orr"
    assert records["data_access_requests"][0]["details"] == "Everything you hold about me"
    assert "Else-Entirely" not in json.dumps(records) and str(other) not in json.dumps(records)
    pdf = breach_worker.files.get(export_file(org.org_id, request_id, "pdf"))
    words = " ".join(" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "Your records" in words and "Nakashima-Orr" in words

    # The link names this request and resident, and stops working when it expires.
    token = make_token(org.org_id, request_id, resident, st.link_expires_at)
    claims = read_token(token, st.link_expires_at - DAY)
    assert (claims.request_id, claims.resident_id) == (request_id, resident)
    with pytest.raises(LinkRefused) as late:
        read_token(token, st.link_expires_at + timedelta(seconds=1))
    assert late.value.reason == "expired"
    with pytest.raises(LinkRefused):
        read_token(
            make_token(org.org_id, request_id, other, st.link_expires_at)[:-2] + "AA", claims.expires_at
        )


async def test_no_extension_after_the_first_30_days_and_an_open_request_is_marked_overdue(
    time_skipping: WorkflowEnvironment, breach_worker: BreachWorker, orgs: OrgFactory
) -> None:
    org = orgs.create((OFFICER,))
    handle, request_id, officer = await _request(
        time_skipping, breach_worker, org, resident_in(org.org_id, "PA")
    )
    await time_skipping.sleep(31 * DAY)
    st = await handle.query(AccessRequestWorkflow.state)
    assert st is not None and st.overdue
    with pytest.raises(WorkflowUpdateFailedError) as late:
        await handle.execute_update(AccessRequestWorkflow.extend, ExtendMsg(officer, "Too late"))
    assert "before the first 30 days" in str(late.value.cause)
    with tenant_session(org.org_id, actor_type="test") as s:
        assert EventType.ACCESS_REQUEST_OVERDUE in events_about(s, request_id)
    await handle.execute_update(AccessRequestWorkflow.fulfil, Wait(officer))
    await handle.result()


async def test_a_denial_gives_its_grounds_the_right_to_review_and_how_to_complain(
    time_skipping: WorkflowEnvironment, breach_worker: BreachWorker, orgs: OrgFactory
) -> None:
    org = orgs.create((OFFICER,))
    resident = resident_in(org.org_id, "PA", "Quincy", "Adebayo-Lund")
    handle, request_id, officer = await _request(time_skipping, breach_worker, org, resident)
    denial = Denial(
        DenialGround.REFERENCES_ANOTHER_PERSON, "Group notes name another resident", "Privacy officer"
    )
    st = await handle.execute_update(AccessRequestWorkflow.deny, DenyMsg(officer, denial))
    assert st.status is RequestStatus.DENIED
    await handle.result()
    letter = breach_worker.files.get(export_file(org.org_id, request_id, "denial"))
    words = " ".join(" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(letter)).pages)
    for needed in (
        "Quincy Adebayo-Lund",
        "Why",
        "name another person",
        "Your right to a review",
        "licensed health care professional",
        "How to complain",
        "Office for Civil Rights",
    ):
        assert needed in words, needed
    with tenant_session(org.org_id, actor_type="test") as s:
        req = s.get(DataAccessRequest, request_id)
        assert req is not None and req.denial_ground == "references_another_person" and req.denial_reviewable
        assert req.denial_reason == "Group notes name another resident"
    with as_owner() as c:
        raw = c.execute(
            text("SELECT denial_reason FROM data_access_requests WHERE id = :i"), {"i": request_id}
        )
        assert b"Group notes" not in bytes(raw.scalar_one())


async def test_the_export_carries_the_accounting_of_disclosures_of_the_last_six_years(
    time_skipping: WorkflowEnvironment, breach_worker: BreachWorker, orgs: OrgFactory
) -> None:
    from datetime import UTC, datetime

    from tests.consent.builders import add_disclosure, make_consent

    org = orgs.create((OFFICER,))
    resident = resident_in(org.org_id, "PA", "Ottoline", "Varga-Seyi")
    now, by = datetime.now(UTC), org.users[OFFICER]
    consent = make_consent(org.org_id, resident)
    add_disclosure(org.org_id, resident, consent, by, now - 30 * DAY, "Dr. Amara Lindqvist", "Drug tests")
    # Older than HIPAA's six years: not in the accounting (the raw row still is in the export).
    add_disclosure(org.org_id, resident, consent, by, now - 7 * 366 * DAY, "Ancient Provider", "Old records")
    handle, request_id, officer = await _request(time_skipping, breach_worker, org, resident)
    await handle.execute_update(AccessRequestWorkflow.fulfil, Wait(officer))
    await handle.result()

    records = json.loads(breach_worker.files.get(export_file(org.org_id, request_id, "json")))
    lines = records["accounting_of_disclosures"]
    assert [(x["recipient"], x["information"], x["purpose"]) for x in lines] == [
        ("Dr. Amara Lindqvist", "Drug tests", "treatment")
    ]
    pdf = breach_worker.files.get(export_file(org.org_id, request_id, "pdf"))
    words = " ".join(" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "Accounting of disclosures" in words and "Dr. Amara Lindqvist" in words
