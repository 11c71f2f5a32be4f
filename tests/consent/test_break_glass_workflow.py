"""BreakGlassReview on the time-skipping server with the real database: the access ends after
its hour with nothing done; an unreviewed grant escalates to the org owner after 24 simulated
hours (an e-mail without PHI, `escalated_at`, an outbox event); a reviewed one does not."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from activities.base import Deps
from core.db import app_engine, tenant_session
from core.enums import BreakGlassReviewOutcome, UserRole
from core.events import EventType
from core.notify import RecordingNotifier
from core.permissions import ROLE_PERMISSIONS
from core.process import Actor, Wait
from models.compliance_extended import BreakGlassEvent
from models.events import DomainEvent
from services.consent.access import Caller, basis_for
from tests.audit.helpers import chain
from tests.documents.factories import make_resident
from tests.factories import OrgFactory, SampleOrg
from workflows.consent import CONSENT
from workflows.consent.break_glass import BreakGlassInput, BreakGlassReviewWorkflow, Review

R = UserRole
REASON = "Found unresponsive in the bathroom; EMS asking about medications"


@dataclass
class Env:
    env: WorkflowEnvironment
    queue: str
    notifier: RecordingNotifier


@pytest.fixture
async def env(time_skipping: WorkflowEnvironment, database: str) -> AsyncIterator[Env]:
    from worker import build_worker

    notifier = RecordingNotifier()
    queue = f"test-{uuid.uuid4().hex[:10]}"
    deps = Deps(engine=app_engine(), notifier=notifier)
    worker = build_worker(time_skipping.client, task_queue=queue, executor=ThreadPoolExecutor(4), deps=deps)
    async with worker:
        yield Env(time_skipping, queue, notifier)


async def _open(e: Env, org: SampleOrg, resident: uuid.UUID) -> tuple[uuid.UUID, WorkflowHandle]:
    event_id = uuid.uuid4()
    actor = Actor(org.org_id, org.users[R.PEER_SUPPORT], "test")
    handle = await e.env.client.start_workflow(
        BreakGlassReviewWorkflow.run,
        BreakGlassInput(actor, event_id, resident, REASON),
        id=CONSENT.id(org.org_id, event_id),
        task_queue=e.queue,
    )
    await handle.execute_update(BreakGlassReviewWorkflow.wait_opened, Wait(actor))
    return event_id, handle


async def _basis(org: SampleOrg, resident: uuid.UUID, e: Env) -> str | None:
    user = org.users[R.PEER_SUPPORT]
    caller = Caller(user, ROLE_PERMISSIONS[R.PEER_SUPPORT])
    now = await e.env.get_current_time()
    with tenant_session(org.org_id, actor_type="test") as s:
        basis = basis_for(s, caller, resident, now)
    return str(basis) if basis else None


def _event(org: SampleOrg, event_id: uuid.UUID) -> BreakGlassEvent:
    with tenant_session(org.org_id, actor_type="test") as s:
        ev = s.get(BreakGlassEvent, event_id)
        assert ev is not None
        s.expunge(ev)
        return ev


async def _eventually(check: Callable[[], bool]) -> None:
    for _ in range(100):
        if check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("never happened")


def _events(org: SampleOrg, event_id: uuid.UUID) -> list[str]:
    with tenant_session(org.org_id, actor_type="test") as s:
        return [e.type for e in s.scalars(select(DomainEvent).where(DomainEvent.subject_id == event_id))]


async def test_the_access_ends_after_its_hour_without_any_action(env: Env, orgs: OrgFactory) -> None:
    org = orgs.create((R.ORG_OWNER, R.PEER_SUPPORT))
    resident = make_resident(org.org_id, "Ines", "Emergencia")
    assert await _basis(org, resident, env) is None
    event_id, handle = await _open(env, org, resident)
    assert await _basis(org, resident, env) == f"break-glass:{event_id}"
    await env.env.sleep(timedelta(minutes=59))
    assert await _basis(org, resident, env) == f"break-glass:{event_id}"
    await env.env.sleep(timedelta(minutes=2))
    assert await _basis(org, resident, env) is None

    async def ended() -> bool:
        state = await handle.query(BreakGlassReviewWorkflow.state)
        return state is not None and state.ended

    for _ in range(100):
        if await ended():
            break
        await asyncio.sleep(0.1)
    assert await ended()
    details = [
        e.details
        for e in chain(org.org_id)
        if e.entity_id == event_id and e.entity_type == "break_glass_events"
    ]
    assert any(d.get("opened") for d in details) and any(d.get("ended") for d in details)
    assert REASON not in str(details)
    assert _events(org, event_id) == [EventType.BREAK_GLASS_OPENED.value]


async def test_an_unreviewed_grant_escalates_to_the_owner_after_24_hours(env: Env, orgs: OrgFactory) -> None:
    org = orgs.create((R.ORG_OWNER, R.PEER_SUPPORT, R.COMPLIANCE_OFFICER))
    resident = make_resident(org.org_id, "Octavia", "Sinrevision")
    event_id, handle = await _open(env, org, resident)
    await env.env.sleep(timedelta(hours=23))
    assert _event(org, event_id).escalated_at is None and env.notifier.emails() == []
    await env.env.sleep(timedelta(hours=2))
    await _eventually(lambda: bool(env.notifier.emails()))
    (email,) = env.notifier.emails()
    assert email.to == (org.emails[R.ORG_OWNER],)
    assert str(event_id) in email.body
    for phi in ("Octavia", "Sinrevision", "unresponsive", "medications", str(resident)):
        assert phi not in email.body + email.subject
    ev = _event(org, event_id)
    assert ev.escalated_at is not None and ev.reviewed_at is None
    assert EventType.BREAK_GLASS_ESCALATED.value in _events(org, event_id)

    # Reviewed late, it is still reviewed; then the process ends.
    officer = Actor(org.org_id, org.users[R.COMPLIANCE_OFFICER], "test")
    await handle.execute_update(
        BreakGlassReviewWorkflow.review,
        Review(officer, BreakGlassReviewOutcome.JUSTIFIED, "Overdose response"),
    )
    state = await handle.result()
    assert state.escalated and state.outcome is BreakGlassReviewOutcome.JUSTIFIED
    assert len(env.notifier.emails()) == 1


async def test_a_reviewed_grant_does_not_escalate(env: Env, orgs: OrgFactory) -> None:
    org = orgs.create((R.ORG_OWNER, R.PEER_SUPPORT, R.COMPLIANCE_OFFICER))
    resident = make_resident(org.org_id, "Renata", "Revisada")
    event_id, handle = await _open(env, org, resident)
    opener = Actor(org.org_id, org.users[R.PEER_SUPPORT], "test")
    with pytest.raises(WorkflowUpdateFailedError):  # nobody reviews their own access
        await handle.execute_update(
            BreakGlassReviewWorkflow.review, Review(opener, BreakGlassReviewOutcome.JUSTIFIED, "fine")
        )
    officer = Actor(org.org_id, org.users[R.COMPLIANCE_OFFICER], "test")
    await handle.execute_update(
        BreakGlassReviewWorkflow.review,
        Review(officer, BreakGlassReviewOutcome.NEEDS_FOLLOW_UP, "Talk to staff about naloxone"),
    )
    with pytest.raises(WorkflowUpdateFailedError):  # once
        await handle.execute_update(
            BreakGlassReviewWorkflow.review, Review(officer, BreakGlassReviewOutcome.JUSTIFIED, "again")
        )
    state = await handle.result()  # skips past the hour and the 24 hours
    assert not state.escalated and state.ended
    ev = _event(org, event_id)
    assert ev.escalated_at is None and ev.review_outcome is BreakGlassReviewOutcome.NEEDS_FOLLOW_UP
    assert ev.reviewed_by_user_id == org.users[R.COMPLIANCE_OFFICER]
    assert env.notifier.emails() == []
    assert EventType.BREAK_GLASS_REVIEWED.value in _events(org, event_id)
    assert EventType.BREAK_GLASS_ESCALATED.value not in _events(org, event_id)
