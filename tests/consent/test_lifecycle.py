"""ConsentLifecycle in Temporal time, on the registry's workflows and the real database: a
consent is active only once signed, staff are reminded before it expires, it expires on its
date months later, and an unsigned one ends unsigned."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from activities.signing import LinkAction
from core.contracts.consent import (
    ConsentKind,
    ConsentTerms,
    InformationClass,
    Purpose,
    RecipientKind,
)
from core.contracts.signing import Evidence
from core.db import tenant_session
from core.enums import ConsentStatus, UserRole
from core.process import Actor, Wait
from models.compliance import Consent
from models.events import DomainEvent
from services.signing.links import read_token
from tests.documents.factories import make_resident
from tests.factories import OrgFactory, SampleOrg
from tests.signing.conftest import SigningWorker
from workflows.consent import CONSENT
from workflows.consent.lifecycle import ConsentInput, ConsentLifecycleWorkflow, ConsentState
from workflows.signing import SIGNING, SignatureRequestWorkflow

PHONE = Evidence("203.0.113.7", "Mozilla/5.0 (iPhone) test")


def terms(expires_at: datetime, remind_days_before: int = 30) -> ConsentTerms:
    return ConsentTerms(
        kind=ConsentKind.SPECIFIC_PURPOSE,
        discloser="Cedar House staff",
        recipient_kind=RecipientKind.NAMED,
        recipient_name="Dr. Imani Okafor",
        recipient_organization="Blue Ridge IOP",
        recipient_classes=(),
        intermediary_participants=None,
        treating_providers_only=False,
        information_classes=(InformationClass.DRUG_TESTS,),
        information_description="My drug screen results",
        purposes=(Purpose.CARE_COORDINATION,),
        purpose_description="Coordinating my outpatient care",
        expires_at=expires_at,
        expiry_event=None,
        expiry_condition=None,
        refusal_consequences=None,
        condition_of_admission=False,
        remind_days_before=remind_days_before,
    )


async def _start(
    env: WorkflowEnvironment, w: SigningWorker, org: SampleOrg, t: ConsentTerms, sign_within_hours: int = 336
) -> tuple[WorkflowHandle, ConsentState]:
    staff = Actor(org.org_id, org.users[UserRole.CASE_MANAGER], "req-consent")
    consent_id = uuid.uuid4()
    handle = await env.client.start_workflow(
        ConsentLifecycleWorkflow.run,
        ConsentInput(staff, consent_id, make_resident(org.org_id), t, sign_within_hours),
        id=CONSENT.id(org.org_id, consent_id),
        task_queue=w.queue,
    )
    state = await handle.execute_update(ConsentLifecycleWorkflow.wait_stored, Wait(staff))
    return handle, state


async def _resident_signs(
    env: WorkflowEnvironment, w: SigningWorker, org: SampleOrg, document_id: uuid.UUID
) -> None:
    signing = env.client.get_workflow_handle(SIGNING.id(org.org_id, document_id))
    staff = Actor(org.org_id, org.users[UserRole.CASE_MANAGER], "req-consent")
    state = await signing.execute_update(SignatureRequestWorkflow.wait_prepared, Wait(staff))
    delivery = w.notifier.deliveries(state.signers[0].signature_id)[-1]
    link = read_token(delivery.link.rsplit("/", 1)[1], datetime.now(UTC))
    page = Actor(org.org_id, None, "page")
    await signing.execute_update(SignatureRequestWorkflow.view, LinkAction(page, link, PHONE))
    await signing.execute_update(SignatureRequestWorkflow.consent, LinkAction(page, link, PHONE))
    await signing.execute_update(
        SignatureRequestWorkflow.sign, LinkAction(page, link, PHONE, typed="Rosalind A")
    )


def _consent(org: SampleOrg, consent_id: uuid.UUID) -> Consent:
    with tenant_session(org.org_id, actor_type="test") as s:
        c = s.get(Consent, consent_id)
        assert c is not None
        s.expunge(c)
        return c


def _events(org: SampleOrg, consent_id: uuid.UUID) -> list[str]:
    with tenant_session(org.org_id, actor_type="test") as s:
        return list(
            s.scalars(
                select(DomainEvent.type)
                .where(DomainEvent.subject_id == consent_id)
                .order_by(DomainEvent.tx, DomainEvent.seq)
            )
        )


async def _status(handle: WorkflowHandle) -> ConsentStatus:
    state = await handle.query(ConsentLifecycleWorkflow.state)
    assert state is not None
    return state.status


async def test_a_signed_consent_reminds_staff_before_its_date_and_expires_on_it_months_later(
    time_skipping: WorkflowEnvironment, signing_worker: SigningWorker, orgs: OrgFactory
) -> None:
    org = orgs.create((UserRole.CASE_MANAGER, UserRole.HOUSE_MANAGER))
    start = await time_skipping.get_current_time()
    handle, state = await _start(time_skipping, signing_worker, org, terms(start + timedelta(days=120)))
    assert (
        state.status is ConsentStatus.PENDING
        and _consent(org, state.consent_id).status is ConsentStatus.PENDING
    )
    assert state.document_id is not None
    await _resident_signs(time_skipping, signing_worker, org, state.document_id)
    await time_skipping.sleep(timedelta(hours=1))
    assert await _status(handle) is ConsentStatus.ACTIVE
    assert _consent(org, state.consent_id).signed_at is not None

    await time_skipping.sleep(timedelta(days=85))
    assert not [e for e in signing_worker.notifier.emails() if e.subject == "A consent expires soon"]
    await time_skipping.sleep(timedelta(days=6))  # day 91: 30 days before the date
    reminders = [e for e in signing_worker.notifier.emails() if e.subject == "A consent expires soon"]
    assert len(reminders) == 1
    # Only the staff who manage consents, and nothing the consent covers.
    assert reminders[0].to == (org.emails[UserRole.CASE_MANAGER],)
    assert "Okafor" not in reminders[0].body and "drug" not in reminders[0].body.lower()
    assert await _status(handle) is ConsentStatus.ACTIVE

    await time_skipping.sleep(timedelta(days=30))
    result = await handle.result()
    assert result.status is ConsentStatus.EXPIRED
    c = _consent(org, state.consent_id)
    assert c.status is ConsentStatus.EXPIRED and c.expired_at is not None
    assert c.expired_at >= start + timedelta(days=120)
    assert _events(org, state.consent_id) == [
        "consent.signed.v1",
        "consent.expiring.v1",
        "consent.expired.v1",
    ]


async def test_a_consent_never_signed_ends_unsigned_and_never_becomes_active(
    time_skipping: WorkflowEnvironment, signing_worker: SigningWorker, orgs: OrgFactory
) -> None:
    org = orgs.create((UserRole.CASE_MANAGER,))
    start = await time_skipping.get_current_time()
    handle, state = await _start(time_skipping, signing_worker, org, terms(start + timedelta(days=60)), 48)
    await time_skipping.sleep(timedelta(days=3))
    result = await handle.result()
    assert result.status is ConsentStatus.UNSIGNED
    assert _consent(org, state.consent_id).status is ConsentStatus.UNSIGNED
    assert _events(org, state.consent_id) == []
