"""The messaging world with money and paper: rent invoiced to house A's residents and part of
the first one's paid in cash, a residency agreement sent to them to sign, a conversation from
their case manager and an announcement to their house. Built over the staff API where the
product does it that way (rates, payments, documents, messages), through services otherwise."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

import httpx

from core.db import tenant_session
from core.enums import AnnouncementAudience, ChoreStatus, UserRole
from models.operations import ChoreAssignment
from models.orgs import Organization
from services import messaging
from services.billing import invoices, rent
from services.operations import chores, curfew
from tests.documents.factories import template_id
from tests.factories import OrgFactory
from tests.messaging.world import STAFF, World, build_world
from tests.operations.builders import meeting_rules

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
    house_rules(w)
    return Pages(w, uuid.UUID(conv.json()["id"]), notice_id, uuid.UUID(doc_id), invoice_id)


# This week's chores of the first resident of house A: (name, weekday).
CHORES = (("Kitchen deep clean", 2), ("Porch sweep", 6))


def house_rules(w: World) -> None:
    """House A's week: two chores assigned to the first resident this week (the rotation runs
    on Mondays for who lived there then; these residents moved in today), the seed's meeting
    requirements (three outside meetings a week in the first 90 days, the weekly house meeting)
    and an org-wide curfew at 11 pm."""
    week = chores.week_of(datetime.now(UTC).date())
    with tenant_session(w.org.org_id, actor_type="test") as s:
        # The house services count a stay by UTC days (meetings.house_on) while a resident's
        # "today" is the org's: an org on UTC keeps a resident who moved in tonight from being
        # refused their own first day, whatever hour the tests run.
        org = s.get(Organization, w.org.org_id)
        assert org is not None
        org.timezone = "UTC"
        for name, day in CHORES:
            t = chores.add_template(s, w.a.house_id, chores.NewTemplate(name, default_points=2))
            c = chores.add_chore(s, w.a.house_id, t.id, day)
            due = chores.due_date(week, day)
            s.add(
                ChoreAssignment(
                    id=chores.assignment_id(c.id, w.a.active, due),
                    org_id=w.org.org_id,
                    chore_id=c.id,
                    resident_id=w.a.active,
                    due_date=due,
                    status=ChoreStatus.ASSIGNED,
                )
            )
        curfew.add_config(
            s, curfew.NewConfig(None, "Everyone", 0, time(23), time(23, 59), 15, week - timedelta(days=30))
        )
    meeting_rules(w.org.org_id, w.a.house_id, week - timedelta(days=30))
