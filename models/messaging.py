"""Internal messaging: conversations, their members, messages and announcements.

Message bodies, conversation subjects and announcement bodies are encrypted: residents write
about relapses, appointments and family matters, all of it Part 2 protected. Announcement
titles stay plaintext so a feed can be listed without decrypting; authors keep PHI out of them.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.enums import AnnouncementAudience, ConversationType, MessageChannel, Priority
from models.base import (
    AuditColumnsMixin,
    Base,
    Encrypted,
    IdMixin,
    SoftDeleteMixin,
    TenantMixin,
    encrypted_column,
    pg_enum,
)

if TYPE_CHECKING:
    from models.files import FileUpload
    from models.orgs import House, Property
    from models.users import User

LIVE = text("deleted_at IS NULL")
CURRENT_MEMBER = text("left_at IS NULL")


class Conversation(IdMixin, TenantMixin, AuditColumnsMixin, SoftDeleteMixin, Base):
    __tablename__ = "conversations"

    conversation_type: Mapped[ConversationType] = mapped_column(pg_enum(ConversationType))
    # ENCRYPTED: free text chosen by users, often names a resident or a clinical matter
    subject_ct: Mapped[bytes | None] = encrypted_column("subject")
    subject = Encrypted(str)
    # Set for house-wide conversations.
    house_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("houses.id", ondelete="RESTRICT"))
    # Denormalised from messages so the inbox can sort without scanning them.
    last_message_at: Mapped[datetime | None]

    members: Mapped[list[ConversationMember]] = relationship(back_populates="conversation")
    messages: Mapped[list[Message]] = relationship(back_populates="conversation")
    house: Mapped[House | None] = relationship()

    __table_args__ = (
        Index(
            "ix_conversations_org_last_message_live",
            "org_id",
            text("last_message_at DESC"),
            postgresql_where=LIVE,
        ),
        Index("ix_conversations_org_house_live", "org_id", "house_id", postgresql_where=LIVE),
        # One house-wide thread per house.
        Index(
            "uq_conversations_house_thread_live",
            "house_id",
            unique=True,
            postgresql_where=text("conversation_type = 'house' AND deleted_at IS NULL"),
        ),
        CheckConstraint(
            "conversation_type <> 'house' OR house_id IS NOT NULL", name="house_thread_has_house"
        ),
    )


class ConversationMember(IdMixin, TenantMixin, AuditColumnsMixin, Base):
    """Membership over time: leaving sets left_at; rejoining adds a new row."""

    __tablename__ = "conversation_members"

    conversation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    joined_at: Mapped[datetime] = mapped_column(server_default=text("now()"))
    left_at: Mapped[datetime | None]
    # Unread counts are messages with sent_at > last_read_at.
    last_read_at: Mapped[datetime | None]

    conversation: Mapped[Conversation] = relationship(back_populates="members")
    user: Mapped[User] = relationship(back_populates="conversation_memberships")

    __table_args__ = (
        Index(
            "uq_conversation_members_current",
            "conversation_id",
            "user_id",
            unique=True,
            postgresql_where=CURRENT_MEMBER,
        ),
        # "My conversations" for a user.
        Index(
            "ix_conversation_members_org_user_current", "org_id", "user_id", postgresql_where=CURRENT_MEMBER
        ),
        CheckConstraint("left_at IS NULL OR left_at >= joined_at", name="left_after_joined"),
    )


class Message(IdMixin, TenantMixin, AuditColumnsMixin, SoftDeleteMixin, Base):
    __tablename__ = "messages"

    # RESTRICT: messages are records; conversations are soft-deleted, never dropped with them.
    conversation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("conversations.id", ondelete="RESTRICT"))
    sender_user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    # ENCRYPTED: message content is PHI / Part 2 (relapses, appointments, family matters)
    body_ct: Mapped[bytes] = encrypted_column("body", nullable=False)
    body = Encrypted(str)
    channel: Mapped[MessageChannel] = mapped_column(pg_enum(MessageChannel), default=MessageChannel.IN_APP)
    sent_at: Mapped[datetime] = mapped_column(server_default=text("now()"))
    edited_at: Mapped[datetime | None]
    file_upload_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("file_uploads.id", ondelete="SET NULL")
    )

    conversation: Mapped[Conversation] = relationship(back_populates="messages")
    sender_user: Mapped[User] = relationship()
    file_upload: Mapped[FileUpload | None] = relationship()

    __table_args__ = (
        Index(
            "ix_messages_org_conversation_sent_live",
            "org_id",
            "conversation_id",
            "sent_at",
            postgresql_where=LIVE,
        ),
        Index("ix_messages_org_sender_sent", "org_id", "sender_user_id", "sent_at"),
        Index(
            "ix_messages_org_file_upload",
            "org_id",
            "file_upload_id",
            postgresql_where=text("file_upload_id IS NOT NULL"),
        ),
        CheckConstraint("edited_at IS NULL OR edited_at >= sent_at", name="edited_after_sent"),
    )


class Announcement(IdMixin, TenantMixin, AuditColumnsMixin, SoftDeleteMixin, Base):
    """A broadcast to an org, property, house, all staff or all residents."""

    __tablename__ = "announcements"

    audience: Mapped[AnnouncementAudience] = mapped_column(pg_enum(AnnouncementAudience))
    property_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("properties.id", ondelete="RESTRICT"))
    house_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("houses.id", ondelete="RESTRICT"))
    # Plaintext so feeds list without decrypting; must not carry PHI.
    title: Mapped[str]
    # ENCRYPTED: free text that may mention residents, incidents or house events
    body_ct: Mapped[bytes] = encrypted_column("body", nullable=False)
    body = Encrypted(str)
    publish_at: Mapped[datetime] = mapped_column(server_default=text("now()"))
    expires_at: Mapped[datetime | None]
    priority: Mapped[Priority] = mapped_column(pg_enum(Priority), default=Priority.NORMAL)

    property: Mapped[Property | None] = relationship()
    house: Mapped[House | None] = relationship()

    __table_args__ = (
        Index("ix_announcements_org_publish_live", "org_id", "audience", "publish_at", postgresql_where=LIVE),
        Index(
            "ix_announcements_org_house_publish_live",
            "org_id",
            "house_id",
            "publish_at",
            postgresql_where=text("house_id IS NOT NULL AND deleted_at IS NULL"),
        ),
        Index(
            "ix_announcements_org_property_publish_live",
            "org_id",
            "property_id",
            "publish_at",
            postgresql_where=text("property_id IS NOT NULL AND deleted_at IS NULL"),
        ),
        CheckConstraint("expires_at IS NULL OR expires_at > publish_at", name="expires_after_publish"),
        CheckConstraint("audience <> 'house' OR house_id IS NOT NULL", name="house_audience_has_house"),
        CheckConstraint(
            "audience <> 'property' OR property_id IS NOT NULL", name="property_audience_has_property"
        ),
        CheckConstraint("char_length(title) BETWEEN 1 AND 200", name="title_length"),
    )
