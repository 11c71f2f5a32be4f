"""Staff and resident logins, their role assignments and sessions."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ARRAY, BigInteger, CheckConstraint, ForeignKey, Index, LargeBinary, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.crypto import normalize_email, normalize_phone
from core.enums import UserRole, UserStatus
from models.base import (
    AuditColumnsMixin,
    Base,
    Encrypted,
    IdMixin,
    SoftDeleteMixin,
    TenantMixin,
    blind_index_column,
    encrypted_column,
    pg_enum,
)

if TYPE_CHECKING:
    from models.integrations import NotificationPreference
    from models.messaging import ConversationMember
    from models.orgs import House, Property
    from models.residents import Resident

LIVE = text("deleted_at IS NULL")


class User(IdMixin, TenantMixin, AuditColumnsMixin, SoftDeleteMixin, Base):
    __tablename__ = "users"

    # ENCRYPTED: PII
    email_ct: Mapped[bytes] = encrypted_column("email", nullable=False)
    email_bidx: Mapped[bytes] = blind_index_column("email")
    email = Encrypted(str, blind=normalize_email)
    first_name_ct: Mapped[bytes] = encrypted_column("first_name", nullable=False)
    first_name = Encrypted(str)
    last_name_ct: Mapped[bytes] = encrypted_column("last_name", nullable=False)
    last_name = Encrypted(str)
    phone_ct: Mapped[bytes | None] = encrypted_column("phone")
    phone_bidx: Mapped[bytes | None] = blind_index_column("phone")
    phone = Encrypted(str, blind=normalize_phone)

    password_hash: Mapped[str | None]
    status: Mapped[UserStatus] = mapped_column(pg_enum(UserStatus), default=UserStatus.ACTIVE)
    # Set for the `resident` role: the resident record this login may see.
    resident_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("residents.id", ondelete="SET NULL"))
    last_login_at: Mapped[datetime | None]
    mfa_enabled: Mapped[bool] = mapped_column(default=False)
    # ENCRYPTED: the TOTP shared secret (RFC 6238); set at enrolment, live once mfa_enabled.
    mfa_secret_ct: Mapped[bytes | None] = encrypted_column("mfa_secret")
    mfa_secret = Encrypted(str)
    # The last TOTP time step accepted: a code is good once, even inside its 30 s window.
    mfa_last_step: Mapped[int | None] = mapped_column(BigInteger)
    # Keyed hashes of the unused recovery codes; using one removes it (single use).
    mfa_recovery_codes: Mapped[list[bytes] | None] = mapped_column(ARRAY(LargeBinary))

    role_assignments: Mapped[list[RoleAssignment]] = relationship(back_populates="user")
    resident: Mapped[Resident | None] = relationship()
    sessions: Mapped[list[UserSession]] = relationship(back_populates="user")
    notification_preferences: Mapped[list[NotificationPreference]] = relationship(back_populates="user")
    conversation_memberships: Mapped[list[ConversationMember]] = relationship(back_populates="user")

    __table_args__ = (
        # Emails are unique across the platform so login needs no org hint.
        Index("uq_users_email_bidx_live", "email_bidx", unique=True, postgresql_where=LIVE),
        Index("ix_users_org_status_live", "org_id", "status", postgresql_where=LIVE),
        Index("ix_users_org_phone_bidx", "org_id", "phone_bidx"),
        Index("ix_users_org_resident", "org_id", "resident_id"),
    )


class RoleAssignment(IdMixin, TenantMixin, AuditColumnsMixin, SoftDeleteMixin, Base):
    """A role held by a user, optionally scoped to one property or house."""

    __tablename__ = "role_assignments"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[UserRole] = mapped_column(pg_enum(UserRole))
    property_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("properties.id", ondelete="CASCADE"))
    house_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("houses.id", ondelete="CASCADE"))

    user: Mapped[User] = relationship(back_populates="role_assignments")
    property: Mapped[Property | None] = relationship()
    house: Mapped[House | None] = relationship()

    __table_args__ = (
        Index("ix_role_assignments_org_user_live", "org_id", "user_id", postgresql_where=LIVE),
        Index("ix_role_assignments_org_role_live", "org_id", "role", postgresql_where=LIVE),
        Index(
            "uq_role_assignments_scope_live",
            "user_id",
            "role",
            text("coalesce(property_id, '00000000-0000-0000-0000-000000000000'::uuid)"),
            text("coalesce(house_id, '00000000-0000-0000-0000-000000000000'::uuid)"),
            unique=True,
            postgresql_where=LIVE,
        ),
    )


class UserSession(IdMixin, TenantMixin, Base):
    """An API session. Only the SHA-256 of the bearer token is stored."""

    __tablename__ = "user_sessions"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[bytes] = mapped_column(unique=True)
    created_at: Mapped[datetime] = mapped_column(server_default=text("now()"))
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    # ENCRYPTED: network identifiers are PII
    ip_address_ct: Mapped[bytes | None] = encrypted_column("ip_address")
    ip_address = Encrypted(str)
    user_agent: Mapped[str | None]
    # Written at most once a minute (auth_resolve), so the inactivity limit is exact to that.
    last_seen_at: Mapped[datetime] = mapped_column(server_default=text("now()"))
    # Password accepted, second factor not yet: the session may only finish signing in.
    mfa_pending: Mapped[bool] = mapped_column(server_default=text("false"), default=False)

    user: Mapped[User] = relationship(back_populates="sessions")

    __table_args__ = (Index("ix_user_sessions_org_user", "org_id", "user_id", "expires_at"),)


class UserInvitation(IdMixin, TenantMixin, Base):
    """A one-time link that lets an invited user set their password. Only the SHA-256 of its
    token is kept; it expires, and accepting it (or inviting the user again) uses it up."""

    __tablename__ = "user_invitations"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[bytes] = mapped_column(unique=True)
    created_at: Mapped[datetime] = mapped_column(server_default=text("now()"))
    created_by: Mapped[uuid.UUID | None]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_user_invitations_org_user", "org_id", "user_id"),)


class LoginThrottle(Base):
    """Failed sign-in counters shared by every API replica. No org: sign-in precedes one, so
    only the SECURITY DEFINER functions of migration 0005 touch it."""

    __tablename__ = "login_throttles"

    key: Mapped[bytes] = mapped_column(primary_key=True)
    failures: Mapped[int] = mapped_column(server_default=text("0"))
    last_failure_at: Mapped[datetime] = mapped_column(server_default=text("now()"))
    blocked_until: Mapped[datetime | None]


class SignInLink(IdMixin, TenantMixin, Base):
    """A one-time sign-in link for a resident's own pages, sent by e-mail or text. Only the
    SHA-256 of its token is kept; it expires within minutes and signing in with it uses it up
    (a second use, or a link fetched by a mail scanner after the resident used it, fails)."""

    __tablename__ = "sign_in_links"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[bytes] = mapped_column(unique=True)
    # "email" or "sms": where the link went (never the address itself).
    channel: Mapped[str]
    created_at: Mapped[datetime] = mapped_column(server_default=text("now()"))
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_sign_in_links_org_user", "org_id", "user_id"),
        CheckConstraint("channel IN ('email', 'sms')", name="channel_known"),
        CheckConstraint("expires_at > created_at", name="expires_after_created"),
    )
