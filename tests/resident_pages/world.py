"""The messaging world with money and paper: rent invoiced to house A's residents and part of
the first one's paid in cash, a residency agreement sent to them to sign, a conversation from
their case manager and an announcement to their house. Built over the staff API where the
product does it that way (rates, payments, documents, messages), through services otherwise."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from core.db import tenant_session
from core.enums import AnnouncementAudience, UserRole
from services import messaging
from services.billing import invoices, rent
from tests.documents.factories import template_id
from tests.factories import OrgFactory
from tests.messaging.world import STAFF, World, build_world

BILLING = UserRole.BILLING_SPECIALIST


@dataclass(frozen=True)
class Pages:
    world: World
    conversation_id: uuid.UUID
    announcement_id: uuid.UUID
    document_id: uuid.UUID
    invoice_id: uuid.UUID


def build_pages(stack: str, orgs: OrgFactory) -> Pages:
    w = build_world(orgs, (STAFF, BILLING))
    rate = {
        "name": "Standard rent",
        "amount_cents": 90_000,
        "billing_frequency": "monthly",
        "effective_from": "2026-01-01",
        "house_id": str(w.a.house_id),
    }
    with httpx.Client(base_url=stack, headers=w.org.headers(BILLING), timeout=60) as http:
        assert http.post("/v1/billing/rates", json=rate).status_code == 201
        with tenant_session(w.org.org_id, actor_type="test") as s:
            rent.issue_rent_batch(s, datetime.now(UTC).date(), None, 50)
        with tenant_session(w.org.org_id, actor_type="test") as s:
            invoice_id = invoices.open_invoices(s, w.a.active)[0].id
        paid = http.post(
            "/v1/billing/payments",
            json={
                "resident_id": str(w.a.active),
                "invoice_id": str(invoice_id),
                "amount_cents": 25_000,
                "method": "cash",
            },
        )
        assert paid.status_code == 201, paid.text
    with httpx.Client(base_url=stack, headers=w.staff, timeout=60) as http:
        doc = http.post(
            "/v1/documents",
            json={"template_id": str(template_id(w.org.org_id)), "resident_id": str(w.a.active)},
        )
        assert doc.status_code == 201, doc.text
        doc_id = doc.json()["id"]
        sent = http.post(
            f"/v1/documents/{doc_id}/signature-request",
            json={"signers": [{"role": "resident", "resident_id": str(w.a.active)}]},
            headers={"Idempotency-Key": f"send-{doc_id}"},
        )
        assert sent.status_code == 201, sent.text
        assert http.get(f"/v1/documents/{doc_id}/signature-request/link").status_code == 200
        conv = http.post(
            "/v1/conversations",
            json={
                "member_user_ids": [str(w.resident.user_id)],
                "subject": "Your court letter",
                "body": "Your letter for the judge is ready. Can you come by today?",
            },
        )
        assert conv.status_code == 201, conv.text
    with tenant_session(w.org.org_id, w.manager_a.user_id, actor_type="test") as s:
        notice = messaging.announce(
            s,
            w.manager_a.user_id,
            AnnouncementAudience.HOUSE,
            "Fire drill Wednesday",
            "We practise the fire drill on Wednesday at 7 in the evening.",
            house_id=w.a.house_id,
        )
        notice_id = notice.id
    return Pages(w, uuid.UUID(conv.json()["id"]), notice_id, uuid.UUID(doc_id), invoice_id)
