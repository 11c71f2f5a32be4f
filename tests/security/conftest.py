"""A second API in front of the same database that believes X-Forwarded-For from
127.0.0.1, as behind a configured reverse proxy: tests choose the source address."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from core.config import get_settings
from tests.db import as_owner
from tests.harness import api_server


def _proxied_app() -> Any:
    from api.app import create_app

    s = get_settings()
    before = s.trusted_proxies
    s.trusted_proxies = ["127.0.0.1"]
    try:
        return create_app()
    finally:
        s.trusted_proxies = before


@pytest.fixture(scope="session")
def proxied(stack: str) -> Iterator[str]:
    with api_server(_proxied_app()) as base:
        deadline = time.monotonic() + 60
        while httpx.get(f"{base}/ready", timeout=10).status_code != 200:
            assert time.monotonic() < deadline, "proxied API never became ready"
            time.sleep(0.2)
        yield base


@pytest.fixture(scope="session")
def proxied_replica(stack: str) -> Iterator[str]:
    """Another API process's worth of app: shares nothing with `proxied` but the database."""
    with api_server(_proxied_app(), lifespan="off") as base:
        yield base


def fresh_ip() -> str:
    """A source address no other test has used (TEST-NET-2 / benchmarking range)."""
    n = uuid.uuid4().int
    return f"198.18.{n % 250 + 1}.{(n >> 8) % 250 + 1}"


def audit_rows(org_id: uuid.UUID, action: str) -> list:
    from core.audit_sealer import seal_pending

    seal_pending(org_id)  # chained now rather than a second later by the worker's sequencer
    with as_owner() as c:
        return list(
            c.execute(
                text(
                    "SELECT outcome, details, host(source_ip) AS ip FROM audit_logs "
                    "WHERE org_id = :o AND action = :a ORDER BY seq"
                ),
                {"o": org_id, "a": action},
            ).all()
        )


@pytest.fixture(autouse=True)
def _forget_failed_logins(database: str) -> Iterator[None]:
    """Tests here fail sign-ins on purpose, many from 127.0.0.1, where the rest of the suite
    signs in: the counters are cleared after each test so they block nothing else."""
    yield
    with as_owner() as c:
        c.execute(text("DELETE FROM login_throttles"))
