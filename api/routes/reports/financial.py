"""Money reports over HTTP (`reports:read`): rent roll, AR aging, deposits held, collections,
write-offs and late fees, the trial balance; each as JSON (paged), CSV or PDF. `house_id`
narrows a report to one house; a house the caller cannot see is a 404 naming it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.deps import TenantDep
from api.pages import Limit, Offset
from api.routes.reports.common import (
    ERRORS,
    AsOf,
    Format,
    FormatQ,
    From,
    HouseQ,
    ReportOut,
    ReportReader,
    To,
    answer,
    today,
)
from services.reports import financial
from services.reports.financial import AgingBy

router = APIRouter(tags=["reports"])


@router.get("/v1/reports/rent-roll", response_model=ReportOut, responses=ERRORS, summary="Rent roll")
async def rent_roll(
    _: ReportReader,
    db: TenantDep,
    as_of: AsOf = None,
    house_id: HouseQ = None,
    format: FormatQ = Format.JSON,
    limit: Limit = 50,
    offset: Offset = 0,
) -> ReportOut | Response:
    """Every bed on `as_of` with its occupant, weekly rate, month-to-date charges and payments
    and what the occupant owes; totals tie to accounts receivable."""
    day = as_of or today()
    return await answer(db, lambda s: financial.rent_roll(s, day, house_id), format, limit, offset)


@router.get("/v1/reports/ar-aging", response_model=ReportOut, responses=ERRORS, summary="AR aging")
async def ar_aging(
    _: ReportReader,
    db: TenantDep,
    as_of: AsOf = None,
    by: Annotated[
        AgingBy, Query(description="one row per resident, house, payer or invoice")
    ] = AgingBy.RESIDENT,
    house_id: HouseQ = None,
    format: FormatQ = Format.JSON,
    limit: Limit = 50,
    offset: Offset = 0,
) -> ReportOut | Response:
    """What is owed on `as_of` by days past due (current, 1-30, 31-60, 61-90, over 90), per
    resident, house, payer or invoice, largest first; the total ties to accounts receivable."""
    day = as_of or today()
    return await answer(db, lambda s: financial.ar_aging(s, day, by, house_id), format, limit, offset)


@router.get("/v1/reports/deposits-held", response_model=ReportOut, responses=ERRORS, summary="Deposits held")
async def deposits_held(
    _: ReportReader,
    db: TenantDep,
    as_of: AsOf = None,
    house_id: HouseQ = None,
    format: FormatQ = Format.JSON,
    limit: Limit = 50,
    offset: Offset = 0,
) -> ReportOut | Response:
    """Security deposits held on `as_of`, per resident; ties to the deposits-held liability."""
    day = as_of or today()
    return await answer(db, lambda s: financial.deposits_held(s, day, house_id), format, limit, offset)


@router.get("/v1/reports/collections", response_model=ReportOut, responses=ERRORS, summary="Collections")
async def collections(
    _: ReportReader,
    db: TenantDep,
    first: From,
    last: To,
    house_id: HouseQ = None,
    format: FormatQ = Format.JSON,
    limit: Limit = 50,
    offset: Offset = 0,
) -> ReportOut | Response:
    """Money received per day and method over the period; ties to the debits to cash and Stripe
    clearing. `to` before `from` is 422 naming `to`."""
    return await answer(db, lambda s: financial.collections(s, first, last, house_id), format, limit, offset)


@router.get(
    "/v1/reports/write-offs", response_model=ReportOut, responses=ERRORS, summary="Write-offs and late fees"
)
async def write_offs(
    _: ReportReader,
    db: TenantDep,
    first: From,
    last: To,
    house_id: HouseQ = None,
    format: FormatQ = Format.JSON,
    limit: Limit = 50,
    offset: Offset = 0,
) -> ReportOut | Response:
    """Write-offs and late fees over the period, per day, resident and invoice; tie to bad-debt
    expense and late-fee revenue."""
    return await answer(
        db, lambda s: financial.write_offs_and_late_fees(s, first, last, house_id), format, limit, offset
    )


@router.get("/v1/reports/trial-balance", response_model=ReportOut, responses=ERRORS, summary="Trial balance")
async def trial_balance(
    _: ReportReader,
    db: TenantDep,
    as_of: AsOf = None,
    format: FormatQ = Format.JSON,
    limit: Limit = 50,
    offset: Offset = 0,
) -> ReportOut | Response:
    """Every account's debits, credits and balance on `as_of`; debits equal credits."""
    day = as_of or today()
    return await answer(db, lambda s: financial.trial_balance(s, day), format, limit, offset)
