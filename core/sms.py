"""Text messages: Twilio's Messages API through the official `twilio` SDK, its base URL
configurable so local mode and the tests talk to a stand-in shaped like it
(`python -m core.sms_standin`, which records what it is sent).

Settings: `RECOVERYOS_TWILIO_ACCOUNT_SID`, `_AUTH_TOKEN`, `_FROM_NUMBER`, and
`RECOVERYOS_TWILIO_BASE_URL` (unset: https://api.twilio.com). Without an account nothing is
sent: messages are only recorded (core/notify.RecordingNotifier).
"""

from __future__ import annotations

from typing import Any

from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client


class TwilioSms:
    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        from_number: str,
        base_url: str | None = None,
        timeout: float = 15,
    ) -> None:
        self.client = Client(account_sid, auth_token, http_client=TwilioHttpClient(timeout=timeout))
        if base_url:
            self.client.api.base_url = base_url.rstrip("/")
        self.from_number = from_number

    @classmethod
    def from_settings(cls, settings: Any) -> TwilioSms | None:
        if not (settings.twilio_account_sid and settings.twilio_auth_token and settings.twilio_from_number):
            return None
        return cls(
            settings.twilio_account_sid,
            settings.twilio_auth_token,
            settings.twilio_from_number,
            settings.twilio_base_url,
        )

    def send(self, to: str, body: str) -> str:
        """Send one text; returns Twilio's message sid."""
        message = self.client.messages.create(to=to, from_=self.from_number, body=body)
        return str(message.sid)
