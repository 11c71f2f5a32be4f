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
        self._api_key = api_key
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
        """Attach the payment method, then confirm (two calls: localstripe confirms only an
        intent that already carries its method; Stripe accepts both forms)."""
        self.client.v1.payment_intents.update(
            intent_id,
            params={"payment_method": payment_method},
            options={"idempotency_key": f"{idempotency_key}:pm"},
        )
        pi = self.client.v1.payment_intents.confirm(intent_id, options={"idempotency_key": idempotency_key})
        return _intent(pi)

    @property
    def test_mode(self) -> bool:
        return not self._api_key.startswith(("sk_live", "rk_live"))

    def test_card_method(self, number: str, exp_month: int, exp_year: int, cvc: str) -> str:
        """A PaymentMethod from a raw test card number. Test mode only: with a live key card
        numbers never touch our servers (Stripe.js collects them)."""
        if not self.test_mode:
            raise PermissionError("raw card numbers are accepted in Stripe test mode only")
        pm = self.client.v1.payment_methods.create(
            params={
                "type": "card",
                "card": {"number": number, "exp_month": exp_month, "exp_year": exp_year, "cvc": cvc},
            }
        )
        return str(pm.id)

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
