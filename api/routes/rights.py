"""The rights of access (45 CFR 164.524) and amendment (164.526) over HTTP.

Access: the privacy officer (compliance:manage) records a resident's request, extends it once
with a written reason, fulfils it (a download link to the resident's records) or denies it with
its grounds; the resident opens the link, which needs no sign-in: the token names the org, the
request, the resident and its expiry, and every download is audited.

Amendment: recorded, extended once, accepted (the change made, the people the resident named
told) or denied with a letter; the resident's statement of disagreement is kept with the record.

Messages go to the request's AccessRequest or AmendmentRequest workflow (`access/<org>/<id>`,
`amendment/<org>/<id>`); files are read from the file store under keys derived from the request
and checked against their digests.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from api.auth import Principal
from api.deps import FilesDep, TenantDB, TenantDep, attachment, client_ip, require
from api.fields import Int, Trimmed
from api.processes import IdempotencyKeyHeader, ProcessesDep, start_responses
from core.contracts.rights import (
    AMENDABLE_FIELDS,
    Amendment,
    AmendmentDenial,
    AmendmentGround,
    Denial,
    DenialGround,
    export_file,
)
from core.enums import RequestStatus
from core.errors import NotFound, Rejected
from core.filestore import FileStore
from core.permissions import Perm
from core.process import Wait
from services.rights import links, requests
from workflows.rights import (
    ACCESS,
    AMENDMENT,
    AccessInput,
    AccessRequestWorkflow,
    AccessState,
    AmendmentInput,
    AmendmentRequestWorkflow,
    AmendmentState,
    DenyAmendmentMsg,
    DenyMsg,
    DisagreeMsg,
    ExtendMsg,
)

router = APIRouter(tags=["rights"])
Officer = Annotated[Principal, Depends(require(Perm.COMPLIANCE_MANAGE))]
Text = Annotated[str, Trimmed(4000)]


class AccessRequestIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"details": "A copy of everything you hold about me", "link_days": 14}]
        },
    )
    details: Text | None = Field(None, description="what the resident asked for, in their words")
    link_days: Int = Field(14, ge=1, le=30, description="how long the download link works once ready")


class ExtensionIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"reason": "Older records are in off-site storage; we will act by then."}]
        },
    )
    reason: Text = Field(description="the reason given to the resident in writing, with the new date")


class DenialIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "ground": "references_another_person",
                    "explanation": "The notes describe another resident's disclosures in group.",
                    "contact": "Privacy officer, 1-800-555-0142",
                }
            ]
        },
    )
    ground: DenialGround
    explanation: Text
    contact: Annotated[str, Trimmed(300)] = Field(
        description="who the resident may contact: name or title, phone"
    )


class AccessOut(BaseModel):
    id: uuid.UUID
    resident_id: uuid.UUID
    workflow_id: str
    status: RequestStatus
    requested_at: datetime
    due_at: datetime
    extended: bool
    overdue: bool
    link_expires_at: datetime | None
    # The resident's download link, once fulfilled (give it to the resident).
    link: str | None = None

    @classmethod
    def of(cls, st: AccessState, workflow_id: str, org_id: uuid.UUID) -> AccessOut:
        link = None
        if st.status is RequestStatus.FULFILLED and st.link_expires_at is not None:
            link = links.link_url(links.make_token(org_id, st.request_id, st.resident_id, st.link_expires_at))
        return cls(
            id=st.request_id,
            resident_id=st.resident_id,
            workflow_id=workflow_id,
            status=st.status,
            requested_at=st.requested_at,
            due_at=st.due_at,
            extended=st.extended,
            overdue=st.overdue,
            link_expires_at=st.link_expires_at,
            link=link,
        )


def _out(st: AccessState, processes: ProcessesDep) -> AccessOut:
    return AccessOut.of(st, processes.workflow_id(ACCESS, st.request_id), processes.actor.org_id)


@router.post(
    "/v1/residents/{resident_id}/access-requests",
    status_code=201,
    response_model=AccessOut,
    responses=start_responses(AccessOut),
)
async def request_access(
    resident_id: uuid.UUID,
    body: AccessRequestIn,
    _: Officer,
    processes: ProcessesDep,
    db: TenantDep,
    response: Response,
    idempotency_key: IdempotencyKeyHeader = None,
) -> AccessOut:
    """Record a resident's request for a copy of their records; the 30 days start now."""
    await db.run(requests.check_resident, resident_id)
    request_id, replayed = await processes.claim(ACCESS, idempotency_key, body)
    st = await processes.start(
        ACCESS,
        request_id,
        AccessRequestWorkflow.run,
        AccessInput(processes.actor, request_id, resident_id, body.details, body.link_days),
        update=AccessRequestWorkflow.wait_recorded,
        update_arg=Wait(processes.actor),
    )
    if st is None:
        st = await processes.query(ACCESS, request_id, AccessRequestWorkflow.state)
        assert st is not None
    if replayed:
        response.status_code = 200
    return _out(st, processes)


@router.get("/v1/access-requests/{request_id}", response_model=AccessOut)
async def access_request(request_id: uuid.UUID, _: Officer, processes: ProcessesDep) -> AccessOut:
    """The request's clock and status, and the download link once fulfilled."""
    st = await processes.query(ACCESS, request_id, AccessRequestWorkflow.state)
    if st is None:
        raise NotFound("the request is still starting; retry shortly", field="request_id")
    return _out(st, processes)


@router.post("/v1/access-requests/{request_id}/extension", response_model=AccessOut)
async def extend(request_id: uuid.UUID, body: ExtensionIn, _: Officer, processes: ProcessesDep) -> AccessOut:
    """The one 30-day extension, before the first 30 days end, with its written reason."""
    msg = ExtendMsg(processes.actor, body.reason)
    return _out(await processes.update(ACCESS, request_id, AccessRequestWorkflow.extend, msg), processes)


@router.post("/v1/access-requests/{request_id}/fulfilment", response_model=AccessOut)
async def fulfil(request_id: uuid.UUID, _: Officer, processes: ProcessesDep) -> AccessOut:
    """Export the resident's records and answer with their download link."""
    st = await processes.update(ACCESS, request_id, AccessRequestWorkflow.fulfil, Wait(processes.actor))
    return _out(st, processes)


@router.post("/v1/access-requests/{request_id}/denial", response_model=AccessOut)
async def deny(request_id: uuid.UUID, body: DenialIn, _: Officer, processes: ProcessesDep) -> AccessOut:
    """Deny with its grounds; the letter says whether a review may be asked for and how to complain."""
    msg = DenyMsg(processes.actor, Denial(body.ground, body.explanation, body.contact))
    return _out(await processes.update(ACCESS, request_id, AccessRequestWorkflow.deny, msg), processes)


@router.get("/v1/access-requests/{request_id}/denial-letter.pdf", response_class=Response)
async def denial_letter(request_id: uuid.UUID, officer: Officer, db: TenantDep, files: FilesDep) -> Response:
    """The denial letter: the grounds, the right to a review where the law gives one, how to
    complain (404 unless the request was denied)."""
    digest = await db.run(requests.denial_letter, request_id)
    data = await files.aget(export_file(officer.org_id, request_id, "denial"), digest)
    return attachment(data, "application/pdf", f"access-denial-{request_id}.pdf")


async def _download(token: str, kind: str, request: Request, files: FileStore) -> bytes:
    claims = links.read_token(token, datetime.now(UTC))
    db = TenantDB.for_link(claims.org_id, request.state.request_id, client_ip(request))
    digest = await db.run(requests.downloaded, claims.request_id, claims.resident_id, kind)
    return await files.aget(export_file(claims.org_id, claims.request_id, kind), digest)


@router.get("/v1/records/{token}.json", response_class=Response)
async def records_json(token: str, request: Request, files: FilesDep) -> Response:
    """The resident's records as JSON, through their link (no sign-in; audited)."""
    return attachment(await _download(token, "json", request, files), "application/json", "records.json")


@router.get("/v1/records/{token}.pdf", response_class=Response)
async def records_pdf(token: str, request: Request, files: FilesDep) -> Response:
    """The resident's records as a readable PDF, through their link (no sign-in; audited)."""
    return attachment(await _download(token, "pdf", request, files), "application/pdf", "records.pdf")


# --- the right to amend (45 CFR 164.526) -------------------------------------------------------


class AmendmentIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "details": "My pronouns are recorded wrongly",
                    "field": "pronouns",
                    "value": "they/them",
                    "notify": ["intake@partner-clinic.example.org"],
                }
            ]
        },
    )
    details: Text = Field(description="what the resident asks to change and why, in their words")
    field: Annotated[str, Trimmed(60)] | None = Field(
        None,
        description="one of the resident's own fields to change in place: "
        + ", ".join(sorted(AMENDABLE_FIELDS)),
    )
    value: Text | None = Field(None, description="the corrected value of `field`")
    notify: list[Annotated[str, Trimmed(254, min_length=3)]] = Field(
        default_factory=list, max_length=20, description="people to tell once amended (their e-mail)"
    )


class AmendmentDenialIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "ground": "accurate_and_complete",
                    "explanation": "The incident report matches the house log and two witnesses.",
                    "contact": "Privacy officer, 1-800-555-0142",
                }
            ]
        },
    )
    ground: AmendmentGround
    explanation: Text
    contact: Annotated[str, Trimmed(300)] = Field(description="whom to contact: name or title, phone")


class DisagreementIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"statement": "I was not at the house that night."}]}
    )
    statement: Text = Field(description="the resident's statement of disagreement, in their words")


class AmendmentOut(BaseModel):
    id: uuid.UUID
    resident_id: uuid.UUID
    workflow_id: str
    status: RequestStatus
    requested_at: datetime
    due_at: datetime
    extended: bool
    overdue: bool
    people_told: int
    disagreement_filed: bool

    @classmethod
    def of(cls, st: AmendmentState, processes: ProcessesDep) -> AmendmentOut:
        return cls(
            id=st.request_id,
            resident_id=st.resident_id,
            workflow_id=processes.workflow_id(AMENDMENT, st.request_id),
            status=st.status,
            requested_at=st.requested_at,
            due_at=st.due_at,
            extended=st.extended,
            overdue=st.overdue,
            people_told=st.people_told,
            disagreement_filed=st.disagreement_filed,
        )


@router.post(
    "/v1/residents/{resident_id}/amendment-requests",
    status_code=201,
    response_model=AmendmentOut,
    responses=start_responses(AmendmentOut),
)
async def request_amendment(
    resident_id: uuid.UUID,
    body: AmendmentIn,
    _: Officer,
    processes: ProcessesDep,
    db: TenantDep,
    response: Response,
    idempotency_key: IdempotencyKeyHeader = None,
) -> AmendmentOut:
    """Record a resident's request to amend their records; the 60 days start now."""
    if body.field is not None and body.field not in AMENDABLE_FIELDS:
        raise Rejected(f"{body.field} cannot be amended in place; leave field out to append", field="field")
    if (body.field is None) != (body.value is None):
        raise Rejected("field and value go together", field="value")
    await db.run(requests.check_resident, resident_id)
    request_id, replayed = await processes.claim(AMENDMENT, idempotency_key, body)
    amendment = Amendment(body.field, body.value, tuple(body.notify))
    st = await processes.start(
        AMENDMENT,
        request_id,
        AmendmentRequestWorkflow.run,
        AmendmentInput(processes.actor, request_id, resident_id, body.details, amendment),
        update=AmendmentRequestWorkflow.wait_recorded,
        update_arg=Wait(processes.actor),
    )
    if st is None:
        st = await processes.query(AMENDMENT, request_id, AmendmentRequestWorkflow.state)
        assert st is not None
    if replayed:
        response.status_code = 200
    return AmendmentOut.of(st, processes)


@router.get("/v1/amendment-requests/{request_id}", response_model=AmendmentOut)
async def amendment_request(request_id: uuid.UUID, _: Officer, processes: ProcessesDep) -> AmendmentOut:
    """The request's clock and status."""
    st = await processes.query(AMENDMENT, request_id, AmendmentRequestWorkflow.state)
    if st is None:
        raise NotFound("the request is still starting; retry shortly", field="request_id")
    return AmendmentOut.of(st, processes)


@router.post("/v1/amendment-requests/{request_id}/extension", response_model=AmendmentOut)
async def extend_amendment(
    request_id: uuid.UUID, body: ExtensionIn, _: Officer, processes: ProcessesDep
) -> AmendmentOut:
    """The one 30-day extension, before the first 60 days end, with its written reason."""
    msg = ExtendMsg(processes.actor, body.reason)
    return AmendmentOut.of(
        await processes.update(AMENDMENT, request_id, AmendmentRequestWorkflow.extend, msg), processes
    )


@router.post("/v1/amendment-requests/{request_id}/acceptance", response_model=AmendmentOut)
async def accept_amendment(request_id: uuid.UUID, _: Officer, processes: ProcessesDep) -> AmendmentOut:
    """Make the amendment and tell the people the resident named."""
    st = await processes.update(AMENDMENT, request_id, AmendmentRequestWorkflow.accept, Wait(processes.actor))
    return AmendmentOut.of(st, processes)


@router.post("/v1/amendment-requests/{request_id}/denial", response_model=AmendmentOut)
async def deny_amendment(
    request_id: uuid.UUID, body: AmendmentDenialIn, _: Officer, processes: ProcessesDep
) -> AmendmentOut:
    """Deny with its grounds; the letter (`…/denial-letter.pdf`) tells the resident how to file a
    statement of disagreement and how to complain."""
    msg = DenyAmendmentMsg(processes.actor, AmendmentDenial(body.ground, body.explanation, body.contact))
    return AmendmentOut.of(
        await processes.update(AMENDMENT, request_id, AmendmentRequestWorkflow.deny, msg), processes
    )


@router.post("/v1/amendment-requests/{request_id}/disagreement", response_model=AmendmentOut)
async def file_disagreement(
    request_id: uuid.UUID, body: DisagreementIn, _: Officer, processes: ProcessesDep
) -> AmendmentOut:
    """The resident's statement of disagreement with a denial: kept with the record and in every
    later export of it."""
    msg = DisagreeMsg(processes.actor, body.statement)
    return AmendmentOut.of(
        await processes.update(AMENDMENT, request_id, AmendmentRequestWorkflow.disagree, msg), processes
    )


@router.get("/v1/amendment-requests/{request_id}/denial-letter.pdf", response_class=Response)
async def amendment_denial_letter(
    request_id: uuid.UUID, officer: Officer, db: TenantDep, files: FilesDep
) -> Response:
    """The denial letter: the grounds, how to file a statement of disagreement, how to complain
    (404 unless the request was denied)."""
    digest = await db.run(requests.denial_letter, request_id)
    data = await files.aget(export_file(officer.org_id, request_id, "denial"), digest)
    return attachment(data, "application/pdf", f"amendment-denial-{request_id}.pdf")
