"""The resident's own pages once signed in: home (what they owe, the next charge and the pay
button, documents to sign, messages, announcements), statements by month (HTML and PDF),
a conversation to read and answer, an announcement to read (which records the receipt).

Every read runs in the resident's own session scope; an id that is not theirs (another
resident's conversation, statement or announcement) is the database's "no row", shown as 404.
The house sections (chores, meetings, passes, check-in) and their forms: house_html.py and
house.py.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from api.routes.messaging import notify_recipients
from api.routes.resident import house_html, render
from api.routes.resident.session import Me, current_resident, forged, to_sign_in
from core.errors import DomainError, NotFound
from models.users import User
from services import messaging
from services.billing.links import payment_link_url
from services.operations import curfew
from services.resident import home as home_service
from services.resident import house, statements
from services.resident.statements import money

router = APIRouter(include_in_schema=False)
STATIC = Path(__file__).resolve().parents[2] / "static"
MaybeMe = Annotated[Me | None, Depends(current_resident)]


def _day(at: datetime) -> str:
    return f"{at:%b} {at.day}, {at.year}"


@router.get("/me-assets/resident.css")
async def stylesheet() -> Response:
    return Response(
        (STATIC / "resident.css").read_text(),
        media_type="text/css",
        headers={"Cache-Control": "max-age=3600"},
    )


# --- home ------------------------------------------------------------------------------------


def _home_body(me: Me, h: home_service.Home) -> str:
    owe = money(h.balance_cents)
    if h.next_charge is not None:
        n = h.next_charge
        # Same-site paths: the page is already on our own address.
        url = payment_link_url("", me.p.org_id, n.invoice_id, datetime.now(UTC))
        charge = (
            f'<p>Next charge: <strong id="next-charge">{money(n.outstanding_cents)}</strong>, '
            f"due {_day(datetime.combine(n.due_date, datetime.min.time()))}.</p>"
            f'<p><a class="button wide" id="pay" href="{escape(url)}">Pay now</a></p>'
        )
    else:
        charge = '<p class="ok">Nothing to pay right now.</p>'
    money_card = (
        '<section class="card" aria-labelledby="money"><h2 id="money">What you owe</h2>'
        f'<p class="amount" id="balance">{owe}</p>{charge}'
        '<p><a href="/me/statements">See your statements</a></p></section>'
    )
    if h.to_sign:
        items = "".join(
            f'<li><a href="/sign/{escape(d.token)}"><span class="title">{escape(d.title)}</span>'
            '<span class="badge">Sign</span></a></li>'
            for d in h.to_sign
        )
        sign = f'<ul class="list" id="to-sign">{items}</ul>'
    else:
        sign = "<p>Nothing to sign.</p>"
    sign_card = f'<section class="card" aria-labelledby="sign"><h2 id="sign">To sign</h2>{sign}</section>'
    if h.inbox:
        items = "".join(
            f'<li><a href="/me/messages/{c.conversation_id}"><span class="title">{escape(c.subject)}</span>'
            + (f'<span class="badge">{c.unread} new</span>' if c.unread else "")
            + "</a></li>"
            for c in h.inbox
        )
        inbox = f'<ul class="list" id="messages">{items}</ul>'
    else:
        inbox = "<p>No messages.</p>"
    msg_card = f'<section class="card" aria-labelledby="msgs"><h2 id="msgs">Messages</h2>{inbox}</section>'
    if h.announcements:
        items = "".join(
            f'<li><a href="/me/announcements/{a.announcement_id}">'
            f'<span class="title">{escape(a.title)}</span>'
            + ("" if a.read else '<span class="badge">New</span>')
            + "</a></li>"
            for a in h.announcements
        )
        news = f'<ul class="list" id="announcements">{items}</ul>'
    else:
        news = "<p>No news.</p>"
    news_card = (
        '<section class="card" aria-labelledby="news"><h2 id="news">News from your house</h2>'
        f"{news}</section>"
    )
    hello = f"Hello, {escape(h.first_name)}" if h.first_name else "Hello"
    return f"<h1>{hello}</h1>{money_card}{sign_card}{msg_card}{news_card}"


async def house_week(me: Me, now: datetime) -> house.Week:
    """The resident's own rows in their scope, then the house's rules for them (org-wide)."""
    mine = await me.db.run(house.mine, me.resident_id, now)
    chore_ids = [cid for cid, _, _ in mine.assignments]
    rules = await me.org_db.run(house.rules, me.resident_id, chore_ids, now)
    zone = await me.db.run(curfew.org_zone)
    return house.week(mine, rules, now, zone)


async def home_page(me: Me, form: house_html.Form | None = None, status: int = 200) -> Response:
    """Home; with `form`, a form sent back with a problem (422, nothing written)."""
    now = datetime.now(UTC)
    h = await me.db.run(home_service.home, me.resident_id, me.user_id, now.date(), now)
    w = await house_week(me, now)
    # A fresh key per page: sending the same pass form twice asks for one pass.
    sent_key = form.values.get("key") if form is not None else None
    key = uuid.UUID(sent_key) if sent_key and _is_uuid(sent_key) else uuid.uuid4()
    body = _home_body(me, h) + house_html.sections(w, me.csrf, form, key)
    return render.page("Home", body, status=status, csrf=me.csrf, house=me.house)


def _is_uuid(value: str | None) -> bool:
    try:
        uuid.UUID(value or "")
    except ValueError:
        return False
    return True


@router.get("/me", response_class=HTMLResponse)
async def home(me: MaybeMe) -> Response:
    if me is None:
        return to_sign_in()
    return await home_page(me)


# --- statements ------------------------------------------------------------------------------


@router.get("/me/statements", response_class=HTMLResponse)
async def statement_list(me: MaybeMe) -> Response:
    if me is None:
        return to_sign_in()
    found = await me.db.run(statements.months, me.resident_id)
    items = "".join(
        f'<li><a href="/me/statements/{me.resident_id}/{m.key}">'
        f'<span class="title">{escape(m.label)}</span></a></li>'
        for m in found
    )
    body = "<h1>Your statements</h1>" + (
        f'<section class="card"><ul class="list" id="months">{items}</ul></section>'
        if found
        else "<p>No statements yet.</p>"
    )
    return render.page("Statements", body, csrf=me.csrf, house=me.house)


def _statement(
    s: Session, resident_id: uuid.UUID, key: str
) -> tuple[statements.Month, statements.Statement, str]:
    m, st = statements.statement(s, resident_id, key)
    r = s.get(User, s.info["actor"]["user_id"])
    name = f"{r.first_name} {r.last_name}" if r is not None else ""
    return m, st, name


@router.get("/me/statements/{resident_id}/{month}.pdf")
async def statement_pdf(me: MaybeMe, resident_id: uuid.UUID, month: str) -> Response:
    if me is None:
        return to_sign_in()
    try:
        m, st, name = await me.db.run(_statement, resident_id, month)
    except NotFound:
        return render.not_found(me.csrf, me.house)
    data = await asyncio.to_thread(statements.pdf, me.house, name, m, st)
    return Response(
        data,
        media_type="application/pdf",
        headers={**render.HEADERS, "Content-Disposition": f'attachment; filename="statement-{m.key}.pdf"'},
    )


@router.get("/me/statements/{resident_id}/{month}", response_class=HTMLResponse)
async def statement_page(me: MaybeMe, resident_id: uuid.UUID, month: str) -> Response:
    if me is None:
        return to_sign_in()
    try:
        m, st, _ = await me.db.run(_statement, resident_id, month)
    except NotFound:
        return render.not_found(me.csrf, me.house)
    rows = "".join(
        f"<tr><td>{line.effective_date:%b} {line.effective_date.day}</td>"
        f"<td>{escape(statements.describe(line))}</td>"
        f'<td class="num">{money(line.change_cents)}</td>'
        f'<td class="num">{money(line.balance_cents)}</td></tr>'
        for line in st.lines
    )
    table = (
        '<table id="statement"><caption class="muted">Each line and your balance after it</caption>'
        '<thead><tr><th scope="col">Date</th><th scope="col">What</th>'
        '<th scope="col" class="num">Amount</th><th scope="col" class="num">Balance</th></tr></thead>'
        f"<tbody>{rows}</tbody></table>"
        if st.lines
        else "<p>Nothing happened this month.</p>"
    )
    body = (
        f"<h1>Statement for {escape(m.label)}</h1>"
        '<section class="card"><p>At the start: '
        f'<strong id="opening">{money(st.opening_balance_cents)}</strong></p>'
        f'{table}<p>At the end: <strong id="closing">{money(st.closing_balance_cents)}</strong></p>'
        '<div class="actions">'
        f'<a class="button" id="pdf" href="/me/statements/{resident_id}/{m.key}.pdf" download>'
        "Download PDF</a>"
        '<a class="button secondary" href="/me/statements">All statements</a></div></section>'
    )
    return render.page(f"Statement {m.label}", body, csrf=me.csrf, house=me.house)


# --- messages --------------------------------------------------------------------------------


def _thread(
    s: Session, conversation_id: uuid.UUID, user_id: uuid.UUID
) -> tuple[str, list[tuple[str, bool, str, bool, uuid.UUID]]]:
    """The subject and (sender, is it me, text, has a file, message id) per message; reading it
    marks it read."""
    conv = messaging.get(s, conversation_id)
    out = []
    names: dict[uuid.UUID, str] = {}
    for m in messaging.messages(s, conversation_id):
        if m.sender_user_id not in names:
            u = s.get(User, m.sender_user_id)
            names[m.sender_user_id] = u.first_name or "Staff" if u is not None else "Staff"
        mine = m.sender_user_id == user_id
        out.append(
            (
                "You" if mine else names[m.sender_user_id],
                mine,
                m.body or "",
                m.file_upload_id is not None,
                m.id,
            )
        )
    messaging.mark_read(s, conversation_id, user_id)
    return conv.subject or "Message from staff", out


def _thread_page(
    me: Me,
    conversation_id: uuid.UUID,
    subject: str,
    msgs: list[tuple[str, bool, str, bool, uuid.UUID]],
    error: str = "",
    status: int = 200,
) -> HTMLResponse:
    items = "".join(
        f'<div class="message{" mine" if mine else ""}"><div class="who">{escape(who)}</div>'
        f"<p>{escape(text)}</p>"
        + (f'<p><a href="/v1/messages/{mid}/attachment">Open the attached file</a></p>' if has_file else "")
        + "</div>"
        for who, mine, text, has_file, mid in msgs
    )
    err = f'<p class="error" role="alert" id="reply-error">{escape(error)}</p>' if error else ""
    body = (
        f'<h1>{escape(subject)}</h1><section class="card" id="thread">{items}</section>'
        f'<section class="card"><form method="post" action="/me/messages/{conversation_id}">'
        f"{render.hidden_csrf(me.csrf)}{err}"
        '<label for="reply">Your answer</label>'
        '<textarea id="reply" name="body" required maxlength="5000"></textarea>'
        '<button type="submit" class="wide" id="send">Send</button></form></section>'
    )
    return render.page(subject, body, status=status, csrf=me.csrf, house=me.house)


@router.get("/me/messages/{conversation_id}", response_class=HTMLResponse)
async def conversation(me: MaybeMe, conversation_id: uuid.UUID) -> Response:
    if me is None:
        return to_sign_in()
    try:
        subject, msgs = await me.db.run(_thread, conversation_id, me.user_id)
    except NotFound:
        return render.not_found(me.csrf, me.house)
    return _thread_page(me, conversation_id, subject, msgs)


@router.post("/me/messages/{conversation_id}", response_class=HTMLResponse)
async def answer(
    request: Request,
    me: MaybeMe,
    conversation_id: uuid.UUID,
    body: Annotated[str, Form(max_length=messaging.MAX_BODY)] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    if me is None:
        return to_sign_in()
    if (refused := forged(request, me, csrf)) is not None:
        return refused
    try:
        got = await me.db.run(messaging.post, conversation_id, me.user_id, body)
    except NotFound:
        return render.not_found(me.csrf, me.house)
    except DomainError as exc:
        subject, msgs = await me.db.run(_thread, conversation_id, me.user_id)
        return _thread_page(me, conversation_id, subject, msgs, str(exc.message), 422)
    await notify_recipients(request, me.p, got)
    return RedirectResponse(
        f"/me/messages/{conversation_id}#send", status_code=303, headers={"Cache-Control": "no-store"}
    )


# --- announcements ---------------------------------------------------------------------------


def _read_announcement(
    s: Session, announcement_id: uuid.UUID, user_id: uuid.UUID
) -> tuple[str, str, datetime]:
    a = messaging.get_announcement(s, announcement_id)
    messaging.mark_announcement_read(s, announcement_id, user_id)
    return a.title, a.body or "", a.publish_at


@router.get("/me/announcements/{announcement_id}", response_class=HTMLResponse)
async def announcement(me: MaybeMe, announcement_id: uuid.UUID) -> Response:
    """Reading the announcement records the resident's receipt (staff see it)."""
    if me is None:
        return to_sign_in()
    try:
        title, text, at = await me.db.run(_read_announcement, announcement_id, me.user_id)
    except NotFound:
        return render.not_found(me.csrf, me.house)
    body = (
        f'<h1>{escape(title)}</h1><section class="card"><p class="muted">{_day(at)}</p>'
        f'<p id="announcement-text">{escape(text)}</p></section>'
        '<p><a class="button secondary" href="/me">Back to home</a></p>'
    )
    return render.page(title, body, csrf=me.csrf, house=me.house)
