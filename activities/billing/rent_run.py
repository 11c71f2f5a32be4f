"""Rent-run activities: one batch of rent invoices per call, in one transaction (idempotent by
each invoice's deterministic key)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from temporalio import activity

from activities.base import TenantActivities
from core.contracts.billing import RentBatch
from core.process import Actor
from services.billing import rent


@dataclass(frozen=True)
class RentBatchInput:
    actor: Actor
    as_of: date
    after: uuid.UUID | None
    limit: int


class RentRunActivities(TenantActivities):
    @activity.defn(name="billing.issue_rent_batch")
    def issue_rent_batch(self, inp: RentBatchInput) -> RentBatch:
        with self.session(inp.actor) as s:
            return rent.issue_rent_batch(s, inp.as_of, inp.after, inp.limit)
