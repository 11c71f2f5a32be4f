"""Standard Webhooks signatures (https://www.standardwebhooks.com/), made and checked with the
`standardwebhooks` library: `webhook-id` is the event id, `webhook-timestamp` the attempt's
Unix time, `webhook-signature` is `v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`
keyed with the secret's bytes (the base64 after `whsec_`). During a rotation's overlap every
live secret signs and the signatures are space-separated; a receiver holding either secret
verifies.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Sequence
from datetime import datetime

from standardwebhooks.webhooks import Webhook as StandardWebhook

PREFIX = "whsec_"


def new_secret() -> str:
    """24 random bytes, as Standard Webhooks writes a secret: `whsec_` + base64."""
    return PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def headers(signing_secrets: Sequence[str], msg_id: str, at: datetime, body: bytes) -> dict[str, str]:
    """The three Standard Webhooks headers for one attempt."""
    signatures = " ".join(StandardWebhook(s).sign(msg_id, at, body) for s in signing_secrets)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signatures,
        "content-type": "application/json",
        "user-agent": "RecoveryOS-Webhooks/1",
    }
