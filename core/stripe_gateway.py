"""The one place that talks to Stripe: PaymentIntents and refunds through the official SDK.

Built once by the worker from settings and injected into the billing activities (tests point
it at a `localstripe` server). Calls carry an idempotency key per attempt; localstripe ignores
those keys, so callers also guard in our database (a payment row per attempt, unique intent id).
"""

from __future__ import annotations

from dataclasses import dataclass

import stripe
from stripe._base_address import BaseAddresses

from core.config import Settings


@dataclass(frozen=True)
class Intent:
    id: str
    status: str
    amount_cents: int
    client_secret: str | None = None


class StripeGateway:
    def __init__(self, api_key: str, api_base: str | None = None) -> None:
        addresses: BaseAddresses = {"api": api_base} if api_base else {}
        self.client = stripe.StripeClient(api_key, base_addresses=addresses)

    @classmethod
    def from_settings(cls, s: Settings) -> StripeGateway | None:
        return cls(s.stripe_api_key, s.stripe_api_base) if s.stripe_api_key else None

    def create_intent(
        self, amount_cents: int, currency: str, metadata: dict[str, str], idempotency_key: str
    ) -> Intent:
        pi = self.client.v1.payment_intents.create(
            params={
                "amount": amount_cents,
                "currency": currency,
                "metadata": metadata,
            },
            options={"idempotency_key": idempotency_key},
        )
        return _intent(pi)

    def confirm_intent(self, intent_id: str, payment_method: str, idempotency_key: str) -> Intent:
        pi = self.client.v1.payment_intents.confirm(
            intent_id, params={"payment_method": payment_method}, options={"idempotency_key": idempotency_key}
        )
        return _intent(pi)

    def get_intent(self, intent_id: str) -> Intent:
        return _intent(self.client.v1.payment_intents.retrieve(intent_id))

    def refund(self, intent_id: str, amount_cents: int, idempotency_key: str) -> str:
        r = self.client.v1.refunds.create(
            params={"payment_intent": intent_id, "amount": amount_cents},
            options={"idempotency_key": idempotency_key},
        )
        return str(r.id)


def _intent(pi: stripe.PaymentIntent) -> Intent:
    return Intent(str(pi.id), str(pi.status), int(pi.amount), pi.client_secret)
