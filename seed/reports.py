"""Reports' part of the demo: the bookkeeper's names for a few of the org's ledger accounts, so
the accounting export shows the mapping at work (the others export under their own names), and
one former resident's follow-up after discharge."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from core.contracts.outcomes import WAVES, send_at, survey_id
from models.reports import AccountMapping, FollowUpConsent, FollowUpSurvey
from models.resident_tracking import Discharge
from seed.context import SeedContext
from services.billing import accounts

# As a QuickBooks Online company set up for a small operator might name them.
NAMES = {
    accounts.CASH: ("Checking", "090"),
    accounts.RECEIVABLE: ("Accounts Receivable (A/R)", "610"),
    accounts.RENT_REVENUE: ("Rental Income", "200"),
}


def account_mappings(ctx: SeedContext) -> None:
    for code, (qbo, xero) in NAMES.items():
        ctx.new(AccountMapping, account_id=ctx.accounts[code].id, qbo_account=qbo, xero_account_code=xero)
    ctx.flush()


def follow_up(ctx: SeedContext) -> None:
    """The first resident who left said yes to follow-up: their 30-day survey came back, the
    90-day one went out, the 180-day one waits for its day."""
    ctx.flush()
    gone = ctx.s.scalars(select(Discharge).order_by(Discharge.discharged_at, Discharge.id).limit(1)).first()
    if gone is None:
        return
    left = gone.discharged_at
    ctx.new(FollowUpConsent, resident_id=gone.resident_id, consented_at=left - timedelta(days=3))
    for wave in WAVES:
        due = left.date() + timedelta(days=wave)
        fields: dict[str, Any] = {"status": "scheduled"}
        if wave == 30:
            fields = {
                "status": "answered",
                "sent_at": send_at(due),
                "answered_at": send_at(due) + timedelta(hours=5),
                "answers": {"use": "no", "housing": "family", "work": "work", "supports": "yes", "hope": "4"},
            }
        elif wave == 90:
            fields = {"status": "sent", "sent_at": send_at(due)}
        ctx.add(
            FollowUpSurvey(
                id=survey_id(gone.id, wave),
                org_id=ctx.org_id,
                resident_id=gone.resident_id,
                house_id=gone.house_id,
                discharge_id=gone.id,
                wave=wave,
                due_date=due,
                **fields,
            )
        )
    ctx.flush()
