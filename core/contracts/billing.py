"""What the billing family's workflows, activities and services hand each other: a rent batch's
tally, a deposit's deductions and outcome, a dunning ladder's planned steps and write-off, a
reconciled day, and the message that tells an invoice's dunning workflow the invoice changed.

Workflow histories hold these by their fields (the pydantic data converter), so a field that is
renamed or removed breaks the replay of running workflows.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from core.enums import DepositStatus, DunningActionType
from core.errors import Rejected
from core.process import Actor, Process

# --- rent runs ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RentBatch:
    """What one batch did: `next_after` is the cursor for the next batch (None: done)."""

    scanned: int
    issued: int
    next_after: uuid.UUID | None
    total_cents: int


# --- deposits at discharge --------------------------------------------------------------------

DEDUCTION_CATEGORIES = ("damage", "cleaning", "fees", "other")


class Disposition(StrEnum):
    """What happens to what is left of a deposit after the deductions."""

    REFUND = "refund"
    FORFEIT = "forfeit"


@dataclass(frozen=True)
class Deduction:
    """One itemised deduction staff claim from a deposit (damage, cleaning...)."""

    category: str
    amount_cents: int
    # Free text for the itemised statement; encrypted at rest.
    reason: str | None = None


@dataclass(frozen=True)
class DepositOutcome:
    deposit_id: uuid.UUID
    status: DepositStatus
    amount_cents: int
    deducted_cents: int
    unpaid_rent_cents: int
    refund_cents: int
    forfeited_cents: int
    refund_id: uuid.UUID | None = None
    # True while a card or ACH refund still has to go back through Stripe.
    refund_pending: bool = False


def validate_deductions(deductions: Sequence[Deduction]) -> None:
    for n, d in enumerate(deductions):
        if d.category not in DEDUCTION_CATEGORIES:
            raise Rejected(
                f"category must be one of {', '.join(DEDUCTION_CATEGORIES)}", field=f"deductions.{n}.category"
            )
        if d.amount_cents <= 0:
            raise Rejected("amount_cents must be positive", field=f"deductions.{n}.amount_cents")


# --- dunning ----------------------------------------------------------------------------------

# An invoice's dunning ladder runs as `dunning/<org>/<invoice id>`; a payment or a write-off
# sends it the `INVOICE_CHANGED` signal so it re-checks the invoice at once.
DUNNING = Process("dunning")
INVOICE_CHANGED = "invoice_changed"


@dataclass(frozen=True)
class InvoiceChanged:
    """Sent by a payment or a write-off: re-check the invoice now."""

    actor: Actor


@dataclass(frozen=True)
class PlannedStep:
    step: int
    action_type: DunningActionType
    at: datetime


@dataclass(frozen=True)
class WrittenOff:
    invoice_id: uuid.UUID
    written_off_cents: int
    skipped_steps: int


# --- reconciliation ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DaySummary:
    day: date
    matched: int
    # Mismatch kind → how many.
    mismatches: dict[str, int] = field(default_factory=dict)
    # Why the day was not reconciled at all (a dependency not configured); None when it was.
    skipped: str | None = None

    @property
    def clean(self) -> bool:
        return not self.mismatches
