"""The §2.22 patient notice over HTTP: give it to a resident (`POST
/v1/residents/{id}/patient-notice`, answered once the resident's signing link exists; staff hand
it over with `GET /v1/documents/{document_id}/signature-request/link`), and the notices a
resident was given, with their acknowledgement."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from api.deps import TenantDep
from api.processes import Accepted, Processes, ProcessesDep, StillRunning, start_responses
from api.routes.consent.deps import NoticeGiver, ResidentReader
from core.config import get_settings
from core.enums import PatientNoticeType
from core.errors import NotFound
from core.process import Wait
from services.consent import notices
from services.residents import get_resident
from workflows.consent import CONSENT
from workflows.consent.notice import NoticeInput, PatientNoticeWorkflow
from workflows.signing import SIGNING, SignatureRequestWorkflow

router = APIRouter(tags=["consent"])


class PatientNoticeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID = Field(description="the notice given (one per resident per notice version)")
    resident_id: uuid.UUID = Field(description="the resident")
    notice_type: PatientNoticeType = Field(description="part2_notice")
    notice_version: str = Field(description="the version of the notice's text")
    delivered_at: datetime = Field(description="when it was given")
    acknowledged_at: datetime | None = Field(description="when the resident signed its acknowledgement")
    signature_id: uuid.UUID | None = Field(description="the resident's signature, once signed")
    document_id: uuid.UUID | None = Field(description="the notice as a document: its signing link, its PDF")


class GivenNoticeOut(PatientNoticeOut):
    workflow_id: str = Field(description="the notice's process")
    signature_request_workflow_id: str = Field(description="the signature request the resident signs")


async def _link_ready(processes: Processes, notice_id: uuid.UUID, document_id: uuid.UUID) -> None:
    """Wait, boundedly, for the child signature request to give the resident a link."""
    loop = asyncio.get_running_loop()
    until = loop.time() + get_settings().process_wait_seconds
    while True:
        try:
            await processes.update(
                SIGNING, document_id, SignatureRequestWorkflow.wait_prepared, Wait(processes.actor)
            )
            return
        except NotFound:  # the child is being started
            if loop.time() >= until:
                raise StillRunning(
                    Accepted(id=notice_id, workflow_id=processes.workflow_id(CONSENT, notice_id))
                ) from None
            await asyncio.sleep(0.1)


@router.post(
    "/v1/residents/{resident_id}/patient-notice",
    status_code=201,
    response_model=GivenNoticeOut,
    responses=start_responses(GivenNoticeOut),
)
async def give_patient_notice(
    resident_id: uuid.UUID, _: NoticeGiver, processes: ProcessesDep, db: TenantDep
) -> GivenNoticeOut:
    """Render the program's Part 2 notice from the org's settings and send it to the resident
    for an e-signed acknowledgement; 201 once their signing link exists. Giving the same
    version again returns the notice already given."""
    await db.run(get_resident, resident_id)
    nid = notices.notice_id(resident_id)
    state = await processes.start(
        CONSENT,
        nid,
        PatientNoticeWorkflow.run,
        NoticeInput(processes.actor, nid, resident_id),
        update=PatientNoticeWorkflow.wait_delivered,
        update_arg=Wait(processes.actor),
    )
    row = await db.run(notices.get_notice, nid)
    if state is not None and row.acknowledged_at is None and state.document_id is not None:
        await _link_ready(processes, nid, state.document_id)
    assert row.document_id is not None
    return GivenNoticeOut(
        **PatientNoticeOut.model_validate(row).model_dump(),
        workflow_id=processes.workflow_id(CONSENT, nid),
        signature_request_workflow_id=processes.workflow_id(SIGNING, row.document_id),
    )


@router.get("/v1/residents/{resident_id}/patient-notices", response_model=list[PatientNoticeOut])
async def patient_notices(resident_id: uuid.UUID, _: ResidentReader, db: TenantDep) -> list[PatientNoticeOut]:
    """The notices the resident was given, newest first, with their acknowledgement."""
    rows = await db.run(notices.notices_of, resident_id)
    return [PatientNoticeOut.model_validate(r) for r in rows]
