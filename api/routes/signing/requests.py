"""Staff send a document for signature, follow it, void it and hand over the current signer's
link (`/v1/documents/<id>/signature-request`)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.auth import Principal
from api.deps import TenantDep, require
from api.fields import Int
from api.processes import IdempotencyKeyHeader, ProcessesDep, start_responses
from core.contracts.signing import SignerSpec
from core.enums import DocumentStatus, SignatureStatus
from core.errors import NotFound, Rejected
from core.permissions import Perm
from core.process import Wait
from services.documents import get_document
from services.signing import links
from workflows.signing import (
    SIGNING,
    RequestState,
    SignatureRequestInput,
    SignatureRequestWorkflow,
)

router = APIRouter(tags=["signing"])
Manager = Annotated[Principal, Depends(require(Perm.DOCUMENT_MANAGE))]
Role = Annotated[str, StringConstraints(pattern=r"^[a-z_]{2,40}$")]


class SignerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Role
    resident_id: uuid.UUID | None = None
    user_id: uuid.UUID | None = None


class SignatureRequestIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "signers": [{"role": "resident", "resident_id": "3f2b8c1e-6d4a-4b7e-9c21-5a8d0e7f4b10"}],
                    "expires_after_hours": 168,
                    "remind_every_hours": 48,
                }
            ]
        },
    )
    signers: list[SignerIn] = Field(min_length=1, max_length=10)
    expires_after_hours: Int = Field(14 * 24, ge=1, le=90 * 24)
    remind_every_hours: Int = Field(72, ge=1, le=30 * 24)


class SignerOut(BaseModel):
    signature_id: uuid.UUID
    role: str
    status: SignatureStatus
    reminders: int


class SignatureRequestOut(BaseModel):
    document_id: uuid.UUID
    status: DocumentStatus
    signers: list[SignerOut]
    current_signer: uuid.UUID | None
    workflow_id: str

    @classmethod
    def of(cls, state: RequestState, workflow_id: str) -> SignatureRequestOut:
        return cls(
            document_id=state.document_id,
            status=state.status,
            signers=[
                SignerOut(signature_id=s.signature_id, role=s.role, status=s.status, reminders=s.reminders)
                for s in state.signers
            ],
            current_signer=state.signers[state.current].signature_id if state.current is not None else None,
            workflow_id=workflow_id,
        )


class LinkOut(BaseModel):
    signature_id: uuid.UUID
    role: str
    url: str


@router.post(
    "/v1/documents/{document_id}/signature-request",
    status_code=201,
    response_model=SignatureRequestOut,
    responses=start_responses(SignatureRequestOut),
)
async def send_for_signature(
    document_id: uuid.UUID,
    body: SignatureRequestIn,
    _: Manager,
    processes: ProcessesDep,
    db: TenantDep,
    response: Response,
    idempotency_key: IdempotencyKeyHeader = None,
) -> SignatureRequestOut:
    """Start the signature request (one per document); 201 once every signer is set up."""
    for n, s in enumerate(body.signers):
        if (s.resident_id is None) == (s.user_id is None):
            raise Rejected(f"signers[{n}] needs exactly one of resident_id and user_id", field="signers")
    # 404 for a document outside the caller's org, before any process is started.
    await db.run(get_document, document_id)
    replayed = (await processes.claim(SIGNING, idempotency_key, body))[1]
    inp = SignatureRequestInput(
        processes.actor,
        document_id,
        [SignerSpec(s.role, s.resident_id, s.user_id) for s in body.signers],
        body.expires_after_hours,
        body.remind_every_hours,
    )
    state = await processes.start(
        SIGNING,
        document_id,
        SignatureRequestWorkflow.run,
        inp,
        update=SignatureRequestWorkflow.wait_prepared,
        update_arg=Wait(processes.actor),
    )
    if state is None:
        state = await processes.query(SIGNING, document_id, SignatureRequestWorkflow.state)
        assert state is not None
    if replayed:
        response.status_code = 200
    return SignatureRequestOut.of(state, processes.workflow_id(SIGNING, document_id))


@router.get("/v1/documents/{document_id}/signature-request", response_model=SignatureRequestOut)
async def signature_request_status(
    document_id: uuid.UUID, _: Manager, processes: ProcessesDep
) -> SignatureRequestOut:
    """The signature request's state as its workflow holds it: status, every signer and who signs
    next."""
    state = await processes.query(SIGNING, document_id, SignatureRequestWorkflow.state)
    if state is None:
        raise NotFound("signature request not started", field="document_id")
    return SignatureRequestOut.of(state, processes.workflow_id(SIGNING, document_id))


@router.post("/v1/documents/{document_id}/signature-request/void", response_model=SignatureRequestOut)
async def void_signature_request(
    document_id: uuid.UUID, _: Manager, processes: ProcessesDep
) -> SignatureRequestOut:
    """Void a request that is still open; 409 once it has finished."""
    state = await processes.update(SIGNING, document_id, SignatureRequestWorkflow.void, Wait(processes.actor))
    return SignatureRequestOut.of(state, processes.workflow_id(SIGNING, document_id))


@router.get("/v1/documents/{document_id}/signature-request/link", response_model=LinkOut)
async def current_link(document_id: uuid.UUID, _: Manager, db: TenantDep) -> LinkOut:
    """The link of the signer whose turn it is, for staff to hand over in person."""
    sid, role, url = await db.run(links.current_link, document_id)
    return LinkOut(signature_id=sid, role=role, url=url)
