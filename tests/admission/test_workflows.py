"""The journey in Temporal time, on the time-skipping server with the registry's worker and the
real database: months of residency with rent runs, a transfer on its date, discharge handed to
billing's settlement exactly once, readmission; a freed bed going down the waitlist on decline
and on expiry; a reservation moving in on its date; a missing resident discharged after the
grace period unless staff cancel."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowExecutionStatus, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from core.contracts.admission import Application, DischargeKind
from core.db import tenant_session
from core.enums import (
    AdmissionStatus,
    BillingFrequency,
    Priority,
    ResidentStatus,
    UserRole,
    WaitlistStatus,
)
from core.process import Actor, Wait
from models.payments import Invoice, LedgerEntry
from models.resident_tracking import BedOccupancy, BedTransfer, Discharge, WaitlistEntry
from models.residents import Admission, Resident
from services.admission import applications
from services.billing import accounts, rates
from tests.admission.places import approved_lead, house
from tests.factories import OrgFactory, SampleOrg
from workflows.admission import (
    ADMISSION,
    BED_OFFER,
)
from workflows.admission.journey import AdmissionWorkflow
from workflows.admission.messages import (
    AdmissionInput,
    AssignBed,
    BedOfferResult,
    DischargeRequest,
    Journey,
    OfferAnswer,
    Returned,
    Stage,
    Timing,
    TransferRequest,
    Unaccounted,
    WaitlistRequest,
)
from workflows.billing import BILLING
from workflows.billing.rent_run import RentRunInput, RentRunWorkflow
from workflows.billing.settlement import (
    DischargeSettled,
    DischargeSettlementWorkflow,
    SettleDischarge,
    discharge_key,
)

# The settlement's ledger posting (services.billing.settlement.settle_discharge).
CREDITED = "Unused nights credited"


def _staff(orgs: OrgFactory, request_id: str) -> tuple[SampleOrg, Actor]:
    org = orgs.create((UserRole.CASE_MANAGER,))
    return org, Actor(org.org_id, org.users[UserRole.CASE_MANAGER], request_id)


async def _open(
    env: WorkflowEnvironment,
    queue: str,
    actor: Actor,
    house_id: uuid.UUID,
    timing: Timing = Timing(),
    *,
    resident_id: uuid.UUID | None = None,
    zone: str = "UTC",
) -> WorkflowHandle:
    admission_id = uuid.uuid4()
    lead = None if resident_id else approved_lead(actor.org_id)
    app = Application(house_id, 20000, 50000, lead_id=lead, resident_id=resident_id)
    handle = await env.client.start_workflow(
        AdmissionWorkflow.run,
        AdmissionInput(actor, admission_id, app, timing, zone),
        id=ADMISSION.id(actor.org_id, admission_id),
        task_queue=queue,
    )
    await handle.execute_update(AdmissionWorkflow.wait_opened, Wait(actor))
    return handle


async def _stage(handle: WorkflowHandle, stage: Stage) -> None:
    for _ in range(400):
        j = await handle.query(AdmissionWorkflow.journey)
        if j is not None and j.stage is stage:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{handle.id} never reached {stage}: {j}")


async def _journey(handle: WorkflowHandle) -> Journey:
    j = await handle.query(AdmissionWorkflow.journey)
    assert j is not None
    return j


async def _closed(env: WorkflowEnvironment, wf_id: str, result_type: type) -> WorkflowHandle:
    """A workflow this client did not start (a child), once it has closed: the test server
    answers result() for those only after they close."""
    handle = env.client.get_workflow_handle(wf_id)
    for _ in range(400):
        desc = await handle.describe()
        if desc.status is not WorkflowExecutionStatus.RUNNING:
            assert desc.status is WorkflowExecutionStatus.COMPLETED, desc.status
            return env.client.get_workflow_handle(wf_id, run_id=desc.run_id, result_type=result_type)
        await asyncio.sleep(0.05)
    raise AssertionError(f"{wf_id} never closed")


async def _next_month(env: WorkflowEnvironment, day: int) -> datetime:
    """Let time pass until noon on `day` of next month."""
    now = await env.get_current_time()
    then = (now.replace(day=1) + timedelta(days=32)).replace(
        day=day, hour=12, minute=0, second=0, microsecond=0
    )
    await env.sleep(then - now)
    return then


async def _today(env: WorkflowEnvironment) -> date:
    return (await env.get_current_time()).date()


async def _rent_run(env: WorkflowEnvironment, queue: str, actor: Actor) -> None:
    """What the org's daily Schedule starts: billing's rent run as of the current day."""
    # Awaiting a result unlocks time skipping for the whole server: with the journey idle, the
    # next timer is its 10-year run timeout, which the server would skip to mid-run.
    with env.auto_time_skipping_disabled():
        await env.client.execute_workflow(
            RentRunWorkflow.run,
            RentRunInput(Actor.system(actor.org_id)),
            id=BILLING.id(actor.org_id, f"rent-run-{uuid.uuid4().hex[:8]}"),
            task_queue=queue,
        )


def _credit_journals(org_id: uuid.UUID, resident_id: uuid.UUID) -> int:
    with tenant_session(org_id, actor_type="test") as s:
        return (
            s.scalar(
                select(func.count(func.distinct(LedgerEntry.journal_id))).where(
                    LedgerEntry.resident_id == resident_id, LedgerEntry.description == CREDITED
                )
            )
            or 0
        )


async def _settlement_starts(handle: WorkflowHandle) -> list[str]:
    """The child workflow types a journey started, from its history."""
    history = await handle.fetch_history()
    return [
        e.start_child_workflow_execution_initiated_event_attributes.workflow_type.name
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED
    ]


async def test_a_journey_over_months_transfers_on_its_date_discharges_into_one_settlement_and_readmits(
    time_skipping: WorkflowEnvironment, registry_worker: str, orgs: OrgFactory
) -> None:
    env, queue = time_skipping, registry_worker
    org, actor = _staff(orgs, "req-journey")
    layout = house(org.org_id, ["A-1", "A-2"])
    with tenant_session(org.org_id, actor_type="test") as s:
        rates.create_rate(
            s,
            uuid.uuid4(),
            rates.NewRate(
                "Rent", 90_000, BillingFrequency.MONTHLY, date(2020, 1, 1), house_id=layout.house_id
            ),
        )

    # Month 0: admitted into A-1 today; the daily rent run bills the rest of the month.
    first = await _open(env, queue, actor, layout.house_id)
    await first.execute_update(AdmissionWorkflow.assign_bed, AssignBed(actor, layout.beds["A-1"]))
    rid = (await _journey(first)).resident_id
    assert rid is not None
    await _rent_run(env, queue, actor)
    # Month 1: a transfer booked a week ahead happens on its date, by the workflow's timer.
    await _next_month(env, 1)
    await _rent_run(env, queue, actor)
    effective = await _today(env) + timedelta(days=7)
    j = await first.execute_update(
        AdmissionWorkflow.transfer, TransferRequest(actor, layout.beds["A-2"], effective, "quieter room")
    )
    assert (j.bed_id, len(j.transfers)) == (layout.beds["A-1"], 1)
    await env.sleep(timedelta(days=6))
    assert (await _journey(first)).bed_id == layout.beds["A-1"]
    await env.sleep(timedelta(days=2))
    assert (await _journey(first)).bed_id == layout.beds["A-2"]
    # Month 2: billed in full, then a discharge on the 11th.
    await _next_month(env, 1)
    await _rent_run(env, queue, actor)
    await env.sleep(timedelta(days=10))
    discharged_on = await _today(env)
    await first.execute_update(AdmissionWorkflow.discharge, DischargeRequest(actor, DischargeKind.VOLUNTARY))
    with env.auto_time_skipping_disabled():
        done = await first.result()
    assert (done.stage, done.discharge_kind) == (Stage.DISCHARGED, DischargeKind.VOLUNTARY)

    # Moving in gave the §2.22 notice; billing's own settlement ran as the journey's child,
    # under billing's id, once; the consents that end with treatment were told; the follow-up
    # after discharge started (it ends at once: this resident did not consent to it).
    assert await _settlement_starts(first) == [
        "PatientNotice",
        "BedOffer",
        "BedOffer",
        "BillingDischargeSettlement",
        "ConsentEndOfTreatment",
        "OutcomeFollowUp",
    ]
    settle_id = BILLING.id(org.org_id, discharge_key(rid))
    settlement = await _closed(env, settle_id, DischargeSettled)
    settled: DischargeSettled = await settlement.result()
    assert settled.resident_id == rid and settled.credited_cents > 0
    assert _credit_journals(org.org_id, rid) == 1
    with tenant_session(org.org_id, actor_type="test") as s:
        (last,) = s.scalars(
            select(Invoice).where(Invoice.resident_id == rid, Invoice.period_end_date >= discharged_on)
        ).all()
        # Nothing was paid: the unused nights come off what the last invoice still owes.
        assert accounts.invoice_outstanding(s, last.id) == last.total_cents - settled.credited_cents
        assert accounts.trial_balance(s) == 0
        stays = s.scalars(select(BedOccupancy).where(BedOccupancy.resident_id == rid)).all()
        assert sorted((o.bed_id, o.during.lower, o.during.upper) for o in stays) == sorted(
            [
                (layout.beds["A-1"], done.move_in_date, effective),
                (layout.beds["A-2"], effective, discharged_on),
            ]
        )
        transfer = s.scalars(select(BedTransfer).where(BedTransfer.resident_id == rid)).one()
        assert transfer.completed_at is not None and transfer.completed_at.date() == effective

    # Back on the same record the same day. (Time stops here on this test server: children a
    # closed parent abandoned froze its clock once they ran an activity, sdk-java#2392.)
    again = await _open(env, queue, actor, layout.house_id, resident_id=rid)
    assert (await _journey(again)).readmission is True
    j = await again.execute_update(AdmissionWorkflow.assign_bed, AssignBed(actor, layout.beds["A-1"]))
    assert (j.stage, j.resident_id) == (Stage.ACTIVE, rid)

    with tenant_session(org.org_id, actor_type="test") as s:
        assert [h.to_status for h in applications.status_history(s, rid)] == [
            ResidentStatus.APPLICANT,
            ResidentStatus.ACTIVE,
            ResidentStatus.DISCHARGED,
            ResidentStatus.APPLICANT,
            ResidentStatus.ACTIVE,
        ]
        assert sorted(s.scalars(select(Admission.status).where(Admission.resident_id == rid))) == sorted(
            [AdmissionStatus.COMPLETED, AdmissionStatus.ACTIVE]
        )
        # Months 0, 1 and 2 billed once each, however many runs.
        assert s.scalar(select(func.count()).select_from(Invoice).where(Invoice.resident_id == rid)) == 3
        assert accounts.trial_balance(s) == 0


async def test_a_discharge_whose_earlier_settlement_still_runs_is_settled_under_its_own_id(
    time_skipping: WorkflowEnvironment, registry_worker: str, orgs: OrgFactory
) -> None:
    env, queue = time_skipping, registry_worker
    org, actor = _staff(orgs, "req-settle-twice")
    layout = house(org.org_id, ["S-1"])
    handle = await _open(env, queue, actor, layout.house_id)
    j = await handle.execute_update(AdmissionWorkflow.assign_bed, AssignBed(actor, layout.beds["S-1"]))
    assert j.resident_id is not None
    # A settlement of an earlier stay, stuck (nothing polls its queue), holds billing's id.
    stuck = await env.client.start_workflow(
        DischargeSettlementWorkflow.run,
        SettleDischarge(Actor.system(org.org_id), j.resident_id, await _today(env)),
        id=BILLING.id(org.org_id, discharge_key(j.resident_id)),
        task_queue=f"{queue}-unpolled",
    )
    await handle.execute_update(AdmissionWorkflow.discharge, DischargeRequest(actor, DischargeKind.VOLUNTARY))
    with env.auto_time_skipping_disabled():
        done = await handle.result()
    own_id = BILLING.id(org.org_id, f"{discharge_key(j.resident_id)}-{done.discharge_id}")
    settled: DischargeSettled = await (await _closed(env, own_id, DischargeSettled)).result()
    assert settled.resident_id == j.resident_id
    assert (await stuck.describe()).status is WorkflowExecutionStatus.RUNNING
    await stuck.terminate("test over")


async def test_a_freed_bed_passes_down_the_waitlist_on_decline_and_when_the_offer_times_out(
    time_skipping: WorkflowEnvironment, registry_worker: str, orgs: OrgFactory
) -> None:
    env, queue = time_skipping, registry_worker
    org, actor = _staff(orgs, "req-waitlist")
    layout = house(org.org_id, ["W-1"])
    elsewhere = house(org.org_id, ["X-1"], name="Birch House")
    bed = layout.beds["W-1"]
    # The deadline to accept is configurable: 36 h here rather than the default 48.
    leaving = await _open(env, queue, actor, layout.house_id, Timing(offer_hours=36))
    await leaving.execute_update(AdmissionWorkflow.assign_bed, AssignBed(actor, bed))
    declines, lapses, takes = [await _open(env, queue, actor, layout.house_id) for _ in range(3)]
    for handle, priority in ((declines, Priority.HIGH), (lapses, Priority.NORMAL), (takes, Priority.LOW)):
        await handle.execute_update(AdmissionWorkflow.join_waitlist, WaitlistRequest(actor, priority))

    # The bed frees when its occupant moves to another house. (Freed by a discharge instead,
    # the offer would outlive its closed parent, which freezes this test server's clock.)
    await leaving.execute_update(AdmissionWorkflow.transfer, TransferRequest(actor, elsewhere.beds["X-1"]))
    await _stage(declines, Stage.OFFERED)
    await declines.execute_update(AdmissionWorkflow.answer_offer, OfferAnswer(actor, accept=False))
    assert (await _journey(declines)).stage is Stage.WAITLISTED
    await _stage(lapses, Stage.OFFERED)
    offer = (await _journey(lapses)).offer
    assert offer is not None and offer.bed_id == bed
    assert offer.expires_at - await env.get_current_time() <= timedelta(hours=36)

    await env.sleep(timedelta(hours=35))
    assert (await _journey(lapses)).stage is Stage.OFFERED
    assert (await _journey(takes)).stage is Stage.WAITLISTED
    await env.sleep(timedelta(hours=2))
    await _stage(takes, Stage.OFFERED)
    assert (await _journey(lapses)).stage is Stage.WAITLISTED
    j = await takes.execute_update(AdmissionWorkflow.answer_offer, OfferAnswer(actor, accept=True))
    assert (j.stage, j.bed_id) == (Stage.ACTIVE, bed)

    entries = [(await _journey(h)).waitlist_entry_id for h in (declines, lapses, takes)]
    assert None not in entries
    result: BedOfferResult = await (
        await _closed(env, BED_OFFER.id(org.org_id, bed), BedOfferResult)
    ).result()
    assert (result.offered_to, result.placed_entry_id) == (entries, entries[2])
    with tenant_session(org.org_id, actor_type="test") as s:
        rows: dict[uuid.UUID | None, WaitlistEntry] = {e.id: e for e in s.scalars(select(WaitlistEntry))}
        assert [rows[e].status for e in entries] == [
            WaitlistStatus.WAITING,
            WaitlistStatus.WAITING,
            WaitlistStatus.PLACED,
        ]
        # Those passed over wait again in their old place, holding no offer.
        assert all(rows[e].offered_bed_id is None and rows[e].offer_expires_at is None for e in entries[:2])
        holders = s.scalars(
            select(BedOccupancy.admission_id).where(
                BedOccupancy.bed_id == bed, func.upper_inf(BedOccupancy.during)
            )
        ).all()
        assert holders == [(await _journey(takes)).admission_id]


async def test_a_reservation_moves_in_on_its_date_and_not_before(
    time_skipping: WorkflowEnvironment, registry_worker: str, orgs: OrgFactory
) -> None:
    env, queue = time_skipping, registry_worker
    org, actor = _staff(orgs, "req-reserve")
    layout = house(org.org_id, ["R-1"])
    handle = await _open(env, queue, actor, layout.house_id)
    move_in = await _today(env) + timedelta(days=10)
    j = await handle.execute_update(
        AdmissionWorkflow.assign_bed, AssignBed(actor, layout.beds["R-1"], move_in_date=move_in)
    )
    assert (j.stage, j.move_in_date) == (Stage.RESERVED, move_in)

    def admission_now() -> tuple[AdmissionStatus, datetime | None, ResidentStatus]:
        with tenant_session(org.org_id, actor_type="test") as s:
            a = s.get(Admission, j.admission_id)
            assert a is not None
            r = s.get(Resident, a.resident_id)
            assert r is not None
            return a.status, a.admitted_at, r.status

    assert admission_now() == (AdmissionStatus.PENDING, None, ResidentStatus.ADMITTED)
    now = await env.get_current_time()
    await env.sleep(datetime.combine(move_in, datetime.min.time(), now.tzinfo) - now - timedelta(hours=1))
    assert (await _journey(handle)).stage is Stage.RESERVED  # an hour before the day begins
    await env.sleep(timedelta(hours=2))
    await _stage(handle, Stage.ACTIVE)
    status, admitted_at, resident = admission_now()
    assert (status, resident) == (AdmissionStatus.ACTIVE, ResidentStatus.ACTIVE)
    assert admitted_at is not None and admitted_at.date() == move_in


NEW_YORK = ZoneInfo("America/New_York")


async def _new_york_evening(env: WorkflowEnvironment) -> date:
    """Let time pass to the next 02:00 UTC: 21:00 the evening before in New York (EST), already
    tomorrow in UTC. Returns New York's date."""
    now = await env.get_current_time()
    await env.sleep((now + timedelta(days=1)).replace(hour=2, minute=0, second=0, microsecond=0) - now)
    today = (await env.get_current_time()).astimezone(NEW_YORK).date()
    assert today == (await _today(env)) - timedelta(days=1)  # New York's today, UTC's yesterday
    return today


async def test_an_evening_operator_in_new_york_moves_in_transfers_and_discharges_on_their_own_today(
    time_skipping: WorkflowEnvironment, registry_worker: str, orgs: OrgFactory
) -> None:
    """At 21:00 in New York it is already tomorrow in UTC: the org's today is the day that
    counts, and what is dated today takes effect at once."""
    env, queue = time_skipping, registry_worker
    org, actor = _staff(orgs, "req-evening")
    layout = house(org.org_id, ["E-1", "E-2"])
    today = await _new_york_evening(env)

    tonight = await _open(env, queue, actor, layout.house_id, zone="America/New_York")
    j = await tonight.execute_update(
        AdmissionWorkflow.assign_bed, AssignBed(actor, layout.beds["E-1"], move_in_date=today)
    )
    assert (j.stage, j.move_in_date) == (Stage.ACTIVE, today)
    j = await tonight.execute_update(
        AdmissionWorkflow.transfer, TransferRequest(actor, layout.beds["E-2"], effective_date=today)
    )
    assert j.bed_id == layout.beds["E-2"]
    await tonight.execute_update(AdmissionWorkflow.discharge, DischargeRequest(actor, DischargeKind.PLANNED))

    with tenant_session(org.org_id, actor_type="test") as s:
        admission = s.get(Admission, j.admission_id)
        assert admission is not None and admission.admitted_at is not None
        assert admission.admitted_at.astimezone(NEW_YORK).date() == today
        transfer = s.scalars(select(BedTransfer)).one()
        assert transfer.completed_at is not None
        (gone,) = s.scalars(select(Discharge)).all()
        # The moment it happened, not the start of a day.
        assert gone.discharged_at.astimezone(NEW_YORK).date() == today
        assert gone.discharged_at.astimezone(NEW_YORK).hour == 21


async def test_a_new_york_reservation_for_tomorrow_moves_in_at_new_yorks_midnight(
    time_skipping: WorkflowEnvironment, registry_worker: str, orgs: OrgFactory
) -> None:
    env, queue = time_skipping, registry_worker
    org, actor = _staff(orgs, "req-midnight")
    layout = house(org.org_id, ["N-1"])
    today = await _new_york_evening(env)
    tomorrow = today + timedelta(days=1)
    handle = await _open(env, queue, actor, layout.house_id, zone="America/New_York")
    j = await handle.execute_update(
        AdmissionWorkflow.assign_bed, AssignBed(actor, layout.beds["N-1"], move_in_date=tomorrow)
    )
    assert (j.stage, j.move_in_date) == (Stage.RESERVED, tomorrow)
    midnight = datetime.combine(tomorrow, datetime.min.time(), NEW_YORK)
    await env.sleep(midnight - (await env.get_current_time()) - timedelta(minutes=30))
    assert (await _journey(handle)).stage is Stage.RESERVED  # 23:30 in New York, 04:30 UTC
    await env.sleep(timedelta(hours=1))
    await _stage(handle, Stage.ACTIVE)
    with tenant_session(org.org_id, actor_type="test") as s:
        admission = s.get(Admission, j.admission_id)
        assert admission is not None and admission.admitted_at is not None
        assert admission.admitted_at.astimezone(NEW_YORK).date() == tomorrow


async def test_a_resident_unaccounted_for_is_discharged_after_the_grace_period_unless_staff_cancel(
    time_skipping: WorkflowEnvironment, registry_worker: str, orgs: OrgFactory
) -> None:
    org, actor = _staff(orgs, "req-test")
    layout = house(org.org_id, ["M-1", "M-2"])
    timing = Timing(offer_hours=48, unaccounted_hours=24, grace_hours=12)
    back, gone = [
        await _open(time_skipping, registry_worker, actor, layout.house_id, timing) for _ in range(2)
    ]
    await back.execute_update(AdmissionWorkflow.assign_bed, AssignBed(actor, layout.beds["M-1"]))
    await gone.execute_update(AdmissionWorkflow.assign_bed, AssignBed(actor, layout.beds["M-2"]))

    now = await time_skipping.get_current_time()
    for handle in (back, gone):
        await handle.signal(AdmissionWorkflow.report_unaccounted, Unaccounted(actor, now))
    # Staff find one of them again before the deadline: that discharge is cancelled.
    await back.signal(AdmissionWorkflow.report_returned, Returned(actor))
    j = await gone.result()  # time skips to the discharge the workflow makes itself
    back_now = await back.query(AdmissionWorkflow.journey)
    assert back_now is not None and back_now.stage is Stage.ACTIVE
    assert j.discharge_kind is DischargeKind.LEFT_WITHOUT_NOTICE

    with tenant_session(org.org_id, actor_type="test") as s:
        d = s.scalars(select(Discharge)).one()
        assert (d.kind, d.bed_id, d.discharged_by_user_id) == (
            "left_without_notice",
            layout.beds["M-2"],
            None,
        )
        assert d.discharged_at - now >= timedelta(hours=24)


async def test_a_worker_killed_after_a_placement_committed_resumes_on_a_new_worker_without_writing_twice(
    time_skipping: WorkflowEnvironment, orgs: OrgFactory, tmp_path: Path
) -> None:
    from worker import build_worker

    env, queue = time_skipping, f"crash-{uuid.uuid4().hex[:8]}"
    org, actor = _staff(orgs, "req-crash")
    layout = house(org.org_id, ["K-1"])
    marker = tmp_path / "placed"
    doomed = subprocess.Popen(
        [
            *(sys.executable, "-m", "tests.admission.crashing_worker"),
            *(env.client.service_client.config.target_host, queue, "admission.place", str(marker)),
        ],
        env=os.environ.copy(),
    )
    try:
        handle = await _open(env, queue, actor, layout.house_id)
        assign = asyncio.create_task(
            handle.execute_update(AdmissionWorkflow.assign_bed, AssignBed(actor, layout.beds["K-1"]))
        )
        for _ in range(600):
            if marker.exists():
                break
            await asyncio.sleep(0.05)
        assert marker.read_text() == handle.id
    finally:
        doomed.kill()  # SIGKILL: the placement is committed, its result never reported
        doomed.wait(10)
    admission_id = uuid.UUID(handle.id.rsplit("/", 1)[1])  # no worker left to answer a query

    def rows() -> tuple[int, int, list[ResidentStatus]]:
        with tenant_session(org.org_id, actor_type="test") as s:
            stays = s.scalar(
                select(func.count())
                .select_from(BedOccupancy)
                .where(BedOccupancy.admission_id == admission_id)
            )
            admissions = s.scalar(select(func.count()).select_from(Admission))
            a = s.get(Admission, admission_id)
            assert a is not None
            return (
                stays or 0,
                admissions or 0,
                [h.to_status for h in applications.status_history(s, a.resident_id)],
            )

    committed = rows()
    assert committed == (1, 1, [ResidentStatus.APPLICANT, ResidentStatus.ACTIVE])
    assert not assign.done()

    async with build_worker(env.client, task_queue=queue):
        # The lost attempt times out after DB_STEP's 30 s start-to-close (real seconds: the
        # test server does not skip time while an activity is out) and this worker retries it.
        j = await asyncio.wait_for(assign, 90)
        assert (j.stage, j.bed_id) == (Stage.ACTIVE, layout.beds["K-1"])
        await handle.execute_update(
            AdmissionWorkflow.discharge, DischargeRequest(actor, DischargeKind.PLANNED)
        )

    placed = [
        e.activity_task_started_event_attributes.attempt
        for e in (await handle.fetch_history()).events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED
    ]
    assert max(placed) == 2  # the placement did run again, and found its own row
    stays, admissions, history = rows()
    assert (stays, admissions) == (1, 1)
    assert history == [ResidentStatus.APPLICANT, ResidentStatus.ACTIVE, ResidentStatus.DISCHARGED]
