"""Outbound HTTP to addresses our customers choose (webhook receivers): the SSRF guard.

A customer who registers `http://169.254.169.254/latest/meta-data/` or a name that resolves to
10.0.0.5 must not get our servers to call the cloud's metadata service or the private network.
Outside local mode every request is checked after DNS resolution: each address the name
resolves to must be public (not loopback, private, link-local, multicast, reserved, shared or
unspecified; IPv4-mapped IPv6 addresses are judged as the IPv4 address they carry), and the
request then connects to the address that was checked, not to a second resolution of the name
(DNS rebinding), with the original host name in the `Host` header and in TLS (SNI and
certificate). Redirects are not followed unless asked for, and then every hop is checked again.

`allowed` names `host:port` pairs exempt from the address check and from HTTPS (a receiver on
the same machine in tests or staging): an explicit list, never a network.

The standard library's `http.client` makes the request (certifi's trust store for TLS): the
connection times out after 5 s, and every read has only what is left of the whole exchange's
time limit, so a receiver that answers late, or trickles its answer, counts as failed and frees
its worker.
"""

from __future__ import annotations

import contextlib
import functools
import http.client
import io
import ipaddress
import socket
import ssl
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import certifi

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]

# How much of a receiver's answer is kept (webhook_deliveries.response_body).
BODY_LIMIT = 1024


class Refused(ValueError):
    """The URL may not be called. The message says why and names no address of ours."""


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (the system resolver)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise Refused(f"the host {host} does not resolve") from None
    return sorted({str(info[4][0]) for info in infos})


def forbidden(ip: Address) -> str | None:
    """Why this address may not be called, or None for a public address."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    checks = (
        ("loopback", ip.is_loopback),
        ("link-local (metadata)", ip.is_link_local),
        ("private", ip.is_private),
        ("multicast", ip.is_multicast),
        ("unspecified", ip.is_unspecified),
        ("reserved", ip.is_reserved),
        # 100.64.0.0/10 (carrier-grade NAT, where some clouds put their metadata service) and
        # anything else IANA does not call globally reachable.
        ("not globally reachable", not ip.is_global),
    )
    return next((name for name, hit in checks if hit), None)


@dataclass(frozen=True)
class Target:
    """A URL that passed the policy and the address to connect to (None: let httpx resolve,
    only for exempt or local targets)."""

    url: str
    host: str
    port: int
    scheme: str
    address: str | None

    def request_url(self) -> str:
        if self.address is None:
            return self.url
        parts = urlsplit(self.url)
        literal = f"[{self.address}]" if ":" in self.address else self.address
        netloc = f"{literal}:{self.port}"
        return parts._replace(netloc=netloc).geturl()

    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        name = f"[{self.host}]" if ":" in self.host else self.host
        return name if self.port == default else f"{name}:{self.port}"


@dataclass(frozen=True)
class EgressPolicy:
    # Local mode: any address, any scheme (a receiver on the developer's machine).
    allow_private: bool = False
    require_https: bool = True
    allowed: frozenset[tuple[str, int]] = frozenset()
    resolver: Resolver = resolve

    @classmethod
    def from_settings(cls, settings: Any) -> EgressPolicy:
        local = settings.environment == "local"
        return cls(
            allow_private=local,
            require_https=not local,
            allowed=frozenset(_host_port(t) for t in settings.webhook_allowed_targets),
        )

    def check(self, url: str) -> Target:
        """The URL as it may be called, or Refused saying why."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            raise Refused("not a valid URL") from None
        scheme, host = parts.scheme.lower(), (parts.hostname or "")
        if scheme not in ("http", "https") or not host:
            raise Refused("must be an http(s) URL with a host")
        if parts.username or parts.password:
            raise Refused("must not carry a user name or password")
        port = port or (443 if scheme == "https" else 80)
        if self.allow_private or (host, port) in self.allowed:
            return Target(url, host, port, scheme, None)
        if self.require_https and scheme != "https":
            raise Refused("must use https")
        try:
            addresses = [ipaddress.ip_address(host)]
        except ValueError:
            addresses = [ipaddress.ip_address(a.split("%", 1)[0]) for a in self.resolver(host, port)]
        if not addresses:
            raise Refused(f"the host {host} does not resolve")
        for ip in addresses:
            why = forbidden(ip)
            if why is not None:
                raise Refused(f"resolves to a {why} address, which webhooks may not call")
        return Target(url, host, port, scheme, str(addresses[0]))


def _host_port(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"webhook_allowed_targets: {text!r} is not host:port")
    return host.strip("[]"), int(port)


@dataclass(frozen=True)
class Answer:
    """What one POST came to: the receiver's status and the start of its body, or the error
    that stood in for an answer."""

    status: int | None
    body: str
    latency_ms: int
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@dataclass
class Egress:
    """POSTs to customer URLs under a policy, within a time limit (15 s by default: the
    Standard Webhooks guidance and what receivers are told in the README)."""

    policy: EgressPolicy = field(default_factory=EgressPolicy)
    timeout_seconds: float = 15.0
    max_redirects: int = 0
    # Whom HTTPS receivers' certificates must chain to (None: certifi's public roots).
    trust: ssl.SSLContext | None = None

    @classmethod
    def from_settings(cls, settings: Any) -> Egress:
        return cls(EgressPolicy.from_settings(settings), settings.webhook_timeout_seconds)

    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> Answer:
        """One POST on a connection of its own."""
        with self.connection() as conn:
            return conn.post(url, body, headers)

    @contextlib.contextmanager
    def connection(self) -> Iterator[Connection]:
        """POSTs to one endpoint's URL over one kept-alive connection (a run of deliveries):
        no TCP or TLS handshake per event. Every request is still checked by the policy first,
        and the connection is kept only while that check chooses the same scheme, host name,
        address and port, so it is only ever reused for an address that passed just now and
        never serves another host name."""
        conn = Connection(self)
        try:
            yield conn
        finally:
            conn.close()


class _Timeout(Exception):
    """The exchange passed the egress time limit."""


class _DeadlineReader(io.RawIOBase):
    """The socket read with whatever time is left before the exchange's deadline: a receiver
    that trickles its answer a byte at a time cannot stretch one read's timeout into many."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self.sock, self.deadline = sock, deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise _Timeout
        self.sock.settimeout(left)
        return self.sock.recv_into(buffer)


class _Response(http.client.HTTPResponse):
    """An answer read within the deadline (`_DeadlineReader`)."""

    def __init__(self, sock: socket.socket, deadline: float, method: str | None = None) -> None:
        super().__init__(sock, method=method)
        # The file http.client made stays open until the answer is read: while it is, the
        # socket stays open too, even when http.client lets go of it on `Connection: close`.
        self._made = self.fp
        self.fp = io.BufferedReader(_DeadlineReader(sock, deadline))

    def _close_conn(self) -> None:
        super()._close_conn()  # type: ignore[misc]
        self._made.close()


class _Pinned(http.client.HTTPConnection):
    """A connection to the address the policy checked (or, for an exempt or local target, to
    the name), with TLS verified for the URL's host name (SNI and certificate)."""

    def __init__(self, target: Target, connect_timeout: float, trust: ssl.SSLContext) -> None:
        super().__init__(target.address or target.host, target.port, timeout=connect_timeout)
        self.target, self.trust = target, trust

    def connect(self) -> None:
        sock = socket.create_connection((self.host, self.port), self.timeout)
        # Headers and body go out in one write (http.client), and each answer is awaited
        # before the next request: Nagle's algorithm has nothing to wait for.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.target.scheme == "https":
            sock = self.trust.wrap_socket(sock, server_hostname=self.target.host)
        self.sock = sock


@dataclass
class Connection:
    """One endpoint's connection (`Egress.connection()`): each `post` within the egress time
    limit, made with the standard library's `http.client` (a quarter of httpx's CPU per
    request, measured: 0.09 ms against 0.34 ms on one kept-alive connection; a delivery run
    makes hundreds of requests a second)."""

    egress: Egress
    _http: _Pinned | None = None

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
        self._http = None

    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> Answer:
        egress = self.egress
        started = time.monotonic()

        def answer(status: int | None, text: str, error: str | None = None) -> Answer:
            return Answer(status, text, int((time.monotonic() - started) * 1000), error)

        deadline = started + egress.timeout_seconds
        try:
            for _hop in range(egress.max_redirects + 1):
                target = egress.policy.check(url)
                status, text, location = self._one(target, body, headers, deadline)
                if location is None or not 300 <= status < 400:
                    return answer(status, text)
                url = urljoin(url, location)
            return answer(status, text, "too many redirects")
        except Refused as exc:
            return answer(None, "", f"refused: {exc}")
        except (TimeoutError, _Timeout):
            self.close()
            return answer(None, "", f"no answer within {egress.timeout_seconds:g} s")
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            return answer(None, "", f"{type(exc).__name__}: could not reach the receiver")

    def _one(
        self, target: Target, body: bytes, headers: Mapping[str, str], deadline: float
    ) -> tuple[int, str, str | None]:
        # Kept only for the same scheme, name, checked address and port: a redirect to another
        # name at the same address gets its own TLS session, verified for that name.
        conn = self._http
        if conn is None or _endpoint(conn.target) != _endpoint(target):
            self.close()
            egress = self.egress
            conn = self._http = _Pinned(target, min(5.0, egress.timeout_seconds), egress.trust or _tls())
        parts = urlsplit(target.url)
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        if conn.sock is not None:
            conn.sock.settimeout(max(0.001, deadline - time.monotonic()))
        # (A connection the receiver closed since the last answer is opened again here.)
        conn.request("POST", path, body=body, headers={**headers, "Host": target.host_header()})
        assert conn.sock is not None
        conn.response_class = functools.partial(_Response, deadline=deadline)  # type: ignore[assignment]
        response = conn.getresponse()
        text = response.read(BODY_LIMIT).decode("utf-8", "replace")
        if not response.isclosed():
            # A body longer than what is kept: the rest is not read, so the connection cannot
            # carry another request.
            self.close()
        return response.status, text, response.getheader("location")


def _endpoint(target: Target) -> tuple[str, str, str | None, int]:
    return target.scheme, target.host, target.address, target.port


@functools.cache
def _tls() -> ssl.SSLContext:
    """certifi's trust store (the same on every machine, whatever the system has), loaded once
    per process: loading it is tens of ms on a busy machine, once per run of deliveries it was
    what held them back (bench/webhooks: 15 requests/s against 280 with it shared). A context
    is safe to share between threads; each run of deliveries gets its own connection
    (`Egress.connection`), so a connection is never reused for another endpoint."""
    return ssl.create_default_context(cafile=certifi.where())
