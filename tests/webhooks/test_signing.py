"""A receiver verifies what we send with the `standardwebhooks` library or with the README's
ten lines of standard library; both refuse a tampered body, a stale timestamp and another
secret."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from standardwebhooks.webhooks import Webhook as StandardWebhook
from standardwebhooks.webhooks import WebhookVerificationError

from services.webhooks import signing

README = Path(__file__).resolve().parents[2] / "README.md"
BODY = b'{"data":{"lead_id":"6f1c"},"id":"3b2a","timestamp":"2026-12-05T14:30:00Z","type":"lead.created.v1"}'


def readme_verify() -> Callable[[str, dict[str, str], bytes], bool]:
    """The README's receiver snippet, run as written."""
    text = README.read_text()
    snippet = re.search(r"```python\n(# verify\.py.*?)```", text, re.S)
    assert snippet, "the README's verify.py snippet"
    scope: dict[str, object] = {}
    exec(snippet.group(1), scope)
    return scope["verify"]  # type: ignore[return-value]


def test_the_library_and_the_readme_snippet_accept_what_we_sign() -> None:
    secret = signing.new_secret()
    assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) == 24
    headers = signing.headers([secret], "3b2a", datetime.now(UTC), BODY)
    assert StandardWebhook(secret).verify(BODY, headers)["type"] == "lead.created.v1"
    assert readme_verify()(secret, headers, BODY) is True
    # The signature is what the specification says, computed by hand.
    mac = hmac.new(
        base64.b64decode(secret[6:]), f"3b2a.{headers['webhook-timestamp']}.".encode() + BODY, hashlib.sha256
    )
    assert headers["webhook-signature"] == "v1," + base64.b64encode(mac.digest()).decode()


@pytest.mark.parametrize("case", ["tampered body", "stale timestamp", "another secret"])
def test_both_refuse_a_tampered_body_a_stale_timestamp_or_another_secret(case: str) -> None:
    secret = signing.new_secret()
    at = datetime.now(UTC) - (timedelta(minutes=6) if case == "stale timestamp" else timedelta(0))
    headers = signing.headers([secret], "3b2a", at, BODY)
    body = BODY.replace(b"6f1c", b"6f1d") if case == "tampered body" else BODY
    key = signing.new_secret() if case == "another secret" else secret
    with pytest.raises(WebhookVerificationError):
        StandardWebhook(key).verify(body, headers)
    assert readme_verify()(key, headers, body) is False


def test_during_a_rotation_either_secret_verifies() -> None:
    old, new = signing.new_secret(), signing.new_secret()
    headers = signing.headers([new, old], "3b2a", datetime.fromtimestamp(time.time(), UTC), BODY)
    for secret in (old, new):
        StandardWebhook(secret).verify(BODY, headers)
        assert readme_verify()(secret, headers, BODY) is True
