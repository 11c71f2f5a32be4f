"""Reports' part of the demo: the bookkeeper's names for a few of the org's ledger accounts, so
the accounting export shows the mapping at work (the others export under their own names)."""

from __future__ import annotations

from models.reports import AccountMapping
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
