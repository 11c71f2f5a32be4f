"""Billing tests use the session's `localstripe` fixture (tests/conftest.py): the worker and
the API reach it through the ordinary Stripe settings. `stripe_js` is the API as deployed with
a publishable key."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI

from core.stripe_gateway import StripeGateway


@pytest.fixture
def stripe_js(api_app: FastAPI) -> Iterator[StripeGateway]:
    """The API as deployed with a publishable key: the payment page takes cards with Stripe.js."""
    from api.routes.billing.page import CardSettings, card_settings
    from core.config import get_settings

    gateway = StripeGateway.from_settings(get_settings())
    assert gateway is not None
    api_app.dependency_overrides[card_settings] = lambda: CardSettings("pk_test_recoveryos", gateway)
    try:
        yield gateway
    finally:
        api_app.dependency_overrides.pop(card_settings)
