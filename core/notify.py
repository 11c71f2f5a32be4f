"""The notifier seam: how a signing link reaches its signer.

Activities call `Notifier.deliver`; the worker injects the implementation. `RecordingNotifier`
keeps deliveries for tests and local development (staff can also show a signer their link from
the API). A real e-mail or SMS sender subclasses `Notifier`; nothing here sends anything.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Delivery:
    org_id: uuid.UUID
    signature_id: uuid.UUID
    # "invitation" or "reminder"
    kind: str
    link: str
    at: datetime


class Notifier:
    def deliver(self, delivery: Delivery) -> None:
        raise NotImplementedError


class RecordingNotifier(Notifier):
    """Delivers nowhere; remembers what it was asked to deliver."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._deliveries: list[Delivery] = []

    def deliver(self, delivery: Delivery) -> None:
        with self._lock:
            self._deliveries.append(delivery)

    def deliveries(self, signature_id: uuid.UUID | None = None) -> list[Delivery]:
        with self._lock:
            return [d for d in self._deliveries if signature_id in (None, d.signature_id)]
