"""The SignatureRequest workflow in Temporal time, on the registry's workflows and the real
database: signing order, reminders, expiry, decline, void, single-use links, the evidence trail
and the completed, frozen document."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime

import pytest
from pypdf import PdfReader
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from activities.signing import LinkAction
from core.contracts.signing import Evidence, Link, SignerSpec
from core.db import tenant_session
from core.enums import DocumentStatus, SignatureStatus, UserRole
from core.process import Actor, Wait
from models.documents import Document, Signature
from models.documents_extended import DocumentVersion, SignatureEvent
from models.files import FileUpload
from services.signing.links import read_token
from tests.documents.factories import make_document, make_resident
from tests.factories import OrgFactory, SampleOrg
from tests.signing.conftest import SigningWorker
from workflows.signing import (
    SIGNING,
    RequestState,
    SignatureRequestInput,
    SignatureRequestWorkflow,
)

SIGN, DECLINE = SignatureRequestWorkflow.sign, SignatureRequestWorkflow.decline
PHONE_IP, DESK_IP = "203.0.113.7", "198.51.100.20"
PHONE = Evidence(PHONE_IP, "Mozilla/5.0 (iPhone) test")
DESK = Evidence(DESK_IP, "Mozilla/5.0 (X11; Linux) test")


async def _start(
    env: WorkflowEnvironment, w: SigningWorker, org: SampleOrg, witness: bool = True, **kw: int
) -> tuple[WorkflowHandle, uuid.UUID, Actor]:
    staff = Actor(org.org_id, org.users[UserRole.HOUSE_MANAGER], "req-test")
    resident = make_resident(org.org_id)
    doc = make_document(org.org_id, resident)
    signers = [SignerSpec("resident", resident_id=resident)]
    if witness:
        signers.append(SignerSpec("house_manager", user_id=org.users[UserRole.HOUSE_MANAGER]))
    handle = await env.client.start_workflow(
        SignatureRequestWorkflow.run,
        SignatureRequestInput(staff, doc, signers, **kw),
        id=SIGNING.id(org.org_id, doc),
        task_queue=w.queue,
    )
    await handle.execute_update(SignatureRequestWorkflow.wait_prepared, Wait(staff))
    return handle, doc, staff


async def _first_link(handle: WorkflowHandle, w: SigningWorker) -> tuple[RequestState, Link]:
    """The request's state and the first signer's link, as the notifier delivered it."""
    state = await handle.query(SignatureRequestWorkflow.state)
    assert state is not None
    return state, _link(w, state.signers[0].signature_id)


def _link(w: SigningWorker, sid: uuid.UUID) -> Link:
    deliveries = w.notifier.deliveries(sid)
    assert deliveries, "no link delivered to this signer"
    return read_token(deliveries[-1].link.rsplit("/", 1)[1], datetime.now(UTC))


async def _sign(handle: WorkflowHandle, actor: Actor, link: Link, ev: Evidence, typed: str) -> None:
    await handle.execute_update(SignatureRequestWorkflow.view, LinkAction(actor, link, ev))
    await handle.execute_update(SignatureRequestWorkflow.consent, LinkAction(actor, link, ev))
    await handle.execute_update(SIGN, LinkAction(actor, link, ev, typed=typed))


async def test_signers_sign_in_order_and_completion_writes_a_frozen_signed_version_with_a_certificate(
    time_skipping: WorkflowEnvironment, signing_worker: SigningWorker, orgs: OrgFactory
) -> None:
    org = orgs.create((UserRole.HOUSE_MANAGER,))
    handle, doc_id, _ = await _start(time_skipping, signing_worker, org)
    state = await handle.query(SignatureRequestWorkflow.state)
    assert state is not None
    first, second = (s.signature_id for s in state.signers)
    assert signing_worker.notifier.deliveries(second) == []  # the witness waits for the resident

    page = Actor(org.org_id, None, "page")
    await _sign(handle, page, _link(signing_worker, first), PHONE, "Rosalind Achterberg")
    # Not the witness's turn until the resident has signed; now it is.
    assert [d.kind for d in signing_worker.notifier.deliveries(second)] == ["invitation"]
    await _sign(handle, page, _link(signing_worker, second), DESK, "Test House_Manager")
    result = await handle.result()
    assert result.status is DocumentStatus.SIGNED

    with tenant_session(org.org_id, actor_type="test") as s:
        doc = s.get(Document, doc_id)
        assert doc is not None and doc.status is DocumentStatus.SIGNED and doc.current_version == 2
        versions = s.scalars(
            select(DocumentVersion)
            .where(DocumentVersion.document_id == doc_id)
            .order_by(DocumentVersion.version_no)
        ).all()
        assert [v.version_no for v in versions] == [1, 2]
        pdf = s.get(FileUpload, versions[1].file_upload_id)
        assert pdf is not None and pdf.sha256 == doc.content_sha256
        events = s.scalars(
            select(SignatureEvent)
            .where(SignatureEvent.document_id == doc_id)
            .order_by(SignatureEvent.occurred_at, SignatureEvent.id)
        ).all()
        kinds = [e.event for e in events]
        assert kinds.count("signed") == 2 and kinds[-1] == "completed"
        assert {"sent", "viewed", "consented"} <= set(kinds)
        signed = [e for e in events if e.event == "signed"]
        # A signature moves the evidence hash; the next event starts where it ended.
        assert all(e.sha256_before != e.sha256_after for e in signed)
        assert signed[0].sha256_after == signed[1].sha256_before
        assert (signed[0].ip_address, signed[0].user_agent) == (PHONE.ip, PHONE.user_agent)
        assert signed[1].ip_address == DESK.ip
        original = versions[0].content_sha256.hex()
        key, signed_sha = pdf.storage_key, pdf.sha256

    # The stored PDF reads back only with its recorded hash; the certificate lists the trail.
    data = signing_worker.files.get(key, signed_sha)
    assert data.startswith(b"%PDF-")
    from services.documents import file_id, storage_key

    cert = signing_worker.files.get(storage_key(org.org_id, file_id(doc_id, "certificate")))
    cert_text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(cert)).pages)
    flat = "".join(cert_text.split())
    assert "Certificateofcompletion" in flat
    assert original in flat and signed_sha.hex() in flat
    assert PHONE_IP in flat and DESK_IP in flat and "completed" in flat

    # The database refuses to change the signed document, its versions or its signatures.
    with pytest.raises(DBAPIError, match="signed and cannot change"), tenant_session(org.org_id) as s:
        s.execute(text("UPDATE documents SET content = NULL WHERE id = :id"), {"id": doc_id})
    with pytest.raises(DBAPIError, match=r"permission denied|append-only"), tenant_session(org.org_id) as s:
        s.execute(text("UPDATE document_versions SET version_no = 9 WHERE document_id = :id"), {"id": doc_id})
    with pytest.raises(DBAPIError, match="cannot change"), tenant_session(org.org_id) as s:
        s.execute(
            text("UPDATE signatures SET typed_signature = NULL WHERE document_id = :id"), {"id": doc_id}
        )


async def test_a_link_signs_once(
    time_skipping: WorkflowEnvironment, signing_worker: SigningWorker, orgs: OrgFactory
) -> None:
    org = orgs.create((UserRole.HOUSE_MANAGER,))
    handle, doc_id, _ = await _start(time_skipping, signing_worker, org, witness=False)
    _, link = await _first_link(handle, signing_worker)
    page = Actor(org.org_id, None, "page")
    await _sign(handle, page, link, PHONE, "Rosalind Achterberg")
    await handle.result()
    with pytest.raises(Exception):  # noqa: B017 - refused by the validator or the closed workflow
        await handle.execute_update(SIGN, LinkAction(page, link, PHONE, typed="Again"))
    with tenant_session(org.org_id, actor_type="test") as s:
        count = s.scalar(
            select(text("count(*)"))
            .select_from(SignatureEvent)
            .where(SignatureEvent.document_id == doc_id, SignatureEvent.event == "signed")
        )
        assert count == 1


async def test_signing_needs_consent_first_and_the_second_signer_cannot_go_first(
    time_skipping: WorkflowEnvironment, signing_worker: SigningWorker, orgs: OrgFactory
) -> None:
    org = orgs.create((UserRole.HOUSE_MANAGER,))
    handle, _, _ = await _start(time_skipping, signing_worker, org)
    state, first = await _first_link(handle, signing_worker)
    page = Actor(org.org_id, None, "page")
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update(SIGN, LinkAction(page, first, PHONE, typed="R A"))
    assert "consent" in str(refused.value.cause.__cause__ or refused.value.cause).lower()
    forged = Link(
        org.org_id, first.document_id, state.signers[1].signature_id, first.expires_at, first.digest
    )
    with pytest.raises(WorkflowUpdateFailedError, match="update failed") as turn:
        await handle.execute_update(SIGN, LinkAction(page, forged, DESK, typed="H M"))
    assert "turn" in str(turn.value.cause)
    await handle.terminate("test over")


async def test_an_unsigned_request_is_reminded_on_schedule_then_expires_at_its_deadline(
    time_skipping: WorkflowEnvironment, signing_worker: SigningWorker, orgs: OrgFactory
) -> None:
    org = orgs.create((UserRole.HOUSE_MANAGER,))
    handle, doc_id, _ = await _start(
        time_skipping, signing_worker, org, expires_after_hours=96, remind_every_hours=24
    )
    result = await handle.result()
    assert result.status is DocumentStatus.EXPIRED
    first = result.signers[0]
    assert first.reminders == 3  # at 24, 48 and 72 hours; the deadline falls at 96
    kinds = [d.kind for d in signing_worker.notifier.deliveries(first.signature_id)]
    assert kinds == ["invitation", "reminder", "reminder", "reminder"]
    assert signing_worker.notifier.deliveries(result.signers[1].signature_id) == []
    with tenant_session(org.org_id, actor_type="test") as s:
        doc = s.get(Document, doc_id)
        assert doc is not None and doc.status is DocumentStatus.EXPIRED
        statuses = set(s.scalars(select(Signature.status).where(Signature.document_id == doc_id)))
        assert statuses == {SignatureStatus.EXPIRED}
        events = s.scalars(
            select(SignatureEvent.event)
            .where(SignatureEvent.document_id == doc_id)
            .order_by(SignatureEvent.occurred_at)
        ).all()
        assert events == ["sent", "reminded", "reminded", "reminded", "expired"]


async def test_a_declining_signer_ends_the_request_and_the_next_signer_is_never_asked(
    time_skipping: WorkflowEnvironment, signing_worker: SigningWorker, orgs: OrgFactory
) -> None:
    org = orgs.create((UserRole.HOUSE_MANAGER,))
    handle, doc_id, _ = await _start(time_skipping, signing_worker, org)
    _, link = await _first_link(handle, signing_worker)
    page = Actor(org.org_id, None, "page")
    await handle.execute_update(DECLINE, LinkAction(page, link, PHONE, reason="not today"))
    result = await handle.result()
    assert result.status is DocumentStatus.VOIDED
    assert result.signers[0].status is SignatureStatus.DECLINED
    assert signing_worker.notifier.deliveries(result.signers[1].signature_id) == []
    with tenant_session(org.org_id, actor_type="test") as s:
        sig = s.get(Signature, result.signers[0].signature_id)
        assert sig is not None and sig.decline_reason == "not today" and sig.declined_at is not None
        doc = s.get(Document, doc_id)
        assert doc is not None and doc.status is DocumentStatus.VOIDED


async def test_staff_void_an_open_request_and_the_trail_names_who(
    time_skipping: WorkflowEnvironment, signing_worker: SigningWorker, orgs: OrgFactory
) -> None:
    org = orgs.create((UserRole.HOUSE_MANAGER,))
    handle, doc_id, staff = await _start(time_skipping, signing_worker, org)
    state = await handle.execute_update(SignatureRequestWorkflow.void, Wait(staff))
    assert (state.status, state.voided_by) == (DocumentStatus.VOIDED, staff.user_id)
    with pytest.raises(Exception):  # noqa: B017 - a finished request takes no more messages
        await handle.execute_update(SignatureRequestWorkflow.void, Wait(staff))
    with tenant_session(org.org_id, actor_type="test") as s:
        voided = s.scalar(
            select(SignatureEvent).where(
                SignatureEvent.document_id == doc_id, SignatureEvent.event == "voided"
            )
        )
        assert voided is not None and voided.actor_user_id == staff.user_id
        statuses = set(s.scalars(select(Signature.status).where(Signature.document_id == doc_id)))
        assert statuses == {SignatureStatus.EXPIRED}
