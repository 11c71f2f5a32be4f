"""The weekly upkeep check's step: reminders for the house's vehicles whose insurance is about
to lapse (services/operations/vehicles.py), idempotent by the reminder's derived id."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from temporalio import activity

from activities.base import TenantActivities
from core.process import Actor
from services.operations import vehicles
from services.operations.chores import org_today


@dataclass(frozen=True)
class CheckUpkeep:
    actor: Actor
    house_id: uuid.UUID
    # None: today in the org's timezone (the Schedule's case).
    on: date | None = None


@dataclass(frozen=True)
class UpkeepChecked:
    on: date
    reminders: list[uuid.UUID]


class UpkeepActivities(TenantActivities):
    @activity.defn(name="operations.check_upkeep")
    def check_upkeep(self, inp: CheckUpkeep) -> UpkeepChecked:
        with self.session(inp.actor) as s:
            on = inp.on or org_today(s, self.clock())
            return UpkeepChecked(on, vehicles.remind_expiring(s, inp.house_id, on))
