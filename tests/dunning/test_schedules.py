"""Each org's dunning-sweep Schedule on the Temporal dev server: created once, kept up to date by
`recoveryos schedules sync`, and starting a sweep that starts the ladder of an overdue invoice."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

from temporalio.client import ScheduleActionStartWorkflow

import registry
from cli.schedules import ensure, sync
from core.contracts.billing import DUNNING
from core.db import tenant_session
from core.temporal import connect
from services.billing import dunning
from tests.dunning.builders import billed_org
from tests.factories import OrgFactory
from workflows.billing import BILLING
from workflows.billing.dunning import SWEEP_KEY, SWEEP_SCHEDULE, dunning_id
from workflows.billing.reconciliation import DAILY_KEY, RECONCILIATION
from workflows.billing.rent_run import RENT_RUN_KEY
from workflows.retention import DAILY_KEY as RETENTION_KEY
from workflows.retention import RETENTION

FAR = [{"step": 1, "days_after_due": 3650, "action_type": "reminder_email"}]


async def test_the_dunning_schedule_is_created_once_and_a_triggered_sweep_starts_the_ladder(
    stack: str, orgs: OrgFactory
) -> None:
    b = billed_org(orgs, date.today() - timedelta(days=4), steps=FAR)
    client = await connect()
    assert await ensure(client, SWEEP_SCHEDULE, b.org.org_id, "America/Denver") is True
    # Every other family's daily schedule is new; the sweep's is brought up to date.
    assert await sync(client, [(b.org.org_id, "America/Denver")]) == (len(registry.schedules()) - 1, 1)
    handle = client.get_schedule_handle(DUNNING.id(b.org.org_id, SWEEP_KEY))
    desc = await handle.describe()
    assert desc.schedule.spec.time_zone_name == "America/Denver"
    action = desc.schedule.action
    assert isinstance(action, ScheduleActionStartWorkflow) and action.workflow == "DunningSweep"
    await handle.trigger()
    for _ in range(200):
        with tenant_session(b.org.org_id, actor_type="test") as s:
            planned = dunning.actions(s, b.invoice_ids[0])
        if planned:
            break
        await asyncio.sleep(0.1)
    assert [(a.step_number, a.status.value) for a in planned] == [(1, "scheduled")]
    ladder = await client.get_workflow_handle(dunning_id(b.org.org_id, b.invoice_ids[0])).describe()
    assert ladder.workflow_type == "DunningInvoice"
    await handle.delete()
    await client.get_schedule_handle(BILLING.id(b.org.org_id, RENT_RUN_KEY)).delete()
    await client.get_schedule_handle(RECONCILIATION.id(b.org.org_id, DAILY_KEY)).delete()
    await client.get_schedule_handle(RETENTION.id(b.org.org_id, RETENTION_KEY)).delete()
