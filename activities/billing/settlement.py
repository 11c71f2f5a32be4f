"""Discharge-settlement activities: unused nights credited on rent already invoiced, then the
resident's security deposit found, settled by staff's decision, and read back."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date

from temporalio import activity

from activities.base import TenantActivities
from core.contracts.billing import Deduction, DepositOutcome, Disposition
from core.enums import DepositStatus
from core.errors import Conflict
from core.process import Actor
from services.billing import deposits, settlement


@dataclass(frozen=True)
class DischargeInput:
    actor: Actor
    resident_id: uuid.UUID
    discharged_on: date


@dataclass(frozen=True)
class DepositLookup:
    actor: Actor
    resident_id: uuid.UUID


@dataclass(frozen=True)
class DepositFound:
    deposit_id: uuid.UUID
    amount_cents: int
    # False once settled (a re-run then only finishes a pending card refund).
    held: bool


@dataclass(frozen=True)
class SettleDepositInput:
    actor: Actor
    deposit_id: uuid.UUID
    on: date
    deductions: list[Deduction] = field(default_factory=list)
    disposition: Disposition = Disposition.REFUND
    apply_to_open_invoices: bool = True
    forfeit_reason: str | None = None


class SettlementActivities(TenantActivities):
    @activity.defn(name="billing.settle_discharge")
    def settle_discharge(self, inp: DischargeInput) -> int:
        with self.session(inp.actor) as s:
            return settlement.settle_discharge(s, inp.resident_id, inp.discharged_on)

    @activity.defn(name="billing.find_deposit")
    def find_deposit(self, inp: DepositLookup) -> DepositFound | None:
        with self.session(inp.actor) as s:
            d = deposits.held_deposit(s, inp.resident_id)
            if d is None:
                return None
            return DepositFound(d.id, d.amount_cents, d.status is DepositStatus.HELD)

    @activity.defn(name="billing.settle_deposit")
    def settle_deposit(self, inp: SettleDepositInput) -> DepositOutcome:
        with self.session(inp.actor) as s:
            return deposits.settle_deposit(
                s,
                inp.deposit_id,
                inp.deductions,
                inp.disposition,
                inp.on,
                apply_to_open_invoices=inp.apply_to_open_invoices,
                forfeit_reason=inp.forfeit_reason,
                decided_by=inp.actor.user_id,
            )

    @activity.defn(name="billing.deposit_outcome")
    def deposit_outcome(self, inp: DepositLookup) -> DepositOutcome:
        with self.session(inp.actor) as s:
            d = deposits.held_deposit(s, inp.resident_id)
            if d is None:
                raise Conflict("no deposit for this resident", field="resident_id")
            return deposits.deposit_outcome(s, d)
