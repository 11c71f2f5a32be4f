"""The accounting of disclosures over HTTP.

- `GET /v1/residents/<id>/disclosures/accounting.csv|.pdf`: every disclosure in a period, for
  staff (default: the 3 years of §2.25; `lookback=hipaa` for HIPAA's 6);
- `POST /v1/residents/<id>/accounting-requests`: a resident asked for one; starts the
  `AccountingRequest` workflow (due in 60 days);
- `/v1/accounting-requests/<id>`: its record, its one extension, its fulfilment and the PDF.

Under /v1, so every response is `Cache-Control: no-store`. These routes come before the
disclosure routes: `/disclosures/accounting.csv` is not a disclosure id.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from activities.consent.accounting import ExtendAccounting
from api.deps import CurrentUser, TenantDep
from api.errors import problem_responses
from api.fields import Day, Int, Reason
from api.processes import IdempotencyKeyHeader, ProcessesDep, start_responses
from api.routes.consent.disclosures import ConsentManager, attachment
from api.routes.documents import FileStoreDep
from api.visible import VisibleResident
from core.enums import RequestStatus
from core.errors import Rejected
from core.process import Wait
from models.compliance_extended import DisclosureAccountingRequest
from services.consent import accounting
from services.consent.accounting import Lookback
from workflows.consent import CONSENT
from workflows.consent.accounting import AccountingInput, AccountingRequestWorkflow

router = APIRouter(tags=["disclosures"])

Since = Annotated[
    Day | None, Query(description="first day of the period (default: the lookback before `until`)")
]
Until = Annotated[Day | None, Query(description="last day of the period (default: today)")]
LookbackQ = Annotated[Lookback, Query(description="part2: 3 years (§2.25); hipaa: 6 years (164.528)")]


def _period(since: date | None, until: date | None, lookback: Lookback) -> tuple[date, date]:
    end = until or datetime.now(UTC).date()
    start = since or accounting.default_since(end, lookback)
    if start > end:
        raise Rejected("since is after until", field="since")
    if start < accounting.default_since(end, Lookback.HIPAA):
        raise Rejected("an accounting reaches back 6 years at most", field="since")
    return start, end


def _csv(s: Session, resident_id: uuid.UUID, since: date, until: date) -> str:
    return accounting.as_csv(accounting.lines(s, resident_id, since, until))


async def _period_query(
    since: Since = None, until: Until = None, lookback: LookbackQ = Lookback.PART2
) -> tuple[date, date]:
    return _period(since, until, lookback)


Period = Annotated[tuple[date, date], Depends(_period_query)]


@router.get(
    "/v1/residents/{resident_id}/disclosures/accounting.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}, **problem_responses(404, 422)},
)
async def accounting_csv(
    _: ConsentManager, resident_id: VisibleResident, db: TenantDep, period: Period
) -> Response:
    """Every disclosure of the resident's records in the period, one line each: when, to whom,
    what, why and how."""
    text = await db.run(_csv, resident_id, *period)
    return attachment(text.encode(), "text/csv; charset=utf-8", f"accounting-{resident_id}.csv")


@router.get(
    "/v1/residents/{resident_id}/disclosures/accounting.pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}, **problem_responses(404, 422)},
)
async def accounting_pdf(
    _: ConsentManager, resident_id: VisibleResident, db: TenantDep, period: Period
) -> Response:
    """The same accounting as a PDF to hand to the resident."""
    pdf = await db.run(accounting.export_pdf, resident_id, *period)
    return attachment(pdf, "application/pdf", f"accounting-{resident_id}.pdf")


class AccountingRequestIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"lookback": "part2"}, {"period_start_date": "2026-01-01", "fee_cents": 0}]
        },
    )
    period_start_date: Day | None = Field(None, description="default: the lookback before the end")
    period_end_date: Day | None = Field(None, description="default: the day of the request")
    lookback: Lookback = Lookback.PART2
    fee_cents: Int = Field(
        0,
        ge=0,
        le=100_000,
        description="the operator's cost-based fee; the first request in 12 months is free",
    )


class AccountingRequestOut(BaseModel):
    id: uuid.UUID
    resident_id: uuid.UUID
    status: RequestStatus
    requested_at: datetime
    due_at: datetime
    extended_due_at: datetime | None
    extension_sent_at: datetime | None
    period_start_date: date
    period_end_date: date
    fee_cents: int
    fulfilled_at: datetime | None
    accounting_url: str | None

    @classmethod
    def of(cls, r: DisclosureAccountingRequest) -> AccountingRequestOut:
        return cls(
            id=r.id,
            resident_id=r.resident_id,
            status=r.status,
            requested_at=r.requested_at,
            due_at=r.due_at,
            extended_due_at=r.extended_due_at,
            extension_sent_at=r.extension_sent_at,
            period_start_date=r.period_start_date,
            period_end_date=r.period_end_date,
            fee_cents=r.fee_cents,
            fulfilled_at=r.fulfilled_at,
            accounting_url=f"/v1/accounting-requests/{r.id}/accounting.pdf" if r.response_file_id else None,
        )


def _read(s: Session, request_id: uuid.UUID) -> AccountingRequestOut:
    return AccountingRequestOut.of(accounting.get_request(s, request_id))


@router.post(
    "/v1/residents/{resident_id}/accounting-requests",
    status_code=201,
    response_model=AccountingRequestOut,
    responses={**start_responses(AccountingRequestOut), **problem_responses(404, 422)},
)
async def request_accounting(
    _: ConsentManager,
    resident_id: VisibleResident,
    body: AccountingRequestIn,
    db: TenantDep,
    processes: ProcessesDep,
    response: Response,
    idempotency_key: IdempotencyKeyHeader = None,
) -> AccountingRequestOut:
    """Record a resident's request for an accounting of disclosures; it is due in 60 days.
    Staff may extend it once by 30 days (with a reason, before the deadline) and have it
    produced with `/fulfilment`."""
    start, end = _period(body.period_start_date, body.period_end_date, body.lookback)
    # 404 for another org's resident (422 for a fee on a free request) before any process starts.
    await db.run(accounting.check_fee, resident_id, body.fee_cents, datetime.now(UTC))
    request_id, replayed = await processes.claim(CONSENT, idempotency_key, body)
    inp = AccountingInput(processes.actor, request_id, resident_id, start, end, body.fee_cents)
    await processes.start(
        CONSENT,
        request_id,
        AccountingRequestWorkflow.run,
        inp,
        update=AccountingRequestWorkflow.wait_opened,
        update_arg=Wait(processes.actor),
    )
    if replayed:
        response.status_code = 200
    return await db.run(_read, request_id)


def _list(s: Session, resident_id: uuid.UUID) -> list[AccountingRequestOut]:
    return [AccountingRequestOut.of(r) for r in accounting.requests_of(s, resident_id)]


@router.get("/v1/residents/{resident_id}/accounting-requests", response_model=list[AccountingRequestOut])
async def list_accounting_requests(
    _: ConsentManager, resident_id: VisibleResident, db: TenantDep
) -> list[AccountingRequestOut]:
    """The resident's requests for an accounting, oldest first, with their deadlines."""
    return await db.run(_list, resident_id)


async def _visible_request(accounting_request_id: uuid.UUID, p: CurrentUser, db: TenantDep) -> uuid.UUID:
    """The request, if the caller's org and scope show it (row-level security decides): 404
    before any message reaches its workflow."""
    await db.run(accounting.get_request, accounting_request_id)
    return accounting_request_id


VisibleRequest = Annotated[uuid.UUID, Depends(_visible_request)]


@router.get("/v1/accounting-requests/{accounting_request_id}", response_model=AccountingRequestOut)
async def get_accounting_request(
    _: ConsentManager, request_id: VisibleRequest, db: TenantDep
) -> AccountingRequestOut:
    """One request: its deadline (and extended deadline), fee and, once produced, its PDF."""
    return await db.run(_read, request_id)


class ExtensionIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"reason": "Records held by our former billing vendor are being retrieved."}]
        },
    )
    reason: Reason = Field(description="told to the resident in writing")


@router.post(
    "/v1/accounting-requests/{accounting_request_id}/extension",
    response_model=AccountingRequestOut,
    responses=problem_responses(404, 409, 422),
)
async def extend_accounting_request(
    _: ConsentManager, request_id: VisibleRequest, body: ExtensionIn, processes: ProcessesDep, db: TenantDep
) -> AccountingRequestOut:
    """The one 30-day extension, given in writing with its reason before the first deadline;
    409 after that deadline or for a second extension."""
    await processes.update(
        CONSENT, request_id, AccountingRequestWorkflow.extend, ExtendAccounting(processes.actor, body.reason)
    )
    return await db.run(_read, request_id)


@router.post(
    "/v1/accounting-requests/{accounting_request_id}/fulfilment",
    response_model=AccountingRequestOut,
    responses=problem_responses(404, 409),
)
async def fulfil_accounting_request(
    _: ConsentManager, request_id: VisibleRequest, processes: ProcessesDep, db: TenantDep
) -> AccountingRequestOut:
    """Produce the accounting now: its PDF is generated and linked on the request."""
    await processes.update(CONSENT, request_id, AccountingRequestWorkflow.fulfil, Wait(processes.actor))
    return await db.run(_read, request_id)


@router.get("/v1/accounting-requests/{accounting_request_id}/accounting.pdf", response_class=Response)
async def accounting_request_pdf(
    _: ConsentManager, request_id: VisibleRequest, db: TenantDep, store: FileStoreDep
) -> Response:
    """The accounting the resident was given; 404 until it is produced."""
    f = await db.run(accounting.response, request_id)
    return attachment(await store.aget(f.key, f.sha256), "application/pdf", f"accounting-{request_id}.pdf")
