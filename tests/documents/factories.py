"""Residents and documents for the documents and signing tests, written through the services."""

from __future__ import annotations

import uuid
from datetime import date

from core.db import tenant_session
from models.documents import DocumentTemplate
from models.residents import Resident
from services import documents


def make_resident(org_id: uuid.UUID, first: str = "Rosalind", last: str = "Achterberg") -> uuid.UUID:
    with tenant_session(org_id, actor_type="test") as s:
        r = Resident(org_id=org_id, first_name=first, last_name=last, email=f"{first.lower()}@example.test")
        s.add(r)
        s.flush()
        return r.id


def template_id(org_id: uuid.UUID, name: str = "Residency agreement") -> uuid.UUID:
    with tenant_session(org_id, actor_type="test") as s:
        documents.ensure_defaults(s)
        t = next(t for t in documents.active_templates(s) if t.name == name)
        assert isinstance(t, DocumentTemplate)
        return t.id


def make_document(
    org_id: uuid.UUID,
    resident_id: uuid.UUID,
    name: str = "Residency agreement",
    user_id: uuid.UUID | None = None,
) -> uuid.UUID:
    tid = template_id(org_id, name)
    doc_id = uuid.uuid4()
    with tenant_session(org_id, user_id, actor_type="test") as s:
        documents.create_from_template(s, doc_id, tid, resident_id, date(2026, 11, 25), user_id)
    return doc_id
