"""The resident's payment page: a signed, expiring link per open invoice, a small mobile-first
HTML page showing the amount due and the house name (nothing clinical), and a form that pays
through the card-payment workflow (a Stripe PaymentIntent).

The form posts a Stripe PaymentMethod id: in test mode the page offers Stripe's test method
`pm_card_visa` (which localstripe also accepts); with a live key the method comes from Stripe.js.
Any link that is altered, expired or already paid gets a clear page, never a stack trace.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from html import escape
from typing import Annotated
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from temporalio.client import Client, WorkflowUpdateFailedError

from api.deps import temporal_client
from api.processes import Processes, StillRunning, process_config
from core.db import tenant_session
from core.errors import DomainError
from models.enums import InvoiceStatus, PaymentStatus
from services import billing
from services.billing import BadLink, PayLink, PayPage
from workflows.billing import PAYMENT, CardPaymentInput, CardPaymentWorkflow
from workflows.common import Actor

router = APIRouter(prefix="/pay", include_in_schema=False)

PM = re.compile(r"^pm_[A-Za-z0-9_]{3,200}$")
HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    html = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{escape(title)}</title>
<style>
body{{font-family:system-ui,sans-serif;margin:0;padding:1rem;background:#f6f7f9;color:#1d2330}}
main{{max-width:28rem;margin:0 auto;background:#fff;border-radius:.75rem;padding:1.25rem;
box-shadow:0 1px 3px #0002}}
h1{{font-size:1.25rem;margin:0 0 .75rem}} .amount{{font-size:2rem;font-weight:700;margin:.5rem 0}}
button{{width:100%;font-size:1.1rem;padding:.9rem;border:0;border-radius:.5rem;background:#2557d6;color:#fff}}
.muted{{color:#5b6270;font-size:.9rem}}
</style></head><body><main>{body}</main></body></html>"""
    return HTMLResponse(html, status_code=status, headers=HEADERS)


def _bad_link(exc: BadLink) -> HTMLResponse:
    if exc.expired:
        return _page(
            "Link expired", "<h1>This payment link has expired</h1><p>Ask your house for a new link.</p>", 410
        )
    return _page(
        "Link not valid",
        "<h1>This payment link is not valid</h1>"
        "<p>Check that you opened the whole link, or ask your house for a new one.</p>",
        400,
    )


def _dollars(cents: int) -> str:
    return f"${cents // 100:,}.{cents % 100:02d}"


def _paid_page(page: PayPage) -> HTMLResponse:
    return _page(
        "Nothing to pay",
        f"<h1>Invoice {escape(page.number)} is paid</h1><p>There is nothing to pay. Thank you.</p>",
    )


def resolve(token: str) -> tuple[PayLink, PayPage] | HTMLResponse:
    """The link's invoice, or the page that explains why there is none. A sync dependency:
    FastAPI runs it on its thread pool, outside the event loop."""
    try:
        link = billing.read_payment_link(token, datetime.now(UTC))
        with tenant_session(link.org_id, actor_type="payment-link") as s:
            return link, billing.pay_page(s, link.invoice_id)
    except BadLink as exc:
        return _bad_link(exc)
    except DomainError:
        return _bad_link(BadLink(expired=False))


Resolved = Annotated[tuple[PayLink, PayPage] | HTMLResponse, Depends(resolve)]


@router.get("/{token}", response_class=HTMLResponse)
async def show(resolved: Resolved) -> HTMLResponse:
    if isinstance(resolved, HTMLResponse):
        return resolved
    _link, page = resolved
    if page.amount_due_cents <= 0 or page.status is InvoiceStatus.PAID:
        return _paid_page(page)
    attempt = uuid.uuid4()
    return _page(
        "Pay your invoice",
        f"""<h1>{escape(page.house_name)}</h1>
<p class="muted">Invoice {escape(page.number)} &middot;
{page.period_start:%b %d} to {page.period_end:%b %d, %Y}</p>
<p>Amount due</p><p class="amount">{_dollars(page.amount_due_cents)}</p>
<form method="post">
<input type="hidden" name="attempt" value="{attempt}">
<input type="hidden" name="payment_method" value="pm_card_visa">
<p class="muted">Test mode: pays with Stripe's test card (4242 4242 4242 4242).</p>
<button type="submit">Pay {_dollars(page.amount_due_cents)}</button>
</form>""",
    )


def system_processes(request: Request, client: Client, org_id: uuid.UUID) -> Processes:
    """Processes for a caller that is not a user (a payment link, a Stripe webhook): the org
    comes from a signed token or event, and the system is the actor."""
    actor = Actor(org_id, None, getattr(request.state, "request_id", None))
    return Processes.for_link(client, actor, process_config(request))


@router.post("/{token}", response_class=HTMLResponse)
async def pay(
    resolved: Resolved, request: Request, client: Annotated[Client, Depends(temporal_client)]
) -> HTMLResponse:
    if isinstance(resolved, HTMLResponse):
        return resolved
    link, page = resolved
    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    method = (form.get("payment_method") or [""])[0]
    try:
        attempt = uuid.UUID((form.get("attempt") or [""])[0])
    except ValueError:
        return _page(
            "Payment not sent", "<h1>The payment form was incomplete</h1><p>Go back and try again.</p>", 400
        )
    if not PM.match(method):
        return _page(
            "Payment not sent", "<h1>The payment form was incomplete</h1><p>Go back and try again.</p>", 400
        )
    if page.amount_due_cents <= 0:
        return _paid_page(page)
    processes = system_processes(request, client, link.org_id)
    try:
        outcome = await processes.start(
            PAYMENT,
            attempt,
            CardPaymentWorkflow.run,
            CardPaymentInput(processes.actor, attempt, link.invoice_id, page.amount_due_cents, method),
            update=CardPaymentWorkflow.wait_outcome,
            update_arg=processes.actor,
        )
    except StillRunning:
        return _page(
            "Payment in progress",
            "<h1>Your payment is being processed</h1><p>You can close this page.</p>",
            202,
        )
    except WorkflowUpdateFailedError:
        return _page(
            "Payment not taken",
            "<h1>This invoice cannot be paid right now</h1><p>Please contact your house.</p>",
            409,
        )
    if outcome is not None and outcome.status is PaymentStatus.SUCCEEDED:
        return _page(
            "Payment received",
            f"<h1>Thank you</h1><p>We received {_dollars(page.amount_due_cents)}"
            f" for invoice {escape(page.number)}.</p>",
        )
    return _page(
        "Payment not taken",
        "<h1>Your card was not charged</h1><p>Please try again or contact your house.</p>",
        402,
    )
