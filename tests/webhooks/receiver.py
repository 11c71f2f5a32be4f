"""A real webhook receiver for the tests: a threaded `http.server` on 127.0.0.1 that records
every request and answers as told (a status, a delay, a redirect), and can be switched off and
on again on the same port (a receiver that is down refuses connections)."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook as StandardWebhook

from tests.harness import free_port


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    # When it arrived (time.time()): bench/webhooks measures from an event's commit to here.
    at: float = 0.0

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]

    def verify(self, secret: str) -> dict[str, Any]:
        """The payload, once the `standardwebhooks` library accepts its signature."""
        payload: dict[str, Any] = StandardWebhook(secret).verify(self.body, self.headers)
        return payload

    def json(self) -> dict[str, Any]:
        payload: dict[str, Any] = json.loads(self.body)
        return payload


@dataclass
class Receiver:
    port: int = field(default_factory=free_port)
    status: int = 204
    delay: float = 0.0
    location: str | None = None
    # Statuses for the next requests, one each, before `status` again (`answer_next`).
    plan: list[int] = field(default_factory=list)
    _requests: list[Received] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None
    _connections: set[socket.socket] = field(default_factory=set)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/recoveryos"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            # Keep-alive, as real receivers do: a run of deliveries reuses one connection.
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                with receiver._lock:
                    receiver._connections.add(self.connection)

            def finish(self) -> None:
                with receiver._lock:
                    receiver._connections.discard(self.connection)
                super().finish()

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                with receiver._lock:
                    receiver._requests.append(
                        Received(
                            self.path, {k.lower(): v for k, v in self.headers.items()}, body, time.time()
                        )
                    )
                    status, delay, location = receiver.status, receiver.delay, receiver.location
                    if receiver.plan:
                        status = receiver.plan.pop(0)
                time.sleep(delay)
                # (204 and 304 have no body: one would corrupt a kept-alive connection.)
                answer = b"" if status in (204, 304) else b'{"ok": true}' if status < 300 else b"not now"
                # A sender that gave up on a slow answer has closed the connection.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.send_response(status)
                    if location:
                        self.send_header("Location", location)
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        self._server = server
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Down: the port refuses connections until `start` again."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        # Kept-alive connections too: a receiver that is down answers nothing.
        with self._lock:
            open_ = list(self._connections)
        for conn in open_:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def arrivals(self) -> dict[str, float]:
        """When each `webhook-id` first arrived."""
        first: dict[str, float] = {}
        for r in self.requests():
            first.setdefault(r.webhook_id, r.at)
        return first

    def requests(self) -> list[Received]:
        with self._lock:
            return list(self._requests)

    def answer(self, status: int = 204, delay: float = 0.0, location: str | None = None) -> None:
        with self._lock:
            self.status, self.delay, self.location = status, delay, location

    def answer_next(self, *statuses: int) -> None:
        """Answer the next requests with these statuses, then as before."""
        with self._lock:
            self.plan = list(statuses)


@pytest.fixture
def allowed_receiver() -> Iterator[Receiver]:
    """A receiver on the one local port the test stack's worker may call
    (RECOVERYOS_WEBHOOK_ALLOWED_TARGETS): import it into a test module to use it."""
    from tests.conftest import WEBHOOK_RECEIVER_PORT

    r = Receiver(port=WEBHOOK_RECEIVER_PORT).start()
    try:
        yield r
    finally:
        r.stop()


def wait_for(check: Callable[[], bool], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "not in time"
        time.sleep(0.1)
