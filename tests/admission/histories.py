"""Recording scenarios for the admission and bed-offer workflows (tests/test_replay.py;
registry.py names this module). Order matters: `bed-offer-accepted` is the child the journey's
discharge started."""

from __future__ import annotations

import asyncio
import uuid

from temporalio.client import Client, WorkflowHandle

from core.contracts.admission import Application, DischargeKind
from core.process import Actor, Wait
from tests.admission import places
from tests.harness import Scenario
from workflows.admission import (
    ADMISSION,
    BED_OFFER,
)
from workflows.admission.journey import AdmissionWorkflow
from workflows.admission.messages import (
    AdmissionInput,
    AssignBed,
    DischargeRequest,
    OfferAnswer,
    Stage,
    TransferRequest,
    WaitlistRequest,
)


async def _opened(client: Client, queue: str, actor: Actor, house_id: uuid.UUID) -> WorkflowHandle:
    """An application from a freshly approved lead, opened."""
    admission_id = uuid.uuid4()
    app = Application(house_id, 20000, 50000, lead_id=places.approved_lead(actor.org_id))
    handle = await client.start_workflow(
        AdmissionWorkflow.run,
        AdmissionInput(actor, admission_id, app),
        id=ADMISSION.id(actor.org_id, admission_id),
        task_queue=queue,
    )
    await handle.execute_update(AdmissionWorkflow.wait_opened, Wait(actor))
    return handle


async def journey(client: Client, queue: str, actor: Actor) -> WorkflowHandle:
    """Application → bed → transfer → waitlisted neighbour → discharge (offer + settlement)."""
    layout = places.house(actor.org_id, ["H-1", "H-2"])
    journey, waiting = [await _opened(client, queue, actor, layout.house_id) for _ in range(2)]
    await journey.execute_update(AdmissionWorkflow.assign_bed, AssignBed(actor, layout.beds["H-1"]))
    await journey.execute_update(AdmissionWorkflow.transfer, TransferRequest(actor, layout.beds["H-2"]))
    await waiting.execute_update(AdmissionWorkflow.join_waitlist, WaitlistRequest(actor))
    await journey.execute_update(
        AdmissionWorkflow.discharge, DischargeRequest(actor, DischargeKind.VOLUNTARY)
    )
    for _ in range(200):
        state = await waiting.query(AdmissionWorkflow.journey)
        if state is not None and state.stage is Stage.OFFERED:
            break
        await asyncio.sleep(0.05)
    await waiting.execute_update(AdmissionWorkflow.answer_offer, OfferAnswer(actor, accept=True))
    return journey


async def bed_offer_passed_on(client: Client, queue: str, actor: Actor) -> WorkflowHandle:
    """A bed freed by a transfer goes down the waitlist: declined by the first person, left to
    lapse by the second (its 48 h deadline skipped), accepted by the third."""
    from temporalio.api.testservice.v1 import SleepRequest

    layout = places.house(actor.org_id, ["P-1"], name="Passing House")
    elsewhere = places.house(actor.org_id, ["Q-1"], name="Quince House")
    leaving, *waiting = [await _opened(client, queue, actor, layout.house_id) for _ in range(4)]
    await leaving.execute_update(AdmissionWorkflow.assign_bed, AssignBed(actor, layout.beds["P-1"]))
    for handle in waiting:
        await handle.execute_update(AdmissionWorkflow.join_waitlist, WaitlistRequest(actor))
    await leaving.execute_update(AdmissionWorkflow.transfer, TransferRequest(actor, elsewhere.beds["Q-1"]))
    declines, lapses, takes = waiting
    await _offered(declines)
    await declines.execute_update(AdmissionWorkflow.answer_offer, OfferAnswer(actor, accept=False))
    await _offered(lapses)
    sleep = SleepRequest()
    sleep.duration.FromSeconds(49 * 3600)
    await client.test_service.unlock_time_skipping_with_sleep(sleep)
    await _offered(takes)
    await takes.execute_update(AdmissionWorkflow.answer_offer, OfferAnswer(actor, accept=True))
    return await _closed(client.get_workflow_handle(BED_OFFER.id(actor.org_id, layout.beds["P-1"])))


async def _offered(handle: WorkflowHandle) -> None:
    for _ in range(400):
        state = await handle.query(AdmissionWorkflow.journey)
        if state is not None and state.stage is Stage.OFFERED:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{handle.id} was never offered the bed")


async def bed_offer_accepted(client: Client, queue: str, actor: Actor) -> WorkflowHandle:
    """The bed freed by the journey's discharge, offered to and accepted by the neighbour."""
    return await _closed(client.get_workflow_handle(BED_OFFER.id(actor.org_id, _last_layout_bed(actor))))


async def _closed(handle: WorkflowHandle) -> WorkflowHandle:
    """A handle the recorder may await: the test server answers result() only for a workflow
    the client started, so wait for this child to close first."""
    from temporalio.client import WorkflowExecutionStatus

    for _ in range(400):
        if (await handle.describe()).status is not WorkflowExecutionStatus.RUNNING:
            break
        await asyncio.sleep(0.05)
    return handle


def _last_layout_bed(actor: Actor) -> uuid.UUID:
    from sqlalchemy import select

    from core.db import tenant_session
    from models.resident_tracking import Discharge

    with tenant_session(actor.org_id, actor_type="test") as s:
        bed = s.scalars(select(Discharge.bed_id).order_by(Discharge.discharged_at.desc())).first()
    assert bed is not None
    return bed


SCENARIOS: dict[str, Scenario] = {
    "admission-journey": journey,
    "bed-offer-accepted": bed_offer_accepted,
    # Before any discharge: an abandoned child outliving its closed parent freezes the test
    # server's clock (sdk-java#2392), and this scenario needs the clock.
    "bed-offer-passed-on": bed_offer_passed_on,
    # The same journey on today's code: the `billing-settlement` patch and billing's child.
    "admission-journey-settled": journey,
}
