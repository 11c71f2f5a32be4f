"""Beds and stays over HTTP (`reports:read`): occupancy and census, length of stay, admissions
and discharges, waitlist time to bed, referral sources; JSON (paged), CSV or PDF."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.deps import TenantDep
from api.pages import Limit, Offset
from api.routes.reports.common import (
    ERRORS,
    Format,
    FormatQ,
    From,
    HouseQ,
    ReportOut,
    ReportReader,
    To,
    answer,
)
from services.reports import occupancy
from services.reports.occupancy import Interval

router = APIRouter(tags=["reports"])


@router.get(
    "/v1/reports/occupancy", response_model=ReportOut, responses=ERRORS, summary="Occupancy and census"
)
async def census(
    _: ReportReader,
    db: TenantDep,
    first: From,
    last: To,
    interval: Annotated[
        Interval, Query(description="one row per house and day, week or month")
    ] = Interval.DAY,
    house_id: HouseQ = None,
    format: FormatQ = Format.JSON,
    limit: Limit = 50,
    offset: Offset = 0,
) -> ReportOut | Response:
    """Per house and day, week (from Monday) or month: bed-days, occupied nights, out of
    service, vacancy days and occupancy; the PDF draws occupancy over time."""
    return await answer(
        db, lambda s: occupancy.census(s, first, last, interval, house_id), format, limit, offset
    )


@router.get(
    "/v1/reports/length-of-stay", response_model=ReportOut, responses=ERRORS, summary="Length of stay"
)
async def length_of_stay(
    _: ReportReader,
    db: TenantDep,
    first: From,
    last: To,
    house_id: HouseQ = None,
    format: FormatQ = Format.JSON,
    limit: Limit = 50,
    offset: Offset = 0,
) -> ReportOut | Response:
    """Stays that ended in the period: their median and mean length and their distribution."""
    return await answer(
        db, lambda s: occupancy.length_of_stay(s, first, last, house_id), format, limit, offset
    )


@router.get(
    "/v1/reports/admissions-discharges",
    response_model=ReportOut,
    responses=ERRORS,
    summary="Admissions and discharges",
)
async def admissions_discharges(
    _: ReportReader,
    db: TenantDep,
    first: From,
    last: To,
    house_id: HouseQ = None,
    format: FormatQ = Format.JSON,
    limit: Limit = 50,
    offset: Offset = 0,
) -> ReportOut | Response:
    """Admissions per house, and discharges per house, kind and reason, over the period."""
    return await answer(
        db, lambda s: occupancy.admissions_discharges(s, first, last, house_id), format, limit, offset
    )


@router.get(
    "/v1/reports/waitlist", response_model=ReportOut, responses=ERRORS, summary="Waitlist time to bed"
)
async def waitlist(
    _: ReportReader,
    db: TenantDep,
    first: From,
    last: To,
    house_id: HouseQ = None,
    format: FormatQ = Format.JSON,
    limit: Limit = 50,
    offset: Offset = 0,
) -> ReportOut | Response:
    """Entries placed in the period: days from joining the waitlist to a bed, per house."""
    return await answer(db, lambda s: occupancy.waitlist(s, first, last, house_id), format, limit, offset)


@router.get(
    "/v1/reports/referral-sources", response_model=ReportOut, responses=ERRORS, summary="Referral sources"
)
async def referral_sources(
    _: ReportReader,
    db: TenantDep,
    first: From,
    last: To,
    format: FormatQ = Format.JSON,
    limit: Limit = 50,
    offset: Offset = 0,
) -> ReportOut | Response:
    """Leads of the period by source and referral partner, with how many became residents."""
    return await answer(db, lambda s: occupancy.referral_sources(s, first, last), format, limit, offset)
