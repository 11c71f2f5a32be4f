"""`recoveryos schedules sync`: every organisation's Temporal Schedules, created or brought up
to date. Idempotent: run it after every deploy and whenever an org is set up.

Each family declares its daily Schedules in `registry.py` (`Family(schedules=[...])`, each a
`core.process.Daily`); today:
- `billing/<org>/rent-run`, daily at 00:05 in the org's timezone, starting the rent run (which
  issues each resident's invoice for the current period once);
- `dunning/<org>/sweep`, daily at 00:30 in the org's timezone, starting the dunning sweep (which
  starts one dunning workflow per invoice that has become overdue, once);
- `reconciliation/<org>/daily`, daily at 02:15 UTC, reconciling the UTC day before with Stripe
  (Stripe's day is UTC; a re-run of a day updates its records in place).

Families also declare weekly Schedules per house (`Family(weekly=[...])`, each a
`core.process.Weekly`), created for every house of every active org; today:
- `operations/<org>/chore-week-<house>`, Mondays at 00:10 in the org's timezone, rotating the
  house's chores for the week (then mending it after move-outs and closing it on Sunday night);
- `operations/<org>/meeting-check-<house>`, Mondays at 06:00 in the org's timezone, checking
  the week before against each resident's meeting requirements;
- `operations/<org>/upkeep-check-<house>`, Mondays at 07:00 in the org's timezone, reminding the
  house manager of vehicles whose insurance lapses within 30 days.
"""

from __future__ import annotations

import argparse
import asyncio
import uuid
from datetime import timedelta

from sqlalchemy import text
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
    ScheduleUpdate,
    ScheduleUpdateInput,
)

from core.config import get_settings
from core.process import Actor, Daily, Weekly
from core.temporal import org_attributes


def schedule(daily: Daily, org_id: uuid.UUID, timezone: str, task_queue: str, attrs: bool) -> Schedule:
    """The org's copy of a family's daily Schedule. A run still going when the next day starts
    is left to finish; a missed day (server down) is caught up within three days: each
    scheduled workflow's keys make a catch-up safe."""
    actor = Actor.system(org_id, request_id=daily.request_id())
    return Schedule(
        action=ScheduleActionStartWorkflow(
            daily.run,
            daily.input(actor),
            id=daily.schedule_id(org_id),
            task_queue=task_queue,
            typed_search_attributes=org_attributes(org_id) if attrs else None,  # type: ignore[arg-type]
        ),
        spec=ScheduleSpec(
            calendars=[
                ScheduleCalendarSpec(hour=[ScheduleRange(daily.hour)], minute=[ScheduleRange(daily.minute)])
            ],
            time_zone_name="UTC" if daily.utc else timezone,
        ),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP, catchup_window=timedelta(days=3)),
    )


async def ensure(
    client: Client, daily: Daily, org_id: uuid.UUID, timezone: str = "UTC", *, search_attributes: bool = True
) -> bool:
    """Create the org's copy of `daily`, or bring an existing one up to date. True when it was
    created."""
    built = schedule(daily, org_id, timezone, get_settings().task_queue, search_attributes)
    return await _ensure(client, daily.schedule_id(org_id), built)


async def _ensure(client: Client, schedule_id: str, schedule: Schedule) -> bool:
    try:
        await client.create_schedule(schedule_id, schedule)
        return True
    except ScheduleAlreadyRunningError:

        def replace(current: ScheduleUpdateInput) -> ScheduleUpdate:
            return ScheduleUpdate(schedule=schedule)

        await client.get_schedule_handle(schedule_id).update(replace)
        return False


def weekly_schedule(
    weekly: Weekly, org_id: uuid.UUID, house_id: uuid.UUID, timezone: str, task_queue: str, attrs: bool
) -> Schedule:
    """One house's copy of a family's weekly Schedule. Runs may overlap (a chore week still
    closing when the next one starts): each run is keyed by its own week."""
    actor = Actor.system(org_id, request_id=weekly.request_id())
    return Schedule(
        action=ScheduleActionStartWorkflow(
            weekly.run,
            weekly.input(actor, house_id),
            id=weekly.schedule_id(org_id, house_id),
            task_queue=task_queue,
            typed_search_attributes=org_attributes(org_id) if attrs else None,  # type: ignore[arg-type]
        ),
        spec=ScheduleSpec(
            calendars=[
                ScheduleCalendarSpec(
                    # Temporal counts weekdays from Sunday = 0; ours from Monday = 0.
                    day_of_week=[ScheduleRange((weekly.weekday + 1) % 7)],
                    hour=[ScheduleRange(weekly.hour)],
                    minute=[ScheduleRange(weekly.minute)],
                )
            ],
            time_zone_name=timezone,
        ),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.ALLOW_ALL, catchup_window=timedelta(days=3)),
    )


async def ensure_weekly(
    client: Client,
    weekly: Weekly,
    org_id: uuid.UUID,
    house_id: uuid.UUID,
    timezone: str = "UTC",
    *,
    search_attributes: bool = True,
) -> bool:
    """Create the house's copy of `weekly`, or bring an existing one up to date. True when it
    was created."""
    built = weekly_schedule(weekly, org_id, house_id, timezone, get_settings().task_queue, search_attributes)
    return await _ensure(client, weekly.schedule_id(org_id, house_id), built)


def active_houses(org_ids: list[uuid.UUID]) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(org, house) of every house not deleted, of the given orgs."""
    from core.db import owner_session

    if not org_ids:
        return []
    with owner_session() as s:
        rows = s.execute(
            text(
                "SELECT org_id, id FROM houses"
                " WHERE deleted_at IS NULL AND org_id = ANY(:orgs) ORDER BY org_id, id"
            ),
            {"orgs": org_ids},
        ).all()
    return [(r.org_id, r.id) for r in rows]


async def sync_houses(client: Client, orgs: list[tuple[uuid.UUID, str]]) -> tuple[int, int]:
    """Every house's weekly Schedules (house operations), as `sync` does the orgs' daily ones."""
    import registry
    from core.temporal import ensure_search_attributes

    attrs = await ensure_search_attributes(client)
    zones = dict(orgs)
    created = total = 0
    for org_id, house_id in active_houses(list(zones)):
        for weekly in registry.weekly_schedules():
            created += await ensure_weekly(
                client, weekly, org_id, house_id, zones[org_id], search_attributes=attrs
            )
            total += 1
    return created, total - created


def active_orgs() -> list[tuple[uuid.UUID, str]]:
    from core.db import owner_session

    with owner_session() as s:
        rows = s.execute(
            text(
                "SELECT id, timezone FROM organizations"
                " WHERE deleted_at IS NULL AND status = 'active' ORDER BY id"
            )
        ).all()
    return [(r.id, r.timezone) for r in rows]


async def sync(client: Client, orgs: list[tuple[uuid.UUID, str]]) -> tuple[int, int]:
    # Here, not at the top: the registry loads every family, and every other command (and
    # `--help`) starts without it.
    import registry
    from core.temporal import ensure_search_attributes

    attrs = await ensure_search_attributes(client)
    created = total = 0
    for org_id, tz in orgs:
        for daily in registry.schedules():
            created += await ensure(client, daily, org_id, tz, search_attributes=attrs)
            total += 1
    return created, total - created


def _sync(args: argparse.Namespace) -> int:
    from cli.local import attach_local_database
    from core.temporal import connect

    attach_local_database()

    async def go() -> tuple[tuple[int, int], tuple[int, int]]:
        client, orgs = await connect(), active_orgs()
        return await sync(client, orgs), await sync_houses(client, orgs)

    (created, updated), (house_created, house_updated) = asyncio.run(go())
    print(f"schedules: {created} created, {updated} brought up to date")
    print(f"house schedules: {house_created} created, {house_updated} brought up to date")
    return 0


def register(sub: argparse._SubParsersAction, parents: list[argparse.ArgumentParser]) -> None:
    sc = sub.add_parser(
        "schedules", help="Temporal Schedules", description="Every org's Temporal Schedules."
    ).add_subparsers(dest="schedules_cmd", required=True, metavar="{sync}")
    sc.add_parser(
        "sync",
        parents=parents,
        help="create or update every org's schedules (idempotent)",
        description="Creates or brings up to date, for every active org, the daily rent run (00:05 org "
        "time), dunning sweep (00:30 org time) and Stripe reconciliation (02:15 UTC). `recoveryos dev` "
        "runs it at start and `recoveryos seed` for the org it seeds; run it after every deploy.",
    ).set_defaults(fn=_sync)
