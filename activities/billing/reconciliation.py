"""Reconciliation activities, billing's check against Stripe: Stripe is read outside any tenant
transaction, then the day's records are written in one."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import date

from temporalio import activity

from activities.base import TenantActivities
from core.contracts.billing import DaySummary
from core.process import Actor
from services.billing import reconciliation


@dataclass(frozen=True)
class ReconcileInput:
    actor: Actor
    day: date


log = logging.getLogger("recoveryos.reconciliation")
SKIPPED_NO_STRIPE = "Stripe is not configured"
_said_unconfigured = threading.Event()


class ReconciliationActivities(TenantActivities):
    @activity.defn(name="reconciliation.reconcile_day")
    def reconcile_day(self, inp: ReconcileInput) -> DaySummary:
        """Stripe's balance transactions and payouts of the day, this org's only (by the
        `org_id` metadata every PaymentIntent and refund we make carries), matched with the
        ledger. Stripe is shared by every org of a deployment; the database is not."""
        if self.stripe is None:
            # Not an error to retry: nothing to reconcile against. Said once per worker, and
            # the run's summary says it to whoever asks.
            if not _said_unconfigured.is_set():
                _said_unconfigured.set()
                log.warning("reconciliation skipped: Stripe is not configured (RECOVERYOS_STRIPE_API_KEY)")
            return DaySummary(inp.day, 0, skipped=SKIPPED_NO_STRIPE)
        start, end = reconciliation.day_bounds(inp.day)
        org = str(inp.actor.org_id)
        txns = [t for t in self.stripe.balance_transactions(start, end) if t.metadata.get("org_id") == org]
        ours = {t.id for t in txns}
        payouts = [
            p
            for p in self.stripe.payouts(start, end)
            if any(member in ours for member in p.balance_transaction_ids)
        ]
        with self.session(inp.actor) as s:
            return reconciliation.reconcile_day(s, inp.day, txns, payouts)
