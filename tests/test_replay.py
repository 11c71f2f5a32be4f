"""Workflow versioning guard: committed histories of every workflow type replay against
today's code. A change that would break running workflows fails here; gate it behind
`workflow.patched("<family>-<change>")` (README: "Changing a workflow").

Record the histories of new scenarios (existing files are kept, so old shapes stay guarded):

    RECORD_HISTORIES=1 .venv/bin/pytest tests/test_replay.py -k record

Re-record every scenario (only when no workflow of the old shape can still be running, e.g.
before the first release or after every old run has closed): RECORD_HISTORIES=all.

Histories are encrypted with the fixed test-only key below, never a real key, and hold only
invented names.
"""

from __future__ import annotations

import base64
import contextlib
import importlib
import json
import os
from pathlib import Path

import pytest
from temporalio.client import WorkflowFailureError
from temporalio.converter import DataConverter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

import registry
from core.codec import EncryptionCodec, data_converter
from core.enums import UserRole
from core.process import Actor
from tests.factories import OrgFactory
from tests.harness import BIN, Scenario

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


def scenarios() -> list[tuple[Path, str, Scenario]]:
    """Every family's scenarios in registry order: (folder of its histories, name, recorder)."""
    out = []
    for family in registry.FAMILIES:
        for module_name in family.histories:
            module = importlib.import_module(module_name)
            folder = Path(module.__file__ or "").parent / "histories"
            out += [(folder, name, scenario) for name, scenario in module.SCENARIOS.items()]
    return out


def test_every_family_with_workflows_names_its_recording_scenarios() -> None:
    names = [name for _, name, _ in scenarios()]
    assert len(names) == len(set(names))
    assert [f.name for f in registry.FAMILIES if f.workflows and not f.histories] == []
    recorded = {p.stem for p in _histories()}
    assert recorded <= set(names), f"histories no scenario records: {sorted(recorded - set(names))}"


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
            for folder, name, scenario in scenarios():
                out = folder / f"{name}.json"
                if out.exists() and os.environ["RECORD_HISTORIES"] != "all":
                    continue
                handle = await scenario(env.client, queue, actor)
                with contextlib.suppress(WorkflowFailureError):
                    await handle.result()
                history = await handle.fetch_history()
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
