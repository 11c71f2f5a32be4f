"""The chore week's steps: rotate, mend after a move-out, close; each one tenant transaction,
idempotent by the state it finds (services/operations/chores.py)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from temporalio import activity

from activities.base import TenantActivities
from core.contracts.operations import Assigned
from core.process import Actor
from services.operations import chores


@dataclass(frozen=True)
class RotateChores:
    actor: Actor
    house_id: uuid.UUID
    # None: the week that holds today in the org's timezone (the Schedule's case).
    week_start: date | None = None


@dataclass(frozen=True)
class Rotated:
    week_start: date
    assigned: list[Assigned]
    created: bool


@dataclass(frozen=True)
class MendChores:
    actor: Actor
    house_id: uuid.UUID
    week_start: date
    on: date


@dataclass(frozen=True)
class CloseChoreWeek:
    actor: Actor
    house_id: uuid.UUID
    week_start: date


class ChoreActivities(TenantActivities):
    @activity.defn(name="operations.rotate_chores")
    def rotate_chores(self, inp: RotateChores) -> Rotated:
        with self.session(inp.actor) as s:
            week = inp.week_start or chores.week_of(chores.org_today(s, self.clock()))
            r = chores.rotate_week(s, inp.house_id, week)
            return Rotated(r.week_start, r.assigned, r.created)

    @activity.defn(name="operations.mend_chores")
    def mend_chores(self, inp: MendChores) -> list[Assigned]:
        with self.session(inp.actor) as s:
            return chores.mend(s, inp.house_id, inp.week_start, inp.on)

    @activity.defn(name="operations.close_chore_week")
    def close_chore_week(self, inp: CloseChoreWeek) -> list[Assigned]:
        with self.session(inp.actor) as s:
            return chores.close_week(s, inp.house_id, inp.week_start)
