"""The payment page end to end in headless Chromium (Debian's /usr/bin/chromium driven by
Playwright) against the real API under uvicorn, the worker and localstripe: a resident opens a
real invoice's link, types Stripe's test card 4242 4242 4242 4242 and sees the receipt; the
invoice is paid, the payment posted once, the trial balance zero. Also at a phone's width
(375 px), a newcomer paying the link `recoveryos seed` prints, the Stripe.js path under the
page's CSP (a stand-in for Stripe.js, Stripe's API routed to localstripe), and the pages for a
tampered link and an already-paid one.

Screenshots land in `<pytest basetemp>/payment-screenshots/` (their paths are printed; run with
-s to see them; pytest keeps the last three basetemps, e.g. /tmp/pytest-of-$USER/pytest-current/).
"""

from __future__ import annotations

import os
import random
import re
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from core.db import tenant_session
from core.enums import InvoiceStatus, PaymentStatus
from core.stripe_gateway import StripeGateway
from models.payments import LedgerEntry, Payment
from services.billing import accounts, invoices, links
from tests.billing.test_api import SPECIALIST, _billed_org
from tests.browser import chromium, phone, screenshot_dir
from tests.factories import OrgFactory

STRIPE_KEY = os.environ["RECOVERYOS_STRIPE_API_KEY"]
PHONE = phone(375, 740)
browser = pytest.fixture(scope="module", name="browser")(chromium)


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return screenshot_dir(tmp_path_factory, "payment-screenshots")


def _shot(page: Any, path: Path) -> None:
    page.screenshot(path=path, full_page=True)
    assert path.stat().st_size > 0
    print(f"\npayment page screenshot: {path}")


def _invoice_link(stack: str, orgs: OrgFactory) -> tuple[uuid.UUID, uuid.UUID, str]:
    org, _rid, inv = _billed_org(orgs, stack)
    with httpx.Client(base_url=stack, headers=org.headers(SPECIALIST), timeout=60) as staff:
        got = staff.get(f"/v1/billing/invoices/{inv}")
        assert got.status_code == 200, got.text
        return org.org_id, inv, str(got.json()["payment_link"])


def _pay_in_browser(
    page: Any, link: str, shots: Path, prefix: str, house: str = "Maple House", due: str = "$900.00"
) -> None:
    response = page.goto(link)
    assert response is not None and response.status == 200
    assert page.locator("h1").inner_text() == house
    assert page.locator(".amount").inner_text() == due
    _shot(page, shots / f"{prefix}-1-invoice.png")
    page.fill("#card_number", "4242 4242 4242 4242")
    page.fill("#card_exp", "12/34")
    page.fill("#card_cvc", "123")
    _shot(page, shots / f"{prefix}-2-card.png")
    page.click("#pay-button")
    page.wait_for_selector("#receipt", timeout=60_000)
    assert f"We received {due}" in page.locator("main").inner_text()
    _shot(page, shots / f"{prefix}-3-receipt.png")


def _settled(org_id: uuid.UUID, inv: uuid.UUID) -> tuple[InvoiceStatus, int, int, int, list[PaymentStatus]]:
    with tenant_session(org_id, actor_type="test") as s:
        journals = s.scalar(
            select(func.count(func.distinct(LedgerEntry.journal_id))).where(
                LedgerEntry.invoice_id == inv, LedgerEntry.payment_id.is_not(None)
            )
        )
        payments = list(s.scalars(select(Payment.status).where(Payment.invoice_id == inv)))
        return (
            invoices.get_invoice(s, inv).status,
            accounts.invoice_outstanding(s, inv),
            int(journals or 0),
            accounts.trial_balance(s),
            payments,
        )


def test_a_resident_pays_with_the_test_card_in_the_browser_and_the_ledger_posts_once(
    stack: str, localstripe: str, orgs: OrgFactory, browser: Any, screenshots: Path
) -> None:
    org_id, inv, link = _invoice_link(stack, orgs)
    context = browser.new_context()
    page = context.new_page()
    _pay_in_browser(page, link, screenshots, "desktop")
    # Back to the link afterwards: nothing left to pay.
    page.goto(link)
    assert page.locator("h1").inner_text().endswith("is paid")
    _shot(page, screenshots / "desktop-4-paid-link.png")
    assert context.cookies() == []  # the link authorises; nothing is remembered
    context.close()
    assert _settled(org_id, inv) == (InvoiceStatus.PAID, 0, 1, 0, [PaymentStatus.SUCCEEDED])


def test_a_phone_375_px_wide_shows_the_whole_page_and_pays(
    stack: str, localstripe: str, orgs: OrgFactory, browser: Any, screenshots: Path
) -> None:
    org_id, inv, link = _invoice_link(stack, orgs)
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(link)
    # Mobile-first: nothing wider than the screen, no sideways scrolling, a thumb-sized button.
    for selector in ("main", "#card_number", "#card_cvc", "#pay-button"):
        box = page.locator(selector).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375, selector
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    button = page.locator("#pay-button").bounding_box()
    assert button is not None and button["height"] >= 44
    _pay_in_browser(page, link, screenshots, "phone-375")
    context.close()
    assert _settled(org_id, inv) == (InvoiceStatus.PAID, 0, 1, 0, [PaymentStatus.SUCCEEDED])


def test_a_tampered_link_shows_a_clear_page_in_the_browser(
    stack: str, orgs: OrgFactory, browser: Any, screenshots: Path
) -> None:
    _org_id, _inv, link = _invoice_link(stack, orgs)
    base, token = link.rsplit("/", 1)
    tampered = token[:-6] + ("AAAAAA" if not token.endswith("AAAAAA") else "BBBBBB")
    context = browser.new_context(**PHONE)
    page = context.new_page()
    response = page.goto(f"{base}/{tampered}")
    assert response is not None and response.status == 400
    assert page.locator("h1").inner_text() == "This payment link is not valid"
    assert "Traceback" not in page.content()
    _shot(page, screenshots / "phone-375-tampered-link.png")
    context.close()


def test_a_newcomer_pays_the_link_recoveryos_seed_prints(
    stack: str, localstripe: str, browser: Any, screenshots: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from cli.seed import seed
    from seed import demo_org_id

    seed_value = random.randint(10**6, 10**9)
    assert seed(scale=1, seed_value=seed_value) == 0
    printed = re.search(r"payment link \(open invoice ([0-9a-f-]+)\):\s+(\S+)", capsys.readouterr().out)
    assert printed is not None
    inv, link = uuid.UUID(printed.group(1)), printed.group(2)
    org_id = demo_org_id(seed_value)
    with tenant_session(org_id, actor_type="test") as s:
        shown = links.pay_page(s, inv)
        before = s.scalar(select(func.count()).select_from(Payment).where(Payment.invoice_id == inv)) or 0
    assert shown.amount_due_cents > 0 and shown.house_name
    due = f"${shown.amount_due_cents // 100:,}.{shown.amount_due_cents % 100:02d}"
    # The link names the configured public URL; this test's API listens elsewhere.
    local = stack + "/v1/billing/pay/" + link.rsplit("/", 1)[1]
    context = browser.new_context(**PHONE)
    _pay_in_browser(context.new_page(), local, screenshots, "seeded", shown.house_name, due)
    context.close()
    status, outstanding, _journals, balance, payments = _settled(org_id, inv)
    assert (status, outstanding, balance) == (InvoiceStatus.PAID, 0, 0)
    assert len(payments) == before + 1


def test_with_stripe_js_the_browser_confirms_the_intent_under_the_pages_csp(
    stack: str,
    localstripe: str,
    orgs: OrgFactory,
    browser: Any,
    screenshots: Path,
    stripe_js: StripeGateway,
) -> None:
    """Stripe.js itself cannot run here (no network, no real key): a stand-in is served at
    https://js.stripe.com/v3/ and Stripe's API at https://api.stripe.com goes to localstripe, so
    the page's own script, its CSP and the server's intent and return endpoints run for real."""
    org_id, inv, link = _invoice_link(stack, orgs)
    fake = (Path(__file__).parent / "static" / "fake_stripe.js").read_text()
    context = browser.new_context(**PHONE)

    def to_localstripe(route: Any) -> None:
        path = route.request.url.removeprefix("https://api.stripe.com")
        headers = {
            "Authorization": f"Bearer {STRIPE_KEY}",
            "Content-Type": "application/x-www-form-urlencoded",
        }
        got = route.fetch(url=localstripe + path, headers=headers)
        route.fulfill(response=got, headers={**got.headers, "Access-Control-Allow-Origin": "*"})

    context.route("https://js.stripe.com/v3/", lambda r: r.fulfill(body=fake, content_type="text/javascript"))
    context.route("https://api.stripe.com/**", to_localstripe)
    blocked: list[str] = []
    page = context.new_page()
    page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
    response = page.goto(link)
    assert response is not None and "https://js.stripe.com" in response.headers["content-security-policy"]
    page.wait_for_selector("#stripe-card")  # the card element mounted: both scripts ran
    _shot(page, screenshots / "stripe-js-1-invoice.png")
    page.fill("#stripe-card", "4242 4242 4242 4242")
    page.click("#pay-button")
    page.wait_for_selector("#receipt", timeout=60_000)
    _shot(page, screenshots / "stripe-js-2-receipt.png")
    context.close()
    assert blocked == []
    assert _settled(org_id, inv) == (InvoiceStatus.PAID, 0, 1, 0, [PaymentStatus.SUCCEEDED])
