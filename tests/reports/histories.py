"""Recording scenarios for the follow-up after discharge (tests/test_replay.py; registry.py
names this module)."""

from __future__ import annotations

from datetime import UTC, datetime

from temporalio.client import Client, WorkflowHandle

from core.process import Actor
from tests.harness import Scenario


async def _follow_up(client: Client, queue: str, actor: Actor, consented: bool) -> WorkflowHandle:
    from core.contracts.outcomes import OUTCOMES
    from tests.reports.outcome_builders import former_residents
    from workflows.outcomes import FollowUpWorkflow

    today = datetime.now(UTC).date()
    (left,) = former_residents(actor.org_id, 1, today, consented=consented)
    return await client.start_workflow(
        FollowUpWorkflow.run,
        left.follow_up(actor.org_id, today),
        id=OUTCOMES.id(actor.org_id, left.discharge_id),
        task_queue=queue,
    )


async def unanswered(client: Client, queue: str, actor: Actor) -> WorkflowHandle:
    """Every wave sent, reminded once and closed unanswered (180 days)."""
    return await _follow_up(client, queue, actor, consented=True)


async def not_consented(client: Client, queue: str, actor: Actor) -> WorkflowHandle:
    return await _follow_up(client, queue, actor, consented=False)


SCENARIOS: dict[str, Scenario] = {
    "outcomes-unanswered": unanswered,
    "outcomes-not-consented": not_consented,
}
