"""Recording scenarios for the consent family's workflows (tests/test_replay.py; registry.py
names this module): consent lifecycles, and accounting requests (produced at once, and
extended first)."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from temporalio.client import Client, WorkflowHandle

from core.contracts.consent import ConsentTerms, ExpiryEvent
from core.enums import ConsentStatus
from core.process import Actor, Wait
from tests.harness import Scenario


async def _sign_current(client: Client, actor: Actor, document_id: uuid.UUID) -> None:
    """The resident signs the form whose turn it is, through its signing link."""
    from activities.signing import LinkAction
    from core.contracts.signing import Evidence
    from core.db import tenant_session
    from services.signing.links import current_link, read_token
    from workflows.signing import SIGNING, SignatureRequestWorkflow

    signing = client.get_workflow_handle(SIGNING.id(actor.org_id, document_id))
    await signing.execute_update(SignatureRequestWorkflow.wait_prepared, Wait(actor))
    with tenant_session(actor.org_id, actor_type="test") as s:
        url = current_link(s, document_id)[2]
    link = read_token(url.rsplit("/", 1)[1], datetime.now(UTC))
    page = Actor(actor.org_id, None, "history")
    ev = Evidence("192.0.2.1", "history-recorder")
    await signing.execute_update(SignatureRequestWorkflow.view, LinkAction(page, link, ev))
    await signing.execute_update(SignatureRequestWorkflow.consent, LinkAction(page, link, ev))
    await signing.execute_update(
        SignatureRequestWorkflow.sign, LinkAction(page, link, ev, typed="Historia C")
    )


async def _signed(client: Client, queue: str, actor: Actor, days: int | None) -> WorkflowHandle:
    """Signed and active; with no date (`days` None) it ends on a condition, so no timer runs
    while the scenario goes on (the test server may be skipping time)."""
    from tests.documents.factories import make_resident
    from workflows.consent import CONSENT
    from workflows.consent.lifecycle import ConsentInput, ConsentLifecycleWorkflow

    consent_id = uuid.uuid4()
    resident = make_resident(actor.org_id, "Historia", "Consentida")
    handle = await client.start_workflow(
        ConsentLifecycleWorkflow.run,
        ConsentInput(actor, consent_id, resident, _terms(days)),
        id=CONSENT.id(actor.org_id, consent_id),
        task_queue=queue,
    )
    state = await handle.execute_update(ConsentLifecycleWorkflow.wait_stored, Wait(actor))
    assert state.document_id is not None
    await _sign_current(client, actor, state.document_id)
    for _ in range(100):
        now = await handle.query(ConsentLifecycleWorkflow.state)
        if now is not None and now.status is ConsentStatus.ACTIVE:
            return handle
        await asyncio.sleep(0.1)
    raise AssertionError(f"the signed consent never became active: {now}")


def _terms(days: int | None) -> ConsentTerms:
    from tests.consent.test_lifecycle import terms

    if days is not None:
        return terms(datetime.now(UTC) + timedelta(days=days), 10)
    return replace(
        terms(datetime.now(UTC)),
        expires_at=None,
        expiry_event=ExpiryEvent.CONDITION,
        expiry_condition="court",
    )


async def expired(client: Client, queue: str, actor: Actor) -> WorkflowHandle:
    """Signed, reminded ten days before its date, expired on it."""
    return await _signed(client, queue, actor, 40)


async def revoked_on_page(client: Client, queue: str, actor: Actor) -> WorkflowHandle:
    """Signed, then revoked by the revocation form the resident signs on the page."""
    from workflows.consent.lifecycle import ConsentLifecycleWorkflow, WrittenRevocation

    handle = await _signed(client, queue, actor, None)
    state = await handle.execute_update(ConsentLifecycleWorkflow.revoke, WrittenRevocation(actor))
    assert state.revocation_document_id is not None
    await _sign_current(client, actor, state.revocation_document_id)
    return handle


async def end_of_treatment(client: Client, queue: str, actor: Actor) -> WorkflowHandle:
    """A discharge of a resident with no consent that ends with treatment."""
    from core.contracts.consent import EndOfTreatment
    from tests.documents.factories import make_resident
    from workflows.consent import CONSENT
    from workflows.consent.end_of_treatment import ConsentEndOfTreatmentWorkflow

    resident = make_resident(actor.org_id, "Historia", "Discharged")
    return await client.start_workflow(
        ConsentEndOfTreatmentWorkflow.run,
        EndOfTreatment(actor, resident, datetime.now(UTC)),
        id=CONSENT.id(actor.org_id, f"end-of-treatment-{uuid.uuid4()}"),
        task_queue=queue,
    )


async def _accounting(client: Client, queue: str, actor: Actor) -> WorkflowHandle:
    from tests.documents.factories import make_resident
    from workflows.consent import CONSENT
    from workflows.consent.accounting import AccountingInput, AccountingRequestWorkflow

    resident = make_resident(actor.org_id, "Historia", "Contabilis")
    rid = uuid.uuid4()
    handle = await client.start_workflow(
        AccountingRequestWorkflow.run,
        AccountingInput(actor, rid, resident, date(2024, 1, 1), date(2026, 12, 1)),
        id=CONSENT.id(actor.org_id, rid),
        task_queue=queue,
    )
    await handle.execute_update(AccountingRequestWorkflow.wait_opened, Wait(actor))
    return handle


async def accounting_fulfilled(client: Client, queue: str, actor: Actor) -> WorkflowHandle:
    from workflows.consent.accounting import AccountingRequestWorkflow

    handle = await _accounting(client, queue, actor)
    await handle.execute_update(AccountingRequestWorkflow.fulfil, Wait(actor))
    return handle


async def accounting_extended(client: Client, queue: str, actor: Actor) -> WorkflowHandle:
    from activities.consent.accounting import ExtendAccounting
    from workflows.consent.accounting import AccountingRequestWorkflow

    handle = await _accounting(client, queue, actor)
    await handle.execute_update(
        AccountingRequestWorkflow.extend, ExtendAccounting(actor, "Records are being retrieved.")
    )
    await handle.execute_update(AccountingRequestWorkflow.fulfil, Wait(actor))
    return handle


SCENARIOS: dict[str, Scenario] = {
    "consent-expired": expired,
    "consent-revoked-on-page": revoked_on_page,
    "consent-end-of-treatment": end_of_treatment,
    "accounting-fulfilled": accounting_fulfilled,
    "accounting-extended": accounting_extended,
}
