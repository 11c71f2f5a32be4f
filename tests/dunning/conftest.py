"""A local SMTP sink (aiosmtpd) that receives what the dunning activities send, and a worker on
the time-skipping server whose notifier sends real SMTP to it."""

from __future__ import annotations

import email
import email.policy
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from temporalio.testing import WorkflowEnvironment

from core.notify import SmtpNotifier
from tests.harness import free_port


class SmtpSink:
    """Every message the server accepted, parsed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._messages: list[EmailMessage] = []
        self.port = free_port()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        with self._lock:
            self._messages.append(msg)
        return "250 Message accepted for delivery"

    def messages(self, to: str | None = None) -> list[EmailMessage]:
        with self._lock:
            return [m for m in self._messages if to is None or to in str(m["To"])]


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


def smtp_notifier(sink: SmtpSink) -> SmtpNotifier:
    return SmtpNotifier("127.0.0.1", sink.port, "Billing <billing@houses.example>")


@pytest.fixture
async def dunning_worker(
    time_skipping: WorkflowEnvironment, database: str, smtp_sink: SmtpSink
) -> AsyncIterator[str]:
    """The registry's worker on a fresh queue of the time-skipping server, e-mailing the sink."""
    from worker import build_deps, build_worker

    queue = f"dunning-{uuid.uuid4().hex[:10]}"
    deps = replace(build_deps(), notifier=smtp_notifier(smtp_sink))
    async with build_worker(
        time_skipping.client, task_queue=queue, executor=ThreadPoolExecutor(4), deps=deps
    ):
        yield queue
