"""One-time sign-in links for residents, by e-mail or text.

A resident asks for a link with their e-mail address; the link (`/me/link/<token>`) works once
and for LINK_MINUTES. Only the SHA-256 of its token is stored. The token starts with the org's
id, like an invitation's (services/users.py: `org_of`, `token_hash`), so redeeming it opens that
org's tenant transaction and nothing is looked up across orgs. Links are for residents only: a
staff login must give its second factor, which a link in a mailbox would skip.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import audit
from core.enums import AuditAction, UserRole, UserStatus
from core.errors import Conflict, NotFound
from models.users import RoleAssignment, SignInLink, User
from services.users import org_of, token_hash

__all__ = [
    "CHANNELS",
    "LINK_MINUTES",
    "Issued",
    "issue",
    "link_state",
    "org_of",
    "redeem",
    "token_hash",
    "utcnow",
]

LINK_MINUTES = 15
# A resident asking again and again gets no more than this many live links (no mail bombing).
MAX_LIVE_LINKS = 3
CHANNELS = ("email", "sms")


def link_token(org_id: uuid.UUID) -> str:
    return f"{org_id}.{secrets.token_urlsafe(32)}"


def is_resident_only(session: Session, user_id: uuid.UUID) -> bool:
    roles = set(
        session.scalars(
            select(RoleAssignment.role).where(
                RoleAssignment.user_id == user_id, RoleAssignment.deleted_at.is_(None)
            )
        )
    )
    return roles == {UserRole.RESIDENT}


@dataclass(frozen=True)
class Issued:
    token: str
    # Where to send it: an e-mail address or a phone number (never stored with the link).
    to: str
    channel: str
    expires_at: datetime


def issue(session: Session, user_id: uuid.UUID, channel: str, now: datetime) -> Issued | None:
    """A new link for a resident's login, or None when none may go out (not a resident, no
    address for the channel, too many live links): the caller says the same either way."""
    user = session.get(User, user_id)
    if user is None or user.deleted_at is not None or user.status is not UserStatus.ACTIVE:
        return None
    if channel not in CHANNELS or not is_resident_only(session, user_id) or user.mfa_enabled:
        return None
    to = user.email if channel == "email" else user.phone
    if not to:
        return None
    live = session.scalar(
        select(func.count(SignInLink.id)).where(
            SignInLink.user_id == user_id, SignInLink.used_at.is_(None), SignInLink.expires_at > now
        )
    )
    if (live or 0) >= MAX_LIVE_LINKS:
        return None
    token = link_token(user.org_id)
    expires = now + timedelta(minutes=LINK_MINUTES)
    session.add(
        SignInLink(
            org_id=user.org_id,
            user_id=user_id,
            token_hash=token_hash(token),
            channel=channel,
            created_at=now,
            expires_at=expires,
        )
    )
    session.flush()
    audit.record(session, AuditAction.CREATE, "sign_in_links", user_id, {"channel": channel})
    return Issued(token, to, channel, expires)


def redeem(session: Session, token: str, now: datetime) -> uuid.UUID:
    """Uses the link up and returns its user; a link used before, expired or unknown is refused."""
    link = session.scalar(
        select(SignInLink).where(SignInLink.token_hash == token_hash(token)).with_for_update()
    )
    if link is None:
        raise NotFound("this sign-in link is not valid", field="token")
    if link.used_at is not None:
        raise Conflict("this sign-in link was already used", field="token")
    if link.expires_at <= now:
        raise Conflict("this sign-in link has expired", field="token")
    link.used_at = now
    user = session.get(User, link.user_id)
    if user is None or user.status is not UserStatus.ACTIVE or not is_resident_only(session, user.id):
        raise NotFound("this sign-in link is not valid", field="token")
    return user.id


def link_state(session: Session, token: str, now: datetime) -> str:
    """ "ok", "used", "expired" or "invalid": what the link's page should say, reading only."""
    link = session.scalar(select(SignInLink).where(SignInLink.token_hash == token_hash(token)))
    if link is None:
        return "invalid"
    if link.used_at is not None:
        return "used"
    return "expired" if link.expires_at <= now else "ok"


def utcnow() -> datetime:
    return datetime.now(UTC)
