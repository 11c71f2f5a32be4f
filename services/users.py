"""Staff logins as an org manages them: invitations by e-mail with a one-time link, roles with
their house or property scopes, deactivation and reactivation.

An invited user has no password until they open their link and choose one; the link's token is
`<org id>.<secret>` (the org tells the accepting request which tenant to open, the secret is
the credential) and only the SHA-256 of the whole token is stored. It expires after
INVITATION_DAYS; accepting it, inviting the user again or deactivating them uses it up.

Deactivating ends every session of the user in the same transaction: `auth_resolve` answers
only for live sessions of active users, so their next request is a 401, and signing in is
refused until they are reactivated."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import audit
from core.enums import AuditAction, UserRole, UserStatus
from core.errors import Conflict, NotFound, Rejected
from core.passwords import hash_password
from core.permissions import ROLE_PERMISSIONS, Perm
from models.users import RoleAssignment, User, UserInvitation, UserSession
from services import housing_setup as places
from services.paging import Page, page

INVITATION_DAYS = 7


@dataclass(frozen=True)
class Grant:
    """A role, org-wide or limited to one house or one property."""

    role: UserRole
    house_id: uuid.UUID | None = None
    property_id: uuid.UUID | None = None


@dataclass(frozen=True)
class NewUser:
    email: str
    first_name: str
    last_name: str
    grants: list[Grant]
    phone: str | None = None


@dataclass(frozen=True)
class Invitation:
    invitation_id: uuid.UUID
    token: str
    expires_at: datetime


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def org_of(token: str) -> uuid.UUID | None:
    """The org a link names, or None for anything that is not a link of ours."""
    head, _, secret = token.partition(".")
    try:
        return uuid.UUID(head) if secret else None
    except ValueError:
        return None


def get_user(session: Session, user_id: uuid.UUID) -> User:
    user = session.get(User, user_id)
    if user is None or user.deleted_at is not None:
        raise NotFound("user not found", field="user_id")
    return user


def grants_of(session: Session, user_id: uuid.UUID) -> list[Grant]:
    return grants_for(session, [user_id]).get(user_id, [])


def grants_for(session: Session, user_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[Grant]]:
    """Each user's live roles, in one query for a whole page of users."""
    rows = session.scalars(
        select(RoleAssignment)
        .where(RoleAssignment.user_id.in_(user_ids))
        .order_by(RoleAssignment.role, RoleAssignment.created_at)
    )
    out: dict[uuid.UUID, list[Grant]] = {}
    for r in rows:
        out.setdefault(r.user_id, []).append(Grant(r.role, r.house_id, r.property_id))
    return out


def users(session: Session, status: UserStatus | None, limit: int, offset: int) -> Page[User]:
    stmt = select(User).order_by(User.created_at, User.id)
    if status is not None:
        stmt = stmt.where(User.status == status)
    # Residents' own logins belong to their records, not to staff management.
    stmt = stmt.where(
        ~exists().where(RoleAssignment.user_id == User.id, RoleAssignment.role == UserRole.RESIDENT)
    )
    return page(session, stmt, limit, offset)


def _check_grants(session: Session, grants: list[Grant]) -> None:
    if not grants:
        raise Rejected("give the user at least one role", field="roles")
    for g in grants:
        if g.role is UserRole.RESIDENT:
            raise Rejected("resident logins are made from the resident's record", field="roles")
        if g.house_id is not None and g.property_id is not None:
            raise Rejected("a role is limited to a house or to a property, not both", field="roles")
        if g.house_id is not None:
            places.get(session, places.HOUSE, g.house_id)
        if g.property_id is not None:
            places.get(session, places.PROPERTY, g.property_id)
    if len(set(grants)) != len(grants):
        raise Rejected("the same role and scope is given twice", field="roles")


def _new_invitation(session: Session, user_id: uuid.UUID, by: uuid.UUID | None, now: datetime) -> Invitation:
    org_id: uuid.UUID = session.info["actor"]["org_id"]
    _use_up_invitations(session, user_id, now)
    token = f"{org_id}.{secrets.token_urlsafe(32)}"
    inv = UserInvitation(
        org_id=org_id,
        user_id=user_id,
        token_hash=token_hash(token),
        created_by=by,
        expires_at=now + timedelta(days=INVITATION_DAYS),
    )
    session.add(inv)
    session.flush()
    return Invitation(inv.id, token, inv.expires_at)


def _use_up_invitations(session: Session, user_id: uuid.UUID, now: datetime) -> None:
    session.execute(
        update(UserInvitation)
        .where(UserInvitation.user_id == user_id, UserInvitation.used_at.is_(None))
        .values(used_at=now)
    )


def invite(
    session: Session, user_id: uuid.UUID, data: NewUser, by: uuid.UUID | None, now: datetime
) -> Invitation:
    """A user with no password yet (status invited), their roles, and a one-time link."""
    _check_grants(session, data.grants)
    org_id: uuid.UUID = session.info["actor"]["org_id"]
    user = User(
        id=user_id,
        org_id=org_id,
        email=data.email,
        first_name=data.first_name,
        last_name=data.last_name,
        status=UserStatus.INVITED,
        password_hash=None,
    )
    if data.phone:
        user.phone = data.phone
    session.add(user)
    try:
        # E-mail addresses are unique across every org (sign-in has no org hint), and another
        # org's users are invisible here: the unique index is the only one that can tell.
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict("a user with this e-mail address exists", field="email") from None
    _assign(session, user_id, data.grants)
    return _new_invitation(session, user_id, by, now)


def _assign(session: Session, user_id: uuid.UUID, grants: list[Grant]) -> None:
    org_id: uuid.UUID = session.info["actor"]["org_id"]
    for g in grants:
        session.add(
            RoleAssignment(
                org_id=org_id, user_id=user_id, role=g.role, house_id=g.house_id, property_id=g.property_id
            )
        )
    session.flush()


def reinvite(session: Session, user_id: uuid.UUID, by: uuid.UUID | None, now: datetime) -> Invitation:
    """A new link for a user who has not accepted yet; earlier links stop working."""
    user = get_user(session, user_id)
    if user.status is not UserStatus.INVITED:
        raise Conflict(f"the user is {user.status.value}, not invited", field="user_id")
    return _new_invitation(session, user_id, by, now)


def set_grants(session: Session, user_id: uuid.UUID, grants: list[Grant]) -> list[Grant]:
    """Replaces the user's roles; their live sessions see the change on their next request."""
    get_user(session, user_id)
    _check_grants(session, grants)
    now = datetime.now(UTC)
    keep = set(grants)
    current = list(session.scalars(select(RoleAssignment).where(RoleAssignment.user_id == user_id)))
    for r in current:
        if Grant(r.role, r.house_id, r.property_id) not in keep:
            r.deleted_at = now
    held = {Grant(r.role, r.house_id, r.property_id) for r in current}
    session.flush()
    _assign(session, user_id, [g for g in grants if g not in held])
    return grants_of(session, user_id)


def deactivate(session: Session, user_id: uuid.UUID, by: uuid.UUID | None) -> int:
    """Disables the user and ends every session they have; returns how many were live."""
    if user_id == by:
        raise Conflict("you cannot deactivate yourself", field="user_id")
    user = get_user(session, user_id)
    now = datetime.now(UTC)
    user.status = UserStatus.DISABLED
    ended = session.execute(
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=now)
        .returning(UserSession.id)
    ).all()
    _use_up_invitations(session, user_id, now)
    session.flush()
    audit.record(
        session, AuditAction.LOGOUT, "users", user_id, {"sessions_ended": len(ended), "reason": "deactivated"}
    )
    return len(ended)


def reactivate(session: Session, user_id: uuid.UUID) -> User:
    """Active again (or invited again, if they never chose a password: staff re-send the link)."""
    user = get_user(session, user_id)
    if user.status is UserStatus.DISABLED:
        user.status = UserStatus.ACTIVE if user.password_hash else UserStatus.INVITED
        session.flush()
    return user


@dataclass(frozen=True)
class LinkState:
    expires_at: datetime


def _open_invitation(session: Session, token: str, now: datetime, lock: bool) -> UserInvitation:
    stmt = select(UserInvitation).where(UserInvitation.token_hash == token_hash(token))
    inv = session.scalar(stmt.with_for_update() if lock else stmt)
    if inv is None:
        raise NotFound("invitation not found", field="token")
    if inv.used_at is not None:
        raise Conflict("this invitation link was already used or replaced", field="token")
    if inv.expires_at <= now:
        raise Conflict("this invitation link has expired; ask for a new one", field="token")
    return inv


def check_link(session: Session, token: str) -> LinkState:
    return LinkState(_open_invitation(session, token, datetime.now(UTC), lock=False).expires_at)


def accept(session: Session, token: str, password: str) -> uuid.UUID:
    """Sets the password and uses the link up, once: a second use is refused (Conflict)."""
    now = datetime.now(UTC)
    inv = _open_invitation(session, token, now, lock=True)
    user = get_user(session, inv.user_id)
    if user.status is not UserStatus.INVITED:
        raise Conflict(f"the user is {user.status.value}", field="token")
    user.password_hash = hash_password(password)
    user.status = UserStatus.ACTIVE
    inv.used_at = now
    session.flush()
    audit.record(
        session, AuditAction.UPDATE, "users", user.id, {"invitation": "accepted", "fields": ["password_hash"]}
    )
    return user.id


def staff_addresses(session: Session, perm: Perm) -> list[str]:
    """The e-mail addresses of the org's active staff whose roles grant `perm` (residents never)."""
    rows = session.execute(
        select(User, RoleAssignment.role)
        .join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(
            RoleAssignment.deleted_at.is_(None),
            User.deleted_at.is_(None),
            User.status == UserStatus.ACTIVE,
            User.resident_id.is_(None),
        )
    ).all()
    return sorted({u.email for u, role in rows if u.email and perm in ROLE_PERMISSIONS[role]})


def owner_addresses(session: Session) -> list[str]:
    """The org's active owners' e-mail addresses: where escalations and disabled integrations go."""
    users = session.scalars(
        select(User)
        .join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(
            RoleAssignment.role == UserRole.ORG_OWNER,
            RoleAssignment.deleted_at.is_(None),
            User.deleted_at.is_(None),
            User.status == UserStatus.ACTIVE,
        )
    ).all()
    return sorted({u.email for u in users if u.email})
