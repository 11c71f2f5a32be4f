"""Stripe webhooks: localstripe signs and delivers a real event to our endpoint; it is
processed once; a replayed event is acknowledged as a duplicate; a forged one gets 400 and
changes nothing."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid

import httpx
from sqlalchemy import select

from core.config import get_settings
from core.db import tenant_session
from core.enums import PaymentStatus
from models.integrations import IdempotencyRecord
from models.payments import Payment
from tests.billing.test_api import SPECIALIST, _billed_org
from tests.factories import OrgFactory

HOOK = "/v1/billing/stripe/webhook"


def _signed(payload: bytes, secret: str) -> dict[str, str]:
    t = int(time.time())
    sig = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return {"Stripe-Signature": f"t={t},v1={sig}", "Content-Type": "application/json"}


def _events(org_id: uuid.UUID) -> list[str]:
    with tenant_session(org_id, actor_type="test") as s:
        return list(s.scalars(select(IdempotencyRecord.key).where(IdempotencyRecord.scope == "stripe-event")))


def test_a_stripe_event_is_processed_once_and_a_forged_one_changes_nothing(
    stack: str, localstripe: str, orgs: OrgFactory
) -> None:
    secret = get_settings().stripe_webhook_secret
    assert secret
    registered = httpx.post(
        f"{localstripe}/_config/webhooks/recoveryos-{uuid.uuid4().hex[:6]}",
        json={"url": f"{stack}{HOOK}", "secret": secret, "events": ["payment_intent.succeeded"]},
    )
    assert registered.status_code == 200, registered.text
    org, _rid, inv = _billed_org(orgs, stack)
    with httpx.Client(base_url=stack, headers=org.headers(SPECIALIST), timeout=60) as http:
        paid = http.post(
            "/v1/billing/card-payments", json={"invoice_id": str(inv), "payment_method": "pm_card_visa"}
        )
        assert paid.status_code == 201, paid.text
    payment_id, intent_id = uuid.UUID(paid.json()["id"]), paid.json()["stripe_payment_intent_id"]
    for _ in range(100):  # localstripe delivers about a second after the charge
        if _events(org.org_id):
            break
        time.sleep(0.1)
    (event_id,) = _events(org.org_id)

    event = {
        "id": event_id,
        "object": "event",
        "type": "payment_intent.payment_failed",
        "created": int(time.time()),
        "data": {
            "object": {
                "id": intent_id,
                "object": "payment_intent",
                "status": "requires_payment_method",
                "metadata": {"org_id": str(org.org_id), "payment_id": str(payment_id)},
            }
        },
    }
    payload = json.dumps(event).encode()
    with httpx.Client(base_url=stack, timeout=30) as stripe_side:
        replay = stripe_side.post(HOOK, content=payload, headers=_signed(payload, secret))
        assert replay.status_code == 200 and replay.json()["outcome"] == "duplicate"
        forged = {**event, "id": "evt_forged"}
        body = json.dumps(forged).encode()
        bad = stripe_side.post(HOOK, content=body, headers=_signed(body, "whsec_not_ours"))
        assert bad.status_code == 400
        unsigned = stripe_side.post(HOOK, content=body, headers={"Content-Type": "application/json"})
        assert unsigned.status_code == 400
    assert _events(org.org_id) == [event_id]
    with tenant_session(org.org_id, actor_type="test") as s:
        payment = s.get(Payment, payment_id)
        assert payment is not None and payment.status is PaymentStatus.SUCCEEDED
