"""Follow-up after discharge: 180 simulated days on the time-skipping server (a reminder, a
wave left unanswered, then "no contact"), the survey page over real HTTP, and the outcomes
report's suppression of small cells."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select
from temporalio.testing import WorkflowEnvironment

from activities.base import Deps
from core.contracts.outcomes import ANSWERED_SIGNAL, OUTCOMES, Answered, survey_id
from core.db import app_engine, tenant_session
from core.enums import UserRole
from core.notify import RecordingNotifier
from models.reports import FollowUpConsent, FollowUpSurvey
from services.reports import outcomes
from tests.factories import OrgFactory
from tests.reports.outcome_builders import Left, former_residents
from workflows.outcomes import FollowUpResult, FollowUpWorkflow

LINK = re.compile(r"/follow-up/(\S+)$")


@dataclass
class Worker:
    queue: str
    notifier: RecordingNotifier


@pytest.fixture
async def outcome_worker(time_skipping: WorkflowEnvironment, database: str) -> AsyncIterator[Worker]:
    from worker import build_worker

    notifier = RecordingNotifier()
    queue = f"test-{uuid.uuid4().hex[:10]}"
    deps = Deps(engine=app_engine(), notifier=notifier)
    async with build_worker(
        time_skipping.client, task_queue=queue, executor=ThreadPoolExecutor(4), deps=deps
    ):
        yield Worker(queue, notifier)


async def _emails(notifier: RecordingNotifier, n: int) -> list[str]:
    """The bodies of the first n e-mails, once the worker has sent them (real seconds)."""
    for _ in range(200):
        got = notifier.emails()
        if len(got) >= n:
            return [e.body for e in got]
        await asyncio.sleep(0.05)
    raise AssertionError(f"{len(notifier.emails())} e-mails, expected {n}")


def _answer(org_id: uuid.UUID, body: str, form: dict[str, str]) -> tuple[uuid.UUID, int, bool]:
    m = LINK.search(body)
    assert m, body
    link = outcomes.read_token(m.group(1), datetime.now(UTC))
    with tenant_session(org_id, actor_type="test") as s:
        return outcomes.answer(s, link, form, datetime.now(UTC))


async def test_a_consenting_resident_is_asked_at_30_90_and_180_days_reminded_once_and_no_contact_is_final(
    orgs: OrgFactory, time_skipping: WorkflowEnvironment, outcome_worker: Worker
) -> None:
    org = orgs.create((UserRole.CASE_MANAGER,))
    env, notifier = time_skipping, outcome_worker.notifier
    today = (await env.get_current_time()).date()
    (left,) = former_residents(org.org_id, 1, today)
    handle = await env.client.start_workflow(
        FollowUpWorkflow.run,
        left.follow_up(org.org_id, today),
        id=OUTCOMES.id(org.org_id, left.discharge_id),
        task_queue=outcome_worker.queue,
    )
    # Day 30: the link goes out; unanswered a week later, one reminder with the same link.
    await env.sleep(timedelta(days=31))
    (first,) = await _emails(notifier, 1)
    assert notifier.emails()[0].to == (left.email,)
    await env.sleep(timedelta(days=7))
    _, reminder = await _emails(notifier, 2)
    assert reminder.startswith("A reminder") and LINK.search(reminder).group(1) == LINK.search(first).group(1)  # type: ignore[union-attr]
    _answer(org.org_id, reminder, {"use": "no", "housing": "own", "hope": "4"})
    await handle.signal(ANSWERED_SIGNAL, Answered(30, False))
    # Day 90: sent, reminded, never answered: closed at day 104, its link dead.
    await env.sleep(timedelta(days=90 - 38 + 15))
    bodies = await _emails(notifier, 4)
    with pytest.raises(outcomes.LinkError):
        _answer(org.org_id, bodies[2], {"use": "no"})
    # Day 180: "no contact" ends it at once.
    await env.sleep(timedelta(days=180 - 105 + 1))
    bodies = await _emails(notifier, 5)
    wave, no_contact = _answer(org.org_id, bodies[4], {"no_contact": "yes"})[1:]
    assert (wave, no_contact) == (180, True)
    await handle.signal(ANSWERED_SIGNAL, Answered(180, True))
    result: FollowUpResult = await handle.result()
    assert result.waves == {30: "answered", 90: "closed", 180: "answered"} and result.no_contact
    assert len(notifier.emails()) == 5  # no reminder after "no contact"
    with tenant_session(org.org_id, actor_type="test") as s:
        rows = {
            r.wave: r
            for r in s.scalars(select(FollowUpSurvey).where(FollowUpSurvey.discharge_id == left.discharge_id))
        }
        consent = s.scalars(
            select(FollowUpConsent).where(FollowUpConsent.resident_id == left.resident_id)
        ).one()
        assert {w: r.status for w, r in rows.items()} == {30: "answered", 90: "expired", 180: "answered"}
        assert rows[30].answers == {"use": "no", "housing": "own", "hope": "4", "no_contact": False}
        assert rows[30].reminded_at is not None and rows[90].token_hash is None
        assert consent.withdrawn_at is not None
        assert b"housing" not in (rows[30].answers_ct or b"")  # stored encrypted


async def test_no_consent_means_no_survey_and_no_contact_stops_a_wave_already_sent(
    orgs: OrgFactory, time_skipping: WorkflowEnvironment, outcome_worker: Worker
) -> None:
    org = orgs.create((UserRole.CASE_MANAGER,))
    env = time_skipping
    today = (await env.get_current_time()).date()
    # Staff withdraw a consent while the 30-day link is out: the reminder is never sent.
    (left,) = former_residents(org.org_id, 1, today)
    handle = await env.client.start_workflow(
        FollowUpWorkflow.run,
        left.follow_up(org.org_id, today),
        id=OUTCOMES.id(org.org_id, left.discharge_id),
        task_queue=outcome_worker.queue,
    )
    await env.sleep(timedelta(days=31))
    await _emails(outcome_worker.notifier, 1)
    with tenant_session(org.org_id, actor_type="test") as s:
        outcomes.set_consent(s, left.resident_id, False, datetime.now(UTC))
    result = await handle.result()
    assert result.waves == {30: "stopped"} and len(outcome_worker.notifier.emails()) == 1
    (never,) = former_residents(org.org_id, 1, today, consented=False)
    # (Last: awaiting a result lets the time-skipping server run ahead.)
    result = await env.client.execute_workflow(
        FollowUpWorkflow.run,
        never.follow_up(org.org_id, today),
        id=OUTCOMES.id(org.org_id, never.discharge_id),
        task_queue=outcome_worker.queue,
    )
    assert (result.consented, result.waves) == (False, {})


def _sent(org_id: uuid.UUID, left: Left, on: date, wave: int) -> str:
    """The wave's link, as the follow-up would send it."""
    with tenant_session(org_id, actor_type="test") as s:
        outcomes.plan(s, left.follow_up(org_id, on))
        m = outcomes.prepare_send(s, survey_id(left.discharge_id, wave), datetime.now(UTC), False)
    assert m is not None
    return LINK.search(m.body).group(1)  # type: ignore[union-attr]


def test_the_survey_page_is_a_plain_accessible_form_and_no_contact_takes_effect_at_once(
    stack: str, orgs: OrgFactory
) -> None:
    org = orgs.create((UserRole.CASE_MANAGER,))
    left_on = date.today() - timedelta(days=31)
    first, second = former_residents(org.org_id, 2, left_on)
    token = _sent(org.org_id, first, left_on, 30)
    with httpx.Client(base_url=stack, timeout=60) as http:
        page = http.get(f"/follow-up/{token}")
        assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
        html = page.text
        assert '<html lang="en">' in html and html.count("<fieldset>") == html.count("<legend>") == 9
        assert all(f'for="{m}"' in html for m in re.findall(r'type="radio" id="(\S+)"', html))
        bad = http.post(f"/follow-up/{token}", data={"use": "sometimes"})
        assert bad.status_code == 422 and 'role="alert"' in bad.text
        done = http.post(f"/follow-up/{token}", data={"use": "no", "work": "school", "people": "5"})
        assert done.status_code == 200 and "Thank you" in done.text
        assert http.get(f"/follow-up/{token}").status_code == 410
        assert http.get(f"/follow-up/{token[:-2]}xx").status_code == 400
        other = _sent(org.org_id, second, left_on, 30)
        stop = http.post(f"/follow-up/{other}", data={"no_contact": "yes"})
        assert stop.status_code == 200 and "won't contact you again" in stop.text
        foreign = http.post(f"/follow-up/{token}", data={}, headers={"Origin": "https://evil.example"})
        assert foreign.status_code == 403
    with tenant_session(org.org_id, actor_type="test") as s:
        assert not outcomes.consented(s, second.resident_id)
        waves = s.scalars(
            select(FollowUpSurvey.status).where(FollowUpSurvey.resident_id == second.resident_id)
        ).all()
        assert sorted(waves) == ["answered", "stopped", "stopped"]
        assert outcomes.prepare_send(s, survey_id(second.discharge_id, 90), datetime.now(UTC), False) is None


def test_the_outcomes_report_suppresses_every_count_under_eleven(stack: str, orgs: OrgFactory) -> None:
    org = orgs.create((UserRole.EXECUTIVE_DIRECTOR, UserRole.CASE_MANAGER))
    left_on = date.today() - timedelta(days=40)
    people = former_residents(org.org_id, 12, left_on)
    for n, person in enumerate(people):
        token = _sent(org.org_id, person, left_on, 30)
        link = outcomes.read_token(token, datetime.now(UTC))
        with tenant_session(org.org_id, actor_type="test") as s:
            outcomes.answer(s, link, {"use": "more" if n == 0 else "no"}, datetime.now(UTC))
        if n < 3:
            _sent(org.org_id, person, left_on, 90)
    with httpx.Client(base_url=stack, headers=org.headers(UserRole.EXECUTIVE_DIRECTOR), timeout=60) as http:
        got = http.get("/v1/reports/outcomes", params={"limit": 200})
        pdf = http.get("/v1/reports/outcomes", params={"format": "pdf"})
    assert got.status_code == 200, got.text
    cells = {(r["wave"], r["question"], r["answer"]): r["count"] for r in got.json()["items"]}
    use = "Since you left, have you used alcohol or drugs?"
    assert cells[(30, "surveys", "sent")] == 12 and cells[(30, "surveys", "answered")] == 12
    assert cells[(30, use, "No")] == 11
    assert cells[(30, use, "More than that")] is None  # one person: suppressed
    assert cells[(90, "surveys", "sent")] is None  # three: suppressed
    assert all(v is None for (w, q, _), v in cells.items() if w == 90)
    assert got.json()["totals"]["suppressed_cells"] > 0
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
