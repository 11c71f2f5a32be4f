"""The AccountingRequest workflow in Temporal time, on the registry's workflows and the real
database, over simulated weeks: answered within 60 days with staff reminded before the
deadline; extended once, in writing, before the first deadline (a second extension, or one
after the deadline, is refused); the accounting lists exactly the resident's disclosures."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from pypdf import PdfReader
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from activities.consent.accounting import ExtendAccounting
from core.db import tenant_session
from core.enums import RequestStatus, UserRole
from core.events import EventType
from core.filestore import file_store_from_settings
from core.process import Actor, Wait
from models.compliance_extended import DisclosureAccountingRequest
from models.files import FileUpload
from services.events import events_about
from tests.consent.builders import add_disclosure, make_consent
from tests.documents.factories import make_resident
from tests.factories import OrgFactory, SampleOrg
from workflows.consent import CONSENT
from workflows.consent.accounting import AccountingInput, AccountingRequestWorkflow, AccountingState

STAFF = UserRole.CASE_MANAGER
DAY = timedelta(days=1)


@pytest.fixture(scope="module")
def org(orgs: OrgFactory) -> SampleOrg:
    return orgs.create((STAFF,))


async def _start(
    env: WorkflowEnvironment, queue: str, org: SampleOrg, resident: uuid.UUID, fee_cents: int = 0
) -> tuple[WorkflowHandle, AccountingState]:
    actor = Actor(org.org_id, org.users[STAFF], "req-accounting")
    rid = uuid.uuid4()
    today = datetime.now(UTC).date()
    handle = await env.client.start_workflow(
        AccountingRequestWorkflow.run,
        AccountingInput(actor, rid, resident, date(today.year - 3, today.month, 1), today, fee_cents),
        id=CONSENT.id(org.org_id, rid),
        task_queue=queue,
    )
    state = await handle.execute_update(AccountingRequestWorkflow.wait_opened, Wait(actor))
    return handle, state


def _row(org: SampleOrg, rid: uuid.UUID) -> DisclosureAccountingRequest:
    with tenant_session(org.org_id, actor_type="test") as s:
        row = s.get(DisclosureAccountingRequest, rid)
        assert row is not None
        s.expunge(row)
        return row


def _reminders(org: SampleOrg, rid: uuid.UUID) -> int:
    with tenant_session(org.org_id, actor_type="test") as s:
        return events_about(s, rid).count(EventType.ACCOUNTING_DUE_SOON)


def _actor(org: SampleOrg) -> Actor:
    return Actor(org.org_id, org.users[STAFF], "req-staff")


async def test_a_request_is_answered_in_time_with_staff_reminded_and_lists_exactly_the_residents_disclosures(
    time_skipping: WorkflowEnvironment, registry_worker: str, org: SampleOrg
) -> None:
    mine, theirs = make_resident(org.org_id, "Ines", "Marchetti-Olu"), make_resident(org.org_id)
    now = datetime.now(UTC)
    by = org.users[STAFF]
    c1, c2 = make_consent(org.org_id, mine), make_consent(org.org_id, theirs)
    add_disclosure(org.org_id, mine, c1, by, now - 400 * DAY, "Harbor Clinic", "Attendance, spring")
    add_disclosure(org.org_id, mine, c1, by, now - 3 * DAY, "Dr. Amara Lindqvist", "Drug tests, November")
    add_disclosure(org.org_id, theirs, c2, by, now - 2 * DAY, "Someone Elses Clinic", "Not hers")
    # Older than the period asked for: not in the accounting.
    add_disclosure(org.org_id, mine, c1, by, now - 4 * 365 * DAY, "Ancient Provider", "Old records")

    handle, state = await _start(time_skipping, registry_worker, org, mine)
    assert state.due_at is not None and state.fee_cents == 0
    assert timedelta(days=59) < state.due_at - now < timedelta(days=61)
    rid = state.request_id

    await time_skipping.sleep(45 * DAY)
    assert _reminders(org, rid) == 0
    await time_skipping.sleep(2 * DAY)  # 14 days before the deadline
    assert _reminders(org, rid) == 1
    assert _row(org, rid).status is RequestStatus.RECEIVED

    done = await handle.execute_update(AccountingRequestWorkflow.fulfil, Wait(_actor(org)))
    assert done.status is RequestStatus.FULFILLED
    result = await handle.result()
    assert result.fulfilled_at is not None and result.fulfilled_at < state.due_at
    row = _row(org, rid)
    assert row.status is RequestStatus.FULFILLED and row.fulfilled_at is not None
    assert row.response_file_id is not None
    with tenant_session(org.org_id, actor_type="test") as s:
        f = s.get(FileUpload, row.response_file_id)
        assert f is not None and f.is_part2 and f.resident_id == mine
        key, digest = f.storage_key, f.sha256
        assert events_about(s, rid)[-1] is EventType.ACCOUNTING_FULFILLED
    text = " ".join(
        " ".join(
            p.extract_text() for p in PdfReader(io.BytesIO(file_store_from_settings().get(key, digest))).pages
        ).split()
    )
    assert "Ines Marchetti-Olu" in text
    assert "Harbor Clinic" in text and "Dr. Amara Lindqvist" in text and "Drug tests, November" in text
    assert "Someone Elses Clinic" not in text and "Ancient Provider" not in text


async def test_one_extension_in_writing_moves_the_deadline_and_a_second_is_refused(
    time_skipping: WorkflowEnvironment, registry_worker: str, org: SampleOrg
) -> None:
    resident = make_resident(org.org_id)
    handle, state = await _start(time_skipping, registry_worker, org, resident)
    assert state.due_at is not None
    rid = state.request_id

    await time_skipping.sleep(30 * DAY)
    reason = "Records held by our former billing vendor are being retrieved."
    extended = await handle.execute_update(
        AccountingRequestWorkflow.extend, ExtendAccounting(_actor(org), reason)
    )
    assert extended.extended_due_at == state.due_at + timedelta(days=30)
    with pytest.raises(WorkflowUpdateFailedError) as second:
        await handle.execute_update(AccountingRequestWorkflow.extend, ExtendAccounting(_actor(org), "Again"))
    assert "already been extended once" in str(second.value.cause)
    row = _row(org, rid)
    assert row.extension_reason == reason and row.extended_due_at == extended.extended_due_at
    assert row.extension_sent_at is not None and row.extension_sent_at <= row.due_at

    # Past the first deadline nobody is told anything: the deadline is the extended one.
    await time_skipping.sleep(33 * DAY)
    assert _reminders(org, rid) == 0
    now_state = await handle.query(AccountingRequestWorkflow.state)
    assert now_state is not None and now_state.status is RequestStatus.IN_PROGRESS
    # 14 and 3 days before the new deadline, and on the day.
    await time_skipping.sleep(28 * DAY)
    assert _reminders(org, rid) == 3

    done = await handle.execute_update(AccountingRequestWorkflow.fulfil, Wait(_actor(org)))
    assert done.status is RequestStatus.FULFILLED
    await handle.result()
    with tenant_session(org.org_id, actor_type="test") as s:
        assert events_about(s, rid) == [
            EventType.ACCOUNTING_REQUESTED,
            EventType.ACCOUNTING_EXTENDED,
            EventType.ACCOUNTING_DUE_SOON,
            EventType.ACCOUNTING_DUE_SOON,
            EventType.ACCOUNTING_DUE_SOON,
            EventType.ACCOUNTING_FULFILLED,
        ]


async def test_an_extension_after_the_first_deadline_is_refused(
    time_skipping: WorkflowEnvironment, registry_worker: str, org: SampleOrg
) -> None:
    resident = make_resident(org.org_id)
    handle, state = await _start(time_skipping, registry_worker, org, resident)
    rid = state.request_id
    await time_skipping.sleep(61 * DAY)
    assert _reminders(org, rid) == 3  # 14 days, 3 days, the day itself
    with pytest.raises(WorkflowUpdateFailedError) as late:
        await handle.execute_update(
            AccountingRequestWorkflow.extend, ExtendAccounting(_actor(org), "Too late")
        )
    assert "before the first deadline" in str(late.value.cause)
    assert _row(org, rid).extended_due_at is None
    # It is still owed, and is produced late rather than never.
    await handle.execute_update(AccountingRequestWorkflow.fulfil, Wait(_actor(org)))
    assert (await handle.result()).status is RequestStatus.FULFILLED


async def test_the_first_request_in_twelve_months_is_free_and_a_later_one_may_carry_a_fee(
    time_skipping: WorkflowEnvironment, registry_worker: str, org: SampleOrg
) -> None:
    resident = make_resident(org.org_id)
    first, state = await _start(time_skipping, registry_worker, org, resident)
    assert state.fee_cents == 0
    second, again = await _start(time_skipping, registry_worker, org, resident, fee_cents=2500)
    assert again.fee_cents == 2500 and _row(org, again.request_id).fee_cents == 2500
    for handle in (first, second):
        await handle.execute_update(AccountingRequestWorkflow.fulfil, Wait(_actor(org)))
        await handle.result()
