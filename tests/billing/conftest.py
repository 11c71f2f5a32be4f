"""A localstripe server for the billing tests, started from its wheel, and the worker and API
pointed at it through the ordinary Stripe settings."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator

import pytest

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
