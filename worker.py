"""The Temporal worker: every workflow and activity of the registry on the task queue.

Activities are synchronous (SQLAlchemy sessions) and run on a thread pool; their dependencies
are built here, once, and injected.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from concurrent.futures import ThreadPoolExecutor

from temporalio.client import Client
from temporalio.worker import Worker

import registry
from activities.base import Deps
from core import heartbeat
from core.config import get_settings
from core.db import app_engine
from core.filestore import file_store_from_settings
from core.logging import configure_logging
from core.notify import RecordingNotifier, SmtpNotifier
from core.sms import TwilioSms
from core.stripe_gateway import StripeGateway
from core.temporal import connect, ensure_search_attributes
from workflows.audit_sequencer import run_sequencer
from workflows.webhook_waker import Waker

log = logging.getLogger("recoveryos.worker")


def notifier_from_settings() -> RecordingNotifier:
    """E-mail over SMTP when a host is set, texts through Twilio (or its stand-in) when an
    account is; each is otherwise recorded only."""
    s = get_settings()
    sms = TwilioSms.from_settings(s)
    smtp = SmtpNotifier.from_settings(s)
    if smtp is not None:
        smtp.sms = sms
        return smtp
    return RecordingNotifier(sms)


def build_deps() -> Deps:
    return Deps(
        engine=app_engine(),
        files=file_store_from_settings(),
        notifier=notifier_from_settings(),
        stripe=StripeGateway.from_settings(get_settings()),
    )


class HeartbeatWorker(Worker):
    """A Temporal worker that also keeps its heartbeat row fresh while it runs, so `/ready` on
    any API replica sees it die within seconds (core/heartbeat.py)."""

    async def run(self) -> None:
        queue = self.config()["task_queue"]
        beating = asyncio.create_task(heartbeat.beat_forever(app_engine(), heartbeat.new_worker_id(), queue))
        # Idle webhook endpoints are poked when their org's outbox grows.
        stop_waking = asyncio.Event()
        waking = asyncio.create_task(Waker(self.client).listen(stop_waking))
        try:
            await super().run()
        finally:
            stop_waking.set()
            beating.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beating
            with contextlib.suppress(asyncio.CancelledError):
                await waking


def build_worker(
    client: Client,
    task_queue: str | None = None,
    executor: ThreadPoolExecutor | None = None,
    deps: Deps | None = None,
) -> Worker:
    return HeartbeatWorker(
        client,
        task_queue=task_queue or get_settings().task_queue,
        workflows=registry.workflows(),
        activities=registry.activities(deps or build_deps()),
        activity_executor=executor or ThreadPoolExecutor(max_workers=16),
    )


async def run(stop: asyncio.Event | None = None) -> None:
    client = await connect()
    await ensure_search_attributes(client)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    worker = build_worker(client)
    log.info("worker polling", extra={"task_queue": get_settings().task_queue})
    async with worker:
        # The audit sequencer chains every org's audit events a second or so after commit.
        sequencer = asyncio.create_task(run_sequencer(client, get_settings().task_queue, stop))
        await stop.wait()
        await sequencer
    log.info("worker stopped")


def main() -> None:
    s = get_settings()
    configure_logging(s.log_json, s.log_level)
    asyncio.run(run())


if __name__ == "__main__":
    main()
