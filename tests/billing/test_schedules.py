"""Each org's rent-run Schedule on the Temporal dev server: created once, kept up to date by
`recoveryos schedules sync`, and starting a rent run that issues the current period's rent."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime

from sqlalchemy import func, select
from temporalio.client import ScheduleActionStartWorkflow

import registry
from cli.main import build_parser
from cli.schedules import ensure, sync
from core.contracts.billing import DUNNING
from core.db import tenant_session
from core.enums import BillingFrequency, UserRole
from core.temporal import connect
from models.payments import Invoice
from services.billing import rates
from services.billing.periods import period_containing
from services.billing.rates import NewRate
from tests.billing.builders import admit, make_house
from tests.factories import OrgFactory
from workflows.billing import BILLING
from workflows.billing.dunning import SWEEP_KEY
from workflows.billing.reconciliation import DAILY_KEY, RECONCILIATION
from workflows.billing.rent_run import RENT_RUN_KEY, RENT_RUN_SCHEDULE
from workflows.retention import DAILY_KEY as RETENTION_KEY
from workflows.retention import RETENTION


async def test_the_rent_schedule_is_created_once_and_a_triggered_run_issues_rent(
    stack: str, orgs: OrgFactory
) -> None:
    org = orgs.create((UserRole.BILLING_SPECIALIST,))
    house = make_house(org.org_id, beds=2)
    with tenant_session(org.org_id, actor_type="test") as s:
        rates.create_rate(
            s,
            uuid.uuid4(),
            NewRate("Rent", 70_000, BillingFrequency.MONTHLY, date(2020, 1, 1), house_id=house.house_id),
        )
    admit(org.org_id, house, [(date(2024, 1, 1), None)] * 2)
    client = await connect()
    assert await ensure(client, RENT_RUN_SCHEDULE, org.org_id, "America/Chicago") is True
    created, updated = await sync(client, [(org.org_id, "America/Chicago")])
    # The rent run brought up to date; every other family's daily schedule (the dunning sweep,
    # reconciliation, retention, the curfew night, the drug-test draw) created alongside it; a
    # second sync changes nothing.
    others = len(registry.schedules()) - 1
    assert (created, updated) == (others, 1)
    assert await sync(client, [(org.org_id, "America/Chicago")]) == (0, others + 1)
    await client.get_schedule_handle(DUNNING.id(org.org_id, SWEEP_KEY)).delete()
    await client.get_schedule_handle(RETENTION.id(org.org_id, RETENTION_KEY)).delete()
    recon = client.get_schedule_handle(RECONCILIATION.id(org.org_id, DAILY_KEY))
    daily = (await recon.describe()).schedule
    assert (
        isinstance(daily.action, ScheduleActionStartWorkflow)
        and daily.action.workflow == "DailyReconciliation"
    )
    await recon.delete()
    handle = client.get_schedule_handle(BILLING.id(org.org_id, RENT_RUN_KEY))
    desc = await handle.describe()
    assert desc.schedule.spec.time_zone_name == "America/Chicago"
    action = desc.schedule.action
    assert isinstance(action, ScheduleActionStartWorkflow) and action.workflow == "BillingRentRun"
    await handle.trigger()
    for _ in range(200):
        with tenant_session(org.org_id, actor_type="test") as s:
            issued = s.scalar(select(func.count()).select_from(Invoice)) or 0
        if issued == 2:
            break
        await asyncio.sleep(0.1)
    assert issued == 2
    today = datetime.now(UTC).date()
    with tenant_session(org.org_id, actor_type="test") as s:
        periods = set(s.execute(select(Invoice.period_start_date, Invoice.period_end_date)).all())
    assert periods == {
        (
            period_containing(today, BillingFrequency.MONTHLY).start,
            period_containing(today, BillingFrequency.MONTHLY).end,
        )
    }
    await handle.delete()


def test_schedules_sync_is_a_recoveryos_command() -> None:
    args = build_parser().parse_args(["schedules", "sync"])
    assert args.fn.__module__ == "cli.schedules"
