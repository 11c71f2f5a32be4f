"""Managing staff logins over real HTTP: an invitation e-mail (real SMTP) carries a one-time link
that sets the password once; roles and scopes are replaced; deactivation ends every session at
once and blocks sign-in until reactivation; a manager cannot give powers they lack."""

from __future__ import annotations

import hashlib
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, update

from api.auth import login, resolve
from api.routes.users import invitation_notifier
from core.db import tenant_session
from core.enums import UserRole
from core.notify import SmtpNotifier
from core.scope import ScopeKind
from models.users import User, UserInvitation
from tests.admission.places import house
from tests.dunning.conftest import SmtpSink, smtp_notifier
from tests.factories import PASSWORD, OrgFactory, SampleOrg
from tests.harness import free_port
from tests.scope.world import add_login

OWNER, DIRECTOR = UserRole.ORG_OWNER, UserRole.EXECUTIVE_DIRECTOR
NEW_PASSWORD = "a long and fresh passphrase"


@pytest.fixture(scope="module")
def org(orgs: OrgFactory) -> SampleOrg:
    return orgs.create((OWNER, DIRECTOR))


def _http(stack: str, org: SampleOrg, role: UserRole = OWNER) -> httpx.Client:
    return httpx.Client(base_url=stack, headers=org.headers(role), timeout=60)


def _email() -> str:
    return f"invitee.{uuid.uuid4().hex[:10]}@example.test"


def _users(org_id: uuid.UUID) -> int:
    with tenant_session(org_id, actor_type="test") as s:
        return s.scalar(select(func.count()).select_from(User)) or 0


def _token(sink: SmtpSink, to: str) -> str:
    (msg,) = sink.messages(to=to)
    found = re.search(r"/v1/auth/invitations/(\S+)", msg.get_content())
    assert found is not None, msg.get_content()
    return found.group(1)


def _invite(http: httpx.Client, email: str, roles: list[dict[str, Any]]) -> dict[str, Any]:
    r = http.post(
        "/v1/users", json={"email": email, "first_name": "Dana", "last_name": "Whitfield", "roles": roles}
    )
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def test_an_invited_user_sets_their_password_once_through_the_emailed_link_and_signs_in(
    stack: str, org: SampleOrg, mailed: SmtpSink
) -> None:
    where = house(org.org_id, ["1"], name=f"Juniper {uuid.uuid4().hex[:6]}")
    email = _email()
    with _http(stack, org) as http:
        made = _invite(http, email, [{"role": "house_manager", "house_id": str(where.house_id)}])
    assert (made["status"], made["invitation_sent"]) == ("invited", True)
    assert made["roles"] == [{"role": "house_manager", "house_id": str(where.house_id), "property_id": None}]
    (msg,) = mailed.messages(to=email)
    assert "Test Org" not in msg.get_content() and "Juniper" not in msg.get_content()  # nothing but the link
    token = _token(mailed, email)
    assert login(email, NEW_PASSWORD, request_id="t", source_ip="127.0.0.9", user_agent="t") is None
    with tenant_session(org.org_id, actor_type="test") as s:
        stored = s.scalars(
            select(UserInvitation.token_hash).where(UserInvitation.user_id == made["id"])
        ).one()
    assert bytes(stored) == hashlib.sha256(token.encode()).digest()  # only the hash is kept

    with httpx.Client(base_url=stack, timeout=60) as anyone:
        assert anyone.get(f"/v1/auth/invitations/{token}").status_code == 200
        short = anyone.post(f"/v1/auth/invitations/{token}", json={"password": "short"})
        assert (short.status_code, short.json()["field"]) == (422, "password")
        assert (
            anyone.post(f"/v1/auth/invitations/{token}", json={"password": NEW_PASSWORD}).status_code == 204
        )
        again = anyone.post(f"/v1/auth/invitations/{token}", json={"password": "another passphrase!"})
        assert (again.status_code, again.json()["field"]) == (409, "token")
        forged = anyone.post(f"/v1/auth/invitations/{org.org_id}.{'x' * 43}", json={"password": NEW_PASSWORD})
        assert (forged.status_code, forged.json()["field"]) == (404, "token")
    signed_in = login(email, NEW_PASSWORD, request_id="t", source_ip="127.0.0.9", user_agent="t")
    assert signed_in is not None
    p = resolve(signed_in.token, request_id="t", source_ip="127.0.0.9")
    assert p is not None and p.scope.kind is ScopeKind.HOUSES and p.scope.house_ids == (where.house_id,)


def test_a_new_link_replaces_the_old_one_and_an_expired_link_is_refused(
    stack: str, org: SampleOrg, mailed: SmtpSink
) -> None:
    email = _email()
    with _http(stack, org) as http:
        made = _invite(http, email, [{"role": "peer_support"}])
        first = _token(mailed, email)
        r = http.post(f"/v1/users/{made['id']}/invitation")
        assert r.status_code == 200 and r.json()["sent"], r.text
    second = next(t for t in {_token_of(m) for m in mailed.messages(to=email)} if t != first)
    with tenant_session(org.org_id, actor_type="test") as s:
        s.execute(
            update(UserInvitation)
            .where(UserInvitation.token_hash == hashlib.sha256(second.encode()).digest())
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    with httpx.Client(base_url=stack, timeout=60) as anyone:
        for token in (first, second):
            r = anyone.post(f"/v1/auth/invitations/{token}", json={"password": NEW_PASSWORD})
            assert (r.status_code, r.json()["field"]) == (409, "token")


def _token_of(msg: Any) -> str:
    found = re.search(r"/v1/auth/invitations/(\S+)", msg.get_content())
    assert found is not None
    return found.group(1)


def test_deactivating_a_user_ends_every_session_at_once_and_blocks_sign_in_until_reactivated(
    stack: str, org: SampleOrg
) -> None:
    user_id, first = add_login(org.org_id, UserRole.PEER_SUPPORT)
    with tenant_session(org.org_id, actor_type="test") as s:
        user = s.get(User, user_id)
        assert user is not None and user.email is not None
        email = user.email
    second = login(email, PASSWORD, request_id="t", source_ip="127.0.0.8", user_agent="t")
    assert second is not None
    for token in (first, second.token):
        assert (
            httpx.get(f"{stack}/v1/properties", headers={"Authorization": f"Bearer {token}"}).status_code
            == 200
        )
    with _http(stack, org) as http:
        r = http.post(f"/v1/users/{user_id}/deactivation")
        assert r.json() == {"user_id": str(user_id), "sessions_ended": 2}, r.text
        for token in (first, second.token):
            assert (
                httpx.get(f"{stack}/v1/properties", headers={"Authorization": f"Bearer {token}"}).status_code
                == 401
            )
        assert login(email, PASSWORD, request_id="t", source_ip="127.0.0.8", user_agent="t") is None
        assert http.get(f"/v1/users/{user_id}").json()["status"] == "disabled"
        mine = http.post(f"/v1/users/{org.users[OWNER]}/deactivation")
        assert (mine.status_code, mine.json()["field"]) == (409, "user_id")
        assert http.post(f"/v1/users/{user_id}/reactivation").json()["status"] == "active"
    assert login(email, PASSWORD, request_id="t", source_ip="127.0.0.8", user_agent="t") is not None


def test_setting_roles_replaces_them_and_the_users_next_request_has_the_new_scope(
    stack: str, org: SampleOrg
) -> None:
    a = house(org.org_id, ["1"], name=f"Aspen {uuid.uuid4().hex[:6]}")
    b = house(org.org_id, ["1"], name=f"Birch {uuid.uuid4().hex[:6]}")
    user_id, token = add_login(org.org_id, UserRole.HOUSE_MANAGER, house_id=a.house_id)
    mine = {"Authorization": f"Bearer {token}"}
    assert [h["id"] for h in httpx.get(f"{stack}/v1/houses", headers=mine).json()["items"]] == [
        str(a.house_id)
    ]
    with _http(stack, org) as http:
        r = http.put(
            f"/v1/users/{user_id}/roles",
            json={"roles": [{"role": "house_manager", "house_id": str(b.house_id)}]},
        )
        assert r.status_code == 200, r.text
        assert r.json()["roles"] == [
            {"role": "house_manager", "house_id": str(b.house_id), "property_id": None}
        ]
    assert [h["id"] for h in httpx.get(f"{stack}/v1/houses", headers=mine).json()["items"]] == [
        str(b.house_id)
    ]


def test_a_manager_cannot_give_or_manage_powers_they_do_not_hold(stack: str, org: SampleOrg) -> None:
    before = _users(org.org_id)
    with _http(stack, org, DIRECTOR) as http:
        r = http.post(
            "/v1/users",
            json={"email": _email(), "first_name": "A", "last_name": "B", "roles": [{"role": "org_owner"}]},
        )
        assert r.status_code == 403
        assert http.post(f"/v1/users/{org.users[OWNER]}/deactivation").status_code == 403
        assert (
            http.put(
                f"/v1/users/{org.users[OWNER]}/roles", json={"roles": [{"role": "peer_support"}]}
            ).status_code
            == 403
        )
    assert _users(org.org_id) == before


def test_bad_invitations_are_a_4xx_naming_the_field_and_write_nothing(
    stack: str, org: SampleOrg, mailed: SmtpSink
) -> None:
    before = _users(org.org_id)
    good: dict[str, Any] = {
        "email": _email(),
        "first_name": "Dana",
        "last_name": "Whitfield",
        "roles": [{"role": "peer_support"}],
    }
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({**good, "email": "not-an-address"}, 422, "email"),
        ({**good, "roles": []}, 422, "roles"),
        ({**good, "roles": [{"role": "resident"}]}, 422, "roles.0.role"),
        ({**good, "roles": [{"role": "chef"}]}, 422, "roles.0.role"),
        ({**good, "roles": [{"role": "house_manager", "house_id": str(uuid.uuid4())}]}, 404, "house_id"),
        ({**good, "email": org.emails[DIRECTOR]}, 409, "email"),
    ]
    with _http(stack, org) as http:
        for body, code, field in cases:
            r = http.post("/v1/users", json=body)
            assert (r.status_code, r.json().get("field")) == (code, field), (body, r.text)
    assert _users(org.org_id) == before and mailed.messages() == []


def test_the_user_list_pages_staff_with_their_roles_filters_by_status_and_leaves_out_residents(
    stack: str, org: SampleOrg, mailed: SmtpSink
) -> None:
    with _http(stack, org) as http:
        invited = _invite(http, _email(), [{"role": "billing_specialist"}])
        resident_login, _ = add_login(org.org_id, UserRole.RESIDENT)
        waiting = http.get("/v1/users", params={"status": "invited", "limit": 200}).json()["items"]
        shown = next(u for u in waiting if u["id"] == invited["id"])
        assert shown["roles"] == invited["roles"] and {u["status"] for u in waiting} == {"invited"}
        everyone = http.get("/v1/users", params={"limit": 200}).json()
        ids = {u["id"] for u in everyone["items"]}
        assert {str(org.users[OWNER]), str(org.users[DIRECTOR]), invited["id"]} <= ids
        assert str(resident_login) not in ids
        owner = next(u for u in everyone["items"] if u["id"] == str(org.users[OWNER]))
        assert owner["roles"] == [{"role": "org_owner", "house_id": None, "property_id": None}]
        page = http.get("/v1/users", params={"limit": 1}).json()
        assert len(page["items"]) == 1 and page["next_offset"] == 1


def test_a_retried_invitation_with_the_same_idempotency_key_returns_the_same_user_and_sends_nothing_more(
    stack: str, org: SampleOrg, mailed: SmtpSink
) -> None:
    email = _email()
    body = {
        "email": email,
        "first_name": "Dana",
        "last_name": "Whitfield",
        "roles": [{"role": "peer_support"}],
    }
    key = {"Idempotency-Key": f"invite-{uuid.uuid4()}"}
    with _http(stack, org) as http:
        first = http.post("/v1/users", json=body, headers=key)
        again = http.post("/v1/users", json=body, headers=key)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"] and not again.json()["invitation_sent"]
    assert len(mailed.messages(to=email)) == 1


def test_an_invitation_whose_email_fails_is_kept_and_can_be_sent_again(
    stack: str, api_app: FastAPI, org: SampleOrg, mailed: SmtpSink
) -> None:
    email = _email()
    nowhere = SmtpNotifier("127.0.0.1", free_port(), "staff@houses.example", timeout=5)
    api_app.dependency_overrides[invitation_notifier] = lambda: nowhere
    with _http(stack, org) as http:
        made = _invite(http, email, [{"role": "peer_support"}])
        assert (made["status"], made["invitation_sent"]) == ("invited", False)
        api_app.dependency_overrides[invitation_notifier] = lambda: smtp_notifier(mailed)
        assert http.post(f"/v1/users/{made['id']}/invitation").json()["sent"] is True
    with httpx.Client(base_url=stack, timeout=60) as anyone:
        r = anyone.post(f"/v1/auth/invitations/{_token(mailed, email)}", json={"password": NEW_PASSWORD})
        assert r.status_code == 204, r.text
