"""The SSRF guard (core/egress.py): outside local mode no webhook reaches loopback, private,
link-local (the cloud metadata service), multicast or otherwise non-public addresses, judged
after DNS resolution and again on every redirect; redirects are not followed by default."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from core.egress import Egress, EgressPolicy, Refused, Resolver, forbidden
from tests.webhooks.receiver import Receiver

STRICT = EgressPolicy()


def _resolver(table: dict[str, list[str]]) -> Resolver:
    def resolve(host: str, port: int) -> list[str]:
        if host not in table:
            raise Refused(f"the host {host} does not resolve")
        return table[host]

    return resolve


@pytest.fixture
def two() -> Iterator[tuple[Receiver, Receiver]]:
    """An allow-listed receiver and a second local one nothing may reach."""
    a, b = Receiver().start(), Receiver().start()
    try:
        yield a, b
    finally:
        a.stop()
        b.stop()


@pytest.mark.parametrize(
    "url",
    [
        "https://169.254.169.254/latest/meta-data/",
        "https://127.0.0.1:8443/hook",
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://10.0.0.5/hook",
        "https://192.168.1.20/hook",
        "https://100.100.100.200/latest/meta-data",
        "https://224.0.0.1/hook",
        "https://0.0.0.0/hook",
        "https://[fd00:ec2::254]/latest",
    ],
)
def test_addresses_that_are_not_public_are_refused(url: str) -> None:
    with pytest.raises(Refused, match="address, which webhooks may not call"):
        STRICT.check(url)


def test_plain_http_and_odd_urls_are_refused_outside_local_mode() -> None:
    with pytest.raises(Refused, match="must use https"):
        STRICT.check("http://169.254.169.254/latest/meta-data/")
    with pytest.raises(Refused, match="user name"):
        STRICT.check("https://user:pw@hooks.example.com/")
    with pytest.raises(Refused, match="http"):
        STRICT.check("file:///etc/passwd")


def test_a_host_name_is_judged_by_every_address_it_resolves_to() -> None:
    # The system resolver: localhost is loopback.
    with pytest.raises(Refused, match="loopback"):
        STRICT.check("https://localhost/hook")
    policy = EgressPolicy(
        resolver=_resolver(
            {
                "hooks.customer.example": ["93.184.216.34"],
                "internal.customer.example": ["10.0.0.5"],
                "mixed.customer.example": ["93.184.216.34", "169.254.169.254"],
            }
        )
    )
    with pytest.raises(Refused, match="private"):
        policy.check("https://internal.customer.example/hook")
    with pytest.raises(Refused, match="link-local"):
        policy.check("https://mixed.customer.example/hook")
    with pytest.raises(Refused, match="does not resolve"):
        policy.check("https://nowhere.customer.example/hook")
    # A public name is called at the address that was checked (no second lookup to rebind),
    # with its own name in Host and in TLS.
    target = policy.check("https://hooks.customer.example/recoveryos?x=1")
    assert target.request_url() == "https://93.184.216.34:443/recoveryos?x=1"
    assert target.host_header() == "hooks.customer.example"


def test_a_local_receiver_is_never_called_unless_allow_listed(two: tuple[Receiver, Receiver]) -> None:
    a, b = two
    refused = Egress(STRICT).post(f"http://127.0.0.1:{b.port}/hook", b"{}", {})
    assert refused.status is None and refused.error is not None and refused.error.startswith("refused")
    allowed = Egress(EgressPolicy(allowed=frozenset({("127.0.0.1", a.port)})))
    assert allowed.post(a.url, b"{}", {}).ok
    assert len(a.requests()) == 1 and b.requests() == []


def test_redirects_are_not_followed_and_a_followed_one_is_checked_again(
    two: tuple[Receiver, Receiver],
) -> None:
    a, b = two
    policy = EgressPolicy(allowed=frozenset({("127.0.0.1", a.port)}))
    for location in ("http://169.254.169.254/latest/meta-data/", f"http://127.0.0.1:{b.port}/hook"):
        a.answer(307, location=location)
        # By default the redirect is the answer: a failed attempt, nothing followed.
        kept = Egress(policy).post(a.url, b"{}", {})
        assert kept.status == 307 and not kept.ok
        # Told to follow, every hop passes the guard again: the private hop is refused.
        followed = Egress(policy, max_redirects=3).post(a.url, b"{}", {})
        assert followed.status is None and followed.error is not None and "refused" in followed.error
    assert b.requests() == []


def test_local_mode_may_call_the_developers_own_receiver() -> None:
    local = EgressPolicy(allow_private=True, require_https=False)
    assert local.check("http://127.0.0.1:9000/hook").address is None
    assert forbidden(__import__("ipaddress").ip_address("8.8.8.8")) is None
