"""The BreachResponse workflow over simulated months on the time-skipping server and the real
database: the 60-day clock, a 30-day state clock that wins, the 500 thresholds, the annual log,
written and oral law-enforcement delays, escalation to the owner without PHI, the letters and
the closing report."""

from __future__ import annotations

import io
import uuid
from datetime import datetime, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import text
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from core.contracts.breach import Decision, DelayKind, NewIncident, letter_file, report_file
from core.db import tenant_session
from core.enums import BreachStatus, UserRole
from core.events import EventType
from core.process import Actor, Wait
from models.compliance import BreachIncident
from services.events import events_about
from tests.breach.conftest import BreachWorker, resident_in
from tests.breach.flows import NOTICE, assessment
from tests.db import as_owner
from tests.factories import OrgFactory, SampleOrg
from workflows.breach import (
    BREACH,
    AssessMsg,
    BreachInput,
    BreachResponseWorkflow,
    BreachState,
    DelayMsg,
    DoneMsg,
)

OFFICER, OWNER = UserRole.COMPLIANCE_OFFICER, UserRole.ORG_OWNER
WHAT = "A laptop holding intake packets was stolen from a staff car"
DAY = timedelta(days=1)


async def _report(
    env: WorkflowEnvironment,
    w: BreachWorker,
    org: SampleOrg,
    residents: list[uuid.UUID],
    **more: object,
) -> tuple[WorkflowHandle, uuid.UUID, Actor, datetime]:
    found = await env.get_current_time()
    officer = Actor(org.org_id, org.users[OFFICER], "req-test")
    incident = uuid.uuid4()
    report = NewIncident(found, WHAT, found - 2 * DAY, "Names and insurance numbers", True, residents, **more)  # type: ignore[arg-type]
    handle = await env.client.start_workflow(
        BreachResponseWorkflow.run,
        BreachInput(officer, incident, report),
        id=BREACH.id(org.org_id, incident),
        task_queue=w.queue,
    )
    await handle.execute_update(BreachResponseWorkflow.wait_recorded, Wait(officer))
    return handle, incident, officer, found


async def _state(handle: WorkflowHandle) -> BreachState:
    st = await handle.query(BreachResponseWorkflow.state)
    assert st is not None
    return st


def _due(st: BreachState) -> dict[str, datetime]:
    return {o.key: o.due_at for o in st.obligations}


def _near(a: datetime, b: datetime) -> bool:
    """Equal but for the moments between the test's clock reading and the workflow's."""
    return abs(a - b) < timedelta(minutes=2)


def _mail(w: BreachWorker, incident: uuid.UUID, about: str = "") -> list[tuple[str, str]]:
    """The owner's escalations about this incident (and an obligation whose title has `about`)."""
    return [
        (e.subject.split(":")[0], e.body)
        for e in w.notifier.emails()
        if str(incident) in e.body and about in e.body
    ]


def _pdf_text(data: bytes) -> str:
    return " ".join(" ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(data)).pages)


async def test_a_breach_of_few_owes_letters_in_60_days_then_the_annual_log_and_closes_with_a_report(
    time_skipping: WorkflowEnvironment, breach_worker: BreachWorker, orgs: OrgFactory
) -> None:
    org = orgs.create((OFFICER, OWNER))
    first = resident_in(org.org_id, "PA", "Odalys", "Verhoeven")
    second = resident_in(org.org_id, "PA", "Bartholomew", "Quennell")
    handle, incident, officer, found = await _report(time_skipping, breach_worker, org, [first, second])
    st = await handle.execute_update(BreachResponseWorkflow.assess, AssessMsg(officer, assessment()))
    assert st.letters == 2 and st.decision is Decision.NOTIFIABLE
    due = _due(st)
    assert due["individuals"] == found + 60 * DAY
    assert due["hhs_annual_log"] == datetime(found.year + 1, 1, 1, tzinfo=found.tzinfo) + 60 * DAY
    assert "hhs" not in due and not [k for k in due if k.startswith("media")]

    # Still open a week before the deadline, and at it: the owner is told, without PHI.
    await time_skipping.sleep(54 * DAY)
    assert [s for s, _ in _mail(breach_worker, incident)] == ["Due soon"]
    await time_skipping.sleep(7 * DAY)
    mails = _mail(breach_worker, incident)
    assert [s for s, _ in mails] == ["Due soon", "Overdue"]
    for _, body in mails:
        assert "Notice letters" in body and "Verhoeven" not in body and "laptop" not in body
    assert all(e.to == (org.emails[OWNER],) for e in breach_worker.notifier.emails())

    await handle.execute_update(BreachResponseWorkflow.complete, DoneMsg(officer, "individuals"))
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update(BreachResponseWorkflow.close, Wait(officer))
    assert "hhs_annual_log" in str(refused.value.cause)

    # The annual log is the next clock: due 60 days after the year of discovery ends.
    await time_skipping.sleep(due["hhs_annual_log"] - (await time_skipping.get_current_time()) + DAY)
    assert [s for s, _ in _mail(breach_worker, incident)][-2:] == ["Due soon", "Overdue"]
    await handle.execute_update(BreachResponseWorkflow.complete, DoneMsg(officer, "hhs_annual_log"))
    closed = await handle.execute_update(BreachResponseWorkflow.close, Wait(officer))
    assert closed.closed
    await handle.result()

    with tenant_session(org.org_id, actor_type="test") as s:
        inc = s.get(BreachIncident, incident)
        assert inc is not None and inc.status is BreachStatus.CLOSED
        assert inc.individuals_notified_at is not None and inc.hhs_notified_at is not None
        assert inc.notifiable and inc.retain_until_date is not None
        assert inc.retain_until_date.year == inc.decided_at.year + 6  # type: ignore[union-attr]
        assert {o["key"]: o["done_at"] is not None for o in inc.obligations} == {
            "assessment": True,
            "individuals": True,
            "hhs_annual_log": True,
        }
        types = events_about(s, incident)
        report_sha = inc.closing_report_sha256
    assert types[0] is EventType.BREACH_REPORTED and types[-1] is EventType.BREACH_CLOSED
    assert {EventType.BREACH_ASSESSED, EventType.BREACH_LETTERS_READY, EventType.BREACH_ESCALATED} <= set(
        types
    )
    assert types.count(EventType.BREACH_OBLIGATION_MET) == 2

    letter = _pdf_text(breach_worker.files.get(letter_file(org.org_id, incident, first)))
    for needed in (
        "Odalys Verhoeven",
        "What happened",
        WHAT,
        "What information was involved",
        "What you can do",
        "What we are doing",
        NOTICE.toll_free_phone,
        NOTICE.email,
        f"We found out about it on {found:%B} {found.day}, {found.year}",
    ):
        assert needed in letter, needed
    assert "Bartholomew" not in letter
    report = _pdf_text(breach_worker.files.get(report_file(org.org_id, incident), report_sha))
    assert "Timeline" in report and "Escalated to the owner" in report and "164.408(c)" in report
    assert "Verhoeven" not in report and "laptop" not in report

    # What the record holds about people is ciphertext in PostgreSQL.
    with as_owner() as c:
        row = c.execute(
            text("SELECT assessment, letters, notice_content FROM breach_incidents WHERE id = :id"),
            {"id": incident},
        ).one()
    assert all(b"Unknown thief" not in bytes(v) and str(first).encode() not in bytes(v) for v in row)


async def test_a_30_day_state_clock_wins_when_a_resident_of_that_state_is_affected(
    time_skipping: WorkflowEnvironment, breach_worker: BreachWorker, orgs: OrgFactory
) -> None:
    org = orgs.create((OFFICER, OWNER))
    residents = [resident_in(org.org_id, "PA"), resident_in(org.org_id, "CA", "Marisol", "Quintero")]
    handle, incident, officer, found = await _report(time_skipping, breach_worker, org, residents)
    # Before the decision the decision itself is owed, by the same effective deadline.
    assert _due(await _state(handle)) == {"assessment": found + 30 * DAY}
    st = await handle.execute_update(BreachResponseWorkflow.assess, AssessMsg(officer, assessment()))
    individuals = next(o for o in st.obligations if o.key == "individuals")
    assert individuals.due_at == found + 30 * DAY and "1798.82" in individuals.citation
    await time_skipping.sleep(24 * DAY)
    assert [s for s, _ in _mail(breach_worker, incident)] == ["Due soon"]
    await handle.execute_update(BreachResponseWorkflow.complete, DoneMsg(officer, "individuals"))
    await time_skipping.sleep(10 * DAY)
    assert [s for s, _ in _mail(breach_worker, incident)] == ["Due soon"]  # met in time: no overdue
    await handle.terminate("test over")


async def test_500_affected_owe_hhs_at_once_and_more_than_500_in_one_state_owe_the_media(
    time_skipping: WorkflowEnvironment, breach_worker: BreachWorker, orgs: OrgFactory
) -> None:
    org = orgs.create((OFFICER, OWNER))
    resident = resident_in(org.org_id, "TX")
    handle, _, officer, found = await _report(
        time_skipping,
        breach_worker,
        org,
        [resident],
        others_by_state={"TX": 520, "OK": 30},
        others_unreachable=12,
    )
    st = await handle.execute_update(BreachResponseWorkflow.assess, AssessMsg(officer, assessment()))
    assert st.facts is not None and st.facts.affected == 551 and st.facts.by_state == {"TX": 521, "OK": 30}
    due = _due(st)
    assert due["hhs"] == due["individuals"] == found + 60 * DAY
    assert due["media-TX"] == found + 60 * DAY and "media-OK" not in due
    assert "substitute" in due and "hhs_annual_log" not in due
    for key in ("individuals", "hhs", "media-TX", "substitute"):
        await handle.execute_update(BreachResponseWorkflow.complete, DoneMsg(officer, key))
    assert (await handle.execute_update(BreachResponseWorkflow.close, Wait(officer))).closed


async def test_a_written_law_enforcement_delay_stops_the_clocks_for_the_period_it_states(
    time_skipping: WorkflowEnvironment, breach_worker: BreachWorker, orgs: OrgFactory
) -> None:
    org = orgs.create((OFFICER, OWNER))
    handle, incident, officer, found = await _report(
        time_skipping, breach_worker, org, [resident_in(org.org_id, "PA")]
    )
    await handle.execute_update(BreachResponseWorkflow.assess, AssessMsg(officer, assessment()))
    await time_skipping.sleep(10 * DAY)
    asked = await time_skipping.get_current_time()
    await handle.signal(
        BreachResponseWorkflow.law_enforcement_delay, DelayMsg(officer, DelayKind.WRITTEN, asked + 45 * DAY)
    )
    await time_skipping.sleep(timedelta(minutes=1))
    st = await _state(handle)
    assert _near(_due(st)["individuals"], found + 105 * DAY)
    await time_skipping.sleep(52 * DAY)  # day 62: past the 60 days, inside the delayed clock
    assert "Overdue" not in [s for s, _ in _mail(breach_worker, incident, "Notice letters")]
    await time_skipping.sleep(44 * DAY)  # day 106
    assert [s for s, _ in _mail(breach_worker, incident, "Notice letters")] == ["Due soon", "Overdue"]
    with tenant_session(org.org_id, actor_type="test") as s:
        inc = s.get(BreachIncident, incident)
        assert inc is not None and [d["kind"] for d in inc.law_enforcement_delays] == ["written"]
        assert EventType.BREACH_DELAYED in events_about(s, incident)
    await handle.terminate("test over")


async def test_an_oral_delay_lasts_30_days_at_most_unless_a_written_statement_follows(
    time_skipping: WorkflowEnvironment, breach_worker: BreachWorker, orgs: OrgFactory
) -> None:
    org = orgs.create((OFFICER, OWNER))
    handle, incident, officer, found = await _report(
        time_skipping, breach_worker, org, [resident_in(org.org_id, "PA")]
    )
    await handle.execute_update(BreachResponseWorkflow.assess, AssessMsg(officer, assessment()))
    await time_skipping.sleep(5 * DAY)
    oral = DelayMsg(officer, DelayKind.ORAL, days=45, official="Detective Ines Okonkwo-Ray, County Police")
    await handle.signal(BreachResponseWorkflow.law_enforcement_delay, oral)
    await time_skipping.sleep(timedelta(minutes=1))
    assert _near(_due(await _state(handle))["individuals"], found + 90 * DAY)  # 30 days, not 45
    await time_skipping.sleep(15 * DAY)
    until = found + 80 * DAY
    await handle.signal(
        BreachResponseWorkflow.law_enforcement_delay, DelayMsg(officer, DelayKind.WRITTEN, until)
    )
    await time_skipping.sleep(timedelta(minutes=1))
    st = await _state(handle)
    assert len(st.delays) == 1 and st.delays[0].kind is DelayKind.WRITTEN
    assert _near(_due(st)["individuals"], found + (60 + 75) * DAY)  # stopped from day 5 to day 80
    with tenant_session(org.org_id, actor_type="test") as s:
        inc = s.get(BreachIncident, incident)
        assert inc is not None and inc.law_enforcement_official == oral.official
    with as_owner() as c:
        raw = c.execute(
            text("SELECT law_enforcement_official FROM breach_incidents WHERE id = :id"), {"id": incident}
        ).scalar_one()
    assert b"Okonkwo" not in bytes(raw)
    await handle.terminate("test over")


async def test_encrypted_data_is_not_notifiable_and_a_not_notifiable_conclusion_closes_and_is_kept_six_years(
    time_skipping: WorkflowEnvironment, breach_worker: BreachWorker, orgs: OrgFactory
) -> None:
    org = orgs.create((OFFICER, OWNER))
    handle, incident, officer, _ = await _report(
        time_skipping, breach_worker, org, [resident_in(org.org_id, "PA")]
    )
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update(
            BreachResponseWorkflow.assess,
            AssessMsg(officer, assessment(Decision.NOTIFIABLE, safe_harbour=True)),
        )
    assert "not unsecured" in str(refused.value.cause)
    st = await handle.execute_update(
        BreachResponseWorkflow.assess,
        AssessMsg(officer, assessment(Decision.NOT_NOTIFIABLE, safe_harbour=True)),
    )
    assert st.letters is None and [o.key for o in st.obligations] == ["assessment"]
    await handle.execute_update(BreachResponseWorkflow.close, Wait(officer))
    await handle.result()
    with tenant_session(org.org_id, actor_type="test") as s:
        inc = s.get(BreachIncident, incident)
        assert inc is not None and inc.notifiable is False and inc.safe_harbour
        assert inc.decided_at is not None and inc.retain_until_date is not None
        assert inc.retain_until_date.year == inc.decided_at.year + 6
        assert inc.letters is None and inc.status is BreachStatus.CLOSED


async def test_a_business_associates_report_is_owed_within_its_agreements_term(
    time_skipping: WorkflowEnvironment, breach_worker: BreachWorker, orgs: OrgFactory
) -> None:
    from models.compliance import BaaRecord

    org = orgs.create((OFFICER, OWNER))
    with tenant_session(org.org_id, actor_type="test") as s:
        baa = BaaRecord(org_id=org.org_id, vendor_name="Cumulus Hosting LLC", breach_notice_days=10)
        s.add(baa)
        s.flush()
        baa_id = baa.id
    now = await time_skipping.get_current_time()
    handle, incident, officer, _ = await _report(
        time_skipping,
        breach_worker,
        org,
        [resident_in(org.org_id, "PA")],
        baa_record_id=baa_id,
        ba_discovered_at=now - 2 * DAY,
    )
    st = await _state(handle)
    assert _due(st)["business_associate"] == now - 2 * DAY + 10 * DAY
    await time_skipping.sleep(9 * DAY)
    assert "Overdue" in [s for s, _ in _mail(breach_worker, incident, "business associate")]
    st = await handle.execute_update(BreachResponseWorkflow.complete, DoneMsg(officer, "business_associate"))
    assert next(o for o in st.obligations if o.key == "business_associate").done_at is not None
    with tenant_session(org.org_id, actor_type="test") as s:
        inc = s.get(BreachIncident, incident)
        assert inc is not None and inc.ba_reported_at is not None
    await handle.terminate("test over")
