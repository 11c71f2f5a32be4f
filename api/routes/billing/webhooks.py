"""Stripe webhooks: one endpoint. The signature is verified with `stripe.Webhook.construct_event`
(a forged or altered event gets 400 and changes nothing); each event id is processed once per
org (recorded in `idempotency_keys` under the scope `stripe-event`, so a replayed or re-sent
event is acknowledged and ignored); a settled PaymentIntent signals its card-payment workflow.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import stripe
from fastapi import APIRouter, Depends, Header, HTTPException, Request
from pydantic import BaseModel
from temporalio.client import Client

from api.deps import temporal_client
from api.errors import problem_responses
from api.routes.billing.page import system_processes
from core.config import get_settings
from core.db import tenant_session
from core.errors import DomainError
from services import idempotency
from workflows.billing.payments import PAYMENT, CardPaymentWorkflow, IntentSettled

router = APIRouter(prefix="/v1/billing/stripe", tags=["billing"])
EVENT_SCOPE = "stripe-event"
SETTLING = {"payment_intent.succeeded", "payment_intent.payment_failed", "payment_intent.canceled"}


class WebhookAck(BaseModel):
    event_id: str
    outcome: str


def _claim(org_id: uuid.UUID, event_id: str) -> bool:
    """True the first time this org sees the event id. The digest is of the id alone: Stripe
    re-sends an event with the same id, and any body under a seen id is a duplicate."""
    with tenant_session(org_id, actor_type="stripe-webhook") as s:
        _id, replayed = idempotency.claim(
            s, EVENT_SCOPE, event_id, idempotency.request_digest(event_id), uuid.uuid4(), None
        )
    return not replayed


@router.post("/webhook", response_model=WebhookAck, responses=problem_responses(400))
async def stripe_webhook(
    request: Request,
    client: Annotated[Client, Depends(temporal_client)],
    stripe_signature: Annotated[str | None, Header(alias="Stripe-Signature")] = None,
) -> WebhookAck:
    """Stripe's webhook endpoint: a verified `payment_intent.*` event settles its card payment
    once; anything unsigned or wrongly signed is a 400 (and is always, when webhooks are not
    configured)."""
    secret = get_settings().stripe_webhook_secret
    payload = await request.body()
    try:
        # With no secret configured (said once at start-up) no signature can be valid: the
        # caller learns the same 400 either way, not how the server is set up.
        if not secret:
            raise stripe.SignatureVerificationError("not configured", stripe_signature or "")
        event = stripe.Webhook.construct_event(payload, stripe_signature or "", secret)
    except (stripe.SignatureVerificationError, ValueError):
        raise HTTPException(400, "invalid Stripe-Signature") from None
    obj: dict[str, Any] = event.data.object.to_dict()
    metadata = obj.get("metadata") or {}
    try:
        org_id, payment_id = uuid.UUID(metadata["org_id"]), uuid.UUID(metadata["payment_id"])
    except (KeyError, ValueError):
        return WebhookAck(event_id=event.id, outcome="ignored: not one of our payments")
    if event.type not in SETTLING:
        return WebhookAck(event_id=event.id, outcome=f"ignored: {event.type}")
    from anyio import to_thread

    first = await to_thread.run_sync(_claim, org_id, event.id)
    if not first:
        return WebhookAck(event_id=event.id, outcome="duplicate")
    processes = system_processes(request, client, org_id)
    try:
        await processes.signal(
            PAYMENT,
            payment_id,
            CardPaymentWorkflow.intent_settled,
            IntentSettled(processes.actor, str(obj["id"]), str(obj["status"])),
        )
    except DomainError:
        # The attempt already settled from Stripe's own answer, or is not ours: nothing waits.
        return WebhookAck(event_id=event.id, outcome="processed: no workflow waiting")
    return WebhookAck(event_id=event.id, outcome="processed")
