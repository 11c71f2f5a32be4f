"""Sign-in, second factor and sessions.

Login must find a user before any org is known, and RLS hides every org's users from
`recoveryos_app`; narrow SECURITY DEFINER functions (owned by the NOLOGIN role
`recoveryos_auth`, see migrations 0002 and 0005) answer "which user has this email digest",
"what does this session token resolve to" and keep the failed-login counters, nothing more.

Guessing: every failure counts against the source address and the account. The source is
delayed exponentially once it has used its free failures; the account's count puts the
delay on the (account, source) pair that keeps failing, never on the account everywhere, so
an attacker cannot keep the real user out. A completed sign-in clears the account's count.

Second factor (TOTP, RFC 6238) is required for every role that can read Part 2 data
(holders of `clinical:read` or `consent:manage`) and for anyone who enrolled. Until it is
given, a session is "pending": it may enrol, verify or sign out, nothing else.
"""

from __future__ import annotations

import hashlib
import logging
import math
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

import pyotp
from fastapi import HTTPException, status
from sqlalchemy import Connection, select, text

from core import audit
from core.config import get_settings
from core.crypto import normalize_email
from core.db import app_engine, tenant_session
from core.enums import AuditAction, UserRole, UserStatus
from core.errors import DomainError
from core.fieldcrypt import blind_digest
from core.passwords import verify_password
from core.permissions import SECOND_FACTOR_ROLES, Perm, permissions_for
from core.scope import NOTHING, ORG_WIDE, Scope, ScopeKind
from models.users import RoleAssignment, User, UserSession
from services.api_keys import split as split_key
from services.resident import signin

log = logging.getLogger("recoveryos.auth")

SESSION_COOKIE = "recoveryos_session"
RECOVERY_CODES = 10
MFA_ROLES = SECOND_FACTOR_ROLES


@dataclass(frozen=True)
class Principal:
    # None for an API key: its calls are the key's, never a user's.
    user_id: uuid.UUID | None
    org_id: uuid.UUID
    roles: frozenset[UserRole]
    permissions: frozenset[Perm]
    resident_id: uuid.UUID | None = None
    session_id: uuid.UUID | None = None
    request_id: str | None = None
    source_ip: str | None = None
    mfa_pending: bool = False
    # What the caller's role assignments let it see within the org (core/scope.py).
    scope: Scope = NOTHING
    # Set for a call made with an API key: the key is the actor (audit, `actor_type`).
    api_key_id: uuid.UUID | None = None

    @property
    def actor_type(self) -> str:
        return f"api_key:{self.api_key_id}" if self.api_key_id else "user"

    def can(self, perm: Perm) -> bool:
        return perm in self.permissions and not self.mfa_pending

    @property
    def person(self) -> uuid.UUID:
        """The signed-in user, for what only a person may do (Part 2 records, consents): API
        keys can never hold those permissions, so reaching here with one is refused."""
        if self.user_id is None:
            raise HTTPException(status.HTTP_403_FORBIDDEN, "this needs a signed-in person, not an API key")
        return self.user_id


@dataclass(frozen=True)
class LoginResult:
    token: str
    expires_at: datetime
    # True: the token is good only for /v1/auth/mfa/* until the second factor is given.
    mfa_pending: bool
    mfa_enrolled: bool


class Throttled(Exception):
    """Too many failures from this source (for this account): retry after `retry_after` s."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"retry after {retry_after} s")
        self.retry_after = retry_after


class SecondFactor(StrEnum):
    TOTP = "totp"
    RECOVERY_CODE = "recovery_code"


def token_digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def _email_digest(email: str) -> bytes:
    return User.email.lookup("users", normalize_email(email))


def mfa_required(roles: frozenset[UserRole] | set[UserRole]) -> bool:
    return bool(set(roles) & MFA_ROLES)


# --- failed-login counters (PostgreSQL, shared by every replica) ---------------------------


@dataclass(frozen=True)
class _Keys:
    source: bytes
    account: bytes
    account_source: bytes


def _keys(account: str, source_ip: str | None) -> _Keys:
    # Keyed digests: the table holds neither addresses nor account ids in clear.
    src = source_ip or "unknown"
    return _Keys(
        source=blind_digest("login-throttle-source", src),
        account=blind_digest("login-throttle-account", account),
        account_source=blind_digest("login-throttle-account-source", f"{account}|{src}"),
    )


def _blocked(conn: Connection, keys: _Keys) -> int | None:
    until = conn.execute(
        text("SELECT auth_throttle_blocked(ARRAY[:s, :a]::bytea[])"),
        {"s": keys.source, "a": keys.account_source},
    ).scalar()
    return _seconds_until(until)


def _seconds_until(until: datetime | None) -> int | None:
    if until is None:
        return None
    return max(1, math.ceil((until - datetime.now(UTC)).total_seconds()))


def _record_failure(keys: _Keys) -> int | None:
    s = get_settings()
    with app_engine().begin() as conn:
        until = conn.execute(
            text("SELECT auth_throttle_fail(:s, :a, :as_, :sf, :af, :base, :max, :win)"),
            {
                "s": keys.source,
                "a": keys.account,
                "as_": keys.account_source,
                "sf": s.login_source_free_failures,
                "af": s.login_account_free_failures,
                "base": s.login_base_delay_seconds,
                "max": s.login_max_delay_seconds,
                "win": s.login_failure_window_seconds,
            },
        ).scalar()
    return _seconds_until(until)


def _clear(conn: Connection, keys: _Keys) -> None:
    conn.execute(
        text("SELECT auth_throttle_clear(:a, :as_)"), {"a": keys.account, "as_": keys.account_source}
    )


# --- password step ---------------------------------------------------------------------------


def login(
    email: str, password: str, *, request_id: str | None, source_ip: str | None, user_agent: str | None
) -> LoginResult | None:
    """None for a wrong email or password (indistinguishable); raises Throttled."""
    digest = _email_digest(email)
    with app_engine().begin() as conn:
        row = conn.execute(
            text("SELECT user_id, org_id, password_hash, status FROM auth_user_by_email(:d)"), {"d": digest}
        ).first()
        keys = _keys(str(row.user_id) if row else digest.hex(), source_ip)
        wait = _blocked(conn, keys)
    if wait is not None:
        if row is not None:
            with tenant_session(row.org_id, row.user_id, request_id=request_id, source_ip=source_ip) as s:
                audit.record(s, AuditAction.LOGIN, "users", row.user_id, {"reason": "throttled"}, "failure")
        raise Throttled(wait)
    if row is None:
        verify_password(password, None)  # same time as a real check
        log.warning("login failed for an unknown account")
        wait = _record_failure(keys)
        if wait is not None:
            raise Throttled(wait)
        return None
    if not (verify_password(password, row.password_hash) and row.status == UserStatus.ACTIVE.value):
        wait = _record_failure(keys)
        with tenant_session(row.org_id, row.user_id, request_id=request_id, source_ip=source_ip) as s:
            audit.record(s, AuditAction.LOGIN, "users", row.user_id, {"reason": "password"}, "failure")
        if wait is not None:
            raise Throttled(wait)
        return None

    token = secrets.token_urlsafe(32)
    st = get_settings()
    now = datetime.now(UTC)
    with tenant_session(row.org_id, row.user_id, request_id=request_id, source_ip=source_ip) as s:
        user = s.get(User, row.user_id)
        assert user is not None
        roles = frozenset(s.scalars(select(RoleAssignment.role).where(RoleAssignment.user_id == user.id)))
        pending = mfa_required(roles) or user.mfa_enabled
        expires = now + (
            timedelta(minutes=st.mfa_pending_minutes) if pending else timedelta(hours=st.session_ttl_hours)
        )
        sess = UserSession(
            org_id=row.org_id,
            user_id=row.user_id,
            token_hash=token_digest(token),
            expires_at=expires,
            ip_address=source_ip,
            user_agent=(user_agent or "")[:300] or None,
            mfa_pending=pending,
        )
        s.add(sess)
        s.flush()
        if not pending:
            user.last_login_at = now
            _clear(s.connection(), keys)
        audit.record(
            s,
            AuditAction.LOGIN,
            "users",
            row.user_id,
            {"session_id": str(sess.id), "step": "password", "second_factor_pending": pending},
        )
        enrolled = user.mfa_enabled and user.mfa_secret_ct is not None
    return LoginResult(token, expires, pending, enrolled)


# --- second factor ---------------------------------------------------------------------------


def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret, issuer=get_settings().mfa_issuer)


def _matching_step(secret: str, code: str) -> int | None:
    """The RFC 6238 time step `code` belongs to (±1 step of clock drift), or None."""
    totp = _totp(secret)
    now = datetime.now(UTC)
    step = totp.timecode(now)
    for s in (step, step - 1, step + 1):
        if secrets.compare_digest(totp.generate_otp(s), code):
            return s
    return None


def _recovery_hash(user_id: uuid.UUID, code: str) -> bytes:
    return blind_digest("mfa-recovery-code", f"{user_id}|{code.strip().lower()}")


def start_enrolment(p: Principal) -> tuple[str, str] | None:
    """(secret, otpauth URI) for an authenticator app; None when already enrolled."""
    assert p.user_id is not None, "API keys never reach the second factor (api/deps.py)"
    with tenant_session(p.org_id, p.user_id, request_id=p.request_id, source_ip=p.source_ip) as s:
        user = s.get(User, p.user_id)
        assert user is not None
        if user.mfa_enabled and user.mfa_secret_ct is not None:
            return None
        # Switched on with no authenticator (an imported or hand-made user): enrolment must stay
        # possible, so the second factor is off until this enrolment is activated.
        user.mfa_enabled = False
        secret = pyotp.random_base32()
        user.mfa_secret = secret
        user.mfa_last_step = None
        audit.record(s, AuditAction.UPDATE, "users", p.user_id, {"mfa": "enrolment_started"})
        label = f"user-{str(p.user_id)[:8]}"  # no e-mail: the URI may end up in a QR screenshot
        return secret, _totp(secret).provisioning_uri(name=label)


class MfaOutcome(StrEnum):
    OK = "ok"
    WRONG = "wrong"
    NOT_ENROLLED = "not_enrolled"
    ALREADY_ENROLLED = "already_enrolled"


def complete_second_factor(p: Principal, code: str, *, activate: bool) -> tuple[MfaOutcome, list[str]]:
    """Checks `code` (TOTP, or a recovery code unless activating) for the session's user.

    On success the session becomes a full session and the account's failure count is
    cleared; activating also switches MFA on and returns fresh recovery codes (shown once).
    Raises Throttled.
    """
    keys = _keys(str(p.user_id), p.source_ip)
    with app_engine().begin() as conn:
        wait = _blocked(conn, keys)
    if wait is not None:
        raise Throttled(wait)
    outcome, codes = _check_code(p, code.strip().replace(" ", ""), activate=activate)
    if outcome is MfaOutcome.WRONG:
        wait = _record_failure(keys)
        if wait is not None:
            raise Throttled(wait)
    return outcome, codes


def _check_code(p: Principal, code: str, *, activate: bool) -> tuple[MfaOutcome, list[str]]:
    assert p.user_id is not None, "API keys never reach the second factor (api/deps.py)"
    st = get_settings()
    with tenant_session(p.org_id, p.user_id, request_id=p.request_id, source_ip=p.source_ip) as s:
        user = s.get(User, p.user_id)
        assert user is not None
        secret = user.mfa_secret
        if activate and user.mfa_enabled:
            return MfaOutcome.ALREADY_ENROLLED, []
        if secret is None or (not activate and not user.mfa_enabled):
            return MfaOutcome.NOT_ENROLLED, []
        factor: SecondFactor | None = None
        step = _matching_step(secret, code) if code.isdigit() and len(code) == 6 else None
        if step is not None and (user.mfa_last_step is None or step > user.mfa_last_step):
            user.mfa_last_step = step  # a code is good once
            factor = SecondFactor.TOTP
        elif not activate and step is None:
            # One statement removes the code if present: two requests cannot both spend it.
            used = s.execute(
                text(
                    "UPDATE users SET mfa_recovery_codes = array_remove(mfa_recovery_codes, :h) "
                    "WHERE id = :u AND :h = ANY(mfa_recovery_codes) RETURNING id"
                ),
                {"h": _recovery_hash(p.user_id, code), "u": p.user_id},
            ).first()
            s.refresh(user)
            factor = SecondFactor.RECOVERY_CODE if used else None
        if factor is None:
            audit.record(s, AuditAction.LOGIN, "users", p.user_id, {"reason": "second_factor"}, "failure")
            return MfaOutcome.WRONG, []
        codes: list[str] = []
        if activate:
            user.mfa_enabled = True
            codes = [f"{secrets.token_hex(4)}-{secrets.token_hex(4)}" for _ in range(RECOVERY_CODES)]
            user.mfa_recovery_codes = [_recovery_hash(p.user_id, c) for c in codes]
        if p.session_id is not None:
            sess = s.get(UserSession, p.session_id)
            if sess is not None and sess.mfa_pending:
                sess.mfa_pending = False
                sess.expires_at = datetime.now(UTC) + timedelta(hours=st.session_ttl_hours)
        user.last_login_at = datetime.now(UTC)
        _clear(s.connection(), _keys(str(p.user_id), p.source_ip))
        audit.record(
            s,
            AuditAction.LOGIN,
            "users",
            p.user_id,
            {"step": "second_factor", "factor": factor.value, "enrolled": activate},
        )
    return MfaOutcome.OK, codes


# --- sessions --------------------------------------------------------------------------------


def resolve(token: str, *, request_id: str | None, source_ip: str | None) -> Principal | None:
    """One statement: the session, its user, roles, scope and second-factor state, or None when
    revoked, expired or idle longer than the configured limit."""
    st = get_settings()
    with app_engine().connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        row = conn.execute(
            text(
                "SELECT session_id, user_id, org_id, resident_id, roles, mfa_pending, "
                "scope, house_ids, property_ids FROM auth_resolve(:d, :idle, :touch)"
            ),
            {
                "d": token_digest(token),
                "idle": st.session_idle_minutes * 60,
                "touch": st.session_touch_seconds,
            },
        ).first()
    if row is None:
        return None
    roles = frozenset(UserRole(r) for r in row.roles)
    return Principal(
        user_id=row.user_id,
        org_id=row.org_id,
        roles=roles,
        permissions=permissions_for(set(roles)),
        resident_id=row.resident_id,
        session_id=row.session_id,
        request_id=request_id,
        source_ip=source_ip,
        mfa_pending=row.mfa_pending,
        scope=Scope(ScopeKind(row.scope), tuple(row.house_ids), tuple(row.property_ids), row.resident_id),
    )


def resolve_api_key(key: str, *, request_id: str | None, source_ip: str | None) -> Principal | None:
    """The key's principal: its org, its scopes as permissions, the whole org as scope and no
    user; None for an unknown, revoked or expired key. One statement finds it, stamps
    `last_used_at` and counts the call against the key's per-minute limit (in PostgreSQL, so
    every replica counts the same calls); over the limit raises Throttled."""
    parts = split_key(key)
    if parts is None:
        return None
    with app_engine().connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        row = conn.execute(
            text(
                "SELECT key_id, org_id, scopes, rate_limit, window_count, window_ends_at "
                "FROM auth_api_key(:p, :d)"
            ),
            {"p": parts[0], "d": parts[1]},
        ).first()
    if row is None:
        return None
    if row.window_count > row.rate_limit:
        raise Throttled(_seconds_until(row.window_ends_at) or 1)
    known = {p.value for p in Perm}
    return Principal(
        user_id=None,
        org_id=row.org_id,
        roles=frozenset(),
        permissions=frozenset(Perm(s) for s in row.scopes if s in known),
        request_id=request_id,
        source_ip=source_ip,
        scope=ORG_WIDE,
        api_key_id=row.key_id,
    )


@dataclass(frozen=True)
class SessionInfo:
    id: uuid.UUID
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    user_agent: str | None
    second_factor_pending: bool
    current: bool


def list_sessions(p: Principal) -> list[SessionInfo]:
    idle_cutoff = datetime.now(UTC) - timedelta(minutes=get_settings().session_idle_minutes)
    with tenant_session(p.org_id, p.user_id, request_id=p.request_id, source_ip=p.source_ip) as s:
        rows = s.scalars(
            select(UserSession)
            .where(
                UserSession.user_id == p.user_id,
                UserSession.revoked_at.is_(None),
                UserSession.expires_at > datetime.now(UTC),
                UserSession.last_seen_at > idle_cutoff,
            )
            .order_by(UserSession.created_at.desc())
        ).all()
        return [
            SessionInfo(
                r.id,
                r.created_at,
                r.last_seen_at,
                r.expires_at,
                r.user_agent,
                r.mfa_pending,
                r.id == p.session_id,
            )
            for r in rows
        ]


def revoke_session(p: Principal, session_id: uuid.UUID) -> bool:
    """Ends one of the caller's own sessions; False when there is no such live session."""
    with tenant_session(p.org_id, p.user_id, request_id=p.request_id, source_ip=p.source_ip) as s:
        sess = s.get(UserSession, session_id)
        if sess is None or sess.user_id != p.user_id or sess.revoked_at is not None:
            return False
        sess.revoked_at = datetime.now(UTC)
        audit.record(s, AuditAction.LOGOUT, "user_sessions", session_id, {"revoked_by": "owner"})
        return True


def logout(p: Principal) -> None:
    with tenant_session(p.org_id, p.user_id, request_id=p.request_id, source_ip=p.source_ip) as s:
        if p.session_id:
            sess = s.get(UserSession, p.session_id)
            if sess is not None and sess.revoked_at is None:
                sess.revoked_at = datetime.now(UTC)
        audit.record(s, AuditAction.LOGOUT, "users", p.user_id)


# --- one-time sign-in links (residents' own pages) ------------------------------------------


def request_sign_in_link(
    email: str, channel: str, *, request_id: str | None, source_ip: str | None
) -> signin.Issued | None:
    """A fresh one-time link for the resident login with this e-mail address, or None (unknown
    address, not a resident, nowhere to send it): the caller answers the same either way."""
    with app_engine().begin() as conn:
        row = conn.execute(
            text("SELECT user_id, org_id, status FROM auth_user_by_email(:d)"), {"d": _email_digest(email)}
        ).first()
    if row is None or row.status != UserStatus.ACTIVE.value:
        return None
    with tenant_session(row.org_id, row.user_id, request_id=request_id, source_ip=source_ip) as s:
        return signin.issue(s, row.user_id, channel, datetime.now(UTC))


def sign_in_with_link(
    token: str, *, request_id: str | None, source_ip: str | None, user_agent: str | None
) -> LoginResult | None:
    """Uses the link up and opens a full session for its resident, exactly like a password
    sign-in (same lifetime and inactivity limit); None for a bad, used or expired link."""
    org_id = signin.org_of(token)
    if org_id is None:
        return None
    st = get_settings()
    now = datetime.now(UTC)
    session_token = secrets.token_urlsafe(32)
    try:
        with tenant_session(org_id, None, request_id=request_id, source_ip=source_ip) as s:
            user_id = signin.redeem(s, token, now)
            sess = UserSession(
                org_id=org_id,
                user_id=user_id,
                token_hash=token_digest(session_token),
                expires_at=now + timedelta(hours=st.session_ttl_hours),
                ip_address=source_ip,
                user_agent=(user_agent or "")[:300] or None,
                mfa_pending=False,
            )
            s.add(sess)
            s.flush()
            user = s.get(User, user_id)
            assert user is not None
            user.last_login_at = now
            audit.record(
                s, AuditAction.LOGIN, "users", user_id, {"session_id": str(sess.id), "step": "sign_in_link"}
            )
            expires = sess.expires_at
    except DomainError:
        return None
    return LoginResult(session_token, expires, False, False)
