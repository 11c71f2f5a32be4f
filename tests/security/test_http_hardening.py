"""Forwarded headers believed only from trusted proxies, browser protections, and the error
contract: problem details everywhere, 503 with Retry-After when a dependency is down."""

from __future__ import annotations

import httpx
import pytest

from core.config import get_settings
from core.db import dispose_engines
from core.enums import UserRole
from tests.factories import PASSWORD, OrgFactory
from tests.harness import api_server, free_port
from tests.security.conftest import audit_rows, fresh_ip

MALFORMED_XFF = [
    "not-an-ip",
    "1.2.3.4, garbage",
    "",
    ",,,",
    "999.999.999.999",
    "[::1]:80",
    "1.2.3.4:5678",
    "x" * 4000,
    "2001:db8::1, 10.0.0.1, \u00ff\u00fe",
]


@pytest.mark.parametrize("base_fixture", ["stack", "proxied"])
def test_no_x_forwarded_for_value_makes_the_token_endpoint_fail(
    base_fixture: str, request: pytest.FixtureRequest
) -> None:
    base = request.getfixturevalue(base_fixture)
    with httpx.Client(base_url=base, timeout=30) as http:
        for xff in MALFORMED_XFF:
            r = http.post(
                "/v1/auth/token",
                data={"username": "nobody@example.test", "password": "x"},
                headers={b"X-Forwarded-For": xff.encode("latin-1")},
            )
            assert r.status_code in (401, 429), (xff, r.status_code)
            assert r.headers["cache-control"] == "no-store"
            assert r.headers["content-type"] == "application/problem+json"


def test_a_spoofed_x_forwarded_for_never_reaches_the_audit_log(
    stack: str, proxied: str, orgs: OrgFactory
) -> None:
    org = orgs.create((UserRole.HOUSE_MANAGER,))
    email, spoofed = org.emails[UserRole.HOUSE_MANAGER], fresh_ip()
    form = {"username": email, "password": "wrong"}
    httpx.post(f"{stack}/v1/auth/token", data=form, headers={"X-Forwarded-For": spoofed})
    assert [r.ip for r in audit_rows(org.org_id, "login")] == ["127.0.0.1"]
    # From a configured proxy the forwarded client is believed.
    real = fresh_ip()
    httpx.post(f"{proxied}/v1/auth/token", data=form, headers={"X-Forwarded-For": f"{real}, 127.0.0.1"})
    assert [r.ip for r in audit_rows(org.org_id, "login")] == ["127.0.0.1", real]


def test_every_response_is_nosniff_and_html_pages_cannot_be_framed(stack: str) -> None:
    for path in ("/health", "/nope", "/v1/auth/me", "/login", "/docs"):
        r = httpx.get(f"{stack}{path}")
        assert r.headers["x-content-type-options"] == "nosniff", path
        if r.headers["content-type"].startswith("text/html"):
            assert "frame-ancestors 'none'" in r.headers["content-security-policy"], path
    assert "strict-transport-security" not in httpx.get(f"{stack}/health").headers


def test_production_sends_hsts_and_hides_the_docs_unless_enabled(
    database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from api.app import create_app

    monkeypatch.setattr(get_settings(), "environment", "production")
    hidden = create_app()
    monkeypatch.setattr(get_settings(), "docs_in_production", True)
    shown = create_app()
    with api_server(hidden, lifespan="off") as base:
        assert httpx.get(f"{base}/docs").status_code == 404
        assert httpx.get(f"{base}/openapi.json").status_code == 404
        assert "max-age=" in httpx.get(f"{base}/health").headers["strict-transport-security"]
    with api_server(shown, lifespan="off") as base:
        assert httpx.get(f"{base}/openapi.json").status_code == 200


def test_cookie_sessions_refuse_state_changes_from_a_foreign_origin(stack: str, orgs: OrgFactory) -> None:
    org = orgs.create((UserRole.HOUSE_MANAGER,))
    with httpx.Client(base_url=stack, timeout=30) as http:
        signed_in = http.post(
            "/login", data={"username": org.emails[UserRole.HOUSE_MANAGER], "password": PASSWORD}
        )
        assert signed_in.status_code == 303
        evil = {"Origin": "https://evil.example"}
        assert http.post("/v1/auth/logout", headers=evil).status_code == 403
        assert http.post("/v1/auth/logout").status_code == 403  # no Origin, no Referer
        assert http.get("/v1/auth/me").status_code == 200  # reads need no Origin
        assert http.post("/v1/auth/logout", headers={"Origin": stack}).status_code == 204
        assert (
            http.post("/login", data={"username": "a@b.c", "password": "x"}, headers=evil).status_code == 403
        )


def test_errors_are_problem_details_naming_the_field(stack: str, orgs: OrgFactory) -> None:
    org = orgs.create((UserRole.CASE_MANAGER, UserRole.PEER_SUPPORT))
    with httpx.Client(base_url=stack, timeout=30) as http:
        cases = [
            http.get("/v1/auth/me"),
            http.post("/v1/leads", json={}, headers=org.headers(UserRole.PEER_SUPPORT)),
            http.get(f"/v1/leads/{org.org_id}", headers=org.headers(UserRole.CASE_MANAGER)),
            http.post("/v1/leads", json={"last_name": "X"}, headers=org.headers(UserRole.CASE_MANAGER)),
            http.get("/nowhere"),
        ]
    assert [r.status_code for r in cases] == [401, 403, 404, 422, 404]
    for r in cases:
        body = r.json()
        assert r.headers["content-type"] == "application/problem+json"
        assert body["status"] == r.status_code and body["type"].startswith("urn:recoveryos:problem:")
        assert body["title"] and body["detail"]
    assert cases[3].json()["field"] == "first_name"
    assert cases[3].json()["errors"][0]["field"] == "first_name"


def test_an_unreachable_database_is_a_503_with_retry_after_never_a_500(
    stack: str, orgs: OrgFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    org = orgs.create((UserRole.CASE_MANAGER,))
    headers = org.headers(UserRole.CASE_MANAGER)
    # Nothing listens on this port: the same errors as a stopped or killed PostgreSQL.
    monkeypatch.setattr(
        get_settings(), "app_database_url", f"postgresql://recoveryos_app:x@127.0.0.1:{free_port()}/gone"
    )
    dispose_engines()
    try:
        with httpx.Client(base_url=stack, timeout=30) as http:
            answers = [
                http.get("/v1/auth/me", headers=headers),
                http.post("/v1/leads", json={"first_name": "A", "last_name": "B"}, headers=headers),
                http.post("/v1/auth/token", data={"username": "a@b.c", "password": "x"}),
                http.get("/ready"),
            ]
    finally:
        monkeypatch.undo()
        dispose_engines()
    for r in answers[:3]:
        assert r.status_code == 503, r.text
        assert int(r.headers["retry-after"]) > 0
        assert r.headers["content-type"] == "application/problem+json"
    assert answers[3].status_code == 503 and answers[3].json()["checks"]["postgres"]["ok"] is False


def test_ready_is_503_when_no_worker_polls_the_task_queue(
    stack: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert httpx.get(f"{stack}/ready", timeout=10).json()["checks"]["worker"]["ok"] is True
    monkeypatch.setattr(get_settings(), "task_queue", "nobody-polls-this-queue")
    r = httpx.get(f"{stack}/ready", timeout=10)
    assert r.status_code == 503
    assert r.json()["checks"]["worker"] == {
        "ok": False,
        "error": "no worker polling task queue 'nobody-polls-this-queue'",
    }


def test_openapi_declares_problem_details_for_every_error_status(stack: str) -> None:
    spec = httpx.get(f"{stack}/openapi.json").json()
    for path, ops in spec["paths"].items():
        for op in ops.values():
            for code, resp in op["responses"].items():
                if code.startswith(("4", "5")) and path != "/ready":
                    assert list(resp["content"]) == ["application/problem+json"], (path, code)
    token_responses = spec["paths"]["/v1/auth/token"]["post"]["responses"]
    assert {"401", "422", "429", "503"} <= set(token_responses)
    assert {"202", "401", "403", "409", "422", "503"} <= set(spec["paths"]["/v1/leads"]["post"]["responses"])


def test_every_operation_with_a_body_documents_the_400_of_a_body_that_does_not_parse(
    stack: str, orgs: OrgFactory
) -> None:
    spec = httpx.get(f"{stack}/openapi.json").json()
    with_body = [(p, m) for p, ops in spec["paths"].items() for m, op in ops.items() if "requestBody" in op]
    assert len(with_body) > 25
    for path, method in with_body:
        assert "400" in spec["paths"][path][method]["responses"], (method, path)
    org = orgs.create((UserRole.CASE_MANAGER,))
    got = httpx.post(
        f"{stack}/v1/leads",
        content=b"{not json",
        headers={**org.headers(UserRole.CASE_MANAGER), "Content-Type": "application/json"},
    )
    assert got.status_code in (400, 422) and got.headers["content-type"] == "application/problem+json"


def test_a_day_in_a_query_is_written_yyyy_mm_dd_or_it_is_a_422_naming_it(
    stack: str, orgs: OrgFactory
) -> None:
    org = orgs.create((UserRole.CASE_MANAGER,))
    with httpx.Client(base_url=stack, headers=org.headers(UserRole.CASE_MANAGER), timeout=30) as http:
        for bad in ("0", "1700000000", "2026-1-5", "yesterday"):
            got = http.get("/v1/discharges", params={"discharged_to": bad})
            assert (got.status_code, got.json().get("field")) == (422, "discharged_to"), (bad, got.text)
        assert http.get("/v1/discharges", params={"discharged_to": "2026-12-05"}).status_code == 200


def test_a_post_only_path_answers_405_to_other_methods_not_422(stack: str, orgs: OrgFactory) -> None:
    org = orgs.create((UserRole.CASE_MANAGER,))
    with httpx.Client(base_url=stack, headers=org.headers(UserRole.CASE_MANAGER), timeout=30) as http:
        for path in ("/v1/documents/files", "/v1/documents/verify"):
            got = http.get(path)
            assert got.status_code == 405 and got.headers["allow"] == "POST", (path, got.text)


def test_an_unsigned_stripe_webhook_is_a_400_whether_or_not_stripe_is_configured(
    stack: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"{stack}/v1/billing/stripe/webhook"
    body = b'{"id": "evt_1", "type": "payment_intent.succeeded"}'
    for secret in ("whsec_recoveryos_test", None):
        monkeypatch.setattr(get_settings(), "stripe_webhook_secret", secret)
        assert httpx.post(url, content=body).status_code == 400, secret
        assert httpx.post(url, content=body, headers={"Stripe-Signature": "t=1,v1=00"}).status_code == 400


def test_only_the_codec_endpoint_offers_cors_with_credentials_to_the_ui(stack: str) -> None:
    origin = get_settings().codec_cors_origins[0]
    preflight = {"Origin": origin, "Access-Control-Request-Method": "POST"}
    codec = httpx.options(f"{stack}/codec/decode", headers=preflight)
    assert codec.headers.get("access-control-allow-origin") == origin
    assert codec.headers.get("access-control-allow-credentials") == "true"
    for path in ("/v1/leads", "/v1/auth/token", "/v1/documents"):
        got = httpx.options(f"{stack}{path}", headers=preflight)
        assert "access-control-allow-origin" not in got.headers, path
        plain = httpx.get(f"{stack}/health", headers={"Origin": origin})
        assert "access-control-allow-origin" not in plain.headers


def test_ready_turns_503_within_seconds_of_a_worker_killed_outright(
    stack: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Temporal keeps a killed worker's pollers listed for a minute or more; the worker's
    heartbeat row in PostgreSQL stops at once, and /ready reads it."""
    import os
    import signal
    import subprocess
    import sys
    import time
    import uuid

    queue = f"ready-{uuid.uuid4().hex[:8]}"
    monkeypatch.setattr(get_settings(), "task_queue", queue)
    worker = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "worker"],
        env={**os.environ, "RECOVERYOS_TASK_QUEUE": queue},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 90
        while httpx.get(f"{stack}/ready", timeout=10).status_code != 200:
            assert worker.poll() is None and time.monotonic() < deadline, "the worker never became ready"
            time.sleep(0.5)
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
        killed = time.monotonic()
        while (r := httpx.get(f"{stack}/ready", timeout=10)).status_code == 200:
            assert time.monotonic() - killed < 12, "/ready still 200 twelve seconds after the kill"
            time.sleep(0.5)
        assert r.status_code == 503
        assert r.json()["checks"]["worker"]["error"] == f"no worker heartbeat on task queue {queue!r} lately"
    finally:
        if worker.poll() is None:
            worker.kill()
