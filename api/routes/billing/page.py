"""The resident's payment page: a signed, expiring link per open invoice, a small mobile-first
HTML page showing the amount due and the house name (nothing clinical), paid through the
card-payment workflow (one Stripe PaymentIntent per attempt, created by the workflow's
activity with the attempt as its idempotency key).

Two ways to take the card, one PaymentIntent path:
- **Stripe.js** (a publishable key is configured): the page loads https://js.stripe.com/v3,
  mounts Stripe's card element, asks `POST /pay/{token}/intent` for the attempt's intent
  (the workflow creates it; the client secret comes from Stripe, never through the workflow),
  confirms it in the browser with `confirmCardPayment`, then posts to `/pay/{token}/return`,
  which asks Stripe how the intent ended and tells the workflow (as the webhook would).
- **Card form** (no publishable key: localstripe in tests and `recoveryos dev`): a plain form
  posts the card to this server, which turns it into a PaymentMethod (Stripe test mode only:
  with a live key card numbers never touch our servers) and the workflow confirms the intent.

Any link that is altered, expired or already paid gets a clear page, never a stack trace.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from html import escape
from pathlib import Path
from typing import Annotated
from urllib.parse import parse_qs

import stripe
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.workflow import UpdateMethodMultiParam

from api.deps import temporal_client
from api.processes import Processes, StillRunning, process_config
from core.config import get_settings
from core.db import tenant_session
from core.enums import InvoiceStatus, PaymentStatus
from core.errors import Conflict, DomainError, NotFound
from core.process import Actor
from core.stripe_gateway import StripeGateway
from services.billing import links, payments
from services.billing.links import BadLink, PayLink, PayPage, dollars
from workflows.billing.payments import (
    PAYMENT,
    SETTLED_STATUSES,
    CardPaymentInput,
    CardPaymentWorkflow,
    IntentSettled,
    PaymentOutcome,
)

router = APIRouter(prefix="/v1/billing/pay", include_in_schema=False)

PM = re.compile(r"^pm_[A-Za-z0-9_]{3,200}$")
CARD_NUMBER = re.compile(r"^[0-9]{12,19}$")
CARD_EXP = re.compile(r"^(0[1-9]|1[0-2])\s*/\s*([0-9]{2}|20[0-9]{2})$")
CARD_CVC = re.compile(r"^[0-9]{3,4}$")
STRIPE_JS = "https://js.stripe.com/v3/"
STATIC = Path(__file__).resolve().parents[2] / "static"
_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; "
_CSP_END = "frame-ancestors 'none'; base-uri 'none'"
# Stripe.js needs its script, its card iframe and its API (Stripe's documented CSP).
_CSP_STRIPE = (
    "script-src 'self' https://js.stripe.com; frame-src https://js.stripe.com https://hooks.stripe.com; "
    "connect-src 'self' https://api.stripe.com; "
)
HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": _CSP + _CSP_END,
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
STRIPE_HEADERS = {**HEADERS, "Content-Security-Policy": _CSP + _CSP_STRIPE + _CSP_END}


@dataclass(frozen=True)
class CardSettings:
    """How this deployment takes cards; a dependency, so tests can switch to Stripe.js."""

    publishable_key: str | None
    gateway: StripeGateway | None
    stripe_js: str = STRIPE_JS

    @property
    def stripe_js_mode(self) -> bool:
        return bool(self.publishable_key)


def card_settings() -> CardSettings:
    s = get_settings()
    return CardSettings(s.stripe_publishable_key, StripeGateway.from_settings(s))


Cards = Annotated[CardSettings, Depends(card_settings)]


def _page(title: str, body: str, status: int = 200, stripe_js: bool = False) -> HTMLResponse:
    html = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{escape(title)}</title>
<style>
*{{box-sizing:border-box}}
body{{font-family:system-ui,sans-serif;margin:0;padding:1rem;background:#f6f7f9;color:#1d2330;font-size:1rem}}
main{{max-width:28rem;margin:0 auto;background:#fff;border-radius:.75rem;padding:1.25rem;
box-shadow:0 1px 3px #0002}}
h1{{font-size:1.25rem;margin:0 0 .75rem}} .amount{{font-size:2rem;font-weight:700;margin:.5rem 0}}
label{{display:block;font-size:.9rem;margin:.75rem 0 .25rem}}
input,#card-element{{width:100%;font-size:1.1rem;padding:.7rem;border:1px solid #b8bdc7;border-radius:.5rem;
background:#fff}}
.row{{display:flex;gap:.75rem}} .row>div{{flex:1}}
button{{width:100%;font-size:1.1rem;padding:.9rem;margin-top:1rem;border:0;border-radius:.5rem;
background:#2557d6;color:#fff}} button:disabled{{background:#8a9bc9}}
.muted{{color:#5b6270;font-size:.9rem}} .error{{color:#b3261e}}
</style></head><body><main>{body}</main></body></html>"""
    return HTMLResponse(html, status_code=status, headers=STRIPE_HEADERS if stripe_js else HEADERS)


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


def _paid_page(page: PayPage) -> HTMLResponse:
    return _page(
        "Nothing to pay",
        f"<h1>Invoice {escape(page.number)} is paid</h1><p>There is nothing to pay. Thank you.</p>",
    )


def _incomplete(what: str) -> HTMLResponse:
    return _page(
        "Payment not sent",
        f'<h1>The payment form was incomplete</h1><p class="error">{escape(what)}</p>'
        # An empty href is this page's own address: a GET there is a fresh form and attempt.
        '<p><a class="button" href="">Try again</a></p>',
        400,
    )


def _receipt(page: PayPage, cents: int) -> HTMLResponse:
    return _page(
        "Payment received",
        f'<h1 id="receipt">Thank you</h1><p>We received {dollars(cents)}'
        f" for invoice {escape(page.number)} at {escape(page.house_name)}.</p>"
        '<p class="muted">You can close this page.</p>',
    )


def _in_progress() -> HTMLResponse:
    return _page(
        "Payment in progress",
        "<h1>Your payment is being processed</h1><p>You can close this page.</p>",
        202,
    )


def _not_taken(reason: str = "Please try again or contact your house.") -> HTMLResponse:
    return _page(
        "Payment not taken",
        f"<h1>Your card was not charged</h1><p>{escape(reason)}</p>"
        '<p><a class="button" id="try-again" href="">Try again, with this card or another</a></p>',
        402,
    )


def resolve(token: str) -> tuple[PayLink, PayPage] | HTMLResponse:
    """The link's invoice, or the page that explains why there is none. A sync dependency:
    FastAPI runs it on its thread pool, outside the event loop."""
    try:
        link = links.read_payment_link(token, datetime.now(UTC))
        with tenant_session(link.org_id, actor_type="payment-link") as s:
            return link, links.pay_page(s, link.invoice_id)
    except BadLink as exc:
        return _bad_link(exc)
    except DomainError:
        return _bad_link(BadLink(expired=False))


Resolved = Annotated[tuple[PayLink, PayPage] | HTMLResponse, Depends(resolve)]


def _card_form(page: PayPage, attempt: uuid.UUID, cards: CardSettings) -> str:
    test_hint = (
        '<p class="muted">Test mode: card 4242 4242 4242 4242, any future date, any CVC.</p>'
        if cards.gateway is not None and cards.gateway.test_mode
        else ""
    )
    return f"""<form method="post" id="pay-form" autocomplete="on">
<input type="hidden" name="attempt" value="{attempt}">
<label for="card_number">Card number</label>
<input id="card_number" name="card_number" inputmode="numeric" autocomplete="cc-number"
 placeholder="1234 1234 1234 1234" maxlength="23" required>
<div class="row"><div><label for="card_exp">Expiry (MM/YY)</label>
<input id="card_exp" name="card_exp" autocomplete="cc-exp" placeholder="MM/YY" maxlength="7" required></div>
<div><label for="card_cvc">CVC</label>
<input id="card_cvc" name="card_cvc" inputmode="numeric" autocomplete="cc-csc" placeholder="123"
 maxlength="4" required></div></div>
{test_hint}
<button type="submit" id="pay-button">Pay {dollars(page.amount_due_cents)}</button>
</form>"""


def _stripe_js_form(page: PayPage, attempt: uuid.UUID, token: str, cards: CardSettings) -> str:
    # Relative URLs: the page lives at …/pay/<token>.
    return f"""<form method="post" id="pay-form" action="{escape(token)}/return"
 data-key="{escape(cards.publishable_key or "")}" data-intent="{escape(token)}/intent">
<input type="hidden" name="attempt" value="{attempt}">
<label for="card-element">Card</label>
<div id="card-element"></div>
<p id="card-errors" class="error" role="alert"></p>
<button type="submit" id="pay-button">Pay {dollars(page.amount_due_cents)}</button>
</form>
<script src="{escape(cards.stripe_js)}"></script>
<script src="assets/pay.js"></script>"""


@router.get("/assets/pay.js")
async def pay_js() -> Response:
    return Response(
        (STATIC / "pay.js").read_text(),
        media_type="text/javascript",
        headers={"Cache-Control": "max-age=3600"},
    )


@router.get("/{token}", response_class=HTMLResponse)
async def show(resolved: Resolved, token: str, cards: Cards) -> HTMLResponse:
    if isinstance(resolved, HTMLResponse):
        return resolved
    _link, page = resolved
    if page.amount_due_cents <= 0 or page.status is InvoiceStatus.PAID:
        return _paid_page(page)
    attempt = uuid.uuid4()
    form = (
        _stripe_js_form(page, attempt, token, cards)
        if cards.stripe_js_mode
        else _card_form(page, attempt, cards)
    )
    return _page(
        "Pay your invoice",
        f"""<h1>{escape(page.house_name)}</h1>
<p class="muted">Invoice {escape(page.number)} &middot;
{page.period_start:%b %d} to {page.period_end:%b %d, %Y}</p>
<p>Amount due</p><p class="amount">{dollars(page.amount_due_cents)}</p>
{form}""",
        stripe_js=cards.stripe_js_mode,
    )


def system_processes(request: Request, client: Client, org_id: uuid.UUID) -> Processes:
    """Processes for a caller that is not a user (a payment link, a Stripe webhook): the org
    comes from a signed token or event, and the system is the actor."""
    actor = Actor(org_id, None, getattr(request.state, "request_id", None))
    return Processes.for_link(client, actor, process_config(request))


async def _start_attempt(
    processes: Processes,
    link: PayLink,
    page: PayPage,
    attempt: uuid.UUID,
    method: str,
    update: UpdateMethodMultiParam[[CardPaymentWorkflow, Actor], PaymentOutcome],
) -> PaymentOutcome | None:
    """Start the attempt's card-payment workflow (or reach the one already running) and wait
    for `update`; the attempt id is the payment id and the PaymentIntent's idempotency key."""
    return await processes.start(
        PAYMENT,
        attempt,
        CardPaymentWorkflow.run,
        CardPaymentInput(processes.actor, attempt, link.invoice_id, page.amount_due_cents, method),
        update=update,
        update_arg=processes.actor,
    )


async def _form(request: Request) -> dict[str, str]:
    parsed = parse_qs((await request.body()).decode("utf-8", "replace"))
    return {k: v[0].strip() for k, v in parsed.items() if v}


def _attempt(form: dict[str, str]) -> uuid.UUID | None:
    try:
        return uuid.UUID(form.get("attempt", ""))
    except ValueError:
        return None


async def _payment_method(form: dict[str, str], cards: CardSettings) -> str | HTMLResponse:
    """A PaymentMethod id from the form: given as such, or made from the card fields (test mode)."""
    method = form.get("payment_method", "")
    if method:
        return method if PM.match(method) else _incomplete("The payment method is not valid.")
    if cards.stripe_js_mode:
        return _incomplete("Enter your card in the secure card field.")
    number = re.sub(r"[\s-]", "", form.get("card_number", ""))
    if not CARD_NUMBER.match(number):
        return _incomplete("Check the card number.")
    exp = CARD_EXP.match(form.get("card_exp", ""))
    if exp is None:
        return _incomplete("Check the expiry date (MM/YY).")
    if not CARD_CVC.match(form.get("card_cvc", "")):
        return _incomplete("Check the CVC.")
    if cards.gateway is None:
        return _page("Payment not available", "<h1>Card payments are not available</h1>", 503)
    if not cards.gateway.test_mode:
        # A live key without a publishable key: refuse rather than let card numbers through us.
        return _page("Payment not available", "<h1>Card payments are not available</h1>", 503)
    month, year = int(exp.group(1)), int(exp.group(2))
    year = year if year > 99 else 2000 + year
    # A card is good through the last day of its expiry month; refused here, before Stripe.
    if (year, month) < (date.today().year, date.today().month):
        return _incomplete("The card's expiry date has passed.")
    try:
        return await run_in_threadpool(
            cards.gateway.test_card_method,
            number,
            month,
            year,
            form["card_cvc"],
        )
    except stripe.CardError as exc:
        return _not_taken(exc.user_message or "The card was declined.")
    except stripe.InvalidRequestError:
        return _not_taken("Check the card details and try again.")


@router.post("/{token}", response_class=HTMLResponse)
async def pay(
    resolved: Resolved, request: Request, client: Annotated[Client, Depends(temporal_client)], cards: Cards
) -> HTMLResponse:
    """The card form's path: the workflow creates the intent and confirms it with the method."""
    if isinstance(resolved, HTMLResponse):
        return resolved
    link, page = resolved
    form = await _form(request)
    attempt = _attempt(form)
    if attempt is None:
        return _incomplete("The form is missing its payment attempt.")
    if page.amount_due_cents <= 0:
        return _paid_page(page)
    method = await _payment_method(form, cards)
    if isinstance(method, HTMLResponse):
        return method
    processes = system_processes(request, client, link.org_id)
    try:
        outcome = await _start_attempt(
            processes, link, page, attempt, method, CardPaymentWorkflow.wait_outcome
        )
    except StillRunning:
        return _in_progress()
    except WorkflowUpdateFailedError:
        return _page(
            "Payment not taken",
            "<h1>This invoice cannot be paid right now</h1><p>Please contact your house.</p>",
            409,
        )
    if outcome is not None and outcome.status is PaymentStatus.SUCCEEDED:
        return _receipt(page, page.amount_due_cents)
    return _not_taken()


def _json(body: dict[str, str], status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers={"Cache-Control": "no-store"})


@router.post("/{token}/intent")
async def open_intent(
    resolved: Resolved, request: Request, client: Annotated[Client, Depends(temporal_client)], cards: Cards
) -> Response:
    """Stripe.js path: the attempt's PaymentIntent (created by the workflow, the attempt its
    idempotency key) and its client secret, which Stripe.js needs to confirm it."""
    if isinstance(resolved, HTMLResponse):
        return resolved
    if not cards.stripe_js_mode or cards.gateway is None:
        return _json({"detail": "this page takes cards through its own form"}, 404)
    link, page = resolved
    attempt = _attempt(await _form(request))
    if attempt is None:
        return _json({"detail": "attempt must be a UUID", "field": "attempt"}, 400)
    if page.amount_due_cents <= 0:
        return _json({"detail": "this invoice is paid"}, 409)
    processes = system_processes(request, client, link.org_id)
    try:
        opened = await _start_attempt(processes, link, page, attempt, "", CardPaymentWorkflow.intent_opened)
    except StillRunning:
        return _json({"detail": "try again in a moment"}, 503)
    except WorkflowUpdateFailedError:
        return _json({"detail": "this invoice cannot be paid right now"}, 409)
    if opened is None or opened.intent_id is None:
        return _json({"detail": "this payment attempt is over; reload the page"}, 409)
    intent = await run_in_threadpool(cards.gateway.get_intent, opened.intent_id)
    return _json({"client_secret": intent.client_secret or "", "status": intent.status})


def _attempt_payment(link: PayLink, attempt: uuid.UUID) -> tuple[str | None, PaymentStatus, int] | None:
    """The attempt's intent id, status and amount, if the attempt is for this link's invoice."""
    with tenant_session(link.org_id, actor_type="payment-link") as s:
        try:
            payment = payments.get_payment(s, attempt)
        except NotFound:
            return None
        if payment.invoice_id != link.invoice_id:
            return None
        return payment.stripe_payment_intent_id, payment.status, payment.amount_cents


@router.post("/{token}/return", response_class=HTMLResponse)
async def returned(
    resolved: Resolved, request: Request, client: Annotated[Client, Depends(temporal_client)], cards: Cards
) -> HTMLResponse:
    """Stripe.js path, after `confirmCardPayment`: ask Stripe (not the browser) how the intent
    ended, tell the workflow as the webhook would, and show its outcome."""
    if isinstance(resolved, HTMLResponse):
        return resolved
    link, page = resolved
    attempt = _attempt(await _form(request))
    found = await run_in_threadpool(_attempt_payment, link, attempt) if attempt else None
    if attempt is None or found is None:
        return _incomplete("This payment attempt is not for this invoice.")
    intent_id, status, cents = found
    if status is PaymentStatus.SUCCEEDED:
        return _receipt(page, cents)
    if intent_id is None or cards.gateway is None:
        return _in_progress()
    intent = await run_in_threadpool(cards.gateway.get_intent, intent_id)
    if intent.status not in SETTLED_STATUSES:
        return _in_progress()
    processes = system_processes(request, client, link.org_id)
    outcome: PaymentOutcome | None = None
    try:
        await processes.signal(
            PAYMENT,
            attempt,
            CardPaymentWorkflow.intent_settled,
            IntentSettled(processes.actor, intent_id, intent.status),
        )
        outcome = await asyncio.wait_for(
            processes.update(PAYMENT, attempt, CardPaymentWorkflow.wait_outcome, processes.actor),
            process_config(request).wait_seconds,
        )
    except (Conflict, NotFound):
        pass  # already settled (the webhook was first): the database says how
    except TimeoutError:
        return _in_progress()
    if outcome is None:
        found = await run_in_threadpool(_attempt_payment, link, attempt)
        status = found[1] if found else PaymentStatus.FAILED
    else:
        status = outcome.status
    if status is PaymentStatus.SUCCEEDED:
        return _receipt(page, cents)
    return _not_taken()
