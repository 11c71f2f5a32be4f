"""The signer's signing page (`/sign/<token>`), which their link alone authorises (no cookie, no
login): server-rendered HTML with one small script (the signature canvas and the "read to the
end" check). Each step is a message to the signature request's workflow; every POST from a
foreign Origin is refused.
"""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from activities.signing import LinkAction
from api.deps import TenantDB, client_ip, temporal_client
from api.processes import Processes, process_config
from api.routes.signing import render
from core.config import get_settings
from core.contracts.signing import Evidence, Link
from core.errors import DomainError
from core.filestore import file_store_from_settings
from core.process import Actor
from services.signing import ceremony, links
from services.signing.ceremony import SigningPage
from services.signing.links import LinkError
from workflows.signing import SIGNING, SignatureRequestWorkflow

router = APIRouter(tags=["signing"])


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
        self.link: Link = links.read_token(token, datetime.now(UTC))
        self.actor = Actor(self.link.org_id, None, request.state.request_id)
        self.db = TenantDB.for_link(self.link.org_id, request.state.request_id, client_ip(request))

    def processes(self) -> Processes:
        return Processes.for_link(temporal_client(self.request), self.actor, process_config(self.request))

    async def page(self) -> SigningPage:
        return await self.db.run(ceremony.signing_page, self.link)


@router.get("/sign/{token}/signed.pdf", include_in_schema=False)
async def signed_copy(request: Request, token: str) -> Response:
    """The signer's own copy of the signed document, from the link they signed with."""
    ctx = await _context(request, token)
    if isinstance(ctx, HTMLResponse):
        return ctx
    try:
        signed = await ctx.db.run(ceremony.signed_copy, ctx.link)
    except LinkError as exc:
        return render.problem(exc.reason, str(exc.message))
    if signed is None:
        return render.problem("closed", "There is no signed copy yet: it is ready once everyone has signed.")
    data = await file_store_from_settings().aget(signed[1].key, signed[1].sha256)
    return Response(
        data,
        media_type="application/pdf",
        headers={**render.PAGE_HEADERS, "Content-Disposition": 'attachment; filename="signed-copy.pdf"'},
    )


async def _context(request: Request, token: str) -> LinkContext | HTMLResponse:
    try:
        return LinkContext(request, token)
    except LinkError as exc:
        return render.problem(exc.reason, str(exc.message))


async def _posted(request: Request, token: str) -> LinkContext | HTMLResponse:
    """The context of a form the page posts; a foreign origin is refused before anything."""
    if _foreign_origin(request):
        return render.problem("origin", "This form can only be sent from the signing page.")
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
        if reason in render.STATUS_OF:
            return render.problem(reason, message)
        page = await ctx.page()
        step = render.sign_step if page.consented else render.consent_step
        return render.page(page.title, step(ctx.token, page, message), 422 if kind == "Rejected" else 409)
    return None


@router.get("/sign/{token}", response_class=HTMLResponse, include_in_schema=False)
async def signing_page(request: Request, token: str) -> HTMLResponse:
    ctx = await _context(request, token)
    if isinstance(ctx, HTMLResponse):
        return ctx
    try:
        page = await ctx.page()
    except LinkError as exc:
        if exc.reason == "used" and (signed := await ctx.db.run(ceremony.signed_copy, ctx.link)) is not None:
            return render.page(signed[0], render.signed_step(token, signed[0]))
        return render.problem(exc.reason, str(exc.message))
    # Opening the link records nothing: e-mail and SMS clients fetch links to scan or preview
    # them, and that is not the resident viewing the document. The view is recorded on the
    # resident's first interaction (the consent step, below).
    step = render.sign_step if page.consented else render.consent_step
    return render.page(page.title, step(token, page))


@router.post("/sign/{token}/consent", response_class=HTMLResponse, include_in_schema=False)
async def consent(
    request: Request, token: str, esign_consent: Annotated[str | None, Form()] = None
) -> Response:
    ctx = await _posted(request, token)
    if isinstance(ctx, HTMLResponse):
        return ctx
    if esign_consent != "yes":
        page = await ctx.page()
        return render.page(
            page.title, render.consent_step(token, page, "Tick the box to consent, or decline."), 422
        )
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
    return failed or RedirectResponse(f"/sign/{token}", status_code=303, headers=render.PAGE_HEADERS)


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
            return render.problem(exc.reason, str(exc.message))
        return render.page(page.title, render.sign_step(token, page, error), 422)
    submission = LinkAction(ctx.actor, ctx.link, _evidence(request), typed, drawn)
    failed = await _message(
        ctx, ctx.processes().update(SIGNING, ctx.link.document_id, SignatureRequestWorkflow.sign, submission)
    )
    if failed is not None:
        return failed
    return render.page(
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
    return render.page(
        "Declined",
        '<h1 id="done">You declined to sign</h1>'
        '<p role="status">We have told the staff. You can close this page.</p>',
    )


STATIC = Path(__file__).resolve().parents[2] / "static"


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
