"""`BedOfferWorkflow` (`bed-offer/<org>/<bed id>`): a freed bed offered down the waitlist, one
waiting person at a time, each told through their journey's signals."""

from __future__ import annotations

import contextlib
import uuid
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import FailureError

with workflow.unsafe.imports_passed_through():
    from activities.admission import AdmissionActivities, OfferNext, ReleaseOffer
    from core.contracts.admission import Offer
    from core.enums import WaitlistStatus
    from core.process import DB_STEP
    from workflows.admission import ADMISSION
    from workflows.admission.messages import (
        BED_OFFERED,
        OFFER_WITHDRAWN,
        BedOffered,
        BedOfferInput,
        BedOfferResult,
        OfferAnswered,
        OfferWithdrawn,
    )


@workflow.defn(name="BedOffer")
class BedOfferWorkflow:
    """A freed bed goes to the first waiting person with a deadline to accept; on decline or
    expiry it passes to the next, until someone takes it, it is taken otherwise, or nobody
    is left waiting."""

    def __init__(self) -> None:
        self._answers: dict[uuid.UUID, bool] = {}

    @workflow.run
    async def run(self, inp: BedOfferInput) -> BedOfferResult:
        result = BedOfferResult(inp.bed_id)
        window = timedelta(hours=inp.offer_hours)
        while True:
            now = workflow.now()
            offer: Offer | None = await workflow.execute_activity_method(
                AdmissionActivities.offer_next,
                OfferNext(inp.actor, inp.bed_id, tuple(result.offered_to), now, now + window),
                **DB_STEP.options(),
            )
            if offer is None:
                return result
            result.offered_to.append(entry_id := offer.entry_id)
            journey = workflow.get_external_workflow_handle(
                ADMISSION.id(inp.actor.org_id, offer.admission_id)
            )
            try:
                await journey.signal(
                    BED_OFFERED,
                    BedOffered(inp.actor, offer.entry_id, inp.bed_id, now + window),
                )
                await workflow.wait_condition(lambda: entry_id in self._answers, timeout=window)
            except (FailureError, TimeoutError):
                pass
            if self._answers.get(offer.entry_id):
                result.placed_entry_id = offer.entry_id
                return result
            status = await workflow.execute_activity_method(
                AdmissionActivities.release_offer,
                ReleaseOffer(inp.actor, offer.entry_id, inp.bed_id),
                **DB_STEP.options(),
            )
            if status is WaitlistStatus.PLACED:
                result.placed_entry_id = offer.entry_id
                return result
            if offer.entry_id not in self._answers:
                with contextlib.suppress(FailureError):
                    await journey.signal(
                        OFFER_WITHDRAWN,
                        OfferWithdrawn(inp.actor, offer.entry_id, inp.bed_id),
                    )

    @workflow.signal
    def answered(self, answer: OfferAnswered) -> None:
        self._answers[answer.entry_id] = answer.accepted
