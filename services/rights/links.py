"""The download link of an access request's export: `<payload>.<mac>`, the payload naming the
org, the request, the resident and the expiry in the clear (ids only), the MAC a keyed HMAC. A
tampered or foreign token is refused without a lookup; the link opens only that request's files,
which hold only that resident's records. The token is derived from the request's expiry, so it is
never stored and the same request always gives the same link."""

from __future__ import annotations

import base64
import hmac
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from core.config import get_settings
from core.errors import Rejected
from core.fieldcrypt import blind_digest

_TOKEN = re.compile(r"^([0-9a-f]{32})([0-9a-f]{32})([0-9a-f]{32})([0-9a-f]{10})\.([A-Za-z0-9_-]{22})$")


class LinkRefused(Rejected):
    """Why a link cannot be used: `reason` is "invalid" or "expired"."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message, field="token", reason=reason)
        self.reason = reason


@dataclass(frozen=True)
class Claims:
    org_id: uuid.UUID
    request_id: uuid.UUID
    resident_id: uuid.UUID
    expires_at: datetime


def _mac(payload: str) -> str:
    digest = blind_digest("access-link", payload)[:16]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def make_token(org_id: uuid.UUID, request_id: uuid.UUID, resident_id: uuid.UUID, expires_at: datetime) -> str:
    payload = f"{org_id.hex}{request_id.hex}{resident_id.hex}{int(expires_at.timestamp()):010x}"
    return f"{payload}.{_mac(payload)}"


def read_token(token: str, now: datetime) -> Claims:
    m = _TOKEN.match(token)
    if m is None or not hmac.compare_digest(_mac(token.split(".", 1)[0]), m.group(5)):
        raise LinkRefused("invalid", "this records link is not valid")
    claims = Claims(
        uuid.UUID(m.group(1)),
        uuid.UUID(m.group(2)),
        uuid.UUID(m.group(3)),
        datetime.fromtimestamp(int(m.group(4), 16), UTC),
    )
    if claims.expires_at <= now:
        raise LinkRefused("expired", "this records link has expired; ask for a new one")
    return claims


def link_path(token: str) -> str:
    return f"/v1/records/{token}"


def link_url(token: str) -> str:
    return get_settings().public_base_url.rstrip("/") + link_path(token)
