"""The resident's pages in headless Chromium, on a phone (390×844) and at desktop width: a
resident signs in with a one-time link, sees this week's chores and meeting progress, checks
in, asks for a pass from the home page (staff see it waiting through their API; a wrong return
time is sent back naming the field), reads their house's announcement (staff then see the
receipt through the API), answers their case manager's message, sees what they owe and
downloads the month's statement (it matches the ledger), and opens a document to sign from the
home page; their housemate cannot open that conversation, statement or pass by URL (404). axe-core
finds no serious or critical violation on any page at phone size.

Screenshots land in `<pytest basetemp>/resident-pages/` (printed with -s), with the axe summary
as `axe-summary.json`.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from pypdf import PdfReader

from core.db import tenant_session
from core.notify import RecordingNotifier
from services.billing import reads
from services.resident.statements import money
from tests.browser import chromium, phone, screenshot_dir
from tests.factories import OrgFactory
from tests.resident_pages.conftest import LINK, email_of
from tests.resident_pages.world import build_pages

browser = pytest.fixture(scope="module", name="browser")(chromium)
VIEWPORTS = {
    "phone": phone(390, 844),
    "desktop": {"viewport": {"width": 1280, "height": 900}},
}


@pytest.fixture(scope="session")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return screenshot_dir(tmp_path_factory, "resident-pages")


def _sign_in_with_a_link(page: Any, stack: str, outbox: RecordingNotifier, email: str) -> None:
    page.goto(f"{stack}/me/sign-in")
    page.fill("#link-email", email)
    page.check("input[name=channel][value=email]")
    before = len(outbox.emails())
    page.click("text=Send me a link")
    page.wait_for_selector("#link-sent")
    (mail,) = outbox.emails()[before:]
    m = LINK.search(mail.body)
    assert m is not None
    page.goto(f"{stack}/me/link/{m.group(1)}")
    page.click("#use-link")
    page.wait_for_selector("#balance")


@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_a_resident_walks_their_pages_and_a_housemate_gets_404(
    stack: str, orgs: OrgFactory, browser: Any, outbox: RecordingNotifier, shots: Path, size: str
) -> None:
    p = build_pages(stack, orgs)
    w = p.world
    today = datetime.now(UTC).date()
    context = browser.new_context(**VIEWPORTS[size], accept_downloads=True)
    page = context.new_page()

    _sign_in_with_a_link(page, stack, outbox, email_of(w.org.org_id, w.resident.user_id))
    page.screenshot(path=shots / f"{size}-1-home.png", full_page=True)
    with tenant_session(w.org.org_id, actor_type="test") as s:
        owed = reads.balance(s, w.a.active, today).balance_cents
        st = reads.statement(s, w.a.active, today.replace(day=1), today)
    assert page.inner_text("#balance") == money(owed)
    if size == "phone":
        assert page.evaluate("document.documentElement.scrollWidth") <= 390

    # The house: this week's chores and meeting progress; check in with one tap; ask for a pass
    # from home, which staff then see waiting through their API.
    assert "Kitchen deep clean" in page.inner_text("#chores")
    assert "0 of 3" in page.inner_text("#meeting-progress")
    page.click("#check-in")
    page.wait_for_selector("#checked-in")
    tomorrow = (today + timedelta(days=1)).isoformat()
    page.check("input[name=pass_type][value=day]")
    for field, value in (
        ("leave_day", tomorrow),
        ("leave_time", "10:00"),
        ("back_day", tomorrow),
        ("back_time", "09:00"),
        ("destination", "My sister's home"),
    ):
        page.fill(f"#pass-{field}", value)
    page.click("#ask-pass")
    page.wait_for_selector("#pass-error")
    assert page.inner_text("#pass-error").startswith("Back by (time)")
    assert page.get_attribute("#pass-back_time", "aria-invalid") == "true"
    page.fill("#pass-back_time", "18:00")
    page.click("#ask-pass")
    page.wait_for_selector("#pass")
    assert "Waiting for staff" in page.inner_text("#pass")
    assert "My sister's home" in page.inner_text("#pass")
    page.screenshot(path=shots / f"{size}-1c-pass.png", full_page=True)
    with httpx.Client(base_url=stack, headers=w.manager_a.headers, timeout=60) as http:
        waiting = http.get(
            "/v1/operations/passes", params={"resident_id": str(w.a.active), "status": "requested"}
        ).json()["items"]
    assert len(waiting) == 1
    pass_id = waiting[0]["id"]
    page.goto(f"{stack}/me")
    page.wait_for_selector("#passes >> text=Waiting for staff")
    page.screenshot(path=shots / f"{size}-1b-house.png", full_page=True)
    if size == "phone":
        assert page.evaluate("document.documentElement.scrollWidth") <= 390

    # The announcement: reading it records the receipt staff see.
    page.goto(f"{stack}/me")
    page.click("#announcements >> text=Fire drill Wednesday")
    page.wait_for_selector("#announcement-text")
    page.screenshot(path=shots / f"{size}-2-announcement.png", full_page=True)
    with httpx.Client(base_url=stack, headers=w.staff, timeout=60) as http:
        receipts = http.get(f"/v1/announcements/{p.announcement_id}/reads").json()
    assert str(w.resident.user_id) in [r["user_id"] for r in receipts]

    # The message: read it, answer it; staff read the answer.
    page.goto(f"{stack}/me")
    page.click("#messages >> text=Your court letter")
    page.wait_for_selector("#thread")
    assert "Your letter for the judge is ready" in page.inner_text("#thread")
    page.fill("#reply", "Yes, I can come at five.")
    page.screenshot(path=shots / f"{size}-3-message.png", full_page=True)
    page.click("#send")
    page.wait_for_selector("text=Yes, I can come at five.")
    with httpx.Client(base_url=stack, headers=w.staff, timeout=60) as http:
        thread = http.get(f"/v1/conversations/{p.conversation_id}").json()
    assert thread["messages"][-1]["body"] == "Yes, I can come at five."

    # The statement of this month, on screen and as PDF, matches the ledger.
    page.goto(f"{stack}/me")
    page.click("text=See your statements")
    page.click(f"#months >> text={today:%B %Y}")
    page.wait_for_selector("#statement")
    assert page.inner_text("#closing") == money(st.closing_balance_cents)
    page.screenshot(path=shots / f"{size}-4-statement.png", full_page=True)
    with page.expect_download() as got:
        page.click("#pdf")
    pdf = Path(got.value.path()).read_bytes()
    text = "".join(pg.extract_text() for pg in PdfReader(io.BytesIO(pdf)).pages)
    assert money(st.closing_balance_cents) in text
    assert all(money(line.change_cents) in text for line in st.lines)

    # The document to sign opens the signing page from home.
    page.goto(f"{stack}/me")
    page.click("#to-sign >> text=Sign")
    page.wait_for_selector("h1")
    assert page.inner_text("h1").startswith("Sign:")
    page.screenshot(path=shots / f"{size}-5-document-to-sign.png", full_page=True)
    context.close()

    # The housemate, signed in the same way, gets 404 for the first resident's pages.
    other = browser.new_context(**VIEWPORTS[size])
    mate = other.new_page()
    _sign_in_with_a_link(mate, stack, outbox, email_of(w.org.org_id, w.other_resident.user_id))
    for path in (
        f"/me/messages/{p.conversation_id}",
        f"/me/statements/{w.a.active}/{today:%Y-%m}",
        f"/me/passes/{pass_id}",
    ):
        response = mate.goto(stack + path)
        assert response is not None and response.status == 404, path
    mate.screenshot(path=shots / f"{size}-6-housemate-404.png", full_page=True)
    other.close()


def test_axe_finds_no_serious_violation_on_any_resident_page_at_phone_size(
    stack: str, orgs: OrgFactory, browser: Any, outbox: RecordingNotifier, shots: Path
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    p = build_pages(stack, orgs)
    w = p.world
    today = datetime.now(UTC).date()
    context = browser.new_context(**VIEWPORTS["phone"])
    page = context.new_page()
    page.goto(f"{stack}/me/sign-in")
    summary: dict[str, dict[str, int]] = {}
    bad: list[tuple[str, str, str]] = []

    def check(name: str) -> None:
        violations = Axe().run(page).response["violations"]
        counts: dict[str, int] = {}
        for v in violations:
            counts[v["impact"]] = counts.get(v["impact"], 0) + 1
            if v["impact"] in ("serious", "critical"):
                bad.append((name, v["id"], v["impact"]))
        summary[name] = counts
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, name

    check("sign-in")
    _sign_in_with_a_link(page, stack, outbox, email_of(w.org.org_id, w.resident.user_id))
    for name, path in (
        ("home", "/me"),
        ("statements", "/me/statements"),
        ("statement", f"/me/statements/{w.a.active}/{today:%Y-%m}"),
        ("conversation", f"/me/messages/{p.conversation_id}"),
        ("announcement", f"/me/announcements/{p.announcement_id}"),
        ("not-found", f"/me/messages/{p.announcement_id}"),
    ):
        page.goto(stack + path)
        check(name)
    # The house sections' forms sent back with a problem, and a pass's own page.
    page.goto(f"{stack}/me")
    page.fill("#pass-destination", "")
    page.click("#ask-pass")  # the browser refuses an empty required field: nothing is sent
    page.fill("#pass-destination", "Work")
    page.fill("#pass-back_time", "09:00")
    page.click("#ask-pass")
    page.wait_for_selector("#pass-error")
    check("pass-form-error")
    page.fill("#pass-back_time", "18:00")
    page.click("#ask-pass")
    page.wait_for_selector("#pass")
    check("pass")
    context.close()
    (shots / "axe-summary.json").write_text(json.dumps(summary, indent=1, sort_keys=True) + "\n")
    print(f"\naxe (impact: count) per page at 390x844: {json.dumps(summary, sort_keys=True)}")
    assert bad == []
