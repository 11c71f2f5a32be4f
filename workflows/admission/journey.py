"""`AdmissionWorkflow` (`admission/<org>/<admission id>`): one admission from application to a
bed (or the waitlist), residency, transfers and discharge; each freed bed handed to a bed offer,
and on discharge the final bill handed to billing (`handover`)."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from datetime import date, datetime, timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError, FailureError, WorkflowAlreadyStartedError

with workflow.unsafe.imports_passed_through():
    from activities.admission import (
        AdmissionActivities,
        CompleteTransfer,
        DischargeResident,
        JoinWaitlist,
        MoveIn,
        OpenApplication,
        PlaceInBed,
        TransferBed,
    )
    from core import localtime
    from core.contracts.admission import (
        ADMINISTRATIVE_REASONS,
        KIND_REASON,
        Discharged,
        DischargeKind,
        Placed,
    )
    from core.errors import Conflict, Rejected
    from core.process import DB_STEP, Actor, Wait
    from workflows.admission import BED_OFFER
    from workflows.admission.bed_offer import BedOfferWorkflow
    from workflows.admission.handover import (
        end_treatment_consents,
        give_patient_notice,
        hand_over_to_billing,
        start_follow_up,
    )
    from workflows.admission.messages import (
        BED_OFFERED,
        OFFER_WITHDRAWN,
        AdmissionInput,
        AssignBed,
        BedOffered,
        BedOfferInput,
        DischargeRequest,
        Journey,
        OfferAnswer,
        OfferAnswered,
        OfferWithdrawn,
        OpenOffer,
        PendingTransfer,
        Returned,
        Stage,
        TransferRequest,
        Unaccounted,
        WaitlistRequest,
    )


@workflow.defn(name="Admission")
class AdmissionWorkflow:
    def __init__(self) -> None:
        self._j: Journey | None = None
        self._inp: AdmissionInput | None = None
        self._opened = False
        self._failure: ApplicationError | None = None
        self._dirty = False
        self._discharged: Discharged | None = None
        # Handlers and timers take turns: each step reads the journey, writes, then updates it.
        self._lock = asyncio.Lock()

    # --- the run -------------------------------------------------------------------------

    def _zone(self) -> str:
        """The org's time zone, from the journey's input."""
        return self._inp.zone if self._inp is not None else localtime.UTC_NAME

    def _today(self) -> date:
        """The org's today: a move-in "today" is the operator's, not UTC's."""
        return localtime.local_day(workflow.now(), self._zone())

    def _midnight(self, d: date) -> datetime:
        """When the org's day `d` begins."""
        return localtime.day_begins(d, self._zone())

    @workflow.run
    async def run(self, inp: AdmissionInput) -> Journey:
        self._inp = inp
        j = self._j = Journey(admission_id=inp.admission_id)
        try:
            opened = await workflow.execute_activity_method(
                AdmissionActivities.open_application,
                OpenApplication(
                    inp.actor, inp.admission_id, workflow.uuid4(), inp.application, workflow.now()
                ),
                **DB_STEP.options(),
            )
        except ActivityError as err:
            cause = err.cause
            self._failure = cause if isinstance(cause, ApplicationError) else ApplicationError(str(err))
            j.refusal = self._failure.message
            self._advance(Stage.REFUSED)
        else:
            j.resident_id, j.house_id, j.readmission = opened.resident_id, opened.house_id, opened.readmission
            self._advance(Stage.APPLIED)
        self._opened = True
        while j.stage not in (Stage.DISCHARGED, Stage.REFUSED):
            self._dirty = False
            due = self._next_due()
            if due is None:
                await workflow.wait_condition(lambda: self._dirty)
                continue
            delay = (due - workflow.now()).total_seconds()
            if delay > 0:
                try:
                    await workflow.wait_condition(lambda: self._dirty, timeout=timedelta(seconds=delay))
                    continue
                except TimeoutError:
                    pass
            async with self._lock:
                await self._on_due()
        if self._discharged is not None:
            await self._hand_over(self._discharged)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return j

    def _next_due(self) -> datetime | None:
        j = self._journey()
        times: list[datetime] = []
        if j.stage is Stage.RESERVED and j.move_in_date is not None:
            times.append(self._midnight(j.move_in_date))
        times += [self._midnight(t.effective_date) for t in j.transfers]
        if j.discharge_due_at is not None:
            times.append(j.discharge_due_at)
        return min(times, default=None)

    async def _on_due(self) -> None:
        j, inp = self._journey(), self._input()
        now = workflow.now()
        if j.stage is Stage.RESERVED and j.move_in_date is not None and self._midnight(j.move_in_date) <= now:
            await workflow.execute_activity_method(
                AdmissionActivities.move_in, MoveIn(inp.actor, j.admission_id, now), **DB_STEP.options()
            )
            self._advance(Stage.ACTIVE)
            await self._moved_in()
        for t in [t for t in j.transfers if self._midnight(t.effective_date) <= now]:
            await workflow.execute_activity_method(
                AdmissionActivities.complete_transfer,
                CompleteTransfer(Actor.system(inp.actor.org_id), t.transfer_id, now),
                **DB_STEP.options(),
            )
            j.transfers.remove(t)
            j.bed_id = t.to_bed_id
            await self._offer_bed(t.from_bed_id)
        if j.discharge_due_at is not None and j.discharge_due_at <= now and j.stage is Stage.ACTIVE:
            # Nobody cancelled: the workflow itself discharges, as the system.
            await self._discharge(
                DischargeRequest(Actor.system(inp.actor.org_id), DischargeKind.LEFT_WITHOUT_NOTICE)
            )

    # --- placement -----------------------------------------------------------------------

    @workflow.update
    async def wait_opened(self, _: Wait) -> Journey:
        """Lets the API answer 201 once the application is in the database (or refuse it)."""
        await workflow.wait_condition(lambda: self._opened)
        if self._failure is not None:
            raise self._failure
        return self._journey()

    @workflow.update
    async def assign_bed(self, req: AssignBed) -> Journey:
        async with self._lock:
            self._require(Stage.APPLIED, Stage.WAITLISTED, field_="bed_id")
            await self._place(req.actor, req.bed_id, req.move_in_date or self._today())
        return self._journey()

    @assign_bed.validator
    def _validate_assign_bed(self, req: AssignBed) -> None:
        self._require(Stage.APPLIED, Stage.WAITLISTED, field_="bed_id")
        if req.move_in_date is not None and req.move_in_date < self._today():
            raise Rejected("move_in_date is in the past", field="move_in_date")

    async def _place(self, actor: Actor, bed_id: uuid.UUID, move_in: date) -> Placed:
        j = self._journey()
        placed = await workflow.execute_activity_method(
            AdmissionActivities.place,
            PlaceInBed(
                actor, j.admission_id, workflow.uuid4(), bed_id, move_in, workflow.now(), self._zone()
            ),
            **DB_STEP.options(),
        )
        j.bed_id, j.house_id, j.move_in_date, j.offer = (
            placed.bed_id,
            placed.house_id,
            placed.move_in_date,
            None,
        )
        self._advance(Stage.ACTIVE if placed.active else Stage.RESERVED)
        if placed.active:
            await self._moved_in()
        return placed

    async def _moved_in(self) -> None:
        j, inp = self._journey(), self._input()
        assert j.resident_id is not None
        await give_patient_notice(Actor.system(inp.actor.org_id), j.resident_id)

    @workflow.update
    async def join_waitlist(self, req: WaitlistRequest) -> Journey:
        async with self._lock:
            self._require(Stage.APPLIED, field_="admission_id")
            j = self._journey()
            entry_id = await workflow.execute_activity_method(
                AdmissionActivities.join_waitlist,
                JoinWaitlist(
                    req.actor,
                    j.admission_id,
                    workflow.uuid4(),
                    req.priority,
                    None if req.any_house else j.house_id,
                    workflow.now(),
                ),
                **DB_STEP.options(),
            )
            j.waitlist_entry_id = entry_id
            self._advance(Stage.WAITLISTED)
        return j

    @join_waitlist.validator
    def _validate_join_waitlist(self, req: WaitlistRequest) -> None:
        self._require(Stage.APPLIED, field_="admission_id")

    @workflow.signal(name=BED_OFFERED)
    async def bed_offered(self, offer: BedOffered) -> None:
        j = self._journey()
        if j.stage is Stage.WAITLISTED:
            j.offer = OpenOffer(offer.entry_id, offer.bed_id, offer.expires_at)
            self._advance(Stage.OFFERED)
        else:
            # Placed meanwhile: let the bed go to the next person at once.
            await self._answer_bed_offer(offer.entry_id, offer.bed_id, accepted=False)

    @workflow.signal(name=OFFER_WITHDRAWN)
    def offer_withdrawn(self, w: OfferWithdrawn) -> None:
        j = self._journey()
        if j.offer is not None and j.offer.entry_id == w.entry_id and j.stage is Stage.OFFERED:
            j.offer = None
            self._advance(Stage.WAITLISTED)

    @workflow.update
    async def answer_offer(self, answer: OfferAnswer) -> Journey:
        async with self._lock:
            self._require(Stage.OFFERED, field_="accept")
            j = self._journey()
            offer = j.offer
            assert offer is not None
            if not answer.accept:
                j.offer = None
                self._advance(Stage.WAITLISTED)
                await self._answer_bed_offer(offer.entry_id, offer.bed_id, accepted=False)
                return j
            try:
                await self._place(answer.actor, offer.bed_id, self._today())
            except ActivityError:
                # The bed went elsewhere: the offer is void and this person waits again.
                j.offer = None
                self._advance(Stage.WAITLISTED)
                await self._answer_bed_offer(offer.entry_id, offer.bed_id, accepted=False)
                raise
            await self._answer_bed_offer(offer.entry_id, offer.bed_id, accepted=True)
        return j

    @answer_offer.validator
    def _validate_answer_offer(self, answer: OfferAnswer) -> None:
        self._require(Stage.OFFERED, field_="accept")

    async def _answer_bed_offer(self, entry_id: uuid.UUID, bed_id: uuid.UUID, *, accepted: bool) -> None:
        inp = self._input()
        handle = workflow.get_external_workflow_handle(BED_OFFER.id(inp.actor.org_id, bed_id))
        try:
            await handle.signal(BedOfferWorkflow.answered, OfferAnswered(inp.actor, entry_id, accepted))
        except FailureError:
            workflow.logger.info("bed offer already closed")

    # --- residency -----------------------------------------------------------------------

    @workflow.update
    async def transfer(self, req: TransferRequest) -> Journey:
        async with self._lock:
            self._require(Stage.ACTIVE, field_="to_bed_id")
            j, effective = self._journey(), req.effective_date or self._today()
            done = await workflow.execute_activity_method(
                AdmissionActivities.transfer,
                TransferBed(
                    req.actor,
                    j.admission_id,
                    workflow.uuid4(),
                    workflow.uuid4(),
                    req.to_bed_id,
                    effective,
                    workflow.now(),
                    req.reason,
                    self._zone(),
                ),
                **DB_STEP.options(),
            )
            if done.completed:
                j.bed_id = done.to_bed_id
                await self._offer_bed(done.from_bed_id)
            else:
                j.transfers.append(
                    PendingTransfer(done.transfer_id, done.from_bed_id, done.to_bed_id, done.effective_date)
                )
                self._dirty = True
        return j

    @transfer.validator
    def _validate_transfer(self, req: TransferRequest) -> None:
        self._require(Stage.ACTIVE, field_="to_bed_id")
        if req.effective_date is not None and req.effective_date < self._today():
            raise Rejected("effective_date is in the past", field="effective_date")

    @workflow.signal
    def report_unaccounted(self, report: Unaccounted) -> None:
        j, timing = self._journey(), self._input().timing
        if j.stage is not Stage.ACTIVE:
            return
        j.unaccounted_since = report.since
        # Discharged once missing for the configured hours, and never before staff have had
        # the grace period to say the resident is back.
        j.discharge_due_at = max(
            report.since + timedelta(hours=timing.unaccounted_hours),
            workflow.now() + timedelta(hours=timing.grace_hours),
        )
        self._dirty = True

    @workflow.signal
    def report_returned(self, _: Returned) -> None:
        j = self._journey()
        j.unaccounted_since = j.discharge_due_at = None
        self._dirty = True

    @workflow.update
    async def discharge(self, req: DischargeRequest) -> Journey:
        async with self._lock:
            self._require(Stage.ACTIVE, field_="admission_id")
            await self._discharge(req)
        return self._journey()

    @discharge.validator
    def _validate_discharge(self, req: DischargeRequest) -> None:
        self._require(Stage.ACTIVE, field_="admission_id")
        if req.kind is DischargeKind.ADMINISTRATIVE and req.reason not in ADMINISTRATIVE_REASONS:
            raise Rejected(
                f"an administrative discharge needs a reason code: one of "
                f"{', '.join(sorted(r.value for r in ADMINISTRATIVE_REASONS))}",
                field="reason",
            )
        if req.on is not None and req.on > self._today():
            raise Rejected("date is in the future", field="date")

    async def _discharge(self, req: DischargeRequest) -> None:
        j = self._journey()
        reason = req.reason if req.kind is DischargeKind.ADMINISTRATIVE else KIND_REASON[req.kind]
        assert reason is not None
        discharge_id = workflow.uuid4()
        self._discharged = await workflow.execute_activity_method(
            AdmissionActivities.discharge,
            DischargeResident(
                req.actor,
                j.admission_id,
                discharge_id,
                req.kind,
                reason,
                req.on or self._today(),
                workflow.now(),
                req.details,
                self._zone(),
            ),
            **DB_STEP.options(),
        )
        j.discharge_id, j.discharge_kind = discharge_id, req.kind
        j.transfers.clear()
        j.unaccounted_since = j.discharge_due_at = None
        self._advance(Stage.DISCHARGED)

    async def _hand_over(self, d: Discharged) -> None:
        """The freed bed goes to the waitlist, the final bill to billing, and consents limited to
        the treatment end, and the follow-up after discharge. None is awaited: each outlives
        this journey."""
        await self._offer_bed(d.bed_id)
        await hand_over_to_billing(self._input().actor.org_id, d)
        await end_treatment_consents(self._input().actor.org_id, d)
        await start_follow_up(self._input().actor.org_id, d)

    async def _offer_bed(self, bed_id: uuid.UUID) -> None:
        inp = self._input()
        # Already started: an offer of this bed is already going down the list.
        with contextlib.suppress(WorkflowAlreadyStartedError):
            await workflow.start_child_workflow(
                BedOfferWorkflow.run,
                BedOfferInput(Actor.system(inp.actor.org_id), bed_id, inp.timing.offer_hours),
                id=BED_OFFER.id(inp.actor.org_id, bed_id),
                parent_close_policy=workflow.ParentClosePolicy.ABANDON,
            )

    # --- reading -------------------------------------------------------------------------

    @workflow.query
    def journey(self) -> Journey | None:
        return self._j

    def _journey(self) -> Journey:
        assert self._j is not None
        return self._j

    def _input(self) -> AdmissionInput:
        assert self._inp is not None
        return self._inp

    def _advance(self, stage: Stage) -> None:
        j = self._journey()
        j.stage = stage
        j.history.append(stage)
        self._dirty = True

    def _require(self, *stages: Stage, field_: str) -> None:
        j = self._j
        if j is None or j.stage not in stages:
            now = j.stage.value if j else "opening"
            raise Conflict(f"the admission is {now}; this needs {' or '.join(stages)}", field=field_)
