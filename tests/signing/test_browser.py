"""The signing page end to end in headless Chromium (Debian's /usr/bin/chromium driven by
Playwright): a resident and then the house manager as witness sign, the workflow completes;
a phone-sized viewport with a drawn signature; expired, tampered and already-used links.

Screenshots of every step land in `<pytest basetemp>/signing-screenshots/` (printed with -s;
pytest keeps the last three basetemps, e.g. /tmp/pytest-of-$USER/pytest-current/).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from core.db import tenant_session
from models.documents import Signature
from services.signing.links import make_token, read_token
from tests.browser import chromium, phone, screenshot_dir
from tests.factories import OrgFactory
from tests.signing.flows import STAFF, send_for_signature

PHONE = phone(390, 844)
browser = pytest.fixture(scope="module", name="browser")(chromium)


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return screenshot_dir(tmp_path_factory, "signing-screenshots")


def _sign_in_browser(page: Any, url: str, shots: Path, prefix: str, drawn: bool = False) -> None:
    from playwright.sync_api import expect

    page.goto(url)
    assert page.locator("h1").inner_text().startswith("Sign:")
    page.screenshot(path=shots / f"{prefix}-1-consent.png", full_page=True)
    page.check("#esign_consent")
    page.click("#consent-button")
    page.wait_for_selector("#document")
    # The "read it all" box only unlocks at the end of the document.
    assert page.is_disabled("#read_confirmed")
    page.screenshot(path=shots / f"{prefix}-2-document.png", full_page=True)
    page.locator("#document-end").scroll_into_view_if_needed()
    # (A locator assertion, not wait_for_function: the page's CSP rightly forbids eval.)
    expect(page.locator("#read_confirmed")).to_be_enabled()
    page.check("#read_confirmed")
    if drawn:
        page.check("#mode-drawn")
        box = page.locator("#signature-pad").bounding_box()
        assert box is not None
        x, y, w, h = box["x"], box["y"], box["width"], box["height"]
        page.mouse.move(x + w * 0.1, y + h * 0.6)
        page.mouse.down()
        for i in range(1, 20):
            page.mouse.move(x + w * (0.1 + 0.04 * i), y + h * (0.6 - 0.3 * ((i % 4) / 3)))
        page.mouse.up()
    else:
        page.fill("#typed_signature", "Marisol Quintero-Baptiste")
    page.screenshot(path=shots / f"{prefix}-3-adopted.png", full_page=True)
    page.click("#sign-button")
    page.wait_for_selector("#done")
    page.screenshot(path=shots / f"{prefix}-4-signed.png", full_page=True)


def _wait_status(http: httpx.Client, doc_id: str, status: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while True:
        body: dict[str, Any] = http.get(f"/v1/documents/{doc_id}/signature-request").json()
        if body["status"] == status or time.monotonic() > deadline:
            return body
        time.sleep(0.2)


def test_resident_then_witness_sign_in_the_browser_and_the_request_completes(
    stack: str, orgs: OrgFactory, browser: Any, screenshots: Path
) -> None:
    org = orgs.create((STAFF,))
    with httpx.Client(base_url=stack, headers=org.headers(STAFF), timeout=60) as http:
        doc_id, path = send_for_signature(http, org, witness=True)
        context = browser.new_context()
        page = context.new_page()
        _sign_in_browser(page, stack + path, screenshots, "desktop-resident")
        witness = http.get(f"/v1/documents/{doc_id}/signature-request/link").json()
        assert witness["role"] == "house_manager"
        _sign_in_browser(
            page, stack + "/sign/" + witness["url"].rsplit("/", 1)[1], screenshots, "desktop-witness"
        )
        assert context.cookies() == []  # the link authorises; nothing is remembered
        context.close()

        assert _wait_status(http, doc_id, "signed")["status"] == "signed"
        trail = http.get(f"/v1/documents/{doc_id}/certificate").text
        assert trail.count("HeadlessChrome") >= 4  # viewed, consented, signed: each signer
        pdf = http.get(f"/v1/documents/{doc_id}/signed.pdf")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")


def test_a_phone_sized_screen_signs_with_a_drawn_signature(
    stack: str, orgs: OrgFactory, browser: Any, screenshots: Path
) -> None:
    org = orgs.create((STAFF,))
    with httpx.Client(base_url=stack, headers=org.headers(STAFF), timeout=60) as http:
        doc_id, path = send_for_signature(http, org)
        context = browser.new_context(**PHONE)
        page = context.new_page()
        page.goto(stack + path)
        # Mobile-first: nothing wider than the phone's screen.
        width = page.locator("main").bounding_box()
        assert width is not None and width["x"] + width["width"] <= PHONE["viewport"]["width"]
        _sign_in_browser(page, stack + path, screenshots, "phone", drawn=True)
        context.close()
        assert _wait_status(http, doc_id, "signed")["status"] == "signed"
    link = read_token(path.rsplit("/", 1)[1], datetime.now(UTC) - timedelta(days=1))
    with tenant_session(org.org_id, actor_type="test") as s:
        sig = s.scalars(select(Signature).where(Signature.id == link.signature_id)).one()
        assert sig.typed_signature is None
        assert sig.signature_image is not None and sig.signature_image.startswith("data:image/png;base64,")


def test_expired_and_tampered_links_show_why_and_a_used_one_hands_over_the_signed_copy(
    stack: str, orgs: OrgFactory, browser: Any, screenshots: Path
) -> None:
    org = orgs.create((STAFF,))
    with httpx.Client(base_url=stack, headers=org.headers(STAFF), timeout=60) as http:
        _, path = send_for_signature(http, org)
    token = path.rsplit("/", 1)[1]
    link = read_token(token, datetime.now(UTC))
    expired = make_token(
        link.org_id, link.document_id, link.signature_id, datetime.now(UTC) - timedelta(hours=1)
    )
    tampered = token[:40] + ("0" if token[40] != "0" else "1") + token[41:]
    context = browser.new_context(**PHONE)
    page = context.new_page()
    for name, url, heading, status in [
        ("expired", f"/sign/{expired}", "This link has expired", 410),
        ("tampered", f"/sign/{tampered}", "This link is not valid", 400),
    ]:
        response = page.goto(stack + url)
        assert response is not None and response.status == status
        assert page.locator("h1").inner_text() == heading
        page.screenshot(path=screenshots / f"link-{name}.png", full_page=True)

    _sign_in_browser(page, stack + path, screenshots, "single-use")
    # Used: the link now hands the resident their signed copy, and signs nothing more.
    response = page.goto(stack + path)
    assert response is not None and response.status == 200
    assert page.locator("h1").inner_text().startswith("You have signed")
    assert page.locator("#sign-button").count() == 0
    with page.expect_download() as got:
        page.click("#download-signed")
    assert Path(got.value.path()).read_bytes().startswith(b"%PDF-")
    page.screenshot(path=screenshots / "link-used-again.png", full_page=True)
    context.close()
