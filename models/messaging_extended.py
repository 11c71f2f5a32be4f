"""Read receipts for announcements. Append-only: a row is written once, never changed."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, IdMixin, TenantMixin
from models.messaging import Announcement

if TYPE_CHECKING:
    from models.users import User


class AnnouncementRead(IdMixin, TenantMixin, Base):
    __tablename__ = "announcement_reads"

    announcement_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("announcements.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    read_at: Mapped[datetime] = mapped_column(server_default=text("now()"))

    # One-way: messaging.py stays importable on its own.
    announcement: Mapped[Announcement] = relationship()
    user: Mapped[User] = relationship()

    __table_args__ = (
        # Also serves the read-rate report per announcement.
        UniqueConstraint("announcement_id", "user_id", name="uq_announcement_reads_announcement_user"),
        # Which announcements has this user already read (unread badge).
        Index("ix_announcement_reads_org_user_read", "org_id", "user_id", "read_at"),
    )
