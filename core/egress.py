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

httpx (with its httpcore transport) makes the request; the timeouts bound every phase and the
whole exchange, so a receiver that answers late counts as failed and frees its worker.
"""

from __future__ import annotations

import contextlib
import functools
import ipaddress
import socket
import ssl
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

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
        and the pool is keyed by the address that check chose, so a connection is only ever
        reused for an address that passed it just now; one endpoint's URL per connection, so
        it never serves another host name."""
        limit = httpx.Timeout(self.timeout_seconds, connect=min(5.0, self.timeout_seconds))
        pool = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        with httpx.Client(
            timeout=limit, limits=pool, follow_redirects=False, trust_env=False, verify=_tls()
        ) as http:
            yield Connection(self, http)


@dataclass
class Connection:
    """One client of `Egress.connection()`: each `post` within the egress time limit."""

    egress: Egress
    http: httpx.Client

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
        except (httpx.TimeoutException, _TooSlow):
            return answer(None, "", f"no answer within {egress.timeout_seconds:g} s")
        except httpx.HTTPError as exc:
            return answer(None, "", f"{type(exc).__name__}: could not reach the receiver")

    def _one(
        self, target: Target, body: bytes, headers: Mapping[str, str], deadline: float
    ) -> tuple[int, str, str | None]:
        extensions = {"sni_hostname": target.host} if target.address and target.scheme == "https" else {}
        request = self.http.build_request(
            "POST",
            target.request_url(),
            content=body,
            headers={**headers, "Host": target.host_header()},
            extensions=extensions,
        )
        response = self.http.send(request, stream=True)
        try:
            kept = bytearray()
            for chunk in response.iter_bytes():
                if time.monotonic() > deadline:
                    raise _TooSlow
                kept += chunk
                if len(kept) >= BODY_LIMIT:
                    break
            if time.monotonic() > deadline:
                raise _TooSlow
            text = bytes(kept[:BODY_LIMIT]).decode("utf-8", "replace")
            return response.status_code, text, response.headers.get("location")
        finally:
            # A body not read to its end (or a late answer) leaves the connection unusable:
            # closing the response then drops it, and the next request opens a new one.
            response.close()


class _TooSlow(Exception):
    pass


@functools.cache
def _tls() -> ssl.SSLContext:
    """The trust store httpx would load (certifi's), loaded once per process: building it is
    what a new `httpx.Client` spends most of its time on (tens of ms a delivery on a busy
    machine: bench/webhooks measured 15 requests/s against 280 with it shared). A context is
    safe to share between threads; each run of deliveries gets its own client and connection
    (`Egress.connection`), so a connection is never reused for another endpoint."""
    return httpx.create_ssl_context(trust_env=False)
