"""A lean webhook receiver for bench/webhooks, in a process of its own.

A real integrator's receiver runs on its own machine. Here it shares the bench's 2 cores with
everything being measured, so it should cost as little CPU as it can. The tests' receiver
(tests/webhooks/receiver.py) is a threaded `http.server` inside the bench's own process: it
shares one interpreter lock with the bench, and it takes a thread and a full request parse per
request. This one is an asyncio protocol in a spawned process. It keeps connections alive,
reads `Content-Length` bodies, answers `204` to every request, and notes the arrival time,
the Standard Webhooks headers and the body. Signatures are checked afterwards, in the bench,
with the `standardwebhooks` library.

The bench drives it through a pipe: `stop` closes the listening socket and every open
connection (the receiver is down: connections are refused), `start` listens again on the same
port, and `since` returns the requests that arrived since the last call.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from tests.harness import free_port

_KEPT = (b"webhook-id", b"webhook-timestamp", b"webhook-signature")
_ANSWER = b"HTTP/1.1 204 No Content\r\n\r\n"


@dataclass(frozen=True)
class Arrived:
    headers: dict[str, str]
    body: bytes
    at: float

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]


class _Http(asyncio.Protocol):
    def __init__(self, got: list[tuple[float, dict[str, str], bytes]], open_: set[asyncio.Transport]) -> None:
        self.got, self.open, self.buf = got, open_, b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.open.add(transport)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.transport is not None:
            self.open.discard(self.transport)

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            headers: dict[str, str] = {}
            length = 0
            for line in self.buf[:end].split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name in _KEPT:
                    headers[name.decode()] = value.strip().decode()
            if len(self.buf) < end + 4 + length:
                return
            body = self.buf[end + 4 : end + 4 + length]
            self.buf = self.buf[end + 4 + length :]
            self.got.append((time.time(), headers, body))
            assert self.transport is not None
            self.transport.write(_ANSWER)


def _serve(port: int, control: Connection) -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        got: list[tuple[float, dict[str, str], bytes]] = []
        open_: set[asyncio.Transport] = set()
        server: asyncio.Server | None = None
        sent = 0
        commands: asyncio.Queue[Any] = asyncio.Queue()
        loop.add_reader(control.fileno(), lambda: commands.put_nowait(control.recv()))
        while True:
            command = await commands.get()
            if command == "start" and server is None:
                server = await loop.create_server(
                    lambda: _Http(got, open_), "127.0.0.1", port, reuse_address=True
                )
            elif command == "stop" and server is not None:
                server.close()
                for transport in list(open_):
                    transport.abort()
                await server.wait_closed()
                server = None
            elif command == "since":
                control.send(got[sent:])
                sent = len(got)
                continue
            elif command == "exit":
                return
            control.send("ok")

    asyncio.run(main())


@dataclass
class LeanReceiver:
    port: int = field(default_factory=free_port)
    _arrived: list[Arrived] = field(default_factory=list)
    _first: dict[str, float] = field(default_factory=dict)
    _control: Connection | None = None
    _process: Any = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/recoveryos"

    def _ask(self, command: str) -> Any:
        assert self._control is not None
        self._control.send(command)
        return self._control.recv()

    def start(self) -> LeanReceiver:
        if self._process is None:
            ours, theirs = multiprocessing.get_context("spawn").Pipe()
            self._control = ours
            self._process = multiprocessing.get_context("spawn").Process(
                target=_serve, args=(self.port, theirs), daemon=True
            )
            self._process.start()
        self._ask("start")
        return self

    def stop(self) -> None:
        """Down: the port refuses connections until `start` again."""
        self._ask("stop")

    def close(self) -> None:
        if self._process is not None:
            self._control.send("exit")  # type: ignore[union-attr]
            self._process.join(5)
            self._process = None

    def _collect(self) -> None:
        for at, headers, body in self._ask("since"):
            arrived = Arrived(headers, body, at)
            self._arrived.append(arrived)
            if "webhook-id" in headers:
                self._first.setdefault(arrived.webhook_id, at)

    def arrivals(self) -> dict[str, float]:
        """When each `webhook-id` first arrived."""
        self._collect()
        return dict(self._first)

    def requests(self) -> list[Arrived]:
        self._collect()
        return list(self._arrived)
