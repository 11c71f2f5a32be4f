"""Sign-in for staff apps (OAuth2 password form → bearer token, then the second factor)
and for operators in a browser (a small login page that sets an HttpOnly cookie, used by
the Temporal UI's codec calls); a user's own sessions."""

from __future__ import annotations

import asyncio
import html
import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel, ConfigDict

from api.auth import (
    SESSION_COOKIE,
    LoginResult,
    MfaOutcome,
    Principal,
    SessionInfo,
    Throttled,
    complete_second_factor,
    list_sessions,
    login,
    logout,
    revoke_session,
    start_enrolment,
)
from api.deps import CurrentUser, SigningInUser, client_ip
from api.errors import problem_responses
from api.fields import Trimmed
from api.middleware import check_same_origin
from core.config import get_settings

router = APIRouter(tags=["auth"])


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: str
    # True: this token only reaches /v1/auth/mfa/* until the second factor is given.
    mfa_required: bool
    mfa_enrolled: bool


class MeOut(BaseModel):
    user_id: str
    org_id: str
    roles: list[str]
    permissions: list[str]


class CodeIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"code": "492039"}]})
    code: Annotated[str, Trimmed(32, min_length=6)]


class EnrolmentOut(BaseModel):
    secret: str
    otpauth_uri: str


class ActivatedOut(BaseModel):
    # Shown once; each works once in place of a TOTP code.
    recovery_codes: list[str]


def _too_many(exc: Throttled) -> HTTPException:
    return HTTPException(
        status.HTTP_429_TOO_MANY_REQUESTS,
        f"too many failed attempts; retry in {exc.retry_after} s",
        headers={"Retry-After": str(exc.retry_after)},
    )


def _login(request: Request, username: str, password: str) -> LoginResult | None:
    try:
        return login(
            username,
            password,
            request_id=request.state.request_id,
            source_ip=client_ip(request),
            user_agent=request.headers.get("user-agent"),
        )
    except Throttled as exc:
        raise _too_many(exc) from None


@router.post("/v1/auth/token", response_model=TokenOut)
def issue_token(request: Request, form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> TokenOut:
    """Sign in with e-mail and password (form fields `username`, `password`); answers a bearer
    token. For roles that read Part 2 data the token is good only for the second-factor routes
    until `/v1/auth/mfa/verify` succeeds. Repeated failures are slowed down per account and per
    source address (429)."""
    got = _login(request, form.username, form.password)
    if got is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "email or password is incorrect")
    return TokenOut(
        access_token=got.token,
        expires_at=got.expires_at.isoformat(),
        mfa_required=got.mfa_pending,
        mfa_enrolled=got.mfa_enrolled,
    )


def _second_factor(p: Principal, code: str, *, activate: bool) -> list[str]:
    try:
        outcome, codes = complete_second_factor(p, code, activate=activate)
    except Throttled as exc:
        raise _too_many(exc) from None
    if outcome is MfaOutcome.WRONG:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "code: incorrect or already used")
    if outcome is MfaOutcome.NOT_ENROLLED:
        raise HTTPException(status.HTTP_409_CONFLICT, "no authenticator enrolled: POST /v1/auth/mfa/enroll")
    if outcome is MfaOutcome.ALREADY_ENROLLED:
        raise HTTPException(status.HTTP_409_CONFLICT, "an authenticator is already enrolled")
    return codes


@router.post("/v1/auth/mfa/enroll", response_model=EnrolmentOut, responses=problem_responses(409))
def mfa_enroll(p: SigningInUser) -> EnrolmentOut:
    """Start enrolling an authenticator app: answers the TOTP secret and an `otpauth://` URI. 409
    when an authenticator is already active; a user switched to a second factor with none can
    always enrol."""
    got = start_enrolment(p)
    if got is None:
        raise HTTPException(status.HTTP_409_CONFLICT, "an authenticator is already enrolled")
    return EnrolmentOut(secret=got[0], otpauth_uri=got[1])


@router.post("/v1/auth/mfa/activate", response_model=ActivatedOut, responses=problem_responses(409))
def mfa_activate(p: SigningInUser, body: CodeIn) -> ActivatedOut:
    """Finish enrolment with a first code from the app; answers ten one-time recovery codes, shown
    once."""
    return ActivatedOut(recovery_codes=_second_factor(p, body.code, activate=True))


@router.post("/v1/auth/mfa/verify", status_code=204, responses=problem_responses(409))
def mfa_verify(p: SigningInUser, body: CodeIn) -> Response:
    """Give the second factor (a TOTP code, or a recovery code once) for this session; 204 lifts
    the session's restriction."""
    _second_factor(p, body.code, activate=False)
    return Response(status_code=204)


@router.post("/v1/auth/logout", status_code=204, responses=problem_responses(403))
def sign_out(p: SigningInUser) -> Response:
    """End this session at once (its token and cookie stop working)."""
    logout(p)
    resp = Response(status_code=204)
    resp.delete_cookie(SESSION_COOKIE)
    return resp


@router.get("/v1/auth/me", response_model=MeOut)
def me(p: CurrentUser) -> MeOut:
    """Who this session is: user, organisation, roles and the permissions they grant."""
    return MeOut(
        user_id=str(p.user_id),
        org_id=str(p.org_id),
        roles=sorted(r.value for r in p.roles),
        permissions=sorted(x.value for x in p.permissions),
    )


@router.get("/v1/auth/sessions", response_model=list[SessionInfo])
async def my_sessions(p: CurrentUser) -> list[SessionInfo]:
    """This user's live sessions (when and from where they were last used), to spot one that is not
    theirs."""
    return await asyncio.to_thread(list_sessions, p)


@router.delete("/v1/auth/sessions/{session_id}", status_code=204, responses=problem_responses(403, 404))
async def end_session(session_id: uuid.UUID, p: CurrentUser) -> Response:
    """End one of this user's own sessions; another user's session is a 404."""
    if not await asyncio.to_thread(revoke_session, p, session_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "session_id: no such live session of yours")
    return Response(status_code=204)


# The resident pages' stylesheet (mobile-first, 44 px targets), so sign-in looks like them and
# fits a 390 px phone.
_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>RecoveryOS sign in</title>
<link rel="stylesheet" href="/sign-assets/signing.css">
<style>label{{display:block;margin:.8rem 0 .2rem}}
input{{font:inherit;width:100%;padding:.5rem;border:1px solid #555;border-radius:4px}}
button{{margin-top:1rem}}</style></head>
<body><main id="main"><h1>RecoveryOS</h1>
<p>Operator sign-in (used by the Temporal Web UI to decode payloads).</p>
{error}{form}</main></body></html>"""
_PASSWORD_FORM = """<form method="post" action="/login"><label for="u">Email</label>
<input id="u" name="username" type="email" autocomplete="username" required>
<label for="p">Password</label><input id="p" name="password" type="password"
autocomplete="current-password" required><input type="hidden" name="next" value="{next}">
<button type="submit">Sign in</button></form>"""
_CODE_FORM = """<form method="post" action="/login/mfa"><label for="c">Authenticator code
(or a recovery code)</label><input id="c" name="code" autocomplete="one-time-code" required>
<input type="hidden" name="next" value="{next}"><button type="submit">Verify</button></form>"""


def _page(form: str, next: str, error: str = "", status_code: int = 200) -> HTMLResponse:
    err = f'<p class="error" role="alert">{html.escape(error)}</p>' if error else ""
    return HTMLResponse(
        _PAGE.format(error=err, form=form.format(next=html.escape(next))), status_code=status_code
    )


def _local(next: str) -> str:
    # Only local redirects: an open redirect would leak the fresh session to another site.
    return next if next.startswith("/") and not next.startswith("//") else "/docs"


@router.get("/login", response_class=HTMLResponse, include_in_schema=False)
def login_page(next: str = "/docs") -> HTMLResponse:
    return _page(_PASSWORD_FORM, next)


@router.post("/login", include_in_schema=False)
def login_submit(
    request: Request,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/docs",
) -> Response:
    if request.headers.get("origin"):
        check_same_origin(request)  # a foreign page may not sign a browser in (login CSRF)
    try:
        got = _login(request, username, password)
    except HTTPException as exc:
        return _page(_PASSWORD_FORM, next, str(exc.detail), exc.status_code)
    if got is None:
        return _page(_PASSWORD_FORM, next, "Email or password is incorrect.", 401)
    if got.mfa_pending and not got.mfa_enrolled:
        resp: Response = _page(
            "<p>Your role needs an authenticator app. Enrol through the API "
            "(POST /v1/auth/mfa/enroll, then /v1/auth/mfa/activate) and sign in again.</p>",
            next,
            status_code=403,
        )
        return resp
    resp = _page(_CODE_FORM, next) if got.mfa_pending else RedirectResponse(_local(next), status_code=303)
    set_session_cookie(resp, got)
    return resp


def set_session_cookie(resp: Response, got: LoginResult) -> None:
    """The browser's session: HttpOnly, SameSite=Lax, Secure behind HTTPS, ending with the session."""
    resp.set_cookie(
        SESSION_COOKIE,
        got.token,
        httponly=True,
        samesite="lax",
        expires=got.expires_at,
        secure=get_settings().public_base_url.startswith("https://"),
    )


@router.post("/login/mfa", include_in_schema=False)
def login_mfa(
    p: SigningInUser, code: Annotated[str, Form()], next: Annotated[str, Form()] = "/docs"
) -> Response:
    try:
        _second_factor(p, code, activate=False)
    except HTTPException as exc:
        return _page(_CODE_FORM, next, str(exc.detail), exc.status_code)
    return RedirectResponse(_local(next), status_code=303)
