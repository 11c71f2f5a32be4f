"""The pages a resident (or an operator on a phone) uses pass axe-core with no serious or
critical violation at 390 px, and fit the screen: sign-in, the signing page, the payment page.
(The signed-in resident pages: tests/resident_pages/test_browser.py.)
axe-core comes bundled in the axe-playwright-python wheel: nothing is fetched."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.billing.test_payment_page import _billed_link
from tests.browser import chromium, phone
from tests.factories import OrgFactory
from tests.signing.flows import STAFF, send_for_signature

browser = pytest.fixture(scope="module", name="browser")(chromium)
PHONE = phone(390, 844)


def _check(browser: Any, url: str) -> None:
    context = browser.new_context(**PHONE)
    page = context.new_page()
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, url
    violations = Axe().run(page).response["violations"]
    bad = [(v["id"], v["impact"]) for v in violations if v["impact"] in ("serious", "critical")]
    assert bad == [], (url, bad)
    context.close()


def test_the_resident_pages_pass_axe_at_phone_size(
    stack: str, localstripe: str, orgs: OrgFactory, browser: Any
) -> None:
    _check(browser, f"{stack}/login")
    _check(browser, f"{stack}/me/sign-in")
    org = orgs.create((STAFF,))
    with httpx.Client(base_url=stack, headers=org.headers(STAFF), timeout=60) as http:
        _doc, path = send_for_signature(http, org)
    _check(browser, stack + path)
    _org, _inv, link = _billed_link(orgs, stack)
    _check(browser, link)
