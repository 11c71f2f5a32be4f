"""E-signature: staff send a document for signature, follow it, void it and hand over links;
signers use the signing page, which their link alone authorises (no cookie, no login).

The page is server-rendered HTML with one small script (the signature canvas and the
"read to the end" check). Every page response is `Cache-Control: no-store`, framed by nobody
(`frame-ancestors 'none'`), sends no referrer (the token is in the path), and every POST from a
foreign Origin is refused.
"""

from __future__ import annotations

import html
import uuid
from collections.abc import Awaitable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from activities.signing import LinkAction
from api.auth import Principal
from api.deps import TenantDB, TenantDep, client_ip, require, temporal_client
from api.processes import IdempotencyKeyHeader, Processes, ProcessesDep, process_config, start_responses
from core.config import get_settings
from core.contracts.signing import Evidence, Link, SignerSpec
from core.enums import DocumentStatus, SignatureStatus
from core.errors import DomainError, NotFound, Rejected
from core.filestore import file_store_from_settings
from core.permissions import Perm
from core.process import Actor, Wait
from services import signing
from services.documents import get_document
from services.signing import ESIGN_DISCLOSURES, LinkError, SigningPage
from workflows.signing import (
    SIGNING,
    RequestState,
    SignatureRequestInput,
    SignatureRequestWorkflow,
)

router = APIRouter(tags=["signing"])
Manager = Annotated[Principal, Depends(require(Perm.DOCUMENT_MANAGE))]
Role = Annotated[str, StringConstraints(pattern=r"^[a-z_]{2,40}$")]


class SignerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Role
    resident_id: uuid.UUID | None = None
    user_id: uuid.UUID | None = None


class SignatureRequestIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "signers": [{"role": "resident", "resident_id": "3f2b8c1e-6d4a-4b7e-9c21-5a8d0e7f4b10"}],
                    "expires_after_hours": 168,
                    "remind_every_hours": 48,
                }
            ]
        },
    )
    signers: list[SignerIn] = Field(min_length=1, max_length=10)
    expires_after_hours: int = Field(14 * 24, ge=1, le=90 * 24)
    remind_every_hours: int = Field(72, ge=1, le=30 * 24)


class SignerOut(BaseModel):
    signature_id: uuid.UUID
    role: str
    status: SignatureStatus
    reminders: int


class SignatureRequestOut(BaseModel):
    document_id: uuid.UUID
    status: DocumentStatus
    signers: list[SignerOut]
    current_signer: uuid.UUID | None
    workflow_id: str

    @classmethod
    def of(cls, state: RequestState, workflow_id: str) -> SignatureRequestOut:
        return cls(
            document_id=state.document_id,
            status=state.status,
            signers=[
                SignerOut(signature_id=s.signature_id, role=s.role, status=s.status, reminders=s.reminders)
                for s in state.signers
            ],
            current_signer=state.signers[state.current].signature_id if state.current is not None else None,
            workflow_id=workflow_id,
        )


class LinkOut(BaseModel):
    signature_id: uuid.UUID
    role: str
    url: str


@router.post(
    "/v1/documents/{document_id}/signature-request",
    status_code=201,
    response_model=SignatureRequestOut,
    responses=start_responses(SignatureRequestOut),
)
async def send_for_signature(
    document_id: uuid.UUID,
    body: SignatureRequestIn,
    _: Manager,
    processes: ProcessesDep,
    db: TenantDep,
    response: Response,
    idempotency_key: IdempotencyKeyHeader = None,
) -> SignatureRequestOut:
    """Start the signature request (one per document); 201 once every signer is set up."""
    for n, s in enumerate(body.signers):
        if (s.resident_id is None) == (s.user_id is None):
            raise Rejected(f"signers[{n}] needs exactly one of resident_id and user_id", field="signers")
    # 404 for a document outside the caller's org, before any process is started.
    await db.run(get_document, document_id)
    replayed = (await processes.claim(SIGNING, idempotency_key, body))[1]
    inp = SignatureRequestInput(
        processes.actor,
        document_id,
        [SignerSpec(s.role, s.resident_id, s.user_id) for s in body.signers],
        body.expires_after_hours,
        body.remind_every_hours,
    )
    state = await processes.start(
        SIGNING,
        document_id,
        SignatureRequestWorkflow.run,
        inp,
        update=SignatureRequestWorkflow.wait_prepared,
        update_arg=Wait(processes.actor),
    )
    if state is None:
        state = await processes.query(SIGNING, document_id, SignatureRequestWorkflow.state)
        assert state is not None
    if replayed:
        response.status_code = 200
    return SignatureRequestOut.of(state, processes.workflow_id(SIGNING, document_id))


@router.get("/v1/documents/{document_id}/signature-request", response_model=SignatureRequestOut)
async def signature_request_status(
    document_id: uuid.UUID, _: Manager, processes: ProcessesDep
) -> SignatureRequestOut:
    """The signature request's state as its workflow holds it: status, every signer and who signs
    next."""
    state = await processes.query(SIGNING, document_id, SignatureRequestWorkflow.state)
    if state is None:
        raise NotFound("signature request not started", field="document_id")
    return SignatureRequestOut.of(state, processes.workflow_id(SIGNING, document_id))


@router.post("/v1/documents/{document_id}/signature-request/void", response_model=SignatureRequestOut)
async def void_signature_request(
    document_id: uuid.UUID, _: Manager, processes: ProcessesDep
) -> SignatureRequestOut:
    """Void a request that is still open; 409 once it has finished."""
    state = await processes.update(SIGNING, document_id, SignatureRequestWorkflow.void, Wait(processes.actor))
    return SignatureRequestOut.of(state, processes.workflow_id(SIGNING, document_id))


@router.get("/v1/documents/{document_id}/signature-request/link", response_model=LinkOut)
async def current_link(document_id: uuid.UUID, _: Manager, db: TenantDep) -> LinkOut:
    """The link of the signer whose turn it is, for staff to hand over in person."""
    sid, role, url = await db.run(signing.current_link, document_id)
    return LinkOut(signature_id=sid, role=role, url=url)


# --- the signing page ------------------------------------------------------------------------

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    "Content-Security-Policy": CSP,
    # The token is in the path: it may go to our own origin (which needs it) and nowhere else.
    # ("no-referrer" would also make browsers send `Origin: null` on the page's own POSTs.)
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}
STATUS_OF = {"invalid": 400, "expired": 410, "used": 410, "closed": 410, "origin": 403}
TITLES = {
    "invalid": "This link is not valid",
    "expired": "This link has expired",
    "used": "This link has already been used",
    "closed": "This signing request is closed",
    "origin": "Request refused",
}


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    doc = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)}</title><link rel="stylesheet" href="/sign-assets/signing.css"></head>
<body><main id="main">
{body}
</main><script src="/sign-assets/signing.js" defer></script></body></html>"""
    return HTMLResponse(doc, status_code=status, headers=PAGE_HEADERS)


def _problem(reason: str, detail: str) -> HTMLResponse:
    body = f'<h1>{_e(TITLES[reason])}</h1><p role="alert">{_e(detail)}</p>' + (
        "<p>Ask the staff member who sent it for a new link.</p>" if reason != "origin" else ""
    )
    return _page(TITLES[reason], body, STATUS_OF[reason])


def _reason_of(exc: BaseException) -> tuple[str, str, str] | None:
    """(reason, message, kind) of a refusal that crossed the workflow boundary, or None."""
    cause: BaseException | None = exc
    while cause is not None and not isinstance(cause, ApplicationError):
        cause = cause.__cause__ or getattr(cause, "cause", None)
    if cause is None:
        return None
    details = cause.details[0] if cause.details else {}
    reason = details.get("reason") if isinstance(details, dict) else None
    return (reason or "", cause.message, cause.type or "")


def _evidence(request: Request) -> Evidence:
    return Evidence(client_ip(request), request.headers.get("user-agent"))


def _foreign_origin(request: Request) -> bool:
    """A browser POST from any other site (or an opaque `null` origin) is refused."""
    origin = request.headers.get("origin")
    if request.headers.get("sec-fetch-site") in ("cross-site", "same-site"):
        return True
    if origin is None:
        return False  # not a browser: nothing ambient (no cookie) for a forgery to ride on
    own = {f"{request.url.scheme}://{request.headers.get('host', '')}"}
    public = urlsplit(get_settings().public_base_url)
    own.add(f"{public.scheme}://{public.netloc}")
    return origin not in own


class LinkContext:
    def __init__(self, request: Request, token: str) -> None:
        self.request = request
        self.token = token
        self.link: Link = signing.read_token(token, datetime.now(UTC))
        self.actor = Actor(self.link.org_id, None, request.state.request_id)
        self.db = TenantDB.for_link(self.link.org_id, request.state.request_id, client_ip(request))

    def processes(self) -> Processes:
        return Processes.for_link(temporal_client(self.request), self.actor, process_config(self.request))

    async def page(self) -> SigningPage:
        return await self.db.run(signing.signing_page, self.link)


def _consent_step(token: str, p: SigningPage, error: str | None = None) -> str:
    items = "".join(f"<li>{_e(d)}</li>" for d in ESIGN_DISCLOSURES)
    return f"""<h1>Sign: {_e(p.title)}</h1>
<p>Hello {_e(p.signer_name)}. You are asked to sign this document as <strong>{_e(p.signer_role)}</strong>.
This link works until {p.expires_at:%B %-d, %Y at %H:%M} UTC.</p>
{_error(error)}
<section aria-labelledby="esign-h"><h2 id="esign-h">Consent to electronic records and signatures</h2>
<p>Before you read and sign electronically, federal law (the ESIGN Act, 15 U.S.C. 7001(c))
requires us to tell you:</p>
<ul>{items}</ul>
<form method="post" action="/sign/{token}/consent">
<p><input type="checkbox" id="esign_consent" name="esign_consent" value="yes" required>
<label for="esign_consent">I have read this notice and I consent to receive and sign this document
electronically.</label></p>
<button type="submit" id="consent-button">I agree, continue</button>
</form></section>
{_decline_form(token)}"""


def _error(error: str | None) -> str:
    return f'<p class="error" role="alert" id="form-error">{_e(error)}</p>' if error else ""


def _decline_form(token: str) -> str:
    return f"""<details><summary>I do not want to sign</summary>
<form method="post" action="/sign/{token}/decline">
<p><label for="decline_reason">Reason (optional)</label>
<textarea id="decline_reason" name="reason" maxlength="1000" rows="3"></textarea></p>
<button type="submit" id="decline-button" class="secondary">Decline to sign</button>
</form></details>"""


def _sign_step(token: str, p: SigningPage, error: str | None = None) -> str:
    paragraphs = "".join(f"<p>{_e(line)}</p>" if line.strip() else "" for line in p.content.split("\n"))
    return f"""<h1>Sign: {_e(p.title)}</h1>
{_error(error)}
<section id="document" class="document" tabindex="0" aria-labelledby="doc-h">
<h2 id="doc-h">{_e(p.title)}</h2>{paragraphs}
<p class="hash">Document fingerprint (SHA-256): <code>{p.content_sha256}</code></p>
<p id="document-end">End of document.</p></section>
<form method="post" action="/sign/{token}" id="sign-form">
<p><input type="checkbox" id="read_confirmed" name="read_confirmed" value="yes" required
aria-describedby="read-hint">
<label for="read_confirmed">I have read the whole document.</label>
<span id="read-hint" class="hint">Scroll to the end of the document to confirm.</span></p>
<fieldset><legend>Adopt your signature</legend>
<p><input type="radio" id="mode-typed" name="mode" value="typed" checked>
<label for="mode-typed">Type my name</label>
<input type="radio" id="mode-drawn" name="mode" value="drawn">
<label for="mode-drawn">Draw my signature</label></p>
<p id="typed-area"><label for="typed_signature">Full name</label>
<input type="text" id="typed_signature" name="typed_signature" autocomplete="name" maxlength="200"></p>
<div id="drawn-area" hidden><canvas id="signature-pad" width="600" height="200" role="img"
aria-label="Signature drawing area: draw with your finger, pen or mouse"></canvas>
<button type="button" id="clear-signature" class="secondary">Clear</button></div>
<input type="hidden" id="drawn_signature" name="drawn_signature" value="">
</fieldset>
<p>By selecting Sign, I agree that my electronic signature is the legal equivalent of my handwritten
signature on this document.</p>
<button type="submit" id="sign-button">Sign</button>
</form>
{_decline_form(token)}"""


def _signed_step(token: str, title: str) -> str:
    return f"""<h1>You have signed: {_e(title)}</h1>
<p>This link has already been used to sign. Keep your copy: it is the document as signed, with
every signature on it.</p>
<p><a class="button" id="download-signed" href="/sign/{token}/signed.pdf" download>Download your signed copy
(PDF)</a></p>"""


@router.get("/sign/{token}/signed.pdf", include_in_schema=False)
async def signed_copy(request: Request, token: str) -> Response:
    """The signer's own copy of the signed document, from the link they signed with."""
    ctx = await _context(request, token)
    if isinstance(ctx, HTMLResponse):
        return ctx
    try:
        signed = await ctx.db.run(signing.signed_copy, ctx.link)
    except LinkError as exc:
        return _problem(exc.reason, str(exc.message))
    if signed is None:
        return _problem("closed", "There is no signed copy yet: it is ready once everyone has signed.")
    data = await file_store_from_settings().aget(signed[1].key, signed[1].sha256)
    return Response(
        data,
        media_type="application/pdf",
        headers={**PAGE_HEADERS, "Content-Disposition": 'attachment; filename="signed-copy.pdf"'},
    )


async def _context(request: Request, token: str) -> LinkContext | HTMLResponse:
    try:
        return LinkContext(request, token)
    except LinkError as exc:
        return _problem(exc.reason, str(exc.message))


async def _posted(request: Request, token: str) -> LinkContext | HTMLResponse:
    """The context of a form the page posts; a foreign origin is refused before anything."""
    if _foreign_origin(request):
        return _problem("origin", "This form can only be sent from the signing page.")
    return await _context(request, token)


async def _message(ctx: LinkContext, call: Awaitable[object]) -> HTMLResponse | None:
    """Send a page message to the workflow; a refusal becomes the matching page."""
    try:
        await call
    except (WorkflowUpdateFailedError, DomainError) as exc:
        got = _reason_of(exc)
        if got is None:
            raise
        reason, message, kind = got
        if reason in STATUS_OF:
            return _problem(reason, message)
        page = await ctx.page()
        step = _sign_step if page.consented else _consent_step
        return _page(page.title, step(ctx.token, page, message), 422 if kind == "Rejected" else 409)
    return None


@router.get("/sign/{token}", response_class=HTMLResponse, include_in_schema=False)
async def signing_page(request: Request, token: str) -> HTMLResponse:
    ctx = await _context(request, token)
    if isinstance(ctx, HTMLResponse):
        return ctx
    try:
        page = await ctx.page()
    except LinkError as exc:
        if exc.reason == "used" and (signed := await ctx.db.run(signing.signed_copy, ctx.link)) is not None:
            return _page(signed[0], _signed_step(token, signed[0]))
        return _problem(exc.reason, str(exc.message))
    # Opening the link records nothing: e-mail and SMS clients fetch links to scan or preview
    # them, and that is not the resident viewing the document. The view is recorded on the
    # resident's first interaction (the consent step, below).
    step = _sign_step if page.consented else _consent_step
    return _page(page.title, step(token, page))


@router.post("/sign/{token}/consent", response_class=HTMLResponse, include_in_schema=False)
async def consent(
    request: Request, token: str, esign_consent: Annotated[str | None, Form()] = None
) -> Response:
    ctx = await _posted(request, token)
    if isinstance(ctx, HTMLResponse):
        return ctx
    if esign_consent != "yes":
        page = await ctx.page()
        return _page(page.title, _consent_step(token, page, "Tick the box to consent, or decline."), 422)
    visit = LinkAction(ctx.actor, ctx.link, _evidence(request))
    if not (await ctx.page()).viewed:
        viewed = await _message(
            ctx, ctx.processes().update(SIGNING, ctx.link.document_id, SignatureRequestWorkflow.view, visit)
        )
        if viewed is not None:
            return viewed
    failed = await _message(
        ctx, ctx.processes().update(SIGNING, ctx.link.document_id, SignatureRequestWorkflow.consent, visit)
    )
    return failed or RedirectResponse(f"/sign/{token}", status_code=303, headers=PAGE_HEADERS)


DATA_URL = "data:image/png;base64,"


@router.post("/sign/{token}", response_class=HTMLResponse, include_in_schema=False)
async def sign(
    request: Request,
    token: str,
    read_confirmed: Annotated[str | None, Form()] = None,
    mode: Annotated[str, Form()] = "typed",
    typed_signature: Annotated[str | None, Form(max_length=200)] = None,
    drawn_signature: Annotated[str | None, Form(max_length=400_000)] = None,
) -> HTMLResponse:
    ctx = await _posted(request, token)
    if isinstance(ctx, HTMLResponse):
        return ctx
    error = None
    typed = drawn = None
    if read_confirmed != "yes":
        error = "Confirm that you have read the whole document."
    elif mode == "drawn":
        if not drawn_signature or not drawn_signature.startswith(DATA_URL):
            error = "Draw your signature in the box, or choose to type your name."
        drawn = (drawn_signature or "")[len(DATA_URL) :]
    elif not (typed_signature or "").strip():
        error = "Type your full name to sign."
    else:
        typed = (typed_signature or "").strip()
    if error is not None:
        try:
            page = await ctx.page()
        except LinkError as exc:
            return _problem(exc.reason, str(exc.message))
        return _page(page.title, _sign_step(token, page, error), 422)
    submission = LinkAction(ctx.actor, ctx.link, _evidence(request), typed, drawn)
    failed = await _message(
        ctx, ctx.processes().update(SIGNING, ctx.link.document_id, SignatureRequestWorkflow.sign, submission)
    )
    if failed is not None:
        return failed
    return _page(
        "Signed",
        '<h1 id="done">Thank you: you have signed</h1><p role="status">Your signature has been recorded. '
        "Staff will give you a copy of the completed document. You can close this page.</p>",
    )


@router.post("/sign/{token}/decline", response_class=HTMLResponse, include_in_schema=False)
async def decline(
    request: Request, token: str, reason: Annotated[str | None, Form(max_length=1000)] = None
) -> HTMLResponse:
    ctx = await _posted(request, token)
    if isinstance(ctx, HTMLResponse):
        return ctx
    d = LinkAction(ctx.actor, ctx.link, _evidence(request), reason=(reason or "").strip() or None)
    failed = await _message(
        ctx, ctx.processes().update(SIGNING, ctx.link.document_id, SignatureRequestWorkflow.decline, d)
    )
    if failed is not None:
        return failed
    return _page(
        "Declined",
        '<h1 id="done">You declined to sign</h1>'
        '<p role="status">We have told the staff. You can close this page.</p>',
    )


STATIC = Path(__file__).resolve().parent.parent / "static"


@router.get("/sign-assets/signing.css", include_in_schema=False)
async def signing_css() -> Response:
    return Response(
        (STATIC / "signing.css").read_text(), media_type="text/css", headers={"Cache-Control": "max-age=3600"}
    )


@router.get("/sign-assets/signing.js", include_in_schema=False)
async def signing_js() -> Response:
    return Response(
        (STATIC / "signing.js").read_text(),
        media_type="text/javascript",
        headers={"Cache-Control": "max-age=3600"},
    )
