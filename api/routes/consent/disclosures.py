"""Disclosures of a resident's Part 2 records (`/v1/residents/<id>/disclosures`): recorded only
when a consent covers them (a 409 naming the refusal otherwise, nothing written), each with its
§2.32 package PDF. Under /v1, so every response is `Cache-Control: no-store`."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from api.auth import Principal
from api.deps import TenantDep, require
from api.errors import problem_responses, replayed_response
from api.fields import Trimmed
from api.processes import IdempotencyKeyHeader
from api.routes.documents import FileStoreDep
from api.visible import VisibleResident
from core.contracts.consent import (
    ConsentScopeCopy,
    InformationClass,
    NoticeStatement,
    Purpose,
    RecipientClass,
)
from core.enums import DisclosureMethod
from core.permissions import Perm
from models.compliance import ConsentDisclosure
from services import idempotency
from services.consent import disclosures
from services.consent.coverage import DisclosureRequest
from services.consent.disclosures import NewDisclosure
from services.consent.package import Package, package_pdf
from services.documents import storage_key
from workflows.consent import CONSENT

router = APIRouter(tags=["disclosures"])
# Staff who record disclosures, answer restrictions and produce accountings.
ConsentManager = Annotated[Principal, Depends(require(Perm.CONSENT_MANAGE))]
Name = Annotated[str, Trimmed(300)]
Text = Annotated[str, Trimmed(4000)]


class DisclosureIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "recipient": "Blue Ridge Intensive Outpatient Program",
                    "recipient_class": "treating_provider",
                    "information_classes": ["drug_tests", "attendance"],
                    "description": "Drug test results and house meeting attendance, 2026-11-01 to 2026-11-30",
                    "purpose": "treatment",
                    "method": "electronic",
                    "notice_statement": "statement_1",
                    "consent_scope_copy": "copy_of_consent",
                }
            ]
        },
    )
    recipient: Name = Field(description="the person or organisation receiving the records")
    recipient_class: RecipientClass = Field(description="the class of recipient they belong to")
    intermediary: Name | None = Field(None, description="the intermediary (e.g. an HIE) it goes through")
    information_classes: list[InformationClass] = Field(min_length=1, max_length=len(InformationClass))
    description: Text = Field(description="the records disclosed, described (goes into the package)")
    purpose: Purpose
    purpose_detail: Text | None = Field(None, description="the purpose in words, when more than its code")
    method: DisclosureMethod
    notice_statement: NoticeStatement = Field(
        NoticeStatement.STATEMENT_1, description="which 2024 §2.32 statement goes with it"
    )
    consent_scope_copy: ConsentScopeCopy = Field(
        ConsentScopeCopy.COPY_OF_CONSENT, description="a copy of the consent, or an explanation of its scope"
    )
    consent_id: uuid.UUID | None = Field(None, description="disclose under this consent only")


class DisclosureOut(BaseModel):
    id: uuid.UUID
    resident_id: uuid.UUID
    consent_id: uuid.UUID
    disclosed_at: datetime
    recipient: str
    recipient_class: str | None
    information_classes: list[str]
    description: str
    purpose: str | None
    purpose_code: str | None
    method: DisclosureMethod
    notice_statement: NoticeStatement | None
    notice_version: str | None
    redisclosure_notice_included: bool
    consent_scope_copy: ConsentScopeCopy | None
    package_url: str

    @classmethod
    def of(cls, row: ConsentDisclosure) -> DisclosureOut:
        """The row as it is; its text is `information_disclosed` there, and the package has a URL."""
        fields = {f: getattr(row, f) for f in cls.model_fields if f not in {"description", "package_url"}}
        return cls(
            **fields,
            description=row.information_disclosed,
            package_url=f"/v1/residents/{row.resident_id}/disclosures/{row.id}/package.pdf",
        )


def _new(resident_id: uuid.UUID, body: DisclosureIn, user_id: uuid.UUID) -> NewDisclosure:
    return NewDisclosure(
        disclosure_id=uuid.uuid4(),
        resident_id=resident_id,
        request=DisclosureRequest(
            recipient_class=body.recipient_class,
            information_classes=frozenset(body.information_classes),
            purpose=body.purpose,
            recipient=body.recipient,
            intermediary=body.intermediary,
            consent_id=body.consent_id,
            at=datetime.now(UTC),
        ),
        description=body.description,
        method=body.method,
        statement=body.notice_statement,
        scope_copy=body.consent_scope_copy,
        at=datetime.now(UTC),
        user_id=user_id,
        purpose_detail=body.purpose_detail,
    )


def _begin(
    s: Session, new: NewDisclosure, key: str | None, body: DisclosureIn
) -> tuple[NewDisclosure, Package | DisclosureOut]:
    """The disclosure's id (an earlier request's, for a repeated Idempotency-Key, whose row is
    then the answer) and its package's contents. A refusal rolls the key's claim back with it."""
    if key is not None:
        did, replayed = idempotency.claim(
            s,
            CONSENT.name,
            key,
            idempotency.request_digest(body.model_dump(mode="json")),
            new.disclosure_id,
            new.user_id,
        )
        new = replace(new, disclosure_id=did)
        done = disclosures.existing(s, did) if replayed else None
        if done is not None:
            return new, DisclosureOut.of(done)
    return new, disclosures.prepare(s, new)


def _record(s: Session, new: NewDisclosure, bucket: str, pdf: bytes) -> DisclosureOut:
    return DisclosureOut.of(disclosures.record(s, new, bucket, pdf))


@router.post(
    "/v1/residents/{resident_id}/disclosures",
    status_code=201,
    response_model=DisclosureOut,
    responses={**replayed_response(DisclosureOut), **problem_responses(404, 409, 422)},
)
async def record_disclosure(
    p: ConsentManager,
    resident_id: VisibleResident,
    body: DisclosureIn,
    db: TenantDep,
    store: FileStoreDep,
    response: Response,
    idempotency_key: IdempotencyKeyHeader = None,
) -> DisclosureOut:
    """Record a disclosure of the resident's Part 2 records and build its package: refused with
    409 (`no_consent`, `not_signed`, `expired`, `revoked`, `recipient_not_covered`,
    `information_not_covered`, `purpose_not_covered`, `restricted`) unless an active consent
    covers the recipient, every kind of information and the purpose. The package PDF carries the
    description, the chosen 2024 §2.32 statement verbatim and the consent or its scope."""
    new, ready = await db.run(_begin, _new(resident_id, body, p.person), idempotency_key, body)
    if isinstance(ready, DisclosureOut):
        response.status_code = 200
        return ready
    pdf = await asyncio.to_thread(package_pdf, ready)
    # The object first, then the row: a row never names an object that is not there.
    await store.aput(
        storage_key(p.org_id, disclosures.package_file_id(new.disclosure_id)),
        pdf,
        disclosures.PACKAGE_CONTENT_TYPE,
    )
    return await db.run(_record, new, store.bucket, pdf)


def _list(s: Session, resident_id: uuid.UUID) -> list[DisclosureOut]:
    rows = disclosures.disclosures_between(
        s, resident_id, datetime.min.replace(tzinfo=UTC), datetime.now(UTC)
    )
    return [DisclosureOut.of(r) for r in rows]


@router.get("/v1/residents/{resident_id}/disclosures", response_model=list[DisclosureOut])
async def list_disclosures(
    _: ConsentManager, resident_id: VisibleResident, db: TenantDep
) -> list[DisclosureOut]:
    """Every disclosure of the resident's records, oldest first."""
    return await db.run(_list, resident_id)


def _one(s: Session, resident_id: uuid.UUID, disclosure_id: uuid.UUID) -> DisclosureOut:
    return DisclosureOut.of(disclosures.get_disclosure(s, resident_id, disclosure_id))


@router.get("/v1/residents/{resident_id}/disclosures/{disclosure_id}", response_model=DisclosureOut)
async def get_disclosure(
    _: ConsentManager, resident_id: VisibleResident, disclosure_id: uuid.UUID, db: TenantDep
) -> DisclosureOut:
    """One disclosure, with the notice statement and version that went with it."""
    return await db.run(_one, resident_id, disclosure_id)


@router.get("/v1/residents/{resident_id}/disclosures/{disclosure_id}/package.pdf", response_class=Response)
async def disclosure_package(
    _: ConsentManager,
    resident_id: VisibleResident,
    disclosure_id: uuid.UUID,
    db: TenantDep,
    store: FileStoreDep,
) -> Response:
    """The package sent with the disclosure; its SHA-256 is checked before it is sent."""
    f = await db.run(disclosures.package, resident_id, disclosure_id)
    return attachment(await store.aget(f.key, f.sha256), "application/pdf", f"disclosure-{disclosure_id}.pdf")


def attachment(data: bytes, media_type: str, filename: str) -> Response:
    """A download (a package, an accounting) named for the browser."""
    return Response(
        data, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )
