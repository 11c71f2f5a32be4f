"""The one place that talks to Stripe: PaymentIntents and refunds through the official SDK.

Built once by the worker from settings and injected into the billing activities (tests point
it at a `localstripe` server). Calls carry an idempotency key per attempt; localstripe ignores
those keys, so callers also guard in our database (a payment row per attempt, unique intent id).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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

    def refund(
        self, intent_id: str, amount_cents: int, idempotency_key: str, metadata: dict[str, str] | None = None
    ) -> str:
        """Refund (part of) a PaymentIntent. Stripe dedupes by the idempotency key; localstripe
        does not, so callers look for the refund by its metadata first (`find_refund`)."""
        r = self.client.v1.refunds.create(
            params={"payment_intent": intent_id, "amount": amount_cents, "metadata": metadata or {}},
            options={"idempotency_key": idempotency_key},
        )
        return str(r.id)

    def find_refund(self, intent_id: str, key: str, value: str) -> str | None:
        """The refund of this intent whose metadata `key` is `value`, if one was made."""
        for r in self.client.v1.refunds.list(params={"payment_intent": intent_id, "limit": 100}).data:
            if r.to_dict().get("metadata", {}).get(key) == value:
                return str(r.id)
        return None

    def balance_transactions(self, start: int, end: int) -> list[BalanceTxn]:
        """Every balance transaction created in [start, end) (Unix seconds), with the Stripe ids
        and metadata that tie it to our payments and refunds. Stripe lists newest first; we
        page until we pass `start` (the same path on Stripe and on localstripe, which has no
        `created` filter)."""
        out: list[BalanceTxn] = []
        after: str | None = None
        while True:
            params: Any = {"limit": 100, "expand": ["data.source"]}
            if after:
                params["starting_after"] = after
            page = self.client.v1.balance_transactions.list(params=params)
            for t in page.data:
                if t.created < start:
                    return out
                if t.created < end:
                    out.append(self._txn(t))
            if not page.has_more or not page.data:
                return out
            after = page.data[-1].id

    def _txn(self, t: Any) -> BalanceTxn:
        source = t.source
        source_id = source if isinstance(source, str) or source is None else str(source.id)
        intent: str | None = None
        metadata: dict[str, str] = {}
        if source is not None and not isinstance(source, str):
            data = source.to_dict()
            intent = data.get("payment_intent")
            metadata = dict(data.get("metadata") or {})
        if intent and "org_id" not in metadata:
            pi = self.client.v1.payment_intents.retrieve(intent).to_dict()
            metadata = {**dict(pi.get("metadata") or {}), **metadata}
        return BalanceTxn(
            id=str(t.id),
            type=str(t.type),
            amount_cents=int(t.amount),
            fee_cents=int(t.fee or 0),
            net_cents=int(t.net),
            created=int(t.created),
            available_on=int(t.available_on) if t.available_on else None,
            source_id=source_id,
            payment_intent_id=intent,
            metadata=metadata,
        )

    def payouts(self, start: int, end: int) -> list[PayoutInfo]:
        """Payouts created in [start, end), with the balance transactions each one paid out
        (`balance_transactions?payout=`; runs on real Stripe, localstripe keeps no payouts of
        its own)."""
        out: list[PayoutInfo] = []
        for p in self.client.v1.payouts.list(params={"limit": 100}).data:
            if not start <= int(p.created) < end:
                continue
            members = [
                str(t.id)
                for t in self.client.v1.balance_transactions.list(params={"payout": p.id, "limit": 100}).data
            ]
            out.append(PayoutInfo(str(p.id), int(p.amount), int(p.arrival_date), members))
        return out


@dataclass(frozen=True)
class BalanceTxn:
    id: str
    type: str
    amount_cents: int
    fee_cents: int
    net_cents: int
    created: int
    available_on: int | None
    source_id: str | None
    payment_intent_id: str | None
    metadata: dict[str, str]


@dataclass(frozen=True)
class PayoutInfo:
    id: str
    amount_cents: int
    arrival: int
    balance_transaction_ids: list[str]


def _intent(pi: stripe.PaymentIntent) -> Intent:
    return Intent(str(pi.id), str(pi.status), int(pi.amount), pi.client_secret)
