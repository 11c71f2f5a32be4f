"""Reading money over HTTP: invoices listed with filters, a resident's balance and their
statement for a period, every amount summed from the ledger when asked (`billing:read`).

A caller whose role is limited to houses sees only their houses' residents' invoices, balances
and statements; any other resident (or another org's) is a 404 naming `resident_id`."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from api.deps import TenantDep
from api.errors import problem_responses
from api.fields import Day
from api.pages import Limit, Offset, PageOut
from api.routes.billing.deps import Reader
from core.enums import InvoiceStatus
from services.billing import reads
from services.billing.reads import InvoiceFilter, InvoiceRow

router = APIRouter(tags=["billing"])


class InvoiceSummary(BaseModel):
    id: uuid.UUID
    number: str = Field(description="e.g. INV-2026-000123")
    resident_id: uuid.UUID
    house_id: uuid.UUID | None
    status: InvoiceStatus
    period_start: Day
    period_end: Day
    issued_date: Day | None
    due_date: Day
    total_cents: int
    outstanding_cents: int = Field(description="what it still owes, from its receivable ledger lines")


def _summary(row: InvoiceRow) -> InvoiceSummary:
    i = row.invoice
    return InvoiceSummary(
        id=i.id,
        number=i.number,
        resident_id=i.resident_id,
        house_id=i.house_id,
        status=i.status,
        period_start=i.period_start_date,
        period_end=i.period_end_date,
        issued_date=i.issued_date,
        due_date=i.due_date,
        total_cents=i.total_cents,
        outstanding_cents=row.outstanding_cents,
    )


class BalanceOut(BaseModel):
    resident_id: uuid.UUID
    as_of: Day
    balance_cents: int = Field(
        description="receivable less credit held: positive owes, negative is in credit"
    )
    receivable_cents: int = Field(description="what the resident's invoices still owe")
    credit_cents: int = Field(description="overpayments kept for the next invoice")
    deposits_held_cents: int = Field(description="security deposit held (a liability, not in the balance)")


class StatementLineOut(BaseModel):
    effective_date: Day
    journal_id: uuid.UUID
    description: str | None
    invoice_id: uuid.UUID | None
    payment_id: uuid.UUID | None
    refund_id: uuid.UUID | None
    change_cents: int = Field(description="the journal's effect on what the resident owes")
    balance_cents: int = Field(description="the running balance after it")


class StatementOut(BaseModel):
    resident_id: uuid.UUID
    first_day: Day = Field(serialization_alias="from")
    last_day: Day = Field(serialization_alias="to")
    opening_balance_cents: int
    closing_balance_cents: int
    lines: list[StatementLineOut]


def _invoices(s: Session, only: InvoiceFilter, limit: int, offset: int) -> PageOut[InvoiceSummary]:
    return PageOut.of(reads.invoices(s, only, limit, offset), _summary)


def _balance(s: Session, resident_id: uuid.UUID, as_of: date) -> BalanceOut:
    b = reads.balance(s, resident_id, as_of)
    return BalanceOut(resident_id=resident_id, **asdict(b))


def _statement(s: Session, resident_id: uuid.UUID, first: date, last: date) -> StatementOut:
    return StatementOut.model_validate(reads.statement(s, resident_id, first, last), from_attributes=True)


@router.get(
    "/v1/billing/invoices",
    response_model=PageOut[InvoiceSummary],
    responses=problem_responses(403, 422),
    summary="List invoices",
)
async def list_invoices(
    _: Reader,
    db: TenantDep,
    status: InvoiceStatus | None = None,
    resident_id: uuid.UUID | None = None,
    house_id: uuid.UUID | None = None,
    due_from: Annotated[Day | None, Query(description="due on or after this day")] = None,
    due_to: Annotated[Day | None, Query(description="due on or before this day")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> PageOut[InvoiceSummary]:
    """Invoices by status, resident, house and due-date window, latest due date first, paged,
    each with what it still owes (from the ledger). `due_to` before `due_from` is 422."""
    only = InvoiceFilter(status, resident_id, house_id, due_from, due_to)
    return await db.run(_invoices, only, limit, offset)


@router.get(
    "/v1/billing/residents/{resident_id}/balance",
    response_model=BalanceOut,
    responses=problem_responses(403, 404),
    summary="A resident's balance",
)
async def resident_balance(
    resident_id: uuid.UUID,
    _: Reader,
    db: TenantDep,
    as_of: Annotated[
        Day | None, Query(description="count journal lines dated up to this day; default today")
    ] = None,
) -> BalanceOut:
    """What the resident owes, summed from the ledger's journal lines dated up to `as_of`
    (receivable less credit held), with the deposit held shown beside it."""
    return await db.run(_balance, resident_id, as_of or datetime.now(UTC).date())


@router.get(
    "/v1/billing/residents/{resident_id}/statement",
    response_model=StatementOut,
    responses=problem_responses(403, 404, 422),
    summary="A resident's statement for a period",
)
async def resident_statement(
    resident_id: uuid.UUID,
    _: Reader,
    db: TenantDep,
    first: Annotated[Day, Query(alias="from", description="the period's first day")],
    last: Annotated[Day, Query(alias="to", description="the period's last day (included)")],
) -> StatementOut:
    """The opening balance on `from`, one dated line per journal that changed what the resident
    owes up to `to` with the running balance after each, and the closing balance. `to` before
    `from` is 422 naming `to`."""
    return await db.run(_statement, resident_id, first, last)
