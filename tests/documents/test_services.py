"""Templates, versions, uploads and the file store, against the real database, the local
filesystem and an S3-compatible server (moto, over HTTP)."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from core.db import tenant_session
from core.enums import DocumentStatus, DocumentType
from core.errors import Rejected
from core.filestore import FileStore, IntegrityError, LocalFileStore, S3FileStore
from models.documents import Document
from services import documents
from tests.documents.factories import make_document, make_resident
from tests.factories import OrgFactory
from tests.harness import free_port

PDF = b"%PDF-1.4\n% a tiny test file naming Rosalind Achterberg\n%%EOF\n"


def test_a_template_renders_the_residents_merge_fields_into_an_encrypted_first_version(
    orgs: OrgFactory,
) -> None:
    org = orgs.create(())
    resident = make_resident(org.org_id, "Ottoline", "Vasquez-Morrow")
    doc_id = make_document(org.org_id, resident)
    with tenant_session(org.org_id, actor_type="test") as s:
        doc = s.get(Document, doc_id)
        assert doc is not None and doc.status is DocumentStatus.DRAFT
        assert (
            doc.content is not None
            and "Ottoline Vasquez-Morrow" in doc.content
            and "2026-11-25" in doc.content
        )
        assert "{{" not in doc.content
        v1 = documents.version(s, doc_id, 1)
        assert v1.content_sha256 == hashlib.sha256(doc.content.encode()).digest()
        raw = s.execute(
            text("SELECT content FROM document_versions WHERE document_id = :d"), {"d": doc_id}
        ).scalar_one()
        assert b"Ottoline" not in bytes(raw)
        # Every document type has a retention policy once the defaults are installed.
        assert {d for d in DocumentType if documents.retention_policy(s, d) is not None} == set(DocumentType)


def test_an_unknown_merge_field_is_refused_naming_it() -> None:
    with pytest.raises(Rejected, match=r"resident\.ssn") as refused:
        documents.render(
            "Dear {{ resident.first_name }}, your {{ resident.ssn }}", {"resident.first_name": "A"}
        )
    assert refused.value.field == "template_id"


def test_retention_runs_from_the_policys_event() -> None:
    class Policy:
        retain_years = 7
        retain_from = "signed"

    assert documents.retention_until(Policy(), "signed", date(2024, 2, 29)) == date(2031, 2, 28)  # type: ignore[arg-type]
    assert documents.retention_until(Policy(), "created", date(2026, 1, 1)) is None  # type: ignore[arg-type]


def test_document_versions_cannot_be_changed_or_deleted(orgs: OrgFactory) -> None:
    org = orgs.create(())
    doc_id = make_document(org.org_id, make_resident(org.org_id))
    for sql in (
        "UPDATE document_versions SET content_sha256 = content_sha256 WHERE document_id = :d",
        "DELETE FROM document_versions WHERE document_id = :d",
    ):
        with pytest.raises(DBAPIError, match="permission denied"), tenant_session(org.org_id) as s:
            s.execute(text(sql), {"d": doc_id})


@pytest.mark.parametrize(
    ("data", "content_type", "sha", "field"),
    [
        (b"", "application/pdf", None, "file"),
        (b"GIF89a....", "image/gif", None, "content_type"),
        (b"\x89PNG\r\n\x1a\n....", "application/pdf", None, "content_type"),
        (PDF, "application/pdf", "00" * 32, "sha256"),
        (b"%PDF-" + b"0" * documents.MAX_UPLOAD_BYTES, "application/pdf", None, "file"),
    ],
    ids=["empty", "type-not-allowed", "bytes-disagree-with-type", "digest-mismatch", "too-large"],
)
def test_an_upload_is_refused_naming_what_is_wrong(
    data: bytes, content_type: str, sha: str | None, field: str
) -> None:
    with pytest.raises(Rejected) as refused:
        documents.check_upload(data, content_type, sha)
    assert refused.value.field == field


def test_an_accepted_upload_returns_its_sha256() -> None:
    digest = hashlib.sha256(PDF).digest()
    assert documents.check_upload(PDF, "application/pdf", digest.hex()) == digest


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """moto's S3-compatible server from its wheel, on a real port."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3_store(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> S3FileStore:
    for k, v in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}.items():
        monkeypatch.setenv(k, v)
    bucket = f"docs-{uuid.uuid4().hex[:8]}"
    store = S3FileStore.connect(bucket, endpoint_url=s3_endpoint)
    store.client.create_bucket(Bucket=bucket)
    return store


def _round_trip(store: FileStore, raw: Callable[[str], bytes]) -> None:
    key = f"{uuid.uuid4()}/{uuid.uuid4()}"
    store.put(key, PDF, "application/pdf")
    assert store.get(key, hashlib.sha256(PDF).digest()) == PDF
    stored = raw(key)
    assert b"Rosalind" not in stored and not stored.startswith(b"%PDF")  # encrypted at rest
    with pytest.raises(IntegrityError):
        store.get(key, hashlib.sha256(b"something else").digest())


def test_local_store_keeps_objects_encrypted_and_checks_their_hash(tmp_path: Path, database: str) -> None:
    store = LocalFileStore(tmp_path)
    _round_trip(store, lambda key: (tmp_path / store.bucket / key).read_bytes())
    with pytest.raises(ValueError, match="escapes"):
        store.put("../../etc/passwd", PDF, "application/pdf")


def test_s3_store_keeps_objects_encrypted_and_checks_their_hash(s3_store: S3FileStore, database: str) -> None:
    _round_trip(
        s3_store, lambda key: s3_store.client.get_object(Bucket=s3_store.bucket, Key=key)["Body"].read()
    )


def test_configuration_chooses_s3(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch, database: str) -> None:
    from core.config import get_settings
    from core.filestore import file_store_from_settings

    for k, v in {
        "RECOVERYOS_FILE_STORE": "s3",
        "RECOVERYOS_S3_BUCKET": "configured-bucket",
        "RECOVERYOS_S3_ENDPOINT_URL": s3_endpoint,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
    }.items():
        monkeypatch.setenv(k, v)
    get_settings.cache_clear()
    try:
        store = file_store_from_settings()
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    assert isinstance(store, S3FileStore) and store.bucket == "configured-bucket"
    store.client.create_bucket(Bucket="configured-bucket")
    store.put("k/1", PDF, "application/pdf")
    assert store.get("k/1") == PDF
    assert isinstance(file_store_from_settings(), LocalFileStore)  # the default again


def test_the_default_papers_disclose_fees_refunds_rights_and_grievances_under_the_orgs_name(
    orgs: OrgFactory,
) -> None:
    """NARR: every fee and the refund policy in writing, signed, before money is taken; rights and
    the grievance path (to the oversight organization) before any agreement is signed."""
    org = orgs.create(())
    resident = make_resident(org.org_id, "Ottoline", "Vasquez-Morrow")
    agreement = make_document(org.org_id, resident, "Residency agreement")
    rights = make_document(org.org_id, resident, "Resident rights")
    with tenant_session(org.org_id, actor_type="test") as s:
        org_name = s.execute(text("SELECT name FROM organizations")).scalar_one()
        text_of = {d: documents.get_document(s, d).content or "" for d in (agreement, rights)}
    body = text_of[agreement]
    for section in ("House rules", "Fees and charges", "Refund policy", "Your rights", "Grievances"):
        assert section in body, section
    assert "before paying anything" in body and "There are no other fees" in body
    assert "written statement of every charge and payment" in body
    assert org_name in body and "Ottoline Vasquez-Morrow" in body
    assert "oversight organization" in text_of[rights] and org_name in text_of[rights]
    # The title is shown above the body (page and PDF): the body does not repeat it.
    assert "Residency agreement" not in body
