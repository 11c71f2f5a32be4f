"""Documents for staff: templates, documents rendered from them, their versions, the signed
PDF and certificate of completion, and hash verification of a PDF someone hands back.

Everything here is under /v1, so every response is `Cache-Control: no-store`.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from functools import lru_cache
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Response, UploadFile
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.auth import Principal
from api.deps import TenantDep, require
from api.fields import Day
from core.enums import DocumentStatus, DocumentType
from core.filestore import FileStore, file_store_from_settings
from core.permissions import Perm
from services import certificate, documents, residents
from services.documents import DocumentSummary, StoredFile, Verification, file_id
from services.signing import trail

router = APIRouter(tags=["documents"])
Manager = Annotated[Principal, Depends(require(Perm.DOCUMENT_MANAGE))]


@lru_cache(maxsize=1)
def _store() -> FileStore:
    return file_store_from_settings()


def file_store() -> FileStore:
    """The API's file store; tests override this dependency."""
    return _store()


FileStoreDep = Annotated[FileStore, Depends(file_store)]


class TemplateOut(BaseModel):
    id: uuid.UUID
    name: str
    document_type: DocumentType
    version: int
    required_signers: list[str]


class DocumentCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "template_id": "e6b3a9d1-4c7f-4a2e-8d5b-0a9c3f7e1d26",
                    "resident_id": "3f2b8c1e-6d4a-4b7e-9c21-5a8d0e7f4b10",
                    "effective_date": "2026-12-15",
                }
            ]
        },
    )
    template_id: uuid.UUID
    resident_id: uuid.UUID
    effective_date: Day | None = None


class VersionOut(BaseModel):
    version_no: int
    content_sha256: str
    created_at: datetime
    has_file: bool


class DocumentOut(BaseModel):
    id: uuid.UUID
    resident_id: uuid.UUID | None
    title: str
    document_type: DocumentType
    status: DocumentStatus
    content: str
    current_version: int
    versions: list[VersionOut]
    signed_sha256: str | None
    retention_until_date: Day | None
    created_at: datetime
    completed_at: datetime | None


class FileOut(BaseModel):
    id: uuid.UUID
    sha256: str
    size_bytes: int
    content_type: str
    resident_id: uuid.UUID | None


class VerificationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    sha256: str
    matches: bool
    document_id: uuid.UUID | None
    version_no: int | None


def _templates(s: Session) -> list[TemplateOut]:
    return [
        TemplateOut(
            id=t.id,
            name=t.name,
            document_type=t.document_type,
            version=t.version,
            required_signers=[str(r) for r in t.required_signers],
        )
        for t in documents.active_templates(s)
    ]


def _install_defaults(s: Session) -> list[TemplateOut]:
    documents.ensure_defaults(s)
    return _templates(s)


def _read(s: Session, document_id: uuid.UUID) -> DocumentOut:
    d = documents.get_document(s, document_id)
    v1 = documents.version(s, document_id, 1)
    return DocumentOut(
        id=d.id,
        resident_id=d.resident_id,
        title=d.title,
        document_type=d.document_type,
        status=d.status,
        content=v1.content or "",
        current_version=d.current_version,
        versions=[
            VersionOut(
                version_no=v.version_no,
                content_sha256=v.content_sha256.hex(),
                created_at=v.created_at,
                has_file=v.file_upload_id is not None,
            )
            for v in d.versions
        ],
        signed_sha256=d.content_sha256.hex() if d.content_sha256 else None,
        retention_until_date=d.retention_until_date,
        created_at=d.created_at,
        completed_at=d.completed_at,
    )


def _create(
    s: Session, document_id: uuid.UUID, body: DocumentCreate, user_id: uuid.UUID | None
) -> DocumentOut:
    on = body.effective_date or datetime.now(UTC).date()
    documents.create_from_template(s, document_id, body.template_id, body.resident_id, on, user_id)
    s.flush()
    s.expire_all()
    return _read(s, document_id)


def _signed_file(s: Session, document_id: uuid.UUID, purpose: str) -> StoredFile:
    documents.get_document(s, document_id)
    return documents.stored_file(s, file_id(document_id, purpose), f"{purpose} PDF")


@router.get("/v1/document-templates", response_model=list[TemplateOut])
async def list_templates(_: Manager, db: TenantDep) -> list[TemplateOut]:
    """The organisation's active document templates (residency agreement, resident rights, Part 2
    consent form ...)."""
    return await db.run(_templates)


@router.post("/v1/document-templates/defaults", response_model=list[TemplateOut])
async def install_default_templates(_: Manager, db: TenantDep) -> list[TemplateOut]:
    """Install the standard templates and a retention policy per document type (idempotent)."""
    return await db.run(_install_defaults)


@router.post("/v1/documents", status_code=201, response_model=DocumentOut)
async def create_document(body: DocumentCreate, p: Manager, db: TenantDep) -> DocumentOut:
    """Render a template for a resident into a draft (version 1)."""
    return await db.run(_create, uuid.uuid4(), body, p.user_id)


@router.get("/v1/documents", response_model=list[DocumentSummary])
async def list_documents(
    _: Manager, db: TenantDep, status: DocumentStatus | None = None
) -> list[DocumentSummary]:
    """The org's documents (optionally of one status), oldest first; nothing decrypted."""
    return await db.run(documents.org_documents, status)


# `GET /v1/documents/files` would otherwise reach the route below with document_id="files" and
# answer 422 for a path that exists: these paths take POST only, which a 405 says.
@router.api_route("/v1/documents/files", methods=["GET", "PUT", "PATCH", "DELETE"], include_in_schema=False)
@router.api_route("/v1/documents/verify", methods=["GET", "PUT", "PATCH", "DELETE"], include_in_schema=False)
async def post_only() -> None:
    raise StarletteHTTPException(405, headers={"Allow": "POST"})


@router.get("/v1/documents/{document_id}", response_model=DocumentOut)
async def get_document(document_id: uuid.UUID, _: Manager, db: TenantDep) -> DocumentOut:
    """One document with its current text; 404 for a document of another organisation or of a
    resident the caller cannot see."""
    return await db.run(_read, document_id)


@router.get("/v1/residents/{resident_id}/documents", response_model=list[DocumentSummary])
async def resident_documents(resident_id: uuid.UUID, _: Manager, db: TenantDep) -> list[DocumentSummary]:
    """The resident's documents, newest last; nothing decrypted."""
    return await db.run(documents.resident_documents, resident_id)


async def _pdf(db: TenantDep, store: FileStore, document_id: uuid.UUID, purpose: str) -> Response:
    f = await db.run(_signed_file, document_id, purpose)
    data = await store.aget(f.key, f.sha256)
    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{purpose}-{document_id}.pdf"'},
    )


@router.get("/v1/documents/{document_id}/signed.pdf", response_class=Response)
async def signed_pdf(document_id: uuid.UUID, _: Manager, db: TenantDep, store: FileStoreDep) -> Response:
    """The completed document; its SHA-256 is checked against the record before it is sent."""
    return await _pdf(db, store, document_id, "signed")


@router.get("/v1/documents/{document_id}/certificate.pdf", response_class=Response)
async def certificate_pdf(document_id: uuid.UUID, _: Manager, db: TenantDep, store: FileStoreDep) -> Response:
    """The certificate of completion as a PDF: who signed, when, from where, and the document's
    SHA-256 values; 404 until the document is signed."""
    return await _pdf(db, store, document_id, "certificate")


@router.get("/v1/documents/{document_id}/certificate", response_class=HTMLResponse)
async def certificate_page(document_id: uuid.UUID, _: Manager, db: TenantDep) -> HTMLResponse:
    """The audit trail as a page: every event with signer, time, IP, user agent and hashes."""
    return HTMLResponse(certificate.certificate_html(await db.run(trail.trail, document_id)))


def _record_upload(
    s: Session,
    fid: uuid.UUID,
    bucket: str,
    data: bytes,
    upload: UploadFile,
    resident_id: uuid.UUID | None,
    user_id: uuid.UUID | None,
) -> FileOut:
    if resident_id is not None:
        residents.get_resident(s, resident_id)
    f = documents.record_file(
        s,
        fid,
        bucket,
        data,
        upload.content_type or "",
        upload.filename or "upload",
        resident_id,
        user_id,
        is_part2=resident_id is not None,
    )
    return FileOut(
        id=f.id,
        sha256=f.sha256.hex(),
        size_bytes=f.size_bytes,
        content_type=f.content_type,
        resident_id=resident_id,
    )


@router.post("/v1/documents/files", status_code=201, response_model=FileOut)
async def upload_file(
    p: Manager,
    db: TenantDep,
    store: FileStoreDep,
    file: Annotated[UploadFile, File()],
    resident_id: Annotated[uuid.UUID | None, Form()] = None,
    sha256: Annotated[str | None, Form(pattern=r"^[0-9a-fA-F]{64}$")] = None,
) -> FileOut:
    """Store a scanned or uploaded file (PDF, PNG, JPEG; at most 10 MB). Its type is checked
    against its bytes and, when `sha256` is sent, its digest against that."""
    data = await file.read(documents.MAX_UPLOAD_BYTES + 1)
    documents.check_upload(data, file.content_type or "", sha256)
    fid = uuid.uuid4()
    # The object first, then the row: a row never names an object that is not there.
    await store.aput(documents.storage_key(p.org_id, fid), data, file.content_type or "")
    return await db.run(_record_upload, fid, store.bucket, data, file, resident_id, p.user_id)


@router.post("/v1/documents/verify", response_model=VerificationOut)
async def verify_pdf(_: Manager, db: TenantDep, file: Annotated[UploadFile, File()]) -> VerificationOut:
    """Recompute an uploaded PDF's SHA-256 and say whether it is a signed document of ours."""
    data = await file.read(documents.MAX_UPLOAD_BYTES + 1)
    digest = documents.check_upload(data, "application/pdf")
    v: Verification = await db.run(documents.verify, digest)
    return VerificationOut.model_validate(v)
