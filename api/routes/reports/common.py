"""What every report route shares: who may read reports, the output format, and the one JSON
envelope (rows paged, totals and ties over the whole report) that CSV and PDF mirror."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

from fastapi import Depends, Query, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from api.auth import Principal
from api.deps import TenantDep, attachment, require
from api.errors import problem_responses
from api.fields import Day
from core.permissions import Perm
from services.reports import render
from services.reports.base import Report

ReportReader = Annotated[Principal, Depends(require(Perm.REPORTS_READ))]


class Format(StrEnum):
    JSON = "json"
    CSV = "csv"
    PDF = "pdf"


FormatQ = Annotated[Format, Query(description="json (paged), csv or pdf (every row, with charts)")]
AsOf = Annotated[Day | None, Query(description="the report's day; default today")]
From = Annotated[Day, Query(alias="from", description="the period's first day")]
To = Annotated[Day, Query(alias="to", description="the period's last day (included)")]


class ColumnOut(BaseModel):
    key: str
    label: str
    kind: str


class TieOut(BaseModel):
    label: str
    report_cents: int
    ledger_cents: int
    ties: bool


class ReportOut(BaseModel):
    name: str
    title: str
    params: dict[str, str]
    columns: list[ColumnOut]
    items: list[dict[str, Any]] = Field(description="this page's rows")
    totals: dict[str, int | float | None] = Field(description="over every row, not just this page")
    ties: list[TieOut] = Field(description="the report against the ledger's trial balance (org-wide callers)")
    notes: list[str]
    limit: int
    offset: int
    next_offset: int | None


def report_responses() -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` of a report route: JSON, or the CSV and PDF renderings, or a problem."""
    return {
        200: {"content": {"text/csv": {}, "application/pdf": {}}},
        **problem_responses(403, 404, 422),
    }


# Every report route's documented answers, and its "one house only" filter.
ERRORS = report_responses()
HouseQ = Annotated[uuid.UUID | None, Query(description="one house only")]


def today() -> Any:
    return datetime.now(UTC).date()


def _json(s: Session, report: Report, limit: int, offset: int) -> ReportOut:
    rows = report.sliced(s, offset, limit)
    more = offset + limit < len(report.rows)
    return ReportOut(
        name=report.name,
        title=report.title,
        params=report.params,
        columns=[ColumnOut(key=c.key, label=c.label, kind=c.kind.value) for c in report.columns],
        items=[
            {k: (str(v) if k.endswith("_id") and v is not None else v) for k, v in r.items()} for r in rows
        ],
        totals=report.totals,
        ties=[
            TieOut(label=t.label, report_cents=t.report_cents, ledger_cents=t.ledger_cents, ties=t.ties)
            for t in report.ties
        ],
        notes=report.notes,
        limit=limit,
        offset=offset,
        next_offset=offset + limit if more else None,
    )


def _file(s: Session, report: Report, fmt: Format) -> tuple[bytes, str]:
    rows = report.sliced(s, 0, None)
    if fmt is Format.CSV:
        return render.to_csv(report, rows).encode(), "text/csv; charset=utf-8"
    return render.to_pdf(report, rows), "application/pdf"


async def answer(
    db: TenantDep,
    build: Callable[[Session], Report],
    fmt: Format,
    limit: int,
    offset: int,
) -> ReportOut | Response:
    """The report built and rendered in one tenant transaction (names decrypted there)."""

    def run(s: Session) -> ReportOut | tuple[bytes, str, str]:
        report = build(s)
        if fmt is Format.JSON:
            return _json(s, report, limit, offset)
        data, media = _file(s, report, fmt)
        return data, media, report.name

    out = await db.run(run)
    if isinstance(out, ReportOut):
        return out
    data, media, name = out
    return attachment(data, media, f"{name}.{fmt.value}")
