"""Builders for test data, written through the same tenant sessions the app uses."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field
from typing import Any

import pyotp
from sqlalchemy.orm import Session

from api.auth import MfaOutcome, complete_second_factor, login, resolve, start_enrolment
from core.db import tenant_session
from core.enums import UserRole
from core.passwords import hash_password
from models.orgs import Organization
from models.users import User
from seed.factories.people import RoleAssignmentFactory, UserFactory

PASSWORD = "correct horse battery staple"
_counter = itertools.count(1)


@dataclass
class SampleOrg:
    org_id: uuid.UUID
    slug: str
    users: dict[UserRole, uuid.UUID] = field(default_factory=dict)
    emails: dict[UserRole, str] = field(default_factory=dict)
    _tokens: dict[UserRole, str] = field(default_factory=dict)
    # Per role, once enrolled: the TOTP secret and the unused recovery codes.
    totp_secrets: dict[UserRole, str] = field(default_factory=dict)
    recovery_codes: dict[UserRole, list[str]] = field(default_factory=dict)

    def sign_in(self, role: UserRole, source_ip: str = "127.0.0.1") -> str:
        """A fresh full session: password, then (enrolling on first use) the second factor."""
        got = login(self.emails[role], PASSWORD, request_id="test", source_ip=source_ip, user_agent="pytest")
        assert got is not None, f"login failed for {role}"
        if got.mfa_pending:
            self.complete_second_factor(role, got.token, source_ip)
        return got.token

    def complete_second_factor(self, role: UserRole, token: str, source_ip: str = "127.0.0.1") -> None:
        p = resolve(token, request_id="test", source_ip=source_ip)
        assert p is not None and p.mfa_pending
        if role not in self.totp_secrets:
            enrolled = start_enrolment(p)
            assert enrolled is not None
            self.totp_secrets[role] = enrolled[0]
            outcome, codes = complete_second_factor(p, pyotp.TOTP(enrolled[0]).now(), activate=True)
            self.recovery_codes[role] = codes
        else:
            # Recovery codes, not TOTP: a TOTP code is good once per 30 s step.
            outcome, _ = complete_second_factor(p, self.next_recovery_code(role), activate=False)
        assert outcome is MfaOutcome.OK, outcome

    def next_recovery_code(self, role: UserRole) -> str:
        return self.recovery_codes[role].pop()

    def token(self, role: UserRole) -> str:
        if role not in self._tokens:
            self._tokens[role] = self.sign_in(role)
        return self._tokens[role]

    def headers(self, role: UserRole = UserRole.ORG_OWNER) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(role)}"}


def add_user(
    s: Session,
    role: UserRole,
    *,
    house_id: uuid.UUID | None = None,
    property_id: uuid.UUID | None = None,
    also: tuple[UserRole, ...] = (),
    **fields: Any,
) -> User:
    """A user built from `fields` (UserFactory's: org_id, email, names, password_hash, ...)
    holding `role`, scoped to a house or property if given, and any `also` roles org-wide."""
    user = UserFactory.build(**fields)
    s.add(user)
    s.flush()
    s.add(RoleAssignmentFactory.build(user=user, role=role, house_id=house_id, property_id=property_id))
    for extra in also:
        s.add(RoleAssignmentFactory.build(user=user, role=extra))
    return user


class OrgFactory:
    def create(self, roles: tuple[UserRole, ...] = tuple(UserRole)) -> SampleOrg:
        n = next(_counter)
        org_id = uuid.uuid4()
        slug = f"test-org-{n}-{org_id.hex[:6]}"
        org = SampleOrg(org_id, slug)
        password_hash = hash_password(PASSWORD)
        with tenant_session(org_id, actor_type="system") as s:
            s.add(Organization(id=org_id, name=f"Test Org {n}", slug=slug))
            s.flush()
            for role in roles:
                email = f"{role.value}.{org_id.hex[:8]}@example.test"
                user = add_user(
                    s,
                    role,
                    org_id=org_id,
                    email=email,
                    first_name="Test",
                    last_name=role.value.title(),
                    password_hash=password_hash,
                )
                org.users[role] = user.id
                org.emails[role] = email
        return org
