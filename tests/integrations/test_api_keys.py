"""API keys over real HTTP: shown once and stored as a hash, a subset of permissions, bound to
their org, audited as the key (never a user), counted per minute in PostgreSQL, refused once
revoked or expired."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import text

from core.audit_sealer import seal_pending
from core.db import tenant_session
from core.enums import UserRole
from models.integrations import ApiKey
from tests.factories import OrgFactory, SampleOrg

OWNER = UserRole.ORG_OWNER


def _key(http: httpx.Client, scopes: list[str], **extra: object) -> dict[str, object]:
    r = http.post("/v1/api-keys", json={"name": "CRM sync", "scopes": scopes, **extra})
    assert r.status_code == 201, r.text
    body: dict[str, object] = r.json()
    return body


def _as(stack: str, key: object) -> httpx.Client:
    return httpx.Client(base_url=stack, headers={"Authorization": f"Bearer {key}"}, timeout=30)


def test_a_key_is_shown_once_stored_as_a_hash_and_acts_within_its_scopes(
    stack: str, orgs: OrgFactory
) -> None:
    org = orgs.create((OWNER,))
    with httpx.Client(base_url=stack, headers=org.headers(OWNER), timeout=30) as http:
        made = _key(http, ["lead:read", "lead:write"])
        key, key_id = str(made["key"]), str(made["id"])
        assert key.startswith(f"rok_{made['prefix']}_") and made["last_used_at"] is None
        shown = http.get(f"/v1/api-keys/{key_id}").json()
        assert "key" not in shown and shown["scopes"] == ["lead:read", "lead:write"]
    with tenant_session(org.org_id, actor_type="test") as s:
        row = s.get(ApiKey, uuid.UUID(key_id))
        assert row is not None and row.key_hash == hashlib.sha256(key.encode()).digest()
        stored = s.execute(text("SELECT row_to_json(k)::text FROM api_keys k WHERE id = :i"), {"i": key_id})
        assert key[len("rok_") + 9 :] not in stored.scalar_one()

    with _as(stack, key) as api:
        lead = api.post("/v1/leads", json={"first_name": "Keyed", "last_name": "Lead"})
        assert lead.status_code == 201, lead.text
        assert api.get(f"/v1/leads/{lead.json()['id']}").status_code == 200
        assert api.get("/v1/billing/invoices").status_code == 403  # not in its scopes
        assert api.get("/v1/api-keys").status_code == 403  # a key never manages keys
        assert api.post("/v1/auth/mfa/verify", json={"code": "123456"}).status_code == 401

    seal_pending(org.org_id)
    with tenant_session(org.org_id, actor_type="test") as s:
        entries = s.execute(
            text(
                "SELECT actor_type, actor_user_id, action::text, entity_type, details, request_id "
                "FROM audit_logs ORDER BY seq"
            )
        ).all()
        used = s.get(ApiKey, uuid.UUID(key_id))
        assert used is not None and used.last_used_at is not None
    rows = [r for r in entries if r.actor_type == f"api_key:{key_id}"]
    assert rows and all(r.actor_user_id is None for r in rows)
    # Each call is recorded as the key's, route and method only (the refused sign-in never
    # got as far as the key).
    calls = {r.request_id: r.details for r in rows if r.entity_type == "api_keys"}
    assert len(calls) == 4 and {"method": "GET", "route": "/v1/leads/{lead_id}"} in calls.values()
    # What the key read is the key's; what the intake workflow it started wrote is the workflow's,
    # under the key's request id.
    assert ("read", "leads") in {(r.action, r.entity_type) for r in rows}
    (post,) = [rid for rid, d in calls.items() if d == {"method": "POST", "route": "/v1/leads"}]
    created = [
        r for r in entries if r.request_id == post and (r.action, r.entity_type) == ("create", "leads")
    ]
    assert created and all(r.actor_user_id is None for r in created)


def test_a_revoked_or_expired_key_is_refused(stack: str, orgs: OrgFactory) -> None:
    org = orgs.create((OWNER,))
    with httpx.Client(base_url=stack, headers=org.headers(OWNER), timeout=30) as http:
        live = _key(http, ["lead:read"])
        expired = _key(http, ["lead:read"], expires_at=(datetime.now(UTC) - timedelta(minutes=1)).isoformat())
        with _as(stack, live["key"]) as api:
            assert api.get("/v1/leads").status_code == 200
        assert http.delete(f"/v1/api-keys/{live['id']}").status_code == 204
        assert http.get(f"/v1/api-keys/{live['id']}").json()["revoked_at"] is not None
    for made in (live, expired):
        with _as(stack, made["key"]) as api:
            r = api.get("/v1/leads")
            assert r.status_code == 401 and "revoked or expired" in r.json()["detail"]
    with _as(stack, "rok_abcdefgh_" + "x" * 43) as api:
        assert api.get("/v1/leads").status_code == 401


def test_each_key_has_its_own_rate_limit_counted_in_postgresql(stack: str, orgs: OrgFactory) -> None:
    org = orgs.create((OWNER,))
    with httpx.Client(base_url=stack, headers=org.headers(OWNER), timeout=30) as http:
        tight, other = _key(http, ["lead:read"], rate_limit_per_minute=2), _key(http, ["lead:read"])
    with _as(stack, tight["key"]) as api:
        assert [api.get("/v1/leads").status_code for _ in range(2)] == [200, 200]
        over = api.get("/v1/leads")
        assert over.status_code == 429 and 1 <= int(over.headers["retry-after"]) <= 60
    with _as(stack, other["key"]) as api:
        assert api.get("/v1/leads").status_code == 200


def test_a_key_cannot_hold_what_needs_a_person_and_is_bound_to_its_org(stack: str, orgs: OrgFactory) -> None:
    a, b = orgs.create((OWNER,)), orgs.create((OWNER,))
    with httpx.Client(base_url=stack, headers=a.headers(OWNER), timeout=30) as http:
        for scope in ("clinical:read", "consent:manage", "users:manage", "integrations:manage"):
            r = http.post("/v1/api-keys", json={"name": "x", "scopes": [scope]})
            assert r.status_code == 422 and r.json()["field"] == "scopes", r.text
        made = _key(http, ["lead:read"])
        lead_id = _lead(stack, a)
    with httpx.Client(base_url=stack, headers=b.headers(OWNER), timeout=30) as other:
        assert other.get(f"/v1/api-keys/{made['id']}").status_code == 404
        assert other.delete(f"/v1/api-keys/{made['id']}").status_code == 404
        assert other.get("/v1/api-keys").json() == []
        b_lead = _lead(stack, b)
    with _as(stack, made["key"]) as api:
        assert api.get(f"/v1/leads/{lead_id}").status_code == 200
        assert api.get(f"/v1/leads/{b_lead}").status_code == 404


def _lead(stack: str, org: SampleOrg) -> str:
    with httpx.Client(base_url=stack, headers=org.headers(OWNER), timeout=30) as http:
        r = http.post("/v1/leads", json={"first_name": "Org", "last_name": "Bound"})
        assert r.status_code == 201, r.text
        return str(r.json()["id"])
