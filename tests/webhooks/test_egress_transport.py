"""How core/egress.py talks to a receiver once the guard has let a URL through: HTTPS goes to
the address the guard checked while TLS (SNI and the certificate) and `Host` carry the URL's
name; the whole exchange has one time limit, however the answer trickles in; a receiver that
closes the connection after answering gets the next request on a new one."""

from __future__ import annotations

import datetime as dt
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from core.egress import Egress, EgressPolicy, Target

HOST = "hooks.customer.example"


@dataclass
class Raw:
    """A receiver written against the socket: `answer(conn, request)` says what it sends back.
    It notes each request's head and, for TLS, the name the client asked for (SNI)."""

    answer: Callable[[socket.socket, bytes], None]
    tls: ssl.SSLContext | None = None
    heads: list[bytes] = field(default_factory=list)
    names: list[str | None] = field(default_factory=list)
    connections: int = 0
    port: int = 0


def _read_request(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return b""
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        (
            int(line.split(b":")[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length")
        ),
        0,
    )
    while len(body) < length:
        body += conn.recv(65536)
    return head


@contextmanager
def serving(raw: Raw) -> Iterator[Raw]:
    listener = socket.create_server(("127.0.0.1", 0))
    raw.port = listener.getsockname()[1]
    if raw.tls is not None:
        raw.tls.sni_callback = lambda _sock, name, _ctx: raw.names.append(name)

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            raw.connections += 1
            try:
                if raw.tls is not None:
                    conn = raw.tls.wrap_socket(conn, server_side=True)
                while head := _read_request(conn):
                    raw.heads.append(head)
                    raw.answer(conn, head)
            except (OSError, ssl.SSLError):
                pass
            finally:
                conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield raw
    finally:
        listener.close()


class Pinned(EgressPolicy):
    """The guard's verdict for a public name, here pointing at this machine: connect to
    127.0.0.1, speak to HOST. (The guard's own judgement is tests/webhooks/test_egress.py's.)"""

    def check(self, url: str) -> Target:
        port = int(url.rsplit(":", 1)[1].split("/")[0])
        return Target(url, HOST, port, "https", "127.0.0.1")


def _certificate(tmp: Path, name: str, *also: str) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A server context whose certificate names `name` (and `also`), and a client context
    trusting it."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in (name, *also)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    pem = cert.public_bytes(serialization.Encoding.PEM)
    (tmp / "cert.pem").write_bytes(pem)
    (tmp / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(tmp / "cert.pem", tmp / "key.pem")
    client = ssl.create_default_context(cadata=pem.decode())
    return server, client


def _ok(conn: socket.socket, _head: bytes) -> None:
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")


def test_https_goes_to_the_checked_address_and_names_the_url_host_in_tls_and_host(tmp_path: Path) -> None:
    server, client = _certificate(tmp_path, HOST)
    with serving(Raw(_ok, tls=server)) as raw:
        egress = Egress(Pinned(), timeout_seconds=5, trust=client)
        with egress.connection() as conn:
            answers = [conn.post(f"https://{HOST}:{raw.port}/hook?x=1", b"{}", {}) for _ in range(3)]
    assert [(a.status, a.body, a.error) for a in answers] == [(200, "ok", None)] * 3
    assert raw.names == [HOST] and raw.connections == 1
    assert all(h.startswith(b"POST /hook?x=1 HTTP/1.1\r\n") for h in raw.heads)
    assert all(f"\r\nHost: {HOST}:{raw.port}".encode() in h for h in raw.heads)


class PinnedByName(EgressPolicy):
    """Every name at the one checked address, 127.0.0.1 (two names of one host)."""

    def check(self, url: str) -> Target:
        parts = urlsplit(url)
        assert parts.hostname is not None and parts.port is not None
        return Target(url, parts.hostname, parts.port, "https", "127.0.0.1")


def test_another_name_at_the_same_address_gets_a_connection_of_its_own(tmp_path: Path) -> None:
    other = "other.customer.example"
    server, client = _certificate(tmp_path, HOST, other)
    with serving(Raw(_ok, tls=server)) as raw:
        egress = Egress(PinnedByName(), timeout_seconds=5, trust=client)
        with egress.connection() as conn:
            answers = [
                conn.post(f"https://{name}:{raw.port}/hook", b"{}", {}) for name in (HOST, HOST, other)
            ]
    assert [a.status for a in answers] == [200, 200, 200]
    # One TLS session per name, each verified for its own name.
    assert raw.names == [HOST, other] and raw.connections == 2


def test_a_certificate_for_another_name_is_refused(tmp_path: Path) -> None:
    server, client = _certificate(tmp_path, "someone-else.example")
    with serving(Raw(_ok, tls=server)) as raw:
        answer = Egress(Pinned(), timeout_seconds=5, trust=client).post(
            f"https://{HOST}:{raw.port}/", b"{}", {}
        )
    assert answer.status is None and answer.error is not None
    assert answer.error.endswith("could not reach the receiver")
    assert raw.heads == []


def test_an_answer_trickling_in_fails_at_the_time_limit_of_the_whole_exchange() -> None:
    def trickle(conn: socket.socket, _head: bytes) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\n")
        for _ in range(40):  # a header byte every 0.1 s: each read alone is quick
            conn.sendall(b"X")
            time.sleep(0.1)
        conn.sendall(b": y\r\nContent-Length: 0\r\n\r\n")

    local = EgressPolicy(allow_private=True, require_https=False)
    with serving(Raw(trickle)) as raw:
        started = time.monotonic()
        answer = Egress(local, timeout_seconds=1).post(f"http://127.0.0.1:{raw.port}/", b"{}", {})
        took = time.monotonic() - started
    assert answer.status is None and answer.error == "no answer within 1 s"
    assert took < 2


def test_a_receiver_that_closes_after_each_answer_gets_the_next_request_on_a_new_connection() -> None:
    def once(conn: socket.socket, _head: bytes) -> None:
        conn.sendall(b"HTTP/1.1 202 Accepted\r\nConnection: close\r\n\r\n")
        time.sleep(0.05)  # the body comes after the head, as a slow server's would
        conn.sendall(b"queued")
        conn.shutdown(socket.SHUT_WR)
        raise OSError("closed")

    local = EgressPolicy(allow_private=True, require_https=False)
    with serving(Raw(once)) as raw, Egress(local, timeout_seconds=5).connection() as conn:
        answers = [conn.post(f"http://127.0.0.1:{raw.port}/", b"{}", {}) for _ in range(3)]
    assert [(a.status, a.body) for a in answers] == [(202, "queued")] * 3
    assert raw.connections == 3
