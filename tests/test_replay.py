"""Workflow versioning guard: committed histories of every workflow type replay against
today's code. A change that would break running workflows fails here; gate it behind
`workflow.patched("<family>-<change>")` (README: "Changing a workflow").

Re-record (only when no workflow of the old shape can still be running, e.g. before the first
release or after every old run has closed):

    RECORD_HISTORIES=1 .venv/bin/pytest tests/test_replay.py -k record

Histories are encrypted with the fixed test-only key below, never a real key, and hold only
invented names.
"""

from __future__ import annotations

import base64
import json
import os
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from temporalio.client import Client, WorkflowHandle
from temporalio.converter import DataConverter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

import registry
from core.codec import EncryptionCodec, data_converter
from models.enums import UserRole
from services.intake import NewLead
from tests.factories import OrgFactory
from tests.harness import BIN
from workflows.common import Actor
from workflows.intake import INTAKE, Decision, IntakeInput, IntakeWorkflow, ScreeningDecision

TESTS = Path(__file__).parent
HISTORY_KEY_ID = "history-test-only"
HISTORY_KEY = base64.b64decode("cmVjb3Zlcnlvcy10ZXN0LWhpc3Rvcmllcy1vbmx5ISE=")


def history_converter() -> DataConverter:
    return data_converter(EncryptionCodec({HISTORY_KEY_ID: HISTORY_KEY}, HISTORY_KEY_ID))


def _histories() -> list[Path]:
    return sorted(TESTS.glob("*/histories/*.json"))


def test_every_workflow_type_has_a_committed_history() -> None:
    recorded = {json.loads(p.read_text())["workflow_type"] for p in _histories()}
    registered = {wf.__temporal_workflow_definition.name for wf in registry.workflows()}  # type: ignore[attr-defined]
    assert registered <= recorded, f"record histories for {sorted(registered - recorded)}"


@pytest.mark.parametrize("path", _histories(), ids=lambda p: f"{p.parent.parent.name}/{p.stem}")
async def test_committed_history_replays_on_todays_code(path: Path) -> None:
    from temporalio.client import WorkflowHistory

    doc = json.loads(path.read_text())
    history = WorkflowHistory.from_json(doc["workflow_id"], doc["history"])
    await Replayer(workflows=registry.workflows(), data_converter=history_converter()).replay_workflow(
        history
    )


# --- recording -------------------------------------------------------------------------------

Scenario = Callable[[Client, str, Actor], Awaitable[WorkflowHandle]]


async def _intake_approved(client: Client, queue: str, actor: Actor) -> WorkflowHandle:
    lead_id = uuid.uuid4()
    handle = await client.start_workflow(
        IntakeWorkflow.run,
        IntakeInput(actor, lead_id, NewLead("Historia", "Probanda")),
        id=INTAKE.id(actor.org_id, lead_id),
        task_queue=queue,
    )
    await handle.execute_update(IntakeWorkflow.decide, ScreeningDecision(actor, Decision.APPROVE))
    return handle


async def _intake_lost(client: Client, queue: str, actor: Actor) -> WorkflowHandle:
    lead_id = uuid.uuid4()
    return await client.start_workflow(
        IntakeWorkflow.run,
        IntakeInput(actor, lead_id, NewLead("Replaya", "Exemplar")),
        id=INTAKE.id(actor.org_id, lead_id),
        task_queue=queue,
    )


async def _billing_rent_run(client: Client, queue: str, actor: Actor) -> WorkflowHandle:
    from tests.billing.histories import rent_run

    return await rent_run(client, queue, actor)


async def _billing_card_payment(client: Client, queue: str, actor: Actor) -> WorkflowHandle:
    from tests.billing.histories import card_payment

    return await card_payment(client, queue, actor)


async def _billing_discharge(client: Client, queue: str, actor: Actor) -> WorkflowHandle:
    from tests.billing.histories import discharge

    return await discharge(client, queue, actor)


SCENARIOS: dict[str, tuple[str, Scenario]] = {
    "intake-approved": ("intake", _intake_approved),
    "intake-lost": ("intake", _intake_lost),
    "billing-rent-run": ("billing", _billing_rent_run),
    "billing-card-payment": ("billing", _billing_card_payment),
    "billing-discharge": ("billing", _billing_discharge),
}


@pytest.mark.skipif(not os.environ.get("RECORD_HISTORIES"), reason="set RECORD_HISTORIES=1 to re-record")
async def test_record_histories(orgs: OrgFactory) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from worker import build_worker

    org = orgs.create((UserRole.CASE_MANAGER,))
    actor = Actor(org.org_id, org.users[UserRole.CASE_MANAGER], "history")
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(BIN / "temporal-test-server"), data_converter=history_converter()
    )
    try:
        queue = "histories"
        async with build_worker(env.client, task_queue=queue, executor=ThreadPoolExecutor(2)):
            for name, (family, scenario) in SCENARIOS.items():
                handle = await scenario(env.client, queue, actor)
                await handle.result()
                history = await handle.fetch_history()
                out = TESTS / family / "histories" / f"{name}.json"
                out.parent.mkdir(parents=True, exist_ok=True)
                desc = await handle.describe()
                doc = {
                    "workflow_id": handle.id,
                    "workflow_type": desc.workflow_type,
                    "history": json.loads(history.to_json()),
                }
                out.write_text(json.dumps(doc, indent=1) + "\n")
    finally:
        await env.shutdown()
