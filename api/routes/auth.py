"""Sign-in for staff apps (OAuth2 password form → bearer token) and for operators in a
browser (a small login page that sets an HttpOnly cookie, used by the Temporal UI's codec
calls)."""

from __future__ import annotations

import html
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel

from api.auth import SESSION_COOKIE, login, logout
from api.deps import CurrentUser, client_ip
from core.config import get_settings

router = APIRouter(tags=["auth"])


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: str


class MeOut(BaseModel):
    user_id: str
    org_id: str
    roles: list[str]
    permissions: list[str]


@router.post("/v1/auth/token", response_model=TokenOut)
def issue_token(request: Request, form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> TokenOut:
    got = login(
        form.username,
        form.password,
        request_id=request.state.request_id,
        source_ip=client_ip(request),
        user_agent=request.headers.get("user-agent"),
    )
    if got is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "email or password is incorrect")
    token, expires = got
    return TokenOut(access_token=token, expires_at=expires.isoformat())


@router.post("/v1/auth/logout", status_code=204)
def sign_out(p: CurrentUser) -> Response:
    logout(p)
    resp = Response(status_code=204)
    resp.delete_cookie(SESSION_COOKIE)
    return resp


@router.get("/v1/auth/me", response_model=MeOut)
def me(p: CurrentUser) -> MeOut:
    return MeOut(
        user_id=str(p.user_id),
        org_id=str(p.org_id),
        roles=sorted(r.value for r in p.roles),
        permissions=sorted(x.value for x in p.permissions),
    )


_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>RecoveryOS sign in</title>
<style>body{{font-family:system-ui,sans-serif;max-width:24rem;margin:4rem auto;padding:0 1rem}}
label{{display:block;margin:.8rem 0 .2rem}}input{{width:100%;padding:.5rem;font-size:1rem}}
button{{margin-top:1rem;padding:.6rem 1.2rem;font-size:1rem}}.err{{color:#b00020}}</style></head>
<body><h1>RecoveryOS</h1><p>Operator sign-in (used by the Temporal Web UI to decode payloads).</p>
{error}<form method="post" action="/login"><label for="u">Email</label>
<input id="u" name="username" type="email" autocomplete="username" required>
<label for="p">Password</label><input id="p" name="password" type="password"
autocomplete="current-password" required><input type="hidden" name="next" value="{next}">
<button type="submit">Sign in</button></form></body></html>"""


@router.get("/login", response_class=HTMLResponse, include_in_schema=False)
def login_page(next: str = "/docs") -> HTMLResponse:
    return HTMLResponse(_PAGE.format(error="", next=html.escape(next)))


@router.post("/login", include_in_schema=False)
def login_submit(
    request: Request,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/docs",
) -> Response:
    got = login(
        username,
        password,
        request_id=request.state.request_id,
        source_ip=client_ip(request),
        user_agent=request.headers.get("user-agent"),
    )
    if got is None:
        return HTMLResponse(
            _PAGE.format(error='<p class="err">Email or password is incorrect.</p>', next=html.escape(next)),
            status_code=401,
        )
    token, expires = got
    # Only local redirects: an open redirect would leak the fresh session to another site.
    target = next if next.startswith("/") and not next.startswith("//") else "/docs"
    resp = RedirectResponse(target, status_code=303)
    resp.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        expires=expires,
        secure=get_settings().public_base_url.startswith("https://"),
    )
    return resp
