"""Webhook endpoints over real HTTP, delivered by the real worker to a real local receiver (the
one address the test settings allow, RECOVERYOS_WEBHOOK_ALLOWED_TARGETS): registration refuses
what it may not call, the secret is shown once, a lead created through the API arrives signed,
staff replay it and rotate the secret, and only `integrations:manage` reaches any of it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from core.enums import UserRole
from tests.conftest import WEBHOOK_RECEIVER_PORT
from tests.factories import OrgFactory
from tests.webhooks.receiver import Receiver, allowed_receiver, wait_for

__all__ = ["allowed_receiver"]  # a fixture, used by name

OWNER = UserRole.ORG_OWNER


_wait = wait_for


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://hooks.example.com/recoveryos", "must use https"),
        ("https://169.254.169.254/latest/meta-data/", "link-local"),
        (f"http://127.0.0.1:{WEBHOOK_RECEIVER_PORT + 1}/hook", "must use https"),
        ("https://127.0.0.1:8443/hook", "loopback"),
        ("https://localhost/hook", "loopback"),
        ("https://does-not-resolve.invalid/hook", "does not resolve"),
    ],
    # Ids without the port, which is free-chosen per process: parallel workers must collect the
    # same tests.
    ids=["http", "link-local", "loopback-http", "loopback-https", "localhost", "unresolvable"],
)
def test_registration_refuses_what_it_may_not_call_and_writes_nothing(
    stack: str, orgs: OrgFactory, url: str, why: str
) -> None:
    org = orgs.create((OWNER,))
    with httpx.Client(base_url=stack, headers=org.headers(OWNER), timeout=30) as http:
        r = http.post("/v1/webhooks", json={"url": url, "event_types": ["lead.created.v1"]})
        assert r.status_code == 422, r.text
        assert r.json()["field"] == "url" and why in r.json()["detail"]
        bad_type = http.post("/v1/webhooks", json={"url": url, "event_types": ["lead.created.v9"]})
        assert bad_type.status_code == 422 and bad_type.json()["field"].startswith("event_types")
        assert http.get("/v1/webhooks").json() == []


def test_a_lead_created_through_the_api_arrives_signed_and_staff_replay_and_rotate(
    stack: str, orgs: OrgFactory, allowed_receiver: Receiver
) -> None:
    org = orgs.create((OWNER, UserRole.CASE_MANAGER))
    with httpx.Client(base_url=stack, headers=org.headers(OWNER), timeout=30) as http:
        created = http.post(
            "/v1/webhooks",
            json={"url": allowed_receiver.url, "event_types": ["lead.created.v1"], "description": "CRM"},
        )
        assert created.status_code == 201, created.text
        hook = created.json()
        secret, hook_id = hook["secret"], hook["id"]
        assert secret.startswith("whsec_") and hook["workflow_id"] == f"webhooks/{org.org_id}/{hook_id}"
        shown = http.get(f"/v1/webhooks/{hook_id}").json()
        assert "secret" not in shown and shown["is_active"] is True
        assert [h["id"] for h in http.get("/v1/webhooks").json()] == [hook_id]

    with httpx.Client(base_url=stack, headers=org.headers(UserRole.CASE_MANAGER), timeout=30) as staff:
        lead = staff.post("/v1/leads", json={"first_name": "Aurelia", "last_name": "Castellanos"})
        assert lead.status_code == 201, lead.text
        lead_id = lead.json()["id"]
    _wait(lambda: len(allowed_receiver.requests()) == 1)
    (got,) = allowed_receiver.requests()
    payload = got.verify(secret)
    assert payload["type"] == "lead.created.v1" and payload["data"]["lead_id"] == lead_id
    assert "Aurelia" not in got.body.decode() and "Castellanos" not in got.body.decode()

    with httpx.Client(base_url=stack, headers=org.headers(OWNER), timeout=30) as http:
        # The attempt is recorded once the receiver has answered.
        _wait(lambda: len(http.get(f"/v1/webhooks/{hook_id}/deliveries").json()["items"]) == 1)
        page = http.get(f"/v1/webhooks/{hook_id}/deliveries").json()
        (attempt,) = page["items"]
        assert attempt["status"] == "delivered" and attempt["response_status"] == 204
        assert attempt["event_id"] == got.webhook_id and attempt["latency_ms"] is not None

        replayed = http.post(f"/v1/webhooks/{hook_id}/replay", json={"delivery_id": attempt["id"]})
        assert replayed.status_code == 202, replayed.text
        _wait(lambda: len(allowed_receiver.requests()) == 2)
        assert allowed_receiver.requests()[1].webhook_id == got.webhook_id
        since = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
        assert http.post(f"/v1/webhooks/{hook_id}/replay", json={"since": since}).status_code == 202
        _wait(lambda: len(allowed_receiver.requests()) == 3)
        both = http.post(
            f"/v1/webhooks/{hook_id}/replay", json={"since": since, "delivery_id": attempt["id"]}
        )
        assert both.status_code == 422
        unknown = http.post(f"/v1/webhooks/{hook_id}/replay", json={"delivery_id": str(uuid.uuid4())})
        assert unknown.status_code == 404 and unknown.json()["field"] == "delivery_id"

        rotated = http.post(f"/v1/webhooks/{hook_id}/secret/rotation", json={"overlap_hours": 2})
        assert rotated.status_code == 200 and rotated.json()["secret"] not in (secret, None)
        new_secret = rotated.json()["secret"]
        http.post(f"/v1/webhooks/{hook_id}/replay", json={"delivery_id": attempt["id"]})
        _wait(lambda: len(allowed_receiver.requests()) == 4)
        last = allowed_receiver.requests()[3]
        assert last.verify(secret) == last.verify(new_secret)

        off = http.patch(f"/v1/webhooks/{hook_id}", json={"is_active": False})
        assert off.status_code == 200 and off.json()["disabled_reason"] == "staff"
        refused = http.post(f"/v1/webhooks/{hook_id}/replay", json={"delivery_id": attempt["id"]})
        assert refused.status_code == 409
        on = http.patch(f"/v1/webhooks/{hook_id}", json={"is_active": True})
        assert on.status_code == 200 and on.json()["disabled_reason"] is None
        assert http.delete(f"/v1/webhooks/{hook_id}").status_code == 204
        assert http.get(f"/v1/webhooks/{hook_id}").status_code == 404


def test_the_catalogue_and_openapi_show_an_example_payload_for_every_event_type(
    stack: str, orgs: OrgFactory
) -> None:
    from core.events import EventType

    org = orgs.create((OWNER,))
    with httpx.Client(base_url=stack, headers=org.headers(OWNER), timeout=30) as http:
        listed = http.get("/v1/webhooks/event-types").json()
        schema = http.get("/openapi.json").json()
    assert [t["type"] for t in listed] == [t.value for t in EventType]
    assert all(t["example"]["type"] == t["type"] and t["example"]["data"] for t in listed)
    assert set(schema["webhooks"]) == {t.value for t in EventType}
    body = schema["webhooks"]["resident.admitted.v1"]["post"]["requestBody"]["content"]["application/json"]
    model = body["schema"]["$ref"].rsplit("/", 1)[1]
    (example,) = schema["components"]["schemas"][model]["examples"]
    assert set(example["data"]) == {"resident_id", "house_id", "admission_id", "bed_id"}
    assert "webhook-signature" in schema["webhooks"]["resident.admitted.v1"]["post"]["description"]


def test_another_orgs_endpoints_are_a_404_and_other_roles_a_403(stack: str, orgs: OrgFactory) -> None:
    a, b = orgs.create((OWNER,)), orgs.create((OWNER, UserRole.HOUSE_MANAGER))
    with httpx.Client(base_url=stack, headers=a.headers(OWNER), timeout=30) as http:
        hook_id = http.post(
            "/v1/webhooks",
            json={"url": f"http://127.0.0.1:{WEBHOOK_RECEIVER_PORT}/a", "event_types": ["invoice.issued.v1"]},
        ).json()["id"]
    with httpx.Client(base_url=stack, headers=b.headers(OWNER), timeout=30) as http:
        for method, path, body in [
            ("GET", f"/v1/webhooks/{hook_id}", None),
            ("PATCH", f"/v1/webhooks/{hook_id}", {"description": "mine now"}),
            ("DELETE", f"/v1/webhooks/{hook_id}", None),
            ("GET", f"/v1/webhooks/{hook_id}/deliveries", None),
            ("POST", f"/v1/webhooks/{hook_id}/secret/rotation", {}),
            ("POST", f"/v1/webhooks/{hook_id}/replay", {"since": "2026-01-01T00:00:00Z"}),
        ]:
            r = http.request(method, path, json=body)
            assert r.status_code == 404, (method, path, r.text)
        assert http.get("/v1/webhooks").json() == []
    with httpx.Client(base_url=stack, headers=b.headers(UserRole.HOUSE_MANAGER), timeout=30) as http:
        assert http.get("/v1/webhooks").status_code == 403
    with httpx.Client(base_url=stack, headers=a.headers(OWNER), timeout=30) as http:
        assert http.get(f"/v1/webhooks/{hook_id}").json()["description"] is None
        assert http.patch(f"/v1/webhooks/{hook_id}", json={"is_active": False}).status_code == 200
