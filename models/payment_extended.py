"""Rates, saved payment methods, refunds, dunning schedules and Stripe reconciliation."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ExcludeConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.enums import (
    BillingFrequency,
    LineItemType,
    PaymentMethodType,
    ReconciliationStatus,
    RefundStatus,
)
from models.base import (
    AuditColumnsMixin,
    Base,
    Encrypted,
    IdMixin,
    SoftDeleteMixin,
    TenantMixin,
    encrypted_column,
    money,
    pg_enum,
)

if TYPE_CHECKING:
    from models.orgs import Bed, House, Room
    from models.payments import Deposit, PayerConfig, Payment
    from models.residents import Resident
    from models.users import User

LIVE = text("deleted_at IS NULL")
CURRENCY_CHECK = "currency ~ '^[a-z]{3}$'"


class RateConfig(IdMixin, TenantMixin, AuditColumnsMixin, SoftDeleteMixin, Base):
    """A price for a house (default for its beds), a room or one bed (the most specific wins),
    over a date range [effective_from_date, effective_to_date).

    Two live rates of the same line type for the same target may not overlap in time: the
    exclusion constraint `ex_rate_configs_target_period` refuses it (btree_gist).
    """

    __tablename__ = "rate_configs"

    house_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("houses.id", ondelete="RESTRICT"))
    bed_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("beds.id", ondelete="RESTRICT"))
    room_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("rooms.id", ondelete="RESTRICT"))
    name: Mapped[str]
    line_type: Mapped[LineItemType] = mapped_column(
        pg_enum(LineItemType), default=LineItemType.RENT, server_default=LineItemType.RENT.value
    )
    billing_frequency: Mapped[BillingFrequency] = mapped_column(pg_enum(BillingFrequency))
    amount_cents: Mapped[int] = money()
    currency: Mapped[str] = mapped_column(default="usd", server_default="usd")
    effective_from_date: Mapped[date] = mapped_column(Date)
    effective_to_date: Mapped[date | None] = mapped_column(Date)

    house: Mapped[House | None] = relationship(back_populates="rate_configs")
    bed: Mapped[Bed | None] = relationship()
    room: Mapped[Room | None] = relationship()

    __table_args__ = (
        ExcludeConstraint(
            (text("coalesce(bed_id, room_id, house_id)"), "="),
            (text("line_type"), "="),
            (text("daterange(effective_from_date, effective_to_date, '[)')"), "&&"),
            name="ex_rate_configs_target_period",
            using="gist",
            where=LIVE,
        ),
        Index(
            "ix_rate_configs_org_room_from_live",
            "org_id",
            "room_id",
            "effective_from_date",
            postgresql_where=text("room_id IS NOT NULL AND deleted_at IS NULL"),
        ),
        Index(
            "ix_rate_configs_org_house_from_live",
            "org_id",
            "house_id",
            "effective_from_date",
            postgresql_where=text("house_id IS NOT NULL AND deleted_at IS NULL"),
        ),
        Index(
            "ix_rate_configs_org_bed_from_live",
            "org_id",
            "bed_id",
            "effective_from_date",
            postgresql_where=text("bed_id IS NOT NULL AND deleted_at IS NULL"),
        ),
        Index(
            "uq_rate_configs_house_open_live",
            "house_id",
            "billing_frequency",
            "line_type",
            unique=True,
            postgresql_where=text(
                "house_id IS NOT NULL AND effective_to_date IS NULL AND deleted_at IS NULL"
            ),
        ),
        Index(
            "uq_rate_configs_bed_open_live",
            "bed_id",
            "billing_frequency",
            "line_type",
            unique=True,
            postgresql_where=text("bed_id IS NOT NULL AND effective_to_date IS NULL AND deleted_at IS NULL"),
        ),
        CheckConstraint("num_nonnulls(house_id, room_id, bed_id) = 1", name="one_scope"),
        CheckConstraint("amount_cents >= 0", name="amount_nonnegative"),
        CheckConstraint(CURRENCY_CHECK, name="currency_code"),
        CheckConstraint(
            "effective_to_date IS NULL OR effective_to_date > effective_from_date", name="effective_order"
        ),
    )


class PaymentMethod(IdMixin, TenantMixin, AuditColumnsMixin, SoftDeleteMixin, Base):
    """A card or bank account saved in Stripe. Only Stripe's token and display data are kept;
    never a PAN or account number."""

    __tablename__ = "payment_methods"

    resident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("residents.id", ondelete="RESTRICT"))
    # Set when the method belongs to a third-party payer (e.g. a parent's card).
    payer_config_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("payer_configs.id", ondelete="SET NULL")
    )
    method_type: Mapped[PaymentMethodType] = mapped_column(pg_enum(PaymentMethodType))
    stripe_payment_method_id: Mapped[str]
    stripe_customer_id: Mapped[str | None]
    # Card brand ("visa") or bank name for ACH; display only.
    brand: Mapped[str | None]
    # ENCRYPTED: last four digits of a card / bank account are financial PII
    last4_ct: Mapped[bytes | None] = encrypted_column("last4")
    last4 = Encrypted(str)
    exp_month: Mapped[int | None] = mapped_column(SmallInteger)
    exp_year: Mapped[int | None] = mapped_column(SmallInteger)
    # ENCRYPTED: PII (cardholder / account holder name)
    holder_name_ct: Mapped[bytes | None] = encrypted_column("holder_name")
    holder_name = Encrypted(str)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))

    resident: Mapped[Resident] = relationship(back_populates="payment_methods")
    payer_config: Mapped[PayerConfig | None] = relationship()

    __table_args__ = (
        Index(
            "uq_payment_methods_stripe_pm_live",
            "stripe_payment_method_id",
            unique=True,
            postgresql_where=LIVE,
        ),
        # At most one default method per resident.
        Index(
            "uq_payment_methods_resident_default_live",
            "resident_id",
            unique=True,
            postgresql_where=text("is_default AND deleted_at IS NULL"),
        ),
        Index("ix_payment_methods_org_resident_live", "org_id", "resident_id", postgresql_where=LIVE),
        CheckConstraint("exp_month IS NULL OR exp_month BETWEEN 1 AND 12", name="exp_month_range"),
        CheckConstraint("exp_year IS NULL OR exp_year BETWEEN 2000 AND 2200", name="exp_year_range"),
    )


class Refund(IdMixin, TenantMixin, AuditColumnsMixin, Base):
    """Money returned against a payment (overpayment, deposit return, move-out proration).

    Not soft-deletable: a refund that should not proceed is cancelled."""

    __tablename__ = "refunds"

    payment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("payments.id", ondelete="RESTRICT"))
    resident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("residents.id", ondelete="RESTRICT"))
    # Set when this refund returns a security deposit.
    deposit_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("deposits.id", ondelete="RESTRICT"))
    amount_cents: Mapped[int] = money()
    currency: Mapped[str] = mapped_column(default="usd", server_default="usd")
    # How the money goes back; card/ACH through Stripe, otherwise a check or cash.
    method: Mapped[PaymentMethodType] = mapped_column(pg_enum(PaymentMethodType))
    status: Mapped[RefundStatus] = mapped_column(
        pg_enum(RefundStatus), default=RefundStatus.PENDING, server_default=RefundStatus.PENDING.value
    )
    stripe_refund_id: Mapped[str | None]
    idempotency_key: Mapped[str]
    # ENCRYPTED: free-text reason may describe discharge, relapse or other resident circumstances
    reason_ct: Mapped[bytes | None] = encrypted_column("reason")
    reason = Encrypted(str)
    requested_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    approved_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    processed_at: Mapped[datetime | None]
    # Processor error code / message; not PHI.
    failure_code: Mapped[str | None]
    failure_message: Mapped[str | None]

    payment: Mapped[Payment] = relationship(back_populates="refunds")
    resident: Mapped[Resident] = relationship()
    deposit: Mapped[Deposit | None] = relationship()
    requested_by_user: Mapped[User | None] = relationship(foreign_keys=[requested_by])
    approved_by_user: Mapped[User | None] = relationship(foreign_keys=[approved_by])

    __table_args__ = (
        UniqueConstraint("org_id", "idempotency_key", name="uq_refunds_org_idempotency_key"),
        UniqueConstraint("stripe_refund_id", name="uq_refunds_stripe_refund_id"),
        Index("ix_refunds_org_payment", "org_id", "payment_id"),
        Index("ix_refunds_org_resident_created", "org_id", "resident_id", "created_at"),
        Index(
            "ix_refunds_org_pending",
            "org_id",
            "created_at",
            postgresql_where=text("status = 'pending'"),
        ),
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        CheckConstraint(CURRENCY_CHECK, name="currency_code"),
        CheckConstraint("status <> 'succeeded' OR processed_at IS NOT NULL", name="succeeded_has_time"),
    )


class DunningConfig(IdMixin, TenantMixin, AuditColumnsMixin, SoftDeleteMixin, Base):
    """The collections schedule for an org (house_id NULL) or one house (override)."""

    __tablename__ = "dunning_configs"

    house_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("houses.id", ondelete="RESTRICT"))
    name: Mapped[str]
    # Ordered steps, e.g. [{"step": 1, "days_after_due": 1, "action_type": "reminder_sms",
    # "template_key": "dunning.reminder.day1"}, ...]. Templates hold wording; no PHI here.
    steps: Mapped[list[Any]] = mapped_column(default=list, server_default=text("'[]'::jsonb"))
    grace_days: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    late_fee_cents: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # Many states cap late fees; the total late fees on one invoice may not exceed this.
    late_fee_cap_cents: Mapped[int | None] = mapped_column(BigInteger)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))

    house: Mapped[House | None] = relationship()

    __table_args__ = (
        # One live config per org default and per house.
        Index(
            "uq_dunning_configs_org_house_live",
            "org_id",
            text("coalesce(house_id, '00000000-0000-0000-0000-000000000000'::uuid)"),
            unique=True,
            postgresql_where=LIVE,
        ),
        CheckConstraint("jsonb_typeof(steps) = 'array'", name="steps_array"),
        CheckConstraint("grace_days >= 0", name="grace_nonnegative"),
        CheckConstraint("late_fee_cents >= 0", name="late_fee_nonnegative"),
        CheckConstraint(
            "late_fee_cap_cents IS NULL OR late_fee_cap_cents >= late_fee_cents", name="cap_covers_fee"
        ),
    )


class ReconciliationRecord(IdMixin, TenantMixin, AuditColumnsMixin, Base):
    """One Stripe balance transaction matched (or not) to our payment / refund and payout."""

    __tablename__ = "reconciliation_records"

    # NULL for a ledger movement Stripe has no transaction for ("missing in Stripe").
    stripe_balance_transaction_id: Mapped[str | None]
    stripe_payout_id: Mapped[str | None]
    # Stripe's type: "charge", "refund", "payout", "adjustment", "stripe_fee", ...
    transaction_type: Mapped[str]
    payment_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("payments.id", ondelete="RESTRICT"))
    refund_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("refunds.id", ondelete="RESTRICT"))
    # Signed as Stripe reports them (refunds are negative); net = gross - fee.
    gross_amount_cents: Mapped[int] = money()
    fee_amount_cents: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    net_amount_cents: Mapped[int] = money()
    currency: Mapped[str] = mapped_column(default="usd", server_default="usd")
    available_on_date: Mapped[date | None] = mapped_column(Date)
    payout_arrival_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[ReconciliationStatus] = mapped_column(
        pg_enum(ReconciliationStatus),
        default=ReconciliationStatus.UNMATCHED,
        server_default=ReconciliationStatus.UNMATCHED.value,
    )
    matched_at: Mapped[datetime | None]
    matched_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # ENCRYPTED: staff free text on a dispute / mismatch may name the resident or circumstances
    resolution_note_ct: Mapped[bytes | None] = encrypted_column("resolution_note")
    resolution_note = Encrypted(str)
    # Written by the daily reconciliation: one key per (day, Stripe or ledger item), so a
    # re-run of the same day updates its records instead of adding more.
    record_key: Mapped[str | None]
    reconciled_on: Mapped[date | None] = mapped_column(Date)
    # What does not match (None when matched): missing_in_ledger, missing_in_stripe,
    # amount_differs, fee_unposted.
    mismatch: Mapped[str | None]
    # What our ledger holds for the same item, signed like Stripe's gross.
    ledger_amount_cents: Mapped[int | None] = mapped_column(BigInteger)

    payment: Mapped[Payment | None] = relationship()
    refund: Mapped[Refund | None] = relationship()
    matched_by_user: Mapped[User | None] = relationship()

    __table_args__ = (
        UniqueConstraint(
            "stripe_balance_transaction_id", name="uq_reconciliation_records_stripe_balance_txn"
        ),
        Index(
            "uq_reconciliation_records_org_record_key",
            "org_id",
            "record_key",
            unique=True,
            postgresql_where=text("record_key IS NOT NULL"),
        ),
        Index(
            "ix_reconciliation_records_org_day",
            "org_id",
            "reconciled_on",
            postgresql_where=text("reconciled_on IS NOT NULL"),
        ),
        CheckConstraint(
            "mismatch IS NULL OR mismatch IN "
            "('missing_in_ledger', 'missing_in_stripe', 'amount_differs', 'fee_unposted')",
            name="mismatch_known",
        ),
        Index(
            "ix_reconciliation_records_org_payout",
            "org_id",
            "stripe_payout_id",
            postgresql_where=text("stripe_payout_id IS NOT NULL"),
        ),
        # Exceptions queue for the billing specialist.
        Index(
            "ix_reconciliation_records_org_open",
            "org_id",
            "status",
            "created_at",
            postgresql_where=text("status IN ('unmatched', 'disputed')"),
        ),
        Index(
            "ix_reconciliation_records_org_payment",
            "org_id",
            "payment_id",
            postgresql_where=text("payment_id IS NOT NULL"),
        ),
        CheckConstraint(
            "net_amount_cents = gross_amount_cents - fee_amount_cents", name="net_is_gross_less_fee"
        ),
        CheckConstraint(CURRENCY_CHECK, name="currency_code"),
        CheckConstraint("status <> 'matched' OR matched_at IS NOT NULL", name="matched_has_time"),
    )
