"""Nobody who must give a second factor is locked out: the demo users sign in with the TOTP
secret the seed prints, and a user whose second factor is switched on with no authenticator
behind it can still enrol."""

from __future__ import annotations

import random
import re

import httpx
import pyotp
import pytest
from sqlalchemy import text

from cli.seed import seed
from core.enums import UserRole
from core.permissions import SECOND_FACTOR_ROLES
from tests.db import as_owner
from tests.factories import PASSWORD, OrgFactory
from tests.security.conftest import fresh_ip


def _sign_in(http: httpx.Client, email: str, password: str) -> dict[str, str]:
    got = http.post("/v1/auth/token", data={"username": email, "password": password})
    assert got.status_code == 200, got.text
    return {"Authorization": f"Bearer {got.json()['access_token']}"}


def test_every_seeded_user_who_needs_a_second_factor_signs_in_with_the_printed_secret(
    proxied: str, capsys: pytest.CaptureFixture[str]
) -> None:
    seed_value = random.randint(10**6, 10**9)
    assert seed(scale=1, seed_value=seed_value) == 0
    printed = capsys.readouterr().out
    assert seed(scale=1, seed_value=seed_value) == 0
    again = capsys.readouterr().out
    assert {UserRole.ORG_OWNER, UserRole.COMPLIANCE_OFFICER} <= SECOND_FACTOR_ROLES
    with httpx.Client(base_url=proxied, timeout=30, headers={"X-Forwarded-For": fresh_ip()}) as http:
        for role in SECOND_FACTOR_ROLES:
            email = f"{role.value}@demo-{seed_value}.example.com"
            line = re.search(rf"^\s+{role.value}\s.*{re.escape(email)}\s+([A-Z2-7]{{32}})$", printed, re.M)
            assert line is not None, f"no TOTP secret printed for {role.value}"
            secret = line.group(1)
            assert secret in again  # seeding again prints the same logins
            assert "otpauth://totp/" in printed and secret in printed.split("authenticator links", 1)[1]
            bearer = _sign_in(http, email, f"recovery-demo-{seed_value}")
            assert http.get("/v1/auth/me", headers=bearer).status_code == 401  # password alone
            verified = http.post(
                "/v1/auth/mfa/verify", headers=bearer, json={"code": pyotp.TOTP(secret).now()}
            )
            assert verified.status_code == 204, (role, verified.text)
            assert http.get("/v1/auth/me", headers=bearer).status_code == 200
        # Users who need no second factor are printed without a secret.
        plain = re.search(
            rf"^\s+house_manager\s.*house_manager@demo-{seed_value}\.example\.com$", printed, re.M
        )
        assert plain is not None


def test_a_user_switched_to_a_second_factor_with_no_authenticator_can_still_enrol(
    proxied: str, orgs: OrgFactory
) -> None:
    org = orgs.create((UserRole.ORG_OWNER,))
    email = org.emails[UserRole.ORG_OWNER]
    with as_owner() as c:
        c.execute(
            text("UPDATE users SET mfa_enabled = true, mfa_secret = NULL WHERE email = :e"), {"e": email}
        )
    with httpx.Client(base_url=proxied, timeout=30, headers={"X-Forwarded-For": fresh_ip()}) as http:
        first = http.post("/v1/auth/token", data={"username": email, "password": PASSWORD}).json()
        assert first["mfa_required"] is True and first["mfa_enrolled"] is False
        bearer = {"Authorization": f"Bearer {first['access_token']}"}
        enrolled = http.post("/v1/auth/mfa/enroll", headers=bearer)
        assert enrolled.status_code == 200, enrolled.text
        code = pyotp.TOTP(enrolled.json()["secret"]).now()
        activated = http.post("/v1/auth/mfa/activate", headers=bearer, json={"code": code})
        assert activated.status_code == 200, activated.text
        assert http.get("/v1/auth/me", headers=bearer).status_code == 200
        # Enrolled for real now: a second enrolment would replace a working authenticator.
        again = _sign_in(http, email, PASSWORD)
        assert http.post("/v1/auth/mfa/enroll", headers=again).status_code == 409
