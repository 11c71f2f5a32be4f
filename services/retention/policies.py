"""Retention policies per record type, each with its legal basis. An operator may keep records
longer than the law asks, never shorter: a policy below its floor is refused naming
`retain_years`, and nothing is written."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit
from core.contracts.retention import (
    DEFAULT_YEARS,
    FLOORS,
    RESIDENT_DEFAULT_BASIS,
    RecordType,
    floor_of,
)
from core.enums import AuditAction, DocumentType
from core.errors import Rejected
from models.documents import RetentionPolicy

ENTITY = "retention_policy"


def _org(session: Session) -> uuid.UUID:
    org_id: uuid.UUID = session.info["actor"]["org_id"]
    return org_id


def _live(record_type: RecordType, document_type: DocumentType | None = None) -> object:
    q = select(RetentionPolicy).where(
        RetentionPolicy.record_type == record_type.value, RetentionPolicy.deleted_at.is_(None)
    )
    if document_type is not None:
        q = q.where(RetentionPolicy.document_type == document_type)
    return q


def ensure_defaults(session: Session) -> None:
    """The policy of each record type other than documents (whose policies services/documents
    installs per document type), each once."""
    for rt, floor in FLOORS.items():
        if session.scalar(_live(rt)) is None:  # type: ignore[call-overload]
            years = DEFAULT_YEARS.get(rt, floor.years)
            basis = RESIDENT_DEFAULT_BASIS if rt is RecordType.RESIDENT else floor.basis
            session.add(
                RetentionPolicy(
                    org_id=_org(session),
                    record_type=rt.value,
                    document_type=None,
                    retain_years=years,
                    retain_from=floor.retain_from,
                    legal_basis=basis,
                )
            )
    session.flush()


def years_for(session: Session, record_type: RecordType) -> int:
    """The org's period for a record type; the default when it has set none."""
    row = session.scalar(_live(record_type))  # type: ignore[call-overload]
    if row is not None and row.is_active:
        years: int = row.retain_years
        return years
    floor = FLOORS[record_type]
    return DEFAULT_YEARS.get(record_type, floor.years)


@dataclass(frozen=True)
class PolicyView:
    record_type: RecordType
    document_type: DocumentType | None
    retain_years: int
    retain_from: str
    legal_basis: str
    floor_years: int
    floor_basis: str


def policies(session: Session) -> list[PolicyView]:
    ensure_defaults(session)
    rows = session.scalars(
        select(RetentionPolicy)
        .where(RetentionPolicy.deleted_at.is_(None), RetentionPolicy.is_active)
        .order_by(RetentionPolicy.record_type, RetentionPolicy.document_type)
    )
    out = []
    for r in rows:
        rt = RecordType(r.record_type)
        floor = floor_of(rt, r.document_type)
        out.append(
            PolicyView(
                rt, r.document_type, r.retain_years, r.retain_from, r.legal_basis, floor.years, floor.basis
            )
        )
    return out


def set_policy(
    session: Session,
    record_type: RecordType,
    retain_years: int,
    legal_basis: str | None,
    document_type: DocumentType | None = None,
) -> PolicyView:
    """Keep a record type (one document type, for documents) `retain_years`; never below its
    legal floor. The audit row names the old and the new period."""
    if record_type is RecordType.DOCUMENT and document_type is None:
        raise Rejected("a document policy names its document_type", field="document_type")
    if record_type is not RecordType.DOCUMENT and document_type is not None:
        raise Rejected("only a document policy names a document_type", field="document_type")
    floor = floor_of(record_type, document_type)
    if retain_years < floor.years:
        raise Rejected(
            f"{record_type.value} records are kept at least {floor.years} years ({floor.basis})",
            field="retain_years",
        )
    ensure_defaults(session)
    row = session.scalar(_live(record_type, document_type))  # type: ignore[call-overload]
    if row is None:
        row = RetentionPolicy(
            org_id=_org(session),
            record_type=record_type.value,
            document_type=document_type,
            retain_years=retain_years,
            retain_from=floor.retain_from,
            legal_basis=legal_basis or floor.basis,
        )
        session.add(row)
        before = None
    else:
        before = row.retain_years
        row.retain_years = retain_years
        if legal_basis:
            row.legal_basis = legal_basis
    session.flush()
    audit.record(
        session,
        AuditAction.UPDATE,
        ENTITY,
        row.id,
        {"record_type": record_type.value, "from_years": before, "to_years": retain_years},
    )
    return PolicyView(
        record_type,
        document_type,
        row.retain_years,
        row.retain_from,
        row.legal_basis,
        floor.years,
        floor.basis,
    )
