"""The resident's payment page over real HTTP: a signed, expiring link that shows the amount
due and the house name, pays through a PaymentIntent against localstripe, and answers a
tampered, expired or already-paid link with a clear page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx

from core.db import tenant_session
from models.enums import UserRole
from services import billing
from tests.billing.test_api import SPECIALIST, _billed_org
from tests.factories import OrgFactory


def _link(http: httpx.Client, invoice_id: object) -> str:
    got = http.get(f"/v1/billing/invoices/{invoice_id}")
    assert got.status_code == 200, got.text
    link = got.json()["payment_link"]
    assert link and "/v1/billing/pay/" in link
    return str(link)


def test_a_resident_pays_an_invoice_from_its_link(stack: str, localstripe: str, orgs: OrgFactory) -> None:
    org, _rid, inv = _billed_org(orgs, stack)
    with httpx.Client(base_url=stack, headers=org.headers(SPECIALIST), timeout=60) as staff:
        link = _link(staff, inv)
    with httpx.Client(timeout=60) as resident:  # no credentials: the link is the credential
        page = resident.get(link)
        assert page.status_code == 200
        assert page.headers["cache-control"] == "no-store"
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
        assert 'name="viewport"' in page.text
        assert "Maple House" in page.text and "$900.00" in page.text
        for clinical in ("treatment", "recovery", "program", "substance", "diagnos"):
            assert clinical not in page.text.lower()
        attempt = re.search(r'name="attempt" value="([0-9a-f-]+)"', page.text)
        assert attempt is not None
        form = {"attempt": attempt.group(1), "payment_method": "pm_card_visa"}
        paid = resident.post(link, data=form)
        assert paid.status_code == 200, paid.text
        assert "Thank you" in paid.text
        # The same form sent twice is one attempt, and the invoice now owes nothing.
        again = resident.post(link, data=form)
        assert "Thank you" in again.text or "nothing to pay" in again.text
        after = resident.get(link)
        assert after.status_code == 200 and "nothing to pay" in after.text
    with tenant_session(org.org_id, actor_type="test") as s:
        assert billing.invoice_outstanding(s, inv) == 0
        assert billing.trial_balance(s) == 0


def test_a_tampered_or_expired_link_gets_a_clear_page(stack: str, orgs: OrgFactory) -> None:
    org, _rid, inv = _billed_org(orgs, stack)
    with httpx.Client(base_url=stack, headers=org.headers(SPECIALIST), timeout=30) as staff:
        link = _link(staff, inv)
    base, token = link.rsplit("/", 1)
    org_hex, inv_hex, exp, mac = token.split(".")
    expired = billing.payment_link_token(org.org_id, inv, datetime.now(UTC) - timedelta(days=30))
    with httpx.Client(timeout=30) as resident:
        for bad in (
            f"{org_hex}.{inv_hex}.{int(exp) + 86_400}.{mac}",
            f"{token}x",
            "nonsense",
            f"{token[:-4]}AAAA",
        ):
            r = resident.get(f"{base}/{bad}")
            assert r.status_code == 400 and "not valid" in r.text, bad
            assert r.headers["cache-control"] == "no-store"
        r = resident.get(f"{base}/{expired}")
        assert r.status_code == 410 and "expired" in r.text
        assert resident.post(f"{base}/{expired}", data={"attempt": "x"}).status_code == 410
        assert (
            resident.post(link, data={"attempt": "not-a-uuid", "payment_method": "pm_x"}).status_code == 400
        )


def test_the_house_manager_cannot_read_invoices_but_a_link_needs_no_login(
    stack: str, orgs: OrgFactory
) -> None:
    org, _rid, inv = _billed_org(orgs, stack)
    with httpx.Client(base_url=stack, headers=org.headers(UserRole.HOUSE_MANAGER), timeout=30) as http:
        assert http.get(f"/v1/billing/invoices/{inv}").status_code == 403
