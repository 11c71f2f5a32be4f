"""Recording scenarios for the access workflows of the consent family: break-glass review and
the patient notice (tests/test_replay.py; registry.py names this module)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

from temporalio.client import Client, WorkflowHandle

from core.process import Actor, Wait
from tests.harness import Scenario


async def _grant(client: Client, queue: str, actor: Actor) -> WorkflowHandle:
    from tests.documents.factories import make_resident
    from workflows.consent import CONSENT
    from workflows.consent.break_glass import BreakGlassInput, BreakGlassReviewWorkflow

    resident = make_resident(actor.org_id, "Historia", "Emergencia")
    event_id = uuid.uuid4()
    # Opened by someone else than the recorder's actor, who reviews it.
    opener = Actor(actor.org_id, _peer_support(actor.org_id), "history")
    handle = await client.start_workflow(
        BreakGlassReviewWorkflow.run,
        BreakGlassInput(opener, event_id, resident, "Invented emergency for a recorded history"),
        id=CONSENT.id(actor.org_id, event_id),
        task_queue=queue,
    )
    await handle.execute_update(BreakGlassReviewWorkflow.wait_opened, Wait(opener))
    return handle


def _peer_support(org_id: uuid.UUID) -> uuid.UUID:
    from core.db import tenant_session
    from core.enums import UserRole
    from tests.factories import add_user

    with tenant_session(org_id, actor_type="test") as s:
        email = f"peer.{uuid.uuid4().hex[:10]}@example.test"
        return add_user(s, UserRole.PEER_SUPPORT, org_id=org_id, email=email, first_name="Historia").id


async def _review(handle: WorkflowHandle, actor: Actor) -> None:
    from core.enums import BreakGlassReviewOutcome
    from workflows.consent.break_glass import BreakGlassReviewWorkflow, Review

    await handle.execute_update(
        BreakGlassReviewWorkflow.review, Review(actor, BreakGlassReviewOutcome.JUSTIFIED, "Invented")
    )


async def break_glass_reviewed(client: Client, queue: str, actor: Actor) -> WorkflowHandle:
    handle = await _grant(client, queue, actor)
    await _review(handle, actor)
    return handle


async def break_glass_escalated(client: Client, queue: str, actor: Actor) -> WorkflowHandle:
    from temporalio.api.testservice.v1 import SleepRequest

    handle = await _grant(client, queue, actor)
    # The time-skipping server's clock, moved past the hour and the 24 hours (as env.sleep does).
    req = SleepRequest()
    req.duration.FromTimedelta(timedelta(hours=25))
    await client.test_service.unlock_time_skipping_with_sleep(req)
    await _review(handle, actor)
    return handle


async def notice_acknowledged(client: Client, queue: str, actor: Actor) -> WorkflowHandle:
    from datetime import UTC, datetime

    from activities.signing import LinkAction
    from core.contracts.signing import Evidence
    from core.db import tenant_session
    from services.consent.notices import notice_id
    from services.signing.links import current_link, read_token
    from tests.documents.factories import make_resident
    from workflows.consent import CONSENT
    from workflows.consent.notice import NoticeInput, PatientNoticeWorkflow
    from workflows.signing import SIGNING, SignatureRequestWorkflow

    resident = make_resident(actor.org_id, "Historia", "Avisada")
    nid = notice_id(resident)
    handle = await client.start_workflow(
        PatientNoticeWorkflow.run,
        NoticeInput(actor, nid, resident),
        id=CONSENT.id(actor.org_id, nid),
        task_queue=queue,
    )
    state = await handle.execute_update(PatientNoticeWorkflow.wait_delivered, Wait(actor))
    document_id = state.document_id
    assert document_id is not None
    child = client.get_workflow_handle(SIGNING.id(actor.org_id, document_id))
    for _ in range(100):
        try:
            await child.execute_update(SignatureRequestWorkflow.wait_prepared, Wait(actor))
            break
        except Exception:  # the child is being started
            await asyncio.sleep(0.1)
    with tenant_session(actor.org_id, actor_type="test") as s:
        url = current_link(s, document_id)[2]
    link = read_token(url.rsplit("/", 1)[1], datetime.now(UTC))
    page = Actor(actor.org_id, None, "history")
    ev = Evidence("192.0.2.1", "history-recorder")
    await child.execute_update(SignatureRequestWorkflow.view, LinkAction(page, link, ev))
    await child.execute_update(SignatureRequestWorkflow.consent, LinkAction(page, link, ev))
    await child.execute_update(
        SignatureRequestWorkflow.sign, LinkAction(page, link, ev, typed="Historia Avisada")
    )
    return handle


SCENARIOS: dict[str, Scenario] = {
    "break-glass-reviewed": break_glass_reviewed,
    "break-glass-escalated": break_glass_escalated,
    "notice-acknowledged": notice_acknowledged,
}
