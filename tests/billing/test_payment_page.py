"""The resident's payment page over real HTTP: a signed, expiring link that shows the amount
due and the house name, pays through a PaymentIntent against localstripe (the card form, and
the Stripe.js path with the browser's part played through the SDK), and answers a tampered,
expired or already-paid link, a malformed form or a declined card with a clear page."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import func, select

from core.db import tenant_session
from core.enums import InvoiceStatus, PaymentStatus, UserRole
from core.stripe_gateway import StripeGateway
from models.payments import LedgerEntry, Payment
from services.billing import accounts, invoices, links
from tests.billing.test_api import SPECIALIST, _billed_org
from tests.factories import OrgFactory, SampleOrg


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
        assert accounts.invoice_outstanding(s, inv) == 0
        assert accounts.trial_balance(s) == 0


def test_a_tampered_or_expired_link_gets_a_clear_page(stack: str, orgs: OrgFactory) -> None:
    org, _rid, inv = _billed_org(orgs, stack)
    with httpx.Client(base_url=stack, headers=org.headers(SPECIALIST), timeout=30) as staff:
        link = _link(staff, inv)
    base, token = link.rsplit("/", 1)
    org_hex, inv_hex, exp, mac = token.split(".")
    expired = links.payment_link_token(org.org_id, inv, datetime.now(UTC) - timedelta(days=30))
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


def _billed_link(orgs: OrgFactory, stack: str) -> tuple[SampleOrg, uuid.UUID, str]:
    """An org with November's rent invoiced, and that invoice's payment link as staff see it."""
    org, _rid, inv = _billed_org(orgs, stack)
    with httpx.Client(base_url=stack, headers=org.headers(SPECIALIST), timeout=60) as staff:
        return org, inv, _link(staff, inv)


def _attempt(page: httpx.Response) -> str:
    found = re.search(r'name="attempt" value="([0-9a-f-]+)"', page.text)
    assert found is not None, page.text
    return found.group(1)


def _ledger(org_id: uuid.UUID, inv: uuid.UUID) -> tuple[int, int, int, InvoiceStatus]:
    """Payments posted against the invoice, its outstanding cents, the trial balance, its status."""
    with tenant_session(org_id, actor_type="test") as s:
        posted = s.scalar(
            select(func.count(func.distinct(LedgerEntry.journal_id))).where(
                LedgerEntry.invoice_id == inv, LedgerEntry.payment_id.is_not(None)
            )
        )
        return (
            int(posted or 0),
            accounts.invoice_outstanding(s, inv),
            accounts.trial_balance(s),
            invoices.get_invoice(s, inv).status,
        )


CARD = {"card_number": "4242 4242 4242 4242", "card_exp": "12 / 34", "card_cvc": "123"}


def test_the_card_form_pays_with_stripes_test_card_through_the_server(
    stack: str, localstripe: str, orgs: OrgFactory
) -> None:
    org, inv, link = _billed_link(orgs, stack)
    with httpx.Client(timeout=60) as resident:
        page = resident.get(link)
        for field in ('name="card_number"', 'autocomplete="cc-number"', 'name="card_exp"', 'name="card_cvc"'):
            assert field in page.text
        paid = resident.post(link, data={"attempt": _attempt(page), **CARD})
        assert paid.status_code == 200, paid.text
        assert 'id="receipt"' in paid.text and "$900.00" in paid.text
    assert _ledger(org.org_id, inv) == (1, 0, 0, InvoiceStatus.PAID)


def test_a_declined_card_is_not_charged_and_the_invoice_stays_open(
    stack: str, localstripe: str, orgs: OrgFactory
) -> None:
    org, inv, link = _billed_link(orgs, stack)
    with httpx.Client(timeout=60) as resident:
        attempt = _attempt(resident.get(link))
        declined = resident.post(link, data={"attempt": attempt, **CARD, "card_number": "4000000000000341"})
        assert declined.status_code == 402 and "not charged" in declined.text
        # The page offers a new attempt (a link back to this page's own address), which pays.
        assert 'id="try-again" href=""' in declined.text
        retry = resident.post(link, data={"attempt": _attempt(resident.get(link)), **CARD})
        assert retry.status_code == 200 and 'id="receipt"' in retry.text
    with tenant_session(org.org_id, actor_type="test") as s:
        assert s.get(Payment, uuid.UUID(attempt)).status is PaymentStatus.FAILED  # type: ignore[union-attr]
    assert _ledger(org.org_id, inv) == (1, 0, 0, InvoiceStatus.PAID)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("card_number", "4242", "Check the card number"),
        ("card_number", "4242 4242 4242 424x", "Check the card number"),
        ("card_exp", "13/30", "Check the expiry date"),
        ("card_exp", "", "Check the expiry date"),
        ("card_exp", "01/20", "expiry date has passed"),
        ("card_cvc", "12", "Check the CVC"),
        ("attempt", "not-a-uuid", "missing its payment attempt"),
    ],
)
def test_a_malformed_card_form_names_what_to_fix_and_starts_no_payment(
    stack: str, orgs: OrgFactory, field: str, value: str, message: str
) -> None:
    org, inv, link = _billed_link(orgs, stack)
    with httpx.Client(timeout=60) as resident:
        form = {"attempt": _attempt(resident.get(link)), **CARD, field: value}
        r = resident.post(link, data=form)
        assert r.status_code == 400 and message in r.text
        assert "Traceback" not in r.text
    with tenant_session(org.org_id, actor_type="test") as s:
        assert s.scalar(select(func.count()).select_from(Payment)) == 0
    assert _ledger(org.org_id, inv) == (0, 90_000, 0, InvoiceStatus.OPEN)


def test_without_a_publishable_key_the_page_loads_no_script_and_allows_none(
    stack: str, orgs: OrgFactory
) -> None:
    _org, _inv, link = _billed_link(orgs, stack)
    page = httpx.get(link, timeout=60)
    csp = page.headers["content-security-policy"]
    assert "<script" not in page.text and "js.stripe.com" not in page.text
    assert "default-src 'none'" in csp and "script-src" not in csp and "stripe.com" not in csp


def test_with_a_publishable_key_the_browser_confirms_the_intent_the_server_created(
    stack: str, localstripe: str, orgs: OrgFactory, stripe_js: StripeGateway
) -> None:
    org, inv, link = _billed_link(orgs, stack)
    with httpx.Client(timeout=60) as resident:
        page = resident.get(link)
        csp = page.headers["content-security-policy"]
        assert "script-src 'self' https://js.stripe.com;" in csp
        assert "frame-src https://js.stripe.com https://hooks.stripe.com;" in csp
        assert '<script src="https://js.stripe.com/v3/"></script>' in page.text
        assert 'data-key="pk_test_recoveryos"' in page.text and 'name="card_number"' not in page.text
        assert resident.get(link.rsplit("/", 1)[0] + "/assets/pay.js").text.count("confirmCardPayment") == 1
        attempt = _attempt(page)
        # Card numbers never come to us on this path: the server refuses them.
        refused = resident.post(link, data={"attempt": str(uuid.uuid4()), **CARD})
        assert refused.status_code == 400 and "secure card field" in refused.text
        intent = resident.post(f"{link}/intent", data={"attempt": attempt})
        assert intent.status_code == 200, intent.text
        secret = intent.json()["client_secret"]
        assert re.match(r"^pi_\w+_secret_\w+$", secret)
        # Asked again (a double click), the same attempt has the same intent.
        assert resident.post(f"{link}/intent", data={"attempt": attempt}).json()["client_secret"] == secret
        # What Stripe.js does in the browser with the secret: confirm the intent with the card.
        intent_id = secret.split("_secret_")[0]
        assert stripe_js.confirm_intent(intent_id, "pm_card_visa", f"browser:{attempt}").status == "succeeded"
        done = resident.post(f"{link}/return", data={"attempt": attempt})
        assert done.status_code == 200 and 'id="receipt"' in done.text and "$900.00" in done.text
        again = resident.post(f"{link}/return", data={"attempt": attempt})
        assert again.status_code == 200 and 'id="receipt"' in again.text
        assert "nothing to pay" in resident.get(link).text
    with tenant_session(org.org_id, actor_type="test") as s:
        payment = s.get(Payment, uuid.UUID(attempt))
        assert payment is not None and payment.stripe_payment_intent_id == intent_id
    assert _ledger(org.org_id, inv) == (1, 0, 0, InvoiceStatus.PAID)


def test_a_return_naming_another_invoices_attempt_or_none_changes_nothing(
    stack: str, localstripe: str, orgs: OrgFactory, stripe_js: StripeGateway
) -> None:
    org, inv, link = _billed_link(orgs, stack)
    _other_org, _other, other_link = _billed_link(orgs, stack)
    with httpx.Client(timeout=60) as resident:
        theirs = _attempt(resident.get(other_link))
        assert resident.post(f"{other_link}/intent", data={"attempt": theirs}).status_code == 200
        for attempt in (theirs, str(uuid.uuid4()), "x"):
            r = resident.post(f"{link}/return", data={"attempt": attempt})
            assert r.status_code == 400 and "not for this invoice" in r.text
        assert resident.post(f"{link}/intent", data={"attempt": "x"}).status_code == 400
    assert _ledger(org.org_id, inv) == (0, 90_000, 0, InvoiceStatus.OPEN)
