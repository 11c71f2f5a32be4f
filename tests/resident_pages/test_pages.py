"""The resident's pages over real HTTP (the browser tests walk the same pages in Chromium):
sign-in links work once and expire, pages are no-store with a strict CSP, forms need their
CSRF token and our own origin, the money shown is the ledger's, and another resident's
conversation, statement or announcement is a 404 even by URL."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from pypdf import PdfReader
from sqlalchemy import update

from core.db import tenant_session
from core.notify import RecordingNotifier
from models.users import SignInLink, User
from services.billing import reads
from services.resident.statements import money
from tests.factories import OrgFactory
from tests.resident_pages.conftest import LINK, ask_for_link, email_of
from tests.resident_pages.world import Pages, build_pages


@pytest.fixture(scope="module")
def pages(stack: str, orgs: OrgFactory) -> Pages:
    return build_pages(stack, orgs)


def _browser(stack: str) -> httpx.Client:
    return httpx.Client(base_url=stack, timeout=60, headers={"Origin": stack})


@contextmanager
def _signed_in(
    stack: str, pages: Pages, outbox: RecordingNotifier, user_id: uuid.UUID
) -> Iterator[httpx.Client]:
    with _browser(stack) as http:
        link = ask_for_link(http, outbox, email_of(pages.world.org.org_id, user_id))
        assert http.post(link).status_code == 303
        yield http


def _csrf(html: str) -> str:
    return html.split('name="csrf" value="', 1)[1].split('"', 1)[0]


def test_a_sign_in_link_works_once_and_unknown_addresses_get_the_same_answer(
    stack: str, pages: Pages, outbox: RecordingNotifier
) -> None:
    with _browser(stack) as http:
        r = http.post("/me/sign-in/link", data={"email": "nobody@example.test", "channel": "email"})
        assert r.status_code == 200 and 'id="link-sent"' in r.text
        link = ask_for_link(http, outbox, email_of(pages.world.org.org_id, pages.world.resident.user_id))
        assert http.get(link).status_code == 200  # a mail scanner's GET signs nobody in
        assert http.get("/me").status_code == 303
        used = http.post(link)
        assert used.status_code == 303 and used.headers["location"] == "/me"
        home = http.get("/me")
        assert home.status_code == 200 and "Hello" in home.text
        again = http.post(link)
        assert again.status_code == 410 and "was used" in again.text


def test_an_expired_link_signs_nobody_in_and_staff_cannot_get_one(
    stack: str, pages: Pages, outbox: RecordingNotifier
) -> None:
    with _browser(stack) as http:
        link = ask_for_link(
            http, outbox, email_of(pages.world.org.org_id, pages.world.other_resident.user_id)
        )
        with tenant_session(pages.world.org.org_id, actor_type="test") as s:
            s.execute(
                update(SignInLink)
                .where(SignInLink.user_id == pages.world.other_resident.user_id, SignInLink.used_at.is_(None))
                .values(
                    created_at=datetime.now(UTC) - timedelta(hours=1),
                    expires_at=datetime.now(UTC) - timedelta(minutes=1),
                )
            )
        r = http.post(link)
        assert r.status_code == 410 and "expired" in r.text
        before = len(outbox.emails())
        staff_email = email_of(pages.world.org.org_id, pages.world.manager_a.user_id)
        assert (
            http.post("/me/sign-in/link", data={"email": staff_email, "channel": "email"}).status_code == 200
        )
        assert len(outbox.emails()) == before


def test_every_page_is_no_store_with_a_strict_csp_and_forms_need_the_token_and_our_origin(
    stack: str, pages: Pages, outbox: RecordingNotifier
) -> None:
    w = pages.world
    with _signed_in(stack, pages, outbox, w.resident.user_id) as http:
        for path in (
            "/me",
            "/me/statements",
            f"/me/messages/{pages.conversation_id}",
            f"/me/announcements/{pages.announcement_id}",
            "/me/sign-in",
        ):
            r = http.get(path)
            assert r.status_code == 200, path
            assert r.headers["cache-control"] == "no-store", path
            assert "default-src 'none'" in r.headers["content-security-policy"], path
            assert "<script" not in r.text and "http" not in r.text.split("</head>")[0].replace(
                'href="/', ""
            ), path
        page = http.get(f"/me/messages/{pages.conversation_id}").text
        url = f"/me/messages/{pages.conversation_id}"
        assert http.post(url, data={"body": "no token"}).status_code == 403
        forged = http.post(
            url, data={"body": "x", "csrf": _csrf(page)}, headers={"Origin": "https://evil.example"}
        )
        assert forged.status_code == 403
        ok = http.post(url, data={"body": "On my way.", "csrf": _csrf(page)})
        assert ok.status_code == 303
        assert "On my way." in http.get(url).text


def test_the_home_page_shows_what_the_ledger_says_and_the_statement_matches_it(
    stack: str, pages: Pages, outbox: RecordingNotifier
) -> None:
    w = pages.world
    today = datetime.now(UTC).date()
    with tenant_session(w.org.org_id, actor_type="test") as s:
        owed = reads.balance(s, w.a.active, today).balance_cents
        st = reads.statement(s, w.a.active, today.replace(day=1), today)
    assert owed > 0 and any(line.change_cents == -25_000 for line in st.lines)  # the cash payment
    with _signed_in(stack, pages, outbox, w.resident.user_id) as http:
        home = http.get("/me").text
        assert f'id="balance">{money(owed)}<' in home
        assert "/me/documents/" not in home and "/sign/" in home  # the signing link itself
        assert 'id="pay"' in home and "/v1/billing/pay/" in home
        key = f"{today:%Y-%m}"
        page = http.get(f"/me/statements/{w.a.active}/{key}")
        assert page.status_code == 200
        assert f'id="closing">{money(st.closing_balance_cents)}<' in page.text
        pdf = http.get(f"/me/statements/{w.a.active}/{key}.pdf")
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
        text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
        assert money(st.closing_balance_cents) in text and money(-25_000) in text


def test_another_resident_of_the_same_house_gets_404_for_the_first_ones_pages(
    stack: str, pages: Pages, outbox: RecordingNotifier
) -> None:
    w = pages.world
    key = f"{datetime.now(UTC).date():%Y-%m}"
    with _signed_in(stack, pages, outbox, w.other_resident.user_id) as http:
        for path in (
            f"/me/messages/{pages.conversation_id}",
            f"/me/statements/{w.a.active}/{key}",
            f"/me/statements/{w.a.active}/{key}.pdf",
        ):
            r = http.get(path)
            assert r.status_code == 404, path
        token = _csrf(http.get("/me").text)
        r = http.post(f"/me/messages/{pages.conversation_id}", data={"body": "let me in", "csrf": token})
        assert r.status_code == 404
        # Their own statement for the same month is theirs.
        assert http.get(f"/me/statements/{w.neighbour}/{key}").status_code == 200
        # The house's announcement is for both of them.
        assert http.get(f"/me/announcements/{pages.announcement_id}").status_code == 200


def test_staff_cannot_use_the_resident_pages_and_no_cookie_means_the_sign_in_page(
    stack: str, pages: Pages
) -> None:
    with _browser(stack) as http:
        assert http.get("/me").headers["location"] == "/me/sign-in"
    with httpx.Client(base_url=stack, cookies={"recoveryos_session": pages.world.manager_a.token}) as http:
        assert http.get("/me").status_code == 303


def test_a_link_can_go_by_text_and_signing_out_ends_the_session_at_once(
    stack: str, pages: Pages, outbox: RecordingNotifier
) -> None:
    w = pages.world
    with tenant_session(w.org.org_id, actor_type="test") as s:
        user = s.get(User, w.resident.user_id)
        assert user is not None
        user.phone = "+15555550123"
    with _browser(stack) as http:
        before = len(outbox.texts())
        email = email_of(w.org.org_id, w.resident.user_id)
        assert http.post("/me/sign-in/link", data={"email": email, "channel": "sms"}).status_code == 200
        (text,) = outbox.texts()[before:]
        assert text.to == "+15555550123" and "/me/link/" in text.body
        match = LINK.search(text.body)
        assert match is not None
        assert http.post(f"/me/link/{match.group(1)}").status_code == 303
        cookie = http.cookies["recoveryos_session"]
        token = _csrf(http.get("/me").text)
        assert http.post("/me/sign-out", data={"csrf": token}).headers["location"] == "/me/sign-in"
    with httpx.Client(base_url=stack, cookies={"recoveryos_session": cookie}) as http:
        assert http.get("/me").status_code == 303  # the old cookie no longer works
