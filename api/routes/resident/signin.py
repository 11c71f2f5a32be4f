"""Signing in to the resident's pages: with a password, or with a one-time link sent by e-mail
or text. Either way the browser gets the same session cookie a staff sign-in gets, with the same
lifetime and inactivity limit (api/auth.py). The link's page asks for one press of a button
before it signs in: mail scanners open links, they do not press buttons."""

from __future__ import annotations

import asyncio
from functools import lru_cache
from html import escape
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from api.auth import (
    SESSION_COOKIE,
    LoginResult,
    Throttled,
    login,
    logout,
    request_sign_in_link,
    sign_in_with_link,
)
from api.deps import client_ip
from api.routes.auth import set_session_cookie
from api.routes.resident import render
from api.routes.resident.session import Me, current_resident
from core.config import get_settings
from core.db import tenant_session
from core.notify import Email, Notifier, RecordingNotifier, Sms, SmtpNotifier
from services.resident import signin

router = APIRouter(include_in_schema=False)


@lru_cache(maxsize=1)
def _notifier() -> Notifier:
    return SmtpNotifier.from_settings(get_settings()) or RecordingNotifier()


def sign_in_notifier() -> Notifier:
    """How sign-in links are sent; tests override this dependency."""
    return _notifier()


NotifierDep = Annotated[Notifier, Depends(sign_in_notifier)]


def _form(error: str = "", sent: bool = False) -> str:
    err = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    done = (
        '<p class="ok" role="status" id="link-sent">If we know that address, we sent you a link. '
        f"It works once, for {signin.LINK_MINUTES} minutes.</p>"
        if sent
        else ""
    )
    return f"""<h1>Sign in</h1>{err}{done}
<section class="card"><h2>Get a sign-in link</h2>
<p>We send you a link. Open it on this phone to sign in. No password needed.</p>
<form method="post" action="/me/sign-in/link">
<label for="link-email">Your email</label>
<input id="link-email" name="email" type="email" autocomplete="email" required>
<fieldset><legend>Send the link by</legend>
<label><input type="radio" name="channel" value="email" checked> Email</label>
<label><input type="radio" name="channel" value="sms"> Text message to my phone</label>
</fieldset>
<button type="submit" class="wide">Send me a link</button></form></section>
<section class="card"><h2>Or use your password</h2>
<form method="post" action="/me/sign-in">
<label for="email">Your email</label>
<input id="email" name="email" type="email" autocomplete="username" required>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit" class="wide">Sign in</button></form></section>"""


def _signed_in(got: LoginResult) -> Response:
    resp = RedirectResponse("/me", status_code=303, headers={"Cache-Control": "no-store"})
    set_session_cookie(resp, got)
    return resp


@router.get("/me/sign-in", response_class=HTMLResponse)
async def sign_in_page() -> HTMLResponse:
    return render.page("Sign in", _form())


@router.post("/me/sign-in")
async def sign_in(
    request: Request,
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    if render.foreign_origin(request):
        return render.refused()
    if not email.strip() or not password:
        return render.page("Sign in", _form("Type your email and your password."), status=422)
    try:
        got = await asyncio.to_thread(
            login,
            email,
            password,
            request_id=request.state.request_id,
            source_ip=client_ip(request),
            user_agent=request.headers.get("user-agent"),
        )
    except Throttled as exc:
        return render.page("Sign in", _form(f"Too many tries. Wait {exc.retry_after} seconds."), status=429)
    if got is None:
        return render.page("Sign in", _form("That email or password is not right."), status=401)
    if got.mfa_pending:
        # Staff with a second factor sign in where they can give it.
        return render.page("Sign in", _form("Staff sign in at /login."), status=403)
    return _signed_in(got)


@router.post("/me/sign-in/link", response_class=HTMLResponse)
async def send_link(
    request: Request,
    notifier: NotifierDep,
    email: Annotated[str, Form(max_length=320)] = "",
    channel: Annotated[str, Form(max_length=10)] = "email",
) -> HTMLResponse:
    if render.foreign_origin(request):
        return render.refused()
    if not email.strip() or channel not in signin.CHANNELS:
        return render.page("Sign in", _form("Type your email and choose email or text."), status=422)
    issued = await asyncio.to_thread(
        request_sign_in_link,
        email,
        channel,
        request_id=request.state.request_id,
        source_ip=client_ip(request),
    )
    if issued is not None:
        url = f"{get_settings().public_base_url}/me/link/{issued.token}"
        text = (
            f"Your sign-in link: {url}\nIt works once, for {signin.LINK_MINUTES} minutes. "
            "If you did not ask for it, you can ignore this message."
        )
        if issued.channel == "email":
            message_id = f"<sign-in-{signin.token_hash(issued.token).hex()[:24]}@recoveryos>"
            await asyncio.to_thread(
                notifier.send_email, Email((issued.to,), "Your sign-in link", text, message_id)
            )
        else:
            await asyncio.to_thread(notifier.send_sms, Sms(issued.to, text))
    # The same answer whether or not the address is known (no way to test addresses).
    return render.page("Sign in", _form(sent=True))


_LINK_STATES = {
    "used": ("This link was used", "Each link works once. Ask for a new one."),
    "expired": ("This link has expired", "Links work for a short time. Ask for a new one."),
    "invalid": ("This link does not work", "Check that you opened the whole link, or ask for a new one."),
}


def _link_problem(state: str) -> HTMLResponse:
    title, text = _LINK_STATES[state]
    body = (
        f"<h1>{escape(title)}</h1><p>{escape(text)}</p>"
        '<p><a class="button" href="/me/sign-in">Get a new link</a></p>'
    )
    return render.page(title, body, status=410 if state in ("used", "expired") else 404)


def _link_state(token: str) -> str:
    org_id = signin.org_of(token)
    if org_id is None:
        return "invalid"
    with tenant_session(org_id, None, actor_type="sign_in_link") as s:
        return signin.link_state(s, token, signin.utcnow())


@router.get("/me/link/{token}", response_class=HTMLResponse)
async def link_page(token: str) -> HTMLResponse:
    state = await asyncio.to_thread(_link_state, token)
    if state != "ok":
        return _link_problem(state)
    body = (
        "<h1>Sign in</h1><p>Press the button to sign in on this device.</p>"
        f'<form method="post" action="/me/link/{escape(token)}">'
        '<button type="submit" class="wide" id="use-link">Sign in</button></form>'
    )
    return render.page("Sign in", body)


@router.post("/me/link/{token}")
async def use_link(request: Request, token: str) -> Response:
    if render.foreign_origin(request):
        return render.refused()
    got = await asyncio.to_thread(
        sign_in_with_link,
        token,
        request_id=request.state.request_id,
        source_ip=client_ip(request),
        user_agent=request.headers.get("user-agent"),
    )
    if got is None:
        return _link_problem(await asyncio.to_thread(_link_state, token))
    return _signed_in(got)


@router.post("/me/sign-out")
async def sign_out(
    request: Request, me: Annotated[Me | None, Depends(current_resident)], csrf: Annotated[str, Form()] = ""
) -> Response:
    if me is not None and (render.foreign_origin(request) or not render.csrf_ok(me.p.session_id, csrf)):
        return render.refused()
    if me is not None:
        await asyncio.to_thread(logout, me.p)
    resp = RedirectResponse("/me/sign-in", status_code=303, headers={"Cache-Control": "no-store"})
    resp.delete_cookie(SESSION_COOKIE)
    return resp
