"""Every resource of another house reachable by id is a 404 for a house-scoped caller.

The routes are walked from the application itself, so a new route with an id in its path joins
on its own (and fails here until its id is known to `_ids`). Each GET is asked twice by the
same caller: with house A's ids (theirs) and with house B's. Whatever answers for A with a 200
must answer 404 for B: the difference is the scope, nothing else. Writes on B's ids never
succeed and never start a process.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from core.db import tenant_session
from core.enums import AnnouncementAudience, UserRole
from models.orgs import Bed
from services import messaging
from services.billing import accounts, invoices, payers, rent
from tests.consent.flows import recorded_consent
from tests.documents.factories import make_document
from tests.factories import OrgFactory, SampleOrg
from tests.scope.world import Side, add_login, build_side

SPECIALIST = UserRole.BILLING_SPECIALIST
# Path parameters that are not a house's resources: a signed link's token authorises itself,
# and staff identities (sessions, users) and integrations (webhook endpoints, API keys) are
# managed org-wide.
NOT_HOUSE_RESOURCES = {"token", "session_id", "user_id", "webhook_id", "api_key_id"}
# A retention policy's record type ("resident", "document"...) names a kind of record, not one.
NOT_HOUSE_RESOURCES |= {"record_type"}
PARAM = re.compile(r"{(\w+)}")


@dataclass
class House:
    side: Side
    room_id: uuid.UUID
    document_id: uuid.UUID
    invoice_id: uuid.UUID
    payment_id: uuid.UUID
    consent_id: uuid.UUID
    # A conversation with the house's resident, its first message, an announcement to the house.
    conversation_id: uuid.UUID
    message_id: uuid.UUID
    announcement_id: uuid.UUID

    def ids(self) -> dict[str, uuid.UUID]:
        s = self.side
        return {
            "document_id": self.document_id,
            "resident_id": s.active,
            "invoice_id": self.invoice_id,
            "payment_id": self.payment_id,
            "admission_id": s.admissions[0],
            "entry_id": s.entry,
            "lead_id": s.prospect,
            "house_id": s.house_id,
            "property_id": s.property_id,
            "room_id": self.room_id,
            "bed_id": s.beds["1"],
            "consent_id": self.consent_id,
            "conversation_id": self.conversation_id,
            "message_id": self.message_id,
            "announcement_id": self.announcement_id,
            # Reconciliation records belong to no house: an id nobody has, the same for both.
            "record_id": uuid.UUID(int=7),
            # Breach incidents are staff-only (compliance:manage) and name no house.
            "incident_id": uuid.UUID(int=8),
            # Access requests are staff-only (compliance:manage); a request nobody has.
            "request_id": uuid.UUID(int=9),
            # A resident's disclosures and restrictions: ids nobody has, under the resident's path
            # (the resident's scope answers first).
            "disclosure_id": uuid.UUID(int=8),
            "restriction_id": uuid.UUID(int=9),
            "accounting_request_id": uuid.UUID(int=10),
            # Break-glass grants and counseling notes are read by roles no house or property
            # scope holds (compliance:manage, clinical:read): ids nobody has, the same for both.
            "event_id": uuid.UUID(int=8),
            "note_id": uuid.UUID(int=9),
            # Legal holds and retention runs are staff-only (compliance:manage): ids nobody has.
            "hold_id": uuid.UUID(int=11),
            "run_id": uuid.UUID(int=12),
            # House operations' chores and meetings: under the house's path, which the scope
            # answers first (ids nobody has, the same for both).
            "assignment_id": uuid.UUID(int=21),
            "meeting_id": uuid.UUID(int=22),
            "attendance_id": uuid.UUID(int=23),
            "maintenance_id": uuid.UUID(int=24),
            "check_in_id": uuid.UUID(int=25),
            # House safety: ids nobody has, the same for both (tests/operations/test_api.py
            # asks another house's pass and draw of a scoped house manager).
            "pass_id": uuid.UUID(int=31),
            "test_id": uuid.UUID(int=32),
            "draw_id": uuid.UUID(int=33),
        }


@dataclass
class Houses:
    org: SampleOrg
    a: House
    b: House
    house_manager: str
    property_manager: str


def _house(org: SampleOrg, http: httpx.Client, side: Side) -> House:
    rate = {
        "name": "Standard rent",
        "amount_cents": 90_000,
        "billing_frequency": "monthly",
        "effective_from": "2026-01-01",
        "house_id": str(side.house_id),
    }
    assert http.post("/v1/billing/rates", json=rate).status_code == 201
    with tenant_session(org.org_id, actor_type="test") as s:
        rent.issue_rent_batch(s, datetime.now(UTC).date(), None, 10)
    with tenant_session(org.org_id, actor_type="test") as s:
        invoice = invoices.open_invoices(s, side.active)[0]
        room_id = s.scalar(select(Bed.room_id).where(Bed.id == side.beds["1"]))
        assert room_id is not None
    body = {
        "resident_id": str(side.active),
        "invoice_id": str(invoice.id),
        "amount_cents": 100,
        "method": "cash",
    }
    paid = http.post("/v1/billing/payments", json=body)
    assert paid.status_code == 201, paid.text
    document_id = make_document(org.org_id, side.active, "Part 2 consent form")
    consent_id = recorded_consent(org.org_id, side.active)
    resident_user, _ = add_login(org.org_id, UserRole.RESIDENT, resident_id=side.active)
    staff = org.users[SPECIALIST]
    with tenant_session(org.org_id, staff, actor_type="test") as s:
        conv, sent = messaging.start(s, staff, [resident_user], None, "Your statement is ready.")
        notice = messaging.announce(
            s, staff, AnnouncementAudience.HOUSE, "Water off", "9-11", house_id=side.house_id
        )
        talk = (conv.id, sent.message_id, notice.id)
    return House(side, room_id, document_id, invoice.id, uuid.UUID(paid.json()["id"]), consent_id, *talk)


@pytest.fixture(scope="module")
def houses(stack: str, orgs: OrgFactory) -> Houses:
    org = orgs.create((SPECIALIST,))
    a_side, b_side = build_side(org.org_id, "Alder"), build_side(org.org_id, "Beech")
    with httpx.Client(base_url=stack, headers=org.headers(SPECIALIST), timeout=60) as http:
        a, b = _house(org, http, a_side), _house(org, http, b_side)
    _, hm = add_login(org.org_id, UserRole.HOUSE_MANAGER, house_id=a_side.house_id)
    _, pm = add_login(org.org_id, UserRole.PROPERTY_MANAGER, property_id=a_side.property_id)
    return Houses(org, a, b, hm, pm)


def _routes(app: FastAPI) -> list[tuple[str, str]]:
    """Every documented operation with an id of a house's resource in its path."""
    out = []
    for path, operations in app.openapi()["paths"].items():
        params = set(PARAM.findall(path))
        if params and not params & NOT_HOUSE_RESOURCES:
            out += [(method.upper(), path) for method in sorted(operations)]
    assert len(out) > 40
    return out


def _url(path: str, ids: dict[str, uuid.UUID]) -> str:
    missing = set(PARAM.findall(path)) - set(ids)
    assert not missing, f"{path}: no test id for {sorted(missing)} (add it to House.ids)"
    return PARAM.sub(lambda m: str(ids[m.group(1)]), path)


@pytest.mark.parametrize("caller", ["house_manager", "property_manager"])
def test_every_get_with_another_houses_id_is_a_404_where_the_same_callers_own_is_a_200(
    stack: str, api_app: FastAPI, houses: Houses, caller: str
) -> None:
    token = getattr(houses, caller)
    own, other = houses.a.ids(), houses.b.ids()
    answered = []
    with httpx.Client(base_url=stack, headers={"Authorization": f"Bearer {token}"}, timeout=60) as http:
        for method, path in _routes(api_app):
            if method != "GET":
                continue
            mine = http.get(_url(path, own))
            theirs = http.get(_url(path, other))
            assert theirs.status_code < 500, (path, theirs.text)
            if mine.status_code == 200:
                answered.append(path)
                assert theirs.status_code == 404, (path, theirs.status_code, theirs.text[:300])
            else:
                # Refused for the caller's own house too (a permission, or nothing there yet).
                assert theirs.status_code in (mine.status_code, 404), (
                    path,
                    mine.status_code,
                    theirs.status_code,
                )
    # The walk reached the routes the leak was found on, and the money a property manager reads.
    assert "/v1/documents/{document_id}" in answered
    assert "/v1/residents/{resident_id}" in answered
    assert "/v1/residents/{resident_id}/documents" in answered
    if caller == "property_manager":
        for path in (
            "/v1/billing/invoices/{invoice_id}",
            "/v1/billing/payments/{payment_id}",
            "/v1/billing/residents/{resident_id}/payers",
        ):
            assert path in answered, path


def test_no_write_with_another_houses_id_succeeds_or_starts_a_process(
    stack: str, api_app: FastAPI, houses: Houses
) -> None:
    other = houses.b.ids()
    before = _documents_and_payments(houses)
    with httpx.Client(base_url=stack, headers={"Authorization": f"Bearer {houses.property_manager}"}) as http:
        for method, path in _routes(api_app):
            if method == "GET":
                continue
            got = http.request(method, _url(path, other), json={}, timeout=60)
            assert got.status_code in (403, 404, 405, 409, 422), (
                method,
                path,
                got.status_code,
                got.text[:300],
            )
    assert _documents_and_payments(houses) == before


# Path ids whose routes message a workflow: their scope guard is a dependency (api/visible.py).
PROCESS_IDS = {"lead_id", "admission_id"}


@pytest.mark.parametrize("caller", ["house_manager", "property_manager"])
def test_a_process_route_naming_another_houses_id_is_a_404_before_its_body_is_read(
    stack: str, api_app: FastAPI, houses: Houses, caller: str
) -> None:
    """The guard resolves the id before the handler runs, so not even a request with an empty
    body reaches the handler (and so Temporal): 404 naming the id, not a 422 about the body."""
    other = houses.b.ids()
    token = getattr(houses, caller)
    guarded = [(m, p) for m, p in _routes(api_app) if set(PARAM.findall(p)) & PROCESS_IDS]
    assert len(guarded) >= 9
    with httpx.Client(base_url=stack, headers={"Authorization": f"Bearer {token}"}) as http:
        for method, path in guarded:
            got = http.request(method, _url(path, other), json={}, timeout=60)
            field = (set(PARAM.findall(path)) & PROCESS_IDS).pop()
            assert (got.status_code, got.json().get("field")) == (404, field), (method, path, got.text[:300])


def _documents_and_payments(houses: Houses) -> tuple[Any, ...]:
    with tenant_session(houses.org.org_id, actor_type="test") as s:
        doc = invoices.get_invoice(s, houses.b.invoice_id)
        return (
            doc.status,
            accounts.invoice_outstanding(s, houses.b.invoice_id),
            len(payers.payers_of(s, houses.b.side.active)),
        )


def test_payers_of_another_orgs_resident_or_of_nobody_are_a_404(
    stack: str, orgs: OrgFactory, houses: Houses
) -> None:
    stranger = orgs.create((SPECIALIST,))
    with httpx.Client(base_url=stack, headers=stranger.headers(SPECIALIST), timeout=60) as http:
        for resident in (houses.b.side.active, uuid.uuid4()):
            for path in (
                f"/v1/billing/residents/{resident}/payers",
                f"/v1/billing/residents/{resident}/deposit",
            ):
                got = http.get(path)
                assert (got.status_code, got.json().get("field")) == (404, "resident_id"), (path, got.text)
