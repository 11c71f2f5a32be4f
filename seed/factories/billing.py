"""Money rows of the demo seed: rates, payers, payment methods, payments, reconciliation lines.

Idempotency keys and journal ids are not made here: the seed takes them, at the call site, from
the same builders the billing activities use.
"""

from __future__ import annotations

from decimal import Decimal

import factory

from core.enums import (
    BillingFrequency,
    LineItemType,
    PaymentMethodType,
    PaymentStatus,
)
from models.payment_extended import PaymentMethod, RateConfig, ReconciliationRecord
from models.payments import LedgerAccount, PayerConfig, Payment


class LedgerAccountFactory(factory.Factory[LedgerAccount]):
    class Meta:
        model = LedgerAccount

    is_system = True


class RateConfigFactory(factory.Factory[RateConfig]):
    """A weekly rent rate unless told otherwise."""

    class Meta:
        model = RateConfig

    line_type = LineItemType.RENT
    billing_frequency = BillingFrequency.WEEKLY


class PayerConfigFactory(factory.Factory[PayerConfig]):
    """An organisation paying all of a resident's charges monthly, reached through `contact`
    (a Person)."""

    class Meta:
        model = PayerConfig

    class Params:
        contact = None

    is_individual = False
    contact_name = factory.SelfAttribute("contact.full")
    billing_frequency = BillingFrequency.MONTHLY
    split_percentage = Decimal("100.00")


class PaymentMethodFactory(factory.Factory[PaymentMethod]):
    """A saved method: Stripe's token for it, never the card or account number."""

    class Meta:
        model = PaymentMethod

    method_type = PaymentMethodType.CARD
    stripe_payment_method_id = factory.LazyAttribute(lambda o: f"pm_{o.id.hex[:24]}")


class PaymentFactory(factory.Factory[Payment]):
    """Money received (pass `status` for an attempt that failed)."""

    class Meta:
        model = Payment

    status = PaymentStatus.SUCCEEDED


class ReconciliationRecordFactory(factory.Factory[ReconciliationRecord]):
    """Stripe's balance transaction for a row of ours (`of`: a payment or refund)."""

    class Meta:
        model = ReconciliationRecord

    class Params:
        of = None

    stripe_balance_transaction_id = factory.LazyAttribute(lambda o: f"txn_{o.of.id.hex[:24]}")
