"""Liveness, readiness, request ids, and log lines that never carry PHI."""

from __future__ import annotations

import io
import json
import logging

import httpx

from core.bootstrap import head_revision
from core.enums import UserRole
from core.logging import JsonFormatter
from tests.factories import OrgFactory


def test_health_is_alive_and_ready_checks_postgres_temporal_and_migrations(stack: str) -> None:
    assert httpx.get(f"{stack}/health").json() == {"status": "ok"}
    r = httpx.get(f"{stack}/ready", timeout=10)
    assert r.status_code == 200
    checks = r.json()["checks"]
    assert checks["postgres"]["ok"] and checks["temporal"]["ok"]

    assert checks["postgres"]["migration"] == checks["postgres"]["head"] == head_revision()


def test_openapi_docs_are_served(stack: str) -> None:
    assert httpx.get(f"{stack}/docs").status_code == 200
    spec = httpx.get(f"{stack}/openapi.json").json()
    assert "/v1/leads" in spec["paths"]


def test_every_response_has_a_request_id_and_logs_carry_it_without_phi(stack: str, orgs: OrgFactory) -> None:
    org = orgs.create((UserRole.CASE_MANAGER,))
    buf = io.StringIO()
    handler = logging.StreamHandler(buf)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    old = root.level
    root.setLevel(logging.INFO)
    try:
        r = httpx.post(
            f"{stack}/v1/leads",
            headers={**org.headers(UserRole.CASE_MANAGER), "X-Request-ID": "req-abc"},
            json={"first_name": "Philomena", "last_name": "Okonkwo-Reyes", "email": "phil@example.com"},
            timeout=30,
        )
        assert r.status_code == 201
        assert r.headers["x-request-id"] == "req-abc"
        assert httpx.get(f"{stack}/health").headers["x-request-id"]
    finally:
        root.removeHandler(handler)
        root.setLevel(old)
    lines = [json.loads(x) for x in buf.getvalue().splitlines() if x.strip()]
    access = [x for x in lines if x["logger"] == "recoveryos.access" and x.get("request_id") == "req-abc"]
    assert access and access[0]["route"] == "/v1/leads" and access[0]["status"] == 201
    text = buf.getvalue()
    for phi in ("Philomena", "Okonkwo", "phil@example.com"):
        assert phi not in text


def test_api_responses_are_never_cached_but_health_may_be(stack: str, orgs: OrgFactory) -> None:
    org = orgs.create((UserRole.CASE_MANAGER,))
    me = httpx.get(f"{stack}/v1/auth/me", headers=org.headers(UserRole.CASE_MANAGER))
    assert me.status_code == 200 and me.headers["cache-control"] == "no-store"
    denied = httpx.get(f"{stack}/v1/leads/{org.org_id}")
    assert denied.status_code == 401 and denied.headers["cache-control"] == "no-store"
    assert "cache-control" not in httpx.get(f"{stack}/health").headers


def test_ready_is_503_and_says_why_while_temporal_is_unreachable(database: str) -> None:
    from api.app import create_app
    from tests.harness import api_server

    app = create_app()  # without its lifespan the app never connects to Temporal
    with api_server(app, lifespan="off") as base:
        r = httpx.get(f"{base}/ready", timeout=10)
    assert r.status_code == 503
    assert r.json()["checks"]["postgres"]["ok"] is True
    assert r.json()["checks"]["temporal"] == {"ok": False, "error": "not connected"}
