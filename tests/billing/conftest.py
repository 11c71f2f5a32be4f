"""A localstripe server for the billing tests, started from its wheel, and the worker and API
pointed at it through the ordinary Stripe settings; the API as deployed with a publishable key."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator

import pytest
from fastapi import FastAPI

from core.stripe_gateway import StripeGateway
from tests.harness import BIN

# The root conftest sets the Stripe settings for the whole run (worker, API, schemathesis);
# localstripe listens where they point.
STRIPE_BASE = os.environ["RECOVERYOS_STRIPE_API_BASE"]
STRIPE_KEY = os.environ["RECOVERYOS_STRIPE_API_KEY"]
_PORT = int(STRIPE_BASE.rsplit(":", 1)[1])


@pytest.fixture(scope="session")
def localstripe() -> Iterator[str]:
    from cli.dev import wait_for_port

    proc = subprocess.Popen(
        [str(BIN / "localstripe"), "--port", str(_PORT)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_for_port(_PORT, 30, proc)
        yield STRIPE_BASE
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture
def stripe_js(api_app: FastAPI) -> Iterator[StripeGateway]:
    """The API as deployed with a publishable key: the payment page takes cards with Stripe.js."""
    from api.routes.billing_page import CardSettings, card_settings
    from core.config import get_settings

    gateway = StripeGateway.from_settings(get_settings())
    assert gateway is not None
    api_app.dependency_overrides[card_settings] = lambda: CardSettings("pk_test_recoveryos", gateway)
    try:
        yield gateway
    finally:
        api_app.dependency_overrides.pop(card_settings)
