"""Recording scenarios for the retention workflows (tests/test_replay.py; registry.py names this
module)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from temporalio.client import Client, WorkflowHandle

from core.process import Actor, Wait
from tests.harness import Scenario


async def destroyed(client: Client, queue: str, actor: Actor) -> WorkflowHandle:
    """A former resident past every period, listed, confirmed and destroyed."""
    from core.contracts.retention import run_id, years_before
    from core.filestore import file_store_from_settings
    from tests.retention.builders import former_resident, house
    from workflows.retention import RETENTION, RetentionInput, RetentionRunWorkflow

    today = datetime.now(UTC).date()
    where = house(actor.org_id)
    former_resident(
        actor.org_id, where, file_store_from_settings(), years_before(today, 7), today - timedelta(days=1)
    )
    handle = await client.start_workflow(
        RetentionRunWorkflow.run,
        RetentionInput(actor, today),
        id=RETENTION.id(actor.org_id, run_id(actor.org_id, today)),
        task_queue=queue,
    )
    await handle.execute_update(RetentionRunWorkflow.wait_listed, Wait(actor))
    await handle.execute_update(RetentionRunWorkflow.confirm, Wait(actor))
    return handle


async def daily(client: Client, queue: str, actor: Actor) -> WorkflowHandle:
    """The Schedule's workflow on a day with nothing past its period: its run lists nothing."""
    from workflows.retention import RETENTION, RetentionDailyWorkflow, RetentionInput

    return await client.start_workflow(
        RetentionDailyWorkflow.run,
        RetentionInput(actor, date(2026, 1, 5)),
        id=RETENTION.id(actor.org_id, "daily-2026-01-05"),
        task_queue=queue,
    )


SCENARIOS: dict[str, Scenario] = {
    "retention-destroyed": destroyed,
    "retention-daily": daily,
}
