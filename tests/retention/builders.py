"""A former resident's record as rows and files: discharged on a given day, with a drug test, a
signed document (content, one version, a signature) whose PDF is in the file store, past or not
past its own retention date. What the retention tests destroy or keep."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from core.db import tenant_session
from core.enums import (
    DischargeReason,
    DocumentStatus,
    DocumentType,
    DrugTestResult,
    DrugTestType,
    FileScanStatus,
    SignatureStatus,
)
from core.filestore import FileStore
from models.documents import Document, Signature
from models.documents_extended import DocumentVersion
from models.files import FileUpload
from models.operations import DrugTest
from models.resident_tracking import Discharge
from models.residents import Admission
from tests.billing.builders import HouseIds, admit, make_house


@dataclass(frozen=True)
class Former:
    resident_id: uuid.UUID
    document_id: uuid.UUID
    version_id: uuid.UUID
    signature_id: uuid.UUID
    drug_test_id: uuid.UUID
    file_id: uuid.UUID
    storage_key: str


def house(org_id: uuid.UUID) -> HouseIds:
    return make_house(org_id, beds=4)


def former_resident(
    org_id: uuid.UUID,
    where: HouseIds,
    files: FileStore,
    moved_out: date,
    kept_until: date,
    bed: int = 0,
    words: str = "Relapse plan agreed with Dr. Quennell",
) -> Former:
    """Discharged on `moved_out`; their signed agreement is kept until `kept_until`."""
    (rid,) = admit(org_id, where, [(moved_out - timedelta(days=120), moved_out)], first_bed=bed)
    at = datetime.combine(moved_out, time(12), UTC)
    pdf = b"%PDF-1.4 signed agreement " + words.encode()
    digest = hashlib.sha256(pdf).digest()
    with tenant_session(org_id, actor_type="test") as s:
        admission_id = s.query(Admission.id).filter(Admission.resident_id == rid).scalar()
        d = Discharge(
            org_id=org_id,
            resident_id=rid,
            admission_id=admission_id,
            house_id=where.house_id,
            discharged_at=at,
            reason=DischargeReason.COMPLETED_PROGRAM,
        )
        d.id = uuid.uuid4()
        d.reason_details = "Completed the program; moving in with a sister"
        s.add(d)
        test = DrugTest(
            id=uuid.uuid4(),
            org_id=org_id,
            resident_id=rid,
            test_type=DrugTestType.URINE,
            result=DrugTestResult.POSITIVE,
            collected_at=at - timedelta(days=30),
        )
        test.substances_detected = ["opiates"]
        test.notes = "Positive for opiates after a weekend pass"
        s.add(test)
        f = FileUpload(
            id=uuid.uuid4(),
            org_id=org_id,
            bucket=getattr(files, "bucket", "local"),
            storage_key="",
            content_type="application/pdf",
            size_bytes=len(pdf),
            sha256=digest,
            scan_status=FileScanStatus.CLEAN,
            scanned_at=at,
            resident_id=rid,
        )
        f.storage_key = f"{org_id}/{f.id}"
        f.original_filename = "quennell_relapse_plan_signed.pdf"
        s.add(f)
        s.flush()
        doc = Document(
            id=uuid.uuid4(),
            org_id=org_id,
            resident_id=rid,
            document_type=DocumentType.RESIDENCY_AGREEMENT,
            status=DocumentStatus.SIGNED,
            title="Residency agreement",
            content_sha256=hashlib.sha256(words.encode()).digest(),
            file_upload_id=f.id,
            retention_until_date=kept_until,
            completed_at=at,
        )
        doc.content = words
        s.add(doc)
        s.flush()
        v = DocumentVersion(
            id=uuid.uuid4(),
            org_id=org_id,
            document_id=doc.id,
            version_no=1,
            content_sha256=doc.content_sha256,
        )
        v.content = words
        v.change_summary = "First draft after the intake interview"
        s.add(v)
        sig = Signature(
            id=uuid.uuid4(),
            org_id=org_id,
            document_id=doc.id,
            signer_resident_id=rid,
            signer_role="resident",
            status=SignatureStatus.SIGNED,
            signed_at=at,
            signed_content_sha256=doc.content_sha256,
        )
        sig.signer_name = "Marisol Quennell-Ibarra"
        sig.typed_signature = "Marisol Quennell-Ibarra"
        s.add(sig)
        s.flush()
        former = Former(rid, doc.id, v.id, sig.id, test.id, f.id, f.storage_key)
    files.put(former.storage_key, pdf, "application/pdf")
    return former
