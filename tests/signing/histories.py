"""Recording scenarios for the signature-request workflow (tests/test_replay.py; registry.py
names this module)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from temporalio.client import Client, WorkflowHandle

from core.process import Actor, Wait
from tests.harness import Scenario


async def _request(client: Client, queue: str, actor: Actor, **kw: int) -> WorkflowHandle:
    from core.contracts.signing import SignerSpec
    from tests.documents.factories import make_document, make_resident
    from workflows.signing import SIGNING, SignatureRequestInput, SignatureRequestWorkflow

    resident = make_resident(actor.org_id, "Historia", "Signataria")
    doc = make_document(actor.org_id, resident)
    handle = await client.start_workflow(
        SignatureRequestWorkflow.run,
        SignatureRequestInput(actor, doc, [SignerSpec("resident", resident_id=resident)], **kw),
        id=SIGNING.id(actor.org_id, doc),
        task_queue=queue,
    )
    await handle.execute_update(SignatureRequestWorkflow.wait_prepared, Wait(actor))
    return handle


async def signed(client: Client, queue: str, actor: Actor) -> WorkflowHandle:
    from activities.signing import LinkAction
    from core.contracts.signing import Evidence
    from core.db import tenant_session
    from services.signing.links import current_link, read_token
    from workflows.signing import SignatureRequestWorkflow

    handle = await _request(client, queue, actor)
    with tenant_session(actor.org_id, actor_type="test") as s:
        doc_id = uuid.UUID(handle.id.rsplit("/", 1)[1])
        url = current_link(s, doc_id)[2]
    link = read_token(url.rsplit("/", 1)[1], datetime.now(UTC))
    page = Actor(actor.org_id, None, "history")
    ev = Evidence("192.0.2.1", "history-recorder")
    await handle.execute_update(SignatureRequestWorkflow.view, LinkAction(page, link, ev))
    await handle.execute_update(SignatureRequestWorkflow.consent, LinkAction(page, link, ev))
    await handle.execute_update(
        SignatureRequestWorkflow.sign, LinkAction(page, link, ev, typed="Historia Signataria")
    )
    return handle


async def expired(client: Client, queue: str, actor: Actor) -> WorkflowHandle:
    return await _request(client, queue, actor, expires_after_hours=48, remind_every_hours=24)


async def voided(client: Client, queue: str, actor: Actor) -> WorkflowHandle:
    from workflows.signing import SignatureRequestWorkflow

    handle = await _request(client, queue, actor)
    await handle.execute_update(SignatureRequestWorkflow.void, Wait(actor))
    return handle


SCENARIOS: dict[str, Scenario] = {
    "signing-signed": signed,
    "signing-expired": expired,
    "signing-voided": voided,
}
