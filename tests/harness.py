"""Real servers for the test suite: embedded PostgreSQL, Temporal dev server, uvicorn."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn
from temporalio.api.testservice.v1 import UnlockTimeSkippingRequest
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from cli.dev import wait_for_port
from core.process import Actor

BIN = Path(sys.executable).parent

# Records one committed history (tests/test_replay.py): runs its workflow on the test server
# with the given task queue and actor, and returns the handle whose history is kept.
Scenario = Callable[[Client, str, Actor], Awaitable[WorkflowHandle]]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def temporal_dev_server(ui: bool = False) -> Iterator[tuple[str, int | None]]:
    port = free_port()
    ui_port = free_port() if ui else None
    cmd = [
        str(BIN / "temporal"),
        "server",
        "start-dev",
        "--ip",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "error",
    ]
    cmd += ["--ui-port", str(ui_port)] if ui_port else ["--headless"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, 60, proc)
        yield f"127.0.0.1:{port}", ui_port
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


class LoopThread:
    """An asyncio loop on its own thread, for the worker and the API server in tests."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro, timeout: float = 60):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@contextmanager
def api_server(app: Any, lifespan: str = "on") -> Iterator[str]:
    port = free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_config=None,
        access_log=False,
        # The app decides which proxies to believe (api.middleware.TrustedProxies).
        proxy_headers=False,
        lifespan=lifespan,  # type: ignore[arg-type]
    )
    server = uvicorn.Server(config)
    t = threading.Thread(target=server.run, daemon=True)
    t.start()
    wait_for_port(port, 60)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        t.join(10)


def phi_worker(client: Client, task_queue: str) -> Worker:
    """A worker for the codec tests' PHI-carrying workflow (tests/phi_workflow.py)."""
    from concurrent.futures import ThreadPoolExecutor

    from tests.phi_workflow import PhiCarrier, echo_phi

    return Worker(
        client,
        task_queue=task_queue,
        workflows=[PhiCarrier],
        activities=[echo_phi],
        activity_executor=ThreadPoolExecutor(2),
    )


async def result_in_temporal_time(env: WorkflowEnvironment, handle: WorkflowHandle, tries: int = 20) -> Any:
    """The workflow's result on the time-skipping server. Waiting on a result skips time by
    itself, but about once in 50 runs of a test that sends updates the server stops skipping
    with only timers outstanding: a time-skipping lock taken around an update is never let go
    (Temporal's test server has open issues of updates and time skipping). One more unlock
    lets the clock run again; the waiting `result()` locks it again when it returns."""
    result = asyncio.ensure_future(handle.result())
    for _ in range(tries):
        await asyncio.wait({result}, timeout=3)
        if result.done():
            return result.result()
        await env.client.test_service.unlock_time_skipping(UnlockTimeSkippingRequest())
    result.cancel()
    raise AssertionError(f"{handle.id} did not finish while the time-skipping server was let run")
