"""Sign-in resists guessing: shared counters in PostgreSQL, exponential delay on the failing
source, second factor for roles that read Part 2 data, sessions that end when idle and that
their owner can list and revoke."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pyotp
import pytest
from sqlalchemy import text

from core.config import get_settings
from core.enums import UserRole
from tests.db import as_owner
from tests.factories import PASSWORD, OrgFactory
from tests.security.conftest import audit_rows, fresh_ip


def _token(http: httpx.Client, email: str, password: str, ip: str) -> httpx.Response:
    return http.post(
        "/v1/auth/token", data={"username": email, "password": password}, headers={"X-Forwarded-For": ip}
    )


def test_fifty_wrong_passwords_are_throttled_on_every_replica_and_the_right_one_must_wait_too(
    proxied: str, proxied_replica: str, orgs: OrgFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "login_base_delay_seconds", 30.0)
    org = orgs.create((UserRole.HOUSE_MANAGER,))
    email, attacker = org.emails[UserRole.HOUSE_MANAGER], fresh_ip()
    statuses = []
    with httpx.Client(base_url=proxied, timeout=30) as http:
        for _ in range(50):
            statuses.append(_token(http, email, "wrong password", attacker).status_code)
        blocked = _token(http, email, PASSWORD, attacker)
    assert statuses[:5] == [401] * 5
    assert statuses[5:] == [429] * 45
    assert blocked.status_code == 429
    assert 1 <= int(blocked.headers["retry-after"]) <= 30
    assert blocked.headers["content-type"] == "application/problem+json"

    # The counters live in PostgreSQL: another replica refuses the same source too.
    with httpx.Client(base_url=proxied_replica, timeout=30) as http:
        assert _token(http, email, PASSWORD, attacker).status_code == 429
    failures = [r for r in audit_rows(org.org_id, "login") if r.outcome == "failure"]
    assert len(failures) == 52  # every failure and every throttled attempt is in the audit log
    assert {r.ip for r in failures} == {attacker}

    # The real user, from their own address, is not locked out.
    with httpx.Client(base_url=proxied, timeout=30) as http:
        ok = _token(http, email, PASSWORD, fresh_ip())
    assert ok.status_code == 200 and ok.json()["mfa_required"] is False


def test_one_source_guessing_many_accounts_is_delayed_exponentially(
    proxied: str, orgs: OrgFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "login_source_free_failures", 3)
    ip = fresh_ip()
    with httpx.Client(base_url=proxied, timeout=30) as http:
        got = [_token(http, f"nobody-{i}@example.test", "x", ip) for i in range(4)]
        assert [r.status_code for r in got] == [401, 401, 401, 429]
        with as_owner() as c:
            c.execute(text("UPDATE login_throttles SET blocked_until = now() WHERE blocked_until > now()"))
        fifth = _token(http, "nobody-5@example.test", "x", ip)
    assert fifth.status_code == 429
    assert int(fifth.headers["retry-after"]) == 2  # base · 2^(failures beyond the free ones - 1)


def test_a_completed_sign_in_resets_the_account_count(proxied: str, orgs: OrgFactory) -> None:
    org = orgs.create((UserRole.CASE_MANAGER,))
    role, email = UserRole.CASE_MANAGER, org.emails[UserRole.CASE_MANAGER]
    org.token(role)  # enrolled
    with httpx.Client(base_url=proxied, timeout=30) as http:
        guesser = fresh_ip()
        assert [_token(http, email, "nope", guesser).status_code for _ in range(4)] == [401] * 4
        # The user signs in fully elsewhere: password, then second factor.
        org.sign_in(role, source_ip=fresh_ip())
        # Without the reset the 6th failure of the account would be throttled.
        assert [_token(http, email, "nope", guesser).status_code for _ in range(4)] == [401] * 4


def test_roles_that_read_part_2_data_need_totp_and_recovery_codes_work_once(
    proxied: str, orgs: OrgFactory
) -> None:
    org = orgs.create((UserRole.CASE_MANAGER,))
    email, ip = org.emails[UserRole.CASE_MANAGER], fresh_ip()
    with httpx.Client(base_url=proxied, timeout=30, headers={"X-Forwarded-For": ip}) as http:
        first = _token(http, email, PASSWORD, ip).json()
        assert first["mfa_required"] is True and first["mfa_enrolled"] is False
        bearer = {"Authorization": f"Bearer {first['access_token']}"}
        assert http.get("/v1/auth/me", headers=bearer).status_code == 401  # password alone is not enough
        enrolled = http.post("/v1/auth/mfa/enroll", headers=bearer).json()
        assert enrolled["otpauth_uri"].startswith("otpauth://totp/") and email not in enrolled["otpauth_uri"]
        code = pyotp.TOTP(enrolled["secret"]).now()
        wrong = http.post("/v1/auth/mfa/activate", headers=bearer, json={"code": "000000"})
        assert wrong.status_code == 401 or code == "000000"
        activated = http.post("/v1/auth/mfa/activate", headers=bearer, json={"code": code})
        assert activated.status_code == 200, activated.text
        recovery = activated.json()["recovery_codes"]
        assert len(recovery) == 10 and len(set(recovery)) == 10
        assert http.get("/v1/auth/me", headers=bearer).status_code == 200
        # An enrolled user cannot be re-enrolled by someone holding only the password.
        second = _token(http, email, PASSWORD, ip).json()
        bearer2 = {"Authorization": f"Bearer {second['access_token']}"}
        assert second["mfa_enrolled"] is True
        assert http.post("/v1/auth/mfa/enroll", headers=bearer2).status_code == 409
        # The TOTP code just used is spent; a recovery code works, once.
        assert http.post("/v1/auth/mfa/verify", headers=bearer2, json={"code": code}).status_code == 401
        assert (
            http.post("/v1/auth/mfa/verify", headers=bearer2, json={"code": recovery[0]}).status_code == 204
        )
        assert http.get("/v1/auth/me", headers=bearer2).status_code == 200
        third = _token(http, email, PASSWORD, ip).json()
        bearer3 = {"Authorization": f"Bearer {third['access_token']}"}
        assert (
            http.post("/v1/auth/mfa/verify", headers=bearer3, json={"code": recovery[0]}).status_code == 401
        )
    with as_owner() as c:
        stored = c.execute(
            text("SELECT mfa_secret, mfa_recovery_codes FROM users WHERE id = :u"),
            {"u": org.users[UserRole.CASE_MANAGER]},
        ).one()
    assert enrolled["secret"].encode() not in bytes(stored.mfa_secret)
    assert len(stored.mfa_recovery_codes) == 9
    assert all(r.encode() not in b"".join(bytes(h) for h in stored.mfa_recovery_codes) for r in recovery)


def test_roles_without_part_2_access_sign_in_with_the_password(stack: str, orgs: OrgFactory) -> None:
    org = orgs.create((UserRole.HOUSE_MANAGER, UserRole.BILLING_SPECIALIST))
    with httpx.Client(base_url=stack, timeout=30) as http:
        for role in (UserRole.HOUSE_MANAGER, UserRole.BILLING_SPECIALIST):
            got = http.post("/v1/auth/token", data={"username": org.emails[role], "password": PASSWORD})
            assert got.json()["mfa_required"] is False
            me = http.get("/v1/auth/me", headers={"Authorization": f"Bearer {got.json()['access_token']}"})
            assert me.status_code == 200


def _last_seen(session_token_user: object) -> datetime:
    with as_owner() as c:
        return c.execute(
            text("SELECT max(last_seen_at) FROM user_sessions WHERE user_id = :u"), {"u": session_token_user}
        ).scalar_one()


def test_a_session_ends_after_the_configured_inactivity(stack: str, orgs: OrgFactory) -> None:
    org = orgs.create((UserRole.HOUSE_MANAGER,))
    headers = org.headers(UserRole.HOUSE_MANAGER)
    assert httpx.get(f"{stack}/v1/auth/me", headers=headers).status_code == 200
    idle = timedelta(minutes=get_settings().session_idle_minutes, seconds=5)
    with as_owner() as c:
        c.execute(
            text("UPDATE user_sessions SET last_seen_at = now() - :idle WHERE user_id = :u"),
            {"idle": idle, "u": org.users[UserRole.HOUSE_MANAGER]},
        )
    r = httpx.get(f"{stack}/v1/auth/me", headers=headers)
    assert r.status_code == 401 and r.json()["detail"] == "session expired or invalid"


def test_reading_through_a_session_writes_last_seen_at_at_most_once_a_minute(
    stack: str, orgs: OrgFactory
) -> None:
    org = orgs.create((UserRole.HOUSE_MANAGER,))
    user, headers = org.users[UserRole.HOUSE_MANAGER], org.headers(UserRole.HOUSE_MANAGER)
    httpx.get(f"{stack}/v1/auth/me", headers=headers)
    seen = _last_seen(user)
    for _ in range(3):
        assert httpx.get(f"{stack}/v1/auth/me", headers=headers).status_code == 200
    assert _last_seen(user) == seen
    with as_owner() as c:
        c.execute(
            text("UPDATE user_sessions SET last_seen_at = now() - interval '2 minutes' WHERE user_id = :u"),
            {"u": user},
        )
    httpx.get(f"{stack}/v1/auth/me", headers=headers)
    assert datetime.now(UTC) - _last_seen(user) < timedelta(seconds=30)


def test_a_user_lists_and_revokes_their_own_sessions_only(stack: str, orgs: OrgFactory) -> None:
    org = orgs.create((UserRole.HOUSE_MANAGER, UserRole.PEER_SUPPORT))
    mine, other_device = org.sign_in(UserRole.HOUSE_MANAGER), org.sign_in(UserRole.HOUSE_MANAGER)
    stranger = org.sign_in(UserRole.PEER_SUPPORT)
    h = {"Authorization": f"Bearer {mine}"}
    with httpx.Client(base_url=stack, timeout=30) as http:
        listed = http.get("/v1/auth/sessions", headers=h).json()
        assert len(listed) == 2 and sum(s["current"] for s in listed) == 1
        theirs = http.get("/v1/auth/sessions", headers={"Authorization": f"Bearer {stranger}"}).json()
        assert http.delete(f"/v1/auth/sessions/{theirs[0]['id']}", headers=h).status_code == 404
        other = next(s for s in listed if not s["current"])
        assert http.delete(f"/v1/auth/sessions/{other['id']}", headers=h).status_code == 204
        assert http.get("/v1/auth/me", headers={"Authorization": f"Bearer {other_device}"}).status_code == 401
        assert http.get("/v1/auth/me", headers={"Authorization": f"Bearer {stranger}"}).status_code == 200
        assert [s["current"] for s in http.get("/v1/auth/sessions", headers=h).json()] == [True]
