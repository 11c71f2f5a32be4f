"""The notifier seam: how a signing link reaches its signer, and how dunning e-mail goes out.

Activities call `Notifier.deliver` (signing links) or `Notifier.send_email` (dunning reminders
and escalations); the worker injects the implementation. `RecordingNotifier` keeps both for
tests and local development (staff can also show a signer their link from the API).
Texts (`Notifier.send_sms`) go through an SMS gateway when one is configured (core/sms.py:
Twilio or its local stand-in) and are recorded either way. `SmtpNotifier` sends e-mail over
SMTP (`RECOVERYOS_SMTP_HOST` / `_PORT` / `_FROM`, optional STARTTLS and login) and keeps
signing deliveries the recording way until they get an address.

An e-mail carries a Message-ID its caller derives from a business key, so a retried send is
recognisably the same message.
"""

from __future__ import annotations

import smtplib
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any, Protocol


@dataclass(frozen=True)
class Delivery:
    org_id: uuid.UUID
    signature_id: uuid.UUID
    # "invitation" or "reminder"
    kind: str
    link: str
    at: datetime


@dataclass(frozen=True)
class Email:
    """One message to one or more recipients. `message_id` is "<...@...>", stable per business
    event (e.g. one dunning step), so a resend after a crash is the same message."""

    to: tuple[str, ...]
    subject: str
    body: str
    message_id: str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Sms:
    """One text message to one number (E.164)."""

    to: str
    body: str


class SmsGateway(Protocol):
    def send(self, to: str, body: str) -> str: ...


class Notifier:
    def deliver(self, delivery: Delivery) -> None:
        raise NotImplementedError

    def send_email(self, email: Email) -> str:
        """Send; returns the Message-ID the message went out with."""
        raise NotImplementedError

    def send_sms(self, sms: Sms) -> str:
        """Send; returns the gateway's message id."""
        raise NotImplementedError


class RecordingNotifier(Notifier):
    """Delivers nowhere; remembers what it was asked to deliver."""

    def __init__(self, sms: SmsGateway | None = None) -> None:
        self._lock = threading.Lock()
        self._deliveries: list[Delivery] = []
        self._emails: list[Email] = []
        self._texts: list[Sms] = []
        # Texts go out through this gateway (core/sms.py) when there is one.
        self.sms = sms

    def deliver(self, delivery: Delivery) -> None:
        with self._lock:
            self._deliveries.append(delivery)

    def send_email(self, email: Email) -> str:
        with self._lock:
            self._emails.append(email)
        return email.message_id

    def send_sms(self, sms: Sms) -> str:
        with self._lock:
            self._texts.append(sms)
        return self.sms.send(sms.to, sms.body) if self.sms is not None else f"recorded-{len(self._texts)}"

    def texts(self) -> list[Sms]:
        with self._lock:
            return list(self._texts)

    def emails(self) -> list[Email]:
        with self._lock:
            return list(self._emails)

    def deliveries(self, signature_id: uuid.UUID | None = None) -> list[Delivery]:
        with self._lock:
            return [d for d in self._deliveries if signature_id in (None, d.signature_id)]


class SmtpNotifier(RecordingNotifier):
    """E-mail over SMTP (stdlib `smtplib`), one connection per message. Signing deliveries are
    still only recorded (they carry no address yet)."""

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        *,
        starttls: bool = False,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 30.0,
        sms: SmsGateway | None = None,
    ) -> None:
        super().__init__(sms)
        self.host, self.port, self.sender = host, port, sender
        self.starttls, self.username, self.password, self.timeout = starttls, username, password, timeout

    @classmethod
    def from_settings(cls, settings: Any) -> SmtpNotifier | None:
        if not settings.smtp_host:
            return None
        return cls(
            settings.smtp_host,
            settings.smtp_port,
            settings.smtp_from,
            starttls=settings.smtp_starttls,
            username=settings.smtp_username,
            password=settings.smtp_password,
        )

    def send_email(self, email: Email) -> str:
        msg = EmailMessage()
        msg["From"] = self.sender
        msg["To"] = ", ".join(email.to)
        msg["Subject"] = email.subject
        msg["Message-ID"] = email.message_id
        msg["Date"] = formatdate(localtime=False)
        for name, value in email.headers.items():
            msg[name] = value
        msg.set_content(email.body)
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.username:
                smtp.login(self.username, self.password or "")
            smtp.send_message(msg)
        return email.message_id
