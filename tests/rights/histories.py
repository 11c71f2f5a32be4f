"""Recording scenarios for the AccessRequest workflow (tests/test_replay.py; registry.py names
this module)."""

from __future__ import annotations

import uuid

from temporalio.client import Client, WorkflowHandle

from core.process import Actor, Wait
from tests.harness import Scenario


async def _request(client: Client, queue: str, actor: Actor) -> WorkflowHandle:
    from tests.breach.conftest import resident_in
    from workflows.rights import ACCESS, AccessInput, AccessRequestWorkflow

    resident = resident_in(actor.org_id, "PA", "Historia", "Accessley")
    request_id = uuid.uuid4()
    handle = await client.start_workflow(
        AccessRequestWorkflow.run,
        AccessInput(actor, request_id, resident, "An invented request"),
        id=ACCESS.id(actor.org_id, request_id),
        task_queue=queue,
    )
    await handle.execute_update(AccessRequestWorkflow.wait_recorded, Wait(actor))
    return handle


async def fulfilled(client: Client, queue: str, actor: Actor) -> WorkflowHandle:
    from workflows.rights import AccessRequestWorkflow, ExtendMsg

    handle = await _request(client, queue, actor)
    await handle.execute_update(AccessRequestWorkflow.extend, ExtendMsg(actor, "An invented reason"))
    await handle.execute_update(AccessRequestWorkflow.fulfil, Wait(actor))
    return handle


async def denied(client: Client, queue: str, actor: Actor) -> WorkflowHandle:
    from core.contracts.rights import Denial, DenialGround
    from workflows.rights import AccessRequestWorkflow, DenyMsg

    handle = await _request(client, queue, actor)
    denial = Denial(DenialGround.PSYCHOTHERAPY_NOTES, "An invented explanation", "Privacy officer")
    await handle.execute_update(AccessRequestWorkflow.deny, DenyMsg(actor, denial))
    return handle


SCENARIOS: dict[str, Scenario] = {
    "access-fulfilled": fulfilled,
    "access-denied": denied,
}


async def amended(client: Client, queue: str, actor: Actor) -> WorkflowHandle:
    from core.contracts.rights import Amendment
    from tests.breach.conftest import resident_in
    from workflows.rights import AMENDMENT, AmendmentInput, AmendmentRequestWorkflow

    resident = resident_in(actor.org_id, "PA", "Historia", "Amendley")
    request_id = uuid.uuid4()
    handle = await client.start_workflow(
        AmendmentRequestWorkflow.run,
        AmendmentInput(
            actor, request_id, resident, "An invented correction", Amendment("pronouns", "she/her")
        ),
        id=AMENDMENT.id(actor.org_id, request_id),
        task_queue=queue,
    )
    await handle.execute_update(AmendmentRequestWorkflow.wait_recorded, Wait(actor))
    await handle.execute_update(AmendmentRequestWorkflow.accept, Wait(actor))
    return handle


async def disagreed(client: Client, queue: str, actor: Actor) -> WorkflowHandle:
    from core.contracts.rights import Amendment, AmendmentDenial, AmendmentGround
    from tests.breach.conftest import resident_in
    from workflows.rights import (
        AMENDMENT,
        AmendmentInput,
        AmendmentRequestWorkflow,
        DenyAmendmentMsg,
        DisagreeMsg,
    )

    resident = resident_in(actor.org_id, "PA", "Historia", "Disagreeley")
    request_id = uuid.uuid4()
    handle = await client.start_workflow(
        AmendmentRequestWorkflow.run,
        AmendmentInput(actor, request_id, resident, "An invented correction", Amendment()),
        id=AMENDMENT.id(actor.org_id, request_id),
        task_queue=queue,
    )
    await handle.execute_update(AmendmentRequestWorkflow.wait_recorded, Wait(actor))
    denial = AmendmentDenial(AmendmentGround.ACCURATE_AND_COMPLETE, "An invented reason", "Privacy officer")
    await handle.execute_update(AmendmentRequestWorkflow.deny, DenyAmendmentMsg(actor, denial))
    await handle.execute_update(
        AmendmentRequestWorkflow.disagree, DisagreeMsg(actor, "An invented statement")
    )
    return handle


SCENARIOS["amendment-accepted"] = amended
SCENARIOS["amendment-denied-disagreed"] = disagreed
