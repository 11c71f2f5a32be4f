"""The follow-up survey page (`/follow-up/<token>`), which its link alone authorises: server
rendered, no script, one question per fieldset with its legend, large tap targets (the signing
page's stylesheet), every answer optional, and a "please don't contact me again" button that
takes effect in the same request. The answer is stored (encrypted) first; the follow-up workflow
is then told, and if that message is lost the workflow reads the answer from the database."""

from __future__ import annotations

import contextlib
import html
from datetime import UTC, datetime
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from temporalio.service import RPCError

from api.deps import TenantDB, client_ip, temporal_client
from api.processes import Processes, process_config
from core.config import get_settings
from core.contracts.outcomes import ANSWERED_SIGNAL, OUTCOMES, Answered
from core.errors import DomainError
from core.process import Actor
from services.reports import outcomes
from services.reports.outcomes import ALL_QUESTIONS, CAPITAL, QUESTIONS, LinkError, Question

router = APIRouter(tags=["reports"])
CSP = "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": CSP,
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}
STATUS = {"invalid": 400, "expired": 410, "closed": 410, "origin": 403}


def _e(s: str) -> str:
    return html.escape(s, quote=True)


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    doc = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)}</title><link rel="stylesheet" href="/sign-assets/signing.css"></head>
<body><main id="main">
{body}
</main></body></html>"""
    return HTMLResponse(doc, status_code=status, headers=HEADERS)


def _problem(reason: str, message: str) -> HTMLResponse:
    return _page(
        "This link cannot be used",
        f'<h1>This link cannot be used</h1><p role="alert">{_e(message)}</p>',
        STATUS[reason],
    )


def _fieldset(q: Question, n: int) -> str:
    options = "".join(
        f'<p><input type="radio" id="{q.key}-{v}" name="{q.key}" value="{v}">'
        f' <label for="{q.key}-{v}">{_e(label)}</label></p>'
        for v, label in q.options
    )
    return f"<fieldset><legend>{n}. {_e(q.text)}</legend>{options}</fieldset>"


def _form(token: str, error: str | None = None) -> str:
    alert = f'<p role="alert" id="error">{_e(error)}</p>' if error else ""
    first = "".join(_fieldset(q, n) for n, q in enumerate(QUESTIONS, 1))
    rest = "".join(_fieldset(q, n) for n, q in enumerate(CAPITAL, len(QUESTIONS) + 1))
    return f"""<h1>How are you doing?</h1>
<p>A few questions about how things are since you left. Every question is optional; your answers are
kept private and only counted together with others'.</p>
{alert}
<form method="post" action="/follow-up/{token}">
{first}
<h2>How true is each of these for you now?</h2>
{rest}
<p><button type="submit" id="send">Send my answers</button></p>
</form>
<form method="post" action="/follow-up/{token}">
<input type="hidden" name="no_contact" value="yes">
<p><button type="submit" id="no-contact">Please don't contact me again</button></p>
</form>"""


def _foreign(request: Request) -> bool:
    origin = request.headers.get("origin")
    if request.headers.get("sec-fetch-site") in ("cross-site", "same-site"):
        return True
    if origin is None:
        return False
    public = urlsplit(get_settings().public_base_url)
    return origin not in {
        f"{request.url.scheme}://{request.headers.get('host', '')}",
        f"{public.scheme}://{public.netloc}",
    }


def _db(request: Request, link: outcomes.Link) -> TenantDB:
    return TenantDB.for_link(link.org_id, request.state.request_id, client_ip(request))


@router.get("/follow-up/{token}", response_class=HTMLResponse, include_in_schema=False)
async def survey_page(request: Request, token: str) -> HTMLResponse:
    try:
        link = outcomes.read_token(token, datetime.now(UTC))
        await _db(request, link).run(outcomes.open_survey, link)
    except LinkError as exc:
        return _problem(exc.reason, str(exc.message))
    return _page("How are you doing?", _form(token))


@router.post("/follow-up/{token}", response_class=HTMLResponse, include_in_schema=False)
async def answer(request: Request, token: str) -> HTMLResponse:
    if _foreign(request):
        return _problem("origin", "This form can only be sent from its own page.")
    form = {
        k: v
        for k, v in (await request.form()).items()
        if isinstance(v, str) and k in {q.key for q in ALL_QUESTIONS} | {"no_contact"}
    }
    try:
        link = outcomes.read_token(token, datetime.now(UTC))
        discharge_id, wave, no_contact = await _db(request, link).run(
            outcomes.answer, link, form, datetime.now(UTC)
        )
    except LinkError as exc:
        return _problem(exc.reason, str(exc.message))
    except DomainError as exc:
        return _page("How are you doing?", _form(token, str(exc.message)), 422)
    actor = Actor(link.org_id, None, request.state.request_id)
    processes = Processes.for_link(temporal_client(request), actor, process_config(request))
    # Lost or refused (the follow-up already ended): the workflow reads the answer from the
    # database before it reminds, and "no contact" is already in force there.
    with contextlib.suppress(RPCError, DomainError):
        await processes.signal(OUTCOMES, discharge_id, ANSWERED_SIGNAL, Answered(wave, no_contact))
    if no_contact:
        body = "<h1>We won't contact you again</h1><p>Thank you. You will get no more of these messages.</p>"
    else:
        body = "<h1>Thank you</h1><p>Your answers were sent. We wish you well.</p>"
    return _page("Thank you", body)
