"""Billing over real HTTP: rates, invoices, staff-recorded payments with receipts, refunds, card
payments through localstripe, and other orgs kept out."""

from __future__ import annotations

import uuid
from datetime import date

import httpx

from core.db import tenant_session
from core.enums import UserRole
from services.billing import invoices, rent
from tests.billing.builders import rated_resident
from tests.factories import OrgFactory, SampleOrg

NOV = date(2026, 11, 1)
SPECIALIST = UserRole.BILLING_SPECIALIST


def _billed_org(orgs: OrgFactory, http_base: str) -> tuple[SampleOrg, uuid.UUID, uuid.UUID]:
    """An org with one resident and November's rent invoice issued; (org, resident, invoice)."""
    org, rid = rated_resident(orgs, http_base, 90_000, "Standard rent")
    with tenant_session(org.org_id, actor_type="test") as s:
        rent.issue_rent_batch(s, NOV, None, 10)
    with tenant_session(org.org_id, actor_type="test") as s:
        (inv,) = invoices.open_invoices(s, rid)
        return org, rid, inv.id


def test_staff_record_a_partial_cash_payment_and_get_a_receipt(stack: str, orgs: OrgFactory) -> None:
    org, rid, inv = _billed_org(orgs, stack)
    with httpx.Client(base_url=stack, headers=org.headers(SPECIALIST), timeout=30) as http:
        body = {"resident_id": str(rid), "invoice_id": str(inv), "amount_cents": 30_000, "method": "cash"}
        paid = http.post("/v1/billing/payments", json=body, headers={"Idempotency-Key": "till-1"})
        assert paid.status_code == 201, paid.text
        assert paid.json()["receipt_number"].startswith("RCPT-")
        assert paid.json()["invoice_status"] == "partially_paid"
        again = http.post("/v1/billing/payments", json=body, headers={"Idempotency-Key": "till-1"})
        assert again.status_code == 200 and again.json()["id"] == paid.json()["id"]
        got = http.get(f"/v1/billing/invoices/{inv}").json()
        assert (got["total_cents"], got["outstanding_cents"], got["status"]) == (
            90_000,
            60_000,
            "partially_paid",
        )
        assert got["lines"][0]["line_type"] == "rent"
        url = f"/v1/billing/payments/{paid.json()['id']}/refunds"
        refund = http.post(url, json={"amount_cents": 10_000}, headers={"Idempotency-Key": "refund-1"})
        assert refund.status_code == 201, refund.text
        replay = http.post(url, json={"amount_cents": 10_000}, headers={"Idempotency-Key": "refund-1"})
        assert replay.status_code == 200 and replay.json()["id"] == refund.json()["id"]
        assert refund.json()["payment_status"] == "partially_refunded"
        assert http.get(f"/v1/billing/invoices/{inv}").json()["outstanding_cents"] == 70_000


def test_bad_billing_input_is_a_4xx_naming_the_field(stack: str, orgs: OrgFactory) -> None:
    org, rid, inv = _billed_org(orgs, stack)
    with httpx.Client(base_url=stack, headers=org.headers(SPECIALIST), timeout=30) as http:
        r = http.post(
            "/v1/billing/payments", json={"resident_id": str(rid), "amount_cents": -5, "method": "cash"}
        )
        assert r.status_code == 422 and "amount_cents" in r.text
        r = http.post(
            "/v1/billing/payments", json={"resident_id": str(rid), "amount_cents": 5, "method": "card"}
        )
        assert r.status_code == 422 and "method" in r.text
        overlap = http.post(
            "/v1/billing/rates",
            json={
                "name": "Second rent",
                "amount_cents": 1,
                "billing_frequency": "weekly",
                "effective_from": "2026-06-01",
                "house_id": str(http.get(f"/v1/billing/invoices/{inv}").json()["house_id"]),
            },
        )
        assert overlap.status_code == 409 and "effective_from" in overlap.text
        assert http.get(f"/v1/billing/invoices/{uuid.uuid4()}").status_code == 404
    with httpx.Client(base_url=stack, headers=org.headers(UserRole.HOUSE_MANAGER), timeout=30) as http:
        assert http.get(f"/v1/billing/invoices/{inv}").status_code == 403


def test_another_org_cannot_see_or_pay_an_invoice(stack: str, orgs: OrgFactory) -> None:
    _a, rid, inv = _billed_org(orgs, stack)
    b = orgs.create((SPECIALIST,))
    with httpx.Client(base_url=stack, headers=b.headers(SPECIALIST), timeout=30) as http:
        assert http.get(f"/v1/billing/invoices/{inv}").status_code == 404
        r = http.post(
            "/v1/billing/payments",
            json={"resident_id": str(rid), "invoice_id": str(inv), "amount_cents": 100, "method": "cash"},
        )
        assert r.status_code == 404


def test_a_card_payment_charges_the_invoice_through_a_payment_intent(
    stack: str, localstripe: str, orgs: OrgFactory
) -> None:
    from core.config import get_settings
    from core.stripe_gateway import StripeGateway

    org, _rid, inv = _billed_org(orgs, stack)
    gateway = StripeGateway.from_settings(get_settings())
    assert gateway is not None
    pm = gateway.test_card_method("4242424242424242", 12, 2030, "123")
    with httpx.Client(base_url=stack, headers=org.headers(SPECIALIST), timeout=60) as http:
        r = http.post("/v1/billing/card-payments", json={"invoice_id": str(inv), "payment_method": pm})
        assert r.status_code == 201, r.text
        assert r.json()["status"] == "succeeded" and r.json()["invoice_status"] == "paid"
        assert gateway.get_intent(r.json()["stripe_payment_intent_id"]).status == "succeeded"
        again = http.post("/v1/billing/card-payments", json={"invoice_id": str(inv), "payment_method": pm})
        assert again.status_code == 422 and "invoice_id" in again.text
        # With an amount named, the paid invoice reaches the attempt, whose first step refuses
        # it: the caller hears why, not that the attempt's run has closed.
        late = {"invoice_id": str(inv), "payment_method": pm, "amount_cents": 100}
        refused = http.post("/v1/billing/card-payments", json=late)
        assert (refused.status_code, refused.json()["field"]) == (409, "invoice_id"), refused.text
        assert refused.json()["detail"] == "the invoice is paid"
