"""The bookkeeper's export over HTTP: a period's journals as QuickBooks Online or Xero CSV, or
as a beancount ledger (`reports:read`); the org's chart-of-accounts mapping, read with
`reports:read` and set with `billing:write`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from api.auth import Principal
from api.deps import TenantDep, attachment, require
from api.errors import problem_responses
from api.fields import Trimmed
from api.routes.reports.common import From, ReportReader, To
from core.permissions import Perm
from services.reports import export
from services.reports.export import ExportFormat, NewMapping

router = APIRouter(tags=["reports"])
Writer = Annotated[Principal, Depends(require(Perm.BILLING_WRITE))]
Name = Annotated[str, Trimmed(200)]
MEDIA = {
    ExportFormat.QBO: ("text/csv; charset=utf-8", "csv"),
    ExportFormat.XERO: ("text/csv; charset=utf-8", "csv"),
    ExportFormat.BEANCOUNT: ("text/plain; charset=utf-8", "beancount"),
}


class MappingIn(BaseModel):
    code: Name = Field(description="our ledger account code, e.g. 1100")
    qbo_account: Name | None = Field(None, description="QuickBooks Online account name (Parent:Child)")
    xero_account_code: Name | None = None
    xero_tax_rate: Name | None = Field(None, description="Xero tax rate name; default 'Tax Exempt'")
    beancount_account: Name | None = Field(None, description="e.g. Assets:Receivable")


class MappingsIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "accounts": [
                        {
                            "code": "1100",
                            "qbo_account": "Accounts Receivable (A/R)",
                            "xero_account_code": "610",
                        },
                        {"code": "4000", "qbo_account": "Rental Income", "beancount_account": "Income:Rent"},
                    ]
                }
            ]
        }
    )

    accounts: list[MappingIn] = Field(max_length=500)


class MappingOut(BaseModel):
    code: str
    name: str
    qbo_account: str
    xero_account_code: str
    xero_tax_rate: str
    beancount_account: str


def _mappings(s: Session) -> list[MappingOut]:
    return [
        MappingOut(
            code=a.code,
            name=a.name,
            qbo_account=a.qbo,
            xero_account_code=a.xero_code,
            xero_tax_rate=a.xero_tax,
            beancount_account=a.beancount,
        )
        for a in export.accounts(s).values()
    ]


def _set(s: Session, body: MappingsIn) -> list[MappingOut]:
    export.set_mappings(s, [NewMapping(**m.model_dump()) for m in body.accounts])
    return _mappings(s)


@router.get(
    "/v1/reports/account-mappings",
    response_model=list[MappingOut],
    responses=problem_responses(403),
    summary="Chart-of-accounts mapping",
)
async def get_mappings(_: ReportReader, db: TenantDep) -> list[MappingOut]:
    """Every ledger account with the names the export gives it (mapped, or its own)."""
    return await db.run(_mappings)


@router.put(
    "/v1/reports/account-mappings",
    response_model=list[MappingOut],
    responses=problem_responses(403, 404, 422),
    summary="Set the chart-of-accounts mapping",
)
async def put_mappings(_: Writer, db: TenantDep, body: MappingsIn) -> list[MappingOut]:
    """Name accounts in QuickBooks Online, Xero and beancount; accounts not named keep theirs.
    An unknown code is 404 naming `code`; nothing is written then."""
    return await db.run(_set, body)


@router.get(
    "/v1/reports/journals",
    responses={200: {"content": {"text/csv": {}, "text/plain": {}}}, **problem_responses(403, 422)},
    summary="Export a period's journals",
    response_class=Response,
)
async def journals(
    _: ReportReader,
    db: TenantDep,
    first: From,
    last: To,
    format: Annotated[ExportFormat, Query(description="qbo, xero (CSV) or beancount")],
) -> Response:
    """The period's journal entries as a QuickBooks Online or Xero journal import CSV, or a
    beancount ledger (opening balances, journals, closing balance assertions)."""
    text = await db.run(export.export, format, first, last)
    media, ext = MEDIA[format]
    return attachment(text.encode(), media, f"journals-{first}-{last}-{format.value}.{ext}")
