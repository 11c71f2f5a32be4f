"""Reports' own tables: how the org's ledger accounts are named in its bookkeeper's software
(the accounting export), and follow-up after discharge (a resident's consent to be asked, and
each survey wave with its encrypted answers). Reports otherwise read what the processes wrote
and keep nothing."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, LargeBinary, SmallInteger, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import AuditColumnsMixin, Base, Encrypted, IdMixin, TenantMixin, encrypted_column


class AccountMapping(IdMixin, TenantMixin, AuditColumnsMixin, Base):
    """One ledger account's names in QuickBooks Online (account name, `Parent:Child` for a
    sub-account), Xero (account code and tax rate) and beancount (account name). An account
    with no row is exported under its own name and code."""

    __tablename__ = "account_mappings"

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ledger_accounts.id", ondelete="CASCADE"))
    qbo_account: Mapped[str | None]
    xero_account_code: Mapped[str | None]
    xero_tax_rate: Mapped[str | None]
    beancount_account: Mapped[str | None]

    __table_args__ = (UniqueConstraint("org_id", "account_id", name="uq_account_mappings_org_account"),)


class FollowUpConsent(IdMixin, TenantMixin, AuditColumnsMixin, Base):
    """A resident's yes to being asked how they are doing after they leave (30, 90 and 180
    days). `withdrawn_at` is set by a "no contact" answer or by staff; nothing is sent after."""

    __tablename__ = "follow_up_consents"

    resident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("residents.id", ondelete="RESTRICT"))
    consented_at: Mapped[datetime]
    withdrawn_at: Mapped[datetime | None]

    __table_args__ = (UniqueConstraint("org_id", "resident_id", name="uq_follow_up_consents_org_resident"),)


class FollowUpSurvey(IdMixin, TenantMixin, AuditColumnsMixin, Base):
    """One wave (30, 90 or 180 days after a discharge) of a resident's follow-up survey: when it
    was sent and reminded, and the answers (encrypted: they are about substance use)."""

    __tablename__ = "follow_up_surveys"

    resident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("residents.id", ondelete="RESTRICT"))
    house_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("houses.id", ondelete="RESTRICT"))
    discharge_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("discharges.id", ondelete="RESTRICT"))
    wave: Mapped[int] = mapped_column(SmallInteger)
    # scheduled, sent, answered, expired, stopped (no contact, or consent withdrawn first)
    status: Mapped[str] = mapped_column(default="scheduled", server_default="scheduled")
    due_date: Mapped[date] = mapped_column(Date)
    sent_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    # SHA-256 of the link's token while the link may be used.
    token_hash: Mapped[bytes | None] = mapped_column(LargeBinary)
    # ENCRYPTED: Part 2 (substance use since discharge, housing, work, recovery supports)
    answers_ct: Mapped[bytes | None] = encrypted_column("answers")
    answers = Encrypted(dict)

    __table_args__ = (
        UniqueConstraint("org_id", "discharge_id", "wave", name="uq_follow_up_surveys_org_discharge_wave"),
        Index("ix_follow_up_surveys_org_wave_status", "org_id", "wave", "status"),
        CheckConstraint("wave IN (30, 90, 180)", name="wave_known"),
        CheckConstraint(
            "status IN ('scheduled', 'sent', 'answered', 'expired', 'stopped')", name="status_known"
        ),
    )
