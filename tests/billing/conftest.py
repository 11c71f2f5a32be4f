"""A localstripe server for the billing tests, started from its wheel, and the worker and API
pointed at it through the ordinary Stripe settings."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator

import pytest

from tests.harness import BIN, free_port

_PORT = free_port()
STRIPE_BASE = f"http://127.0.0.1:{_PORT}"
STRIPE_KEY = "sk_test_recoveryos"
# Read when the session's settings are first built (the root conftest resets them once the
# database exists), so the `stack` worker and API see them like any deployment would.
os.environ.setdefault("RECOVERYOS_STRIPE_API_KEY", STRIPE_KEY)
os.environ.setdefault("RECOVERYOS_STRIPE_API_BASE", STRIPE_BASE)
os.environ.setdefault("RECOVERYOS_STRIPE_WEBHOOK_SECRET", "whsec_recoveryos_test")


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
