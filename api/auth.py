"""Bearer-token and cookie sessions.

Login must find a user before any org is known, and RLS hides every org's users from
`recoveryos_app`; two narrow SECURITY DEFINER functions (owned by the NOLOGIN role
`recoveryos_auth`, see migrations) answer exactly "which user has this email digest" and
"which user holds this token digest", nothing more.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, text

from core import audit
from core.config import get_settings
from core.crypto import normalize_email
from core.db import app_engine, tenant_session
from core.passwords import verify_password
from core.permissions import Perm, permissions_for
from models.enums import AuditAction, UserRole, UserStatus
from models.users import RoleAssignment, User, UserSession

SESSION_COOKIE = "recoveryos_session"


@dataclass(frozen=True)
class Principal:
    user_id: uuid.UUID
    org_id: uuid.UUID
    roles: frozenset[UserRole]
    permissions: frozenset[Perm]
    resident_id: uuid.UUID | None = None
    session_id: uuid.UUID | None = None
    request_id: str | None = None
    source_ip: str | None = None

    def can(self, perm: Perm) -> bool:
        return perm in self.permissions


def token_digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def _email_digest(email: str) -> bytes:
    return User.email.lookup("users", normalize_email(email))


def login(
    email: str, password: str, *, request_id: str | None, source_ip: str | None, user_agent: str | None
) -> tuple[str, datetime] | None:
    """Returns (token, expires_at) or None; failures are indistinguishable to the caller."""
    with app_engine().begin() as conn:
        row = conn.execute(
            text("SELECT user_id, org_id, password_hash, status FROM auth_user_by_email(:d)"),
            {"d": _email_digest(email)},
        ).first()
    if row is None:
        verify_password(password, None)
        return None
    ok = verify_password(password, row.password_hash) and row.status == UserStatus.ACTIVE.value
    token = secrets.token_urlsafe(32)
    expires = datetime.now(UTC) + timedelta(hours=get_settings().session_ttl_hours)
    with tenant_session(row.org_id, row.user_id, request_id=request_id, source_ip=source_ip) as s:
        if not ok:
            audit.record(s, AuditAction.LOGIN, "users", row.user_id, outcome="failure")
            return None
        sess = UserSession(
            org_id=row.org_id,
            user_id=row.user_id,
            token_hash=token_digest(token),
            expires_at=expires,
            ip_address=source_ip,
            user_agent=(user_agent or "")[:300] or None,
        )
        s.add(sess)
        user = s.get(User, row.user_id)
        assert user is not None
        user.last_login_at = datetime.now(UTC)
        s.flush()
        audit.record(s, AuditAction.LOGIN, "users", row.user_id, {"session_id": str(sess.id)})
    return token, expires


def resolve(token: str, *, request_id: str | None, source_ip: str | None) -> Principal | None:
    with app_engine().begin() as conn:
        row = conn.execute(
            text("SELECT session_id, user_id, org_id FROM auth_session(:d)"), {"d": token_digest(token)}
        ).first()
    if row is None:
        return None
    with tenant_session(row.org_id, row.user_id) as s:
        user = s.get(User, row.user_id)
        if user is None or user.status != UserStatus.ACTIVE:
            return None
        roles = frozenset(
            s.scalars(select(RoleAssignment.role).where(RoleAssignment.user_id == row.user_id)).all()
        )
        resident_id = user.resident_id
    return Principal(
        user_id=row.user_id,
        org_id=row.org_id,
        roles=roles,
        permissions=permissions_for(set(roles)),
        resident_id=resident_id,
        session_id=row.session_id,
        request_id=request_id,
        source_ip=source_ip,
    )


def logout(p: Principal) -> None:
    with tenant_session(p.org_id, p.user_id, request_id=p.request_id, source_ip=p.source_ip) as s:
        if p.session_id:
            sess = s.get(UserSession, p.session_id)
            if sess is not None and sess.revoked_at is None:
                sess.revoked_at = datetime.now(UTC)
        audit.record(s, AuditAction.LOGOUT, "users", p.user_id)
