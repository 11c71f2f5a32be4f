"""Core billing: invoices, payments, the double-entry ledger, deposits, payers and dunning.

Design principle 5: there is no stored balance, amount_due or amount_paid anywhere. Every
balance (a resident's, an invoice's, an account's) is the sum of `ledger_entries`, which are
immutable; a correction is a reversing journal, never an update.

Idempotency: every row a workflow activity creates (invoices, payments, dunning actions) carries
an `idempotency_key` that is unique per org and survives soft deletion, so a retried activity
finds its earlier row instead of inserting a second one. Ledger postings are idempotent through
the (journal_id, line_no) unique constraint.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Numeric,
    SmallInteger,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.crypto import normalize_email, normalize_phone
from core.enums import (
    BillingFrequency,
    DepositStatus,
    DunningActionStatus,
    DunningActionType,
    EntryDirection,
    InvoiceStatus,
    LedgerAccountType,
    LineItemType,
    PayerType,
    PaymentMethodType,
    PaymentStatus,
)
from models.base import (
    AuditColumnsMixin,
    Base,
    Encrypted,
    IdMixin,
    SoftDeleteMixin,
    TenantMixin,
    blind_index_column,
    encrypted_column,
    money,
    pg_enum,
)

if TYPE_CHECKING:
    from models.orgs import House
    from models.payment_extended import DunningConfig, PaymentMethod, RateConfig, Refund
    from models.residents import Admission, Resident
    from models.users import User

LIVE = text("deleted_at IS NULL")
NIL_UUID = "'00000000-0000-0000-0000-000000000000'::uuid"
CURRENCY_CHECK = "currency ~ '^[a-z]{3}$'"


class Invoice(IdMixin, TenantMixin, AuditColumnsMixin, SoftDeleteMixin, Base):
    """A bill to a resident (or to a third-party payer on the resident's behalf) for one period.

    Amounts owed/paid are not stored: outstanding = sum of the ledger entries carrying this
    invoice_id on the accounts-receivable account.
    """

    __tablename__ = "invoices"

    resident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("residents.id", ondelete="RESTRICT"))
    # Who is billed; NULL means the resident pays directly (self-pay default).
    payer_config_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("payer_configs.id", ondelete="RESTRICT")
    )
    # For per-house revenue and collections reporting.
    house_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("houses.id", ondelete="RESTRICT"))
    # Human-facing invoice number, e.g. "INV-2024-000123"; unique per org among live rows.
    number: Mapped[str]
    status: Mapped[InvoiceStatus] = mapped_column(
        pg_enum(InvoiceStatus), default=InvoiceStatus.DRAFT, server_default=InvoiceStatus.DRAFT.value
    )
    # True for the scheduled rent invoice of a billing period (at most one per resident, payer
    # and period); False for ad-hoc invoices (fees, damages, drug tests).
    is_rent: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    period_start_date: Mapped[date] = mapped_column(Date)
    period_end_date: Mapped[date] = mapped_column(Date)
    issued_date: Mapped[date | None] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    subtotal_cents: Mapped[int] = money()
    total_cents: Mapped[int] = money()
    currency: Mapped[str] = mapped_column(default="usd", server_default="usd")
    # ENCRYPTED: free text shown to the payer; may mention treatment, relapse or program details
    memo_ct: Mapped[bytes | None] = encrypted_column("memo")
    memo = Encrypted(str)
    stripe_invoice_id: Mapped[str | None]
    idempotency_key: Mapped[str]
    voided_at: Mapped[datetime | None]

    line_items: Mapped[list[InvoiceLineItem]] = relationship(
        back_populates="invoice", order_by="InvoiceLineItem.position"
    )
    payments: Mapped[list[Payment]] = relationship(back_populates="invoice")
    dunning_actions: Mapped[list[DunningAction]] = relationship(back_populates="invoice")
    resident: Mapped[Resident] = relationship(back_populates="invoices")
    payer_config: Mapped[PayerConfig | None] = relationship(back_populates="invoices")
    house: Mapped[House | None] = relationship()

    __table_args__ = (
        Index("uq_invoices_org_number_live", "org_id", "number", unique=True, postgresql_where=LIVE),
        # Not partial: a retried invoicing activity must find the row even if it was since deleted.
        UniqueConstraint("org_id", "idempotency_key", name="uq_invoices_org_idempotency_key"),
        UniqueConstraint("stripe_invoice_id", name="uq_invoices_stripe_invoice_id"),
        # One live, non-void rent invoice per resident, payer and period. The payer is part of the
        # key because split billing issues one rent invoice per payer for the same period.
        Index(
            "uq_invoices_rent_period_live",
            "org_id",
            "resident_id",
            "period_start_date",
            text(f"coalesce(payer_config_id, {NIL_UUID})"),
            unique=True,
            postgresql_where=text("is_rent AND status <> 'void' AND deleted_at IS NULL"),
        ),
        # Resident statement / billing history.
        Index(
            "ix_invoices_org_resident_period_live",
            "org_id",
            "resident_id",
            "period_start_date",
            postgresql_where=LIVE,
        ),
        # Aging report and dunning: open invoices by due date.
        Index(
            "ix_invoices_org_open_due_live",
            "org_id",
            "due_date",
            postgresql_where=text("status IN ('open', 'partially_paid') AND deleted_at IS NULL"),
        ),
        # Third-party payer (agency, court, grant) statements.
        Index(
            "ix_invoices_org_payer_live",
            "org_id",
            "payer_config_id",
            "period_start_date",
            postgresql_where=text("payer_config_id IS NOT NULL AND deleted_at IS NULL"),
        ),
        CheckConstraint("period_end_date >= period_start_date", name="period_order"),
        CheckConstraint("issued_date IS NULL OR due_date >= issued_date", name="due_after_issue"),
        CheckConstraint("subtotal_cents >= 0 AND total_cents >= 0", name="amounts_nonnegative"),
        CheckConstraint(CURRENCY_CHECK, name="currency_code"),
        CheckConstraint("status = 'draft' OR issued_date IS NOT NULL", name="issued_has_date"),
        CheckConstraint("(status = 'void') = (voided_at IS NOT NULL)", name="void_has_time"),
    )


class InvoiceLineItem(IdMixin, TenantMixin, AuditColumnsMixin, SoftDeleteMixin, Base):
    __tablename__ = "invoice_line_items"

    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"))
    line_type: Mapped[LineItemType] = mapped_column(pg_enum(LineItemType))
    # The rate that produced this line (rent, program fee), for audit of the amount.
    rate_config_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("rate_configs.id", ondelete="SET NULL")
    )
    # ENCRYPTED: staff free text (e.g. "UA test 3/4", "damage to room 2") can reveal treatment
    # or incident details
    description_ct: Mapped[bytes | None] = encrypted_column("description")
    description = Encrypted(str)
    # Fractional for prorated periods (e.g. 2.5 weeks).
    quantity: Mapped[Decimal] = mapped_column(Numeric(10, 3), default=Decimal(1), server_default="1")
    unit_amount_cents: Mapped[int] = money()
    # quantity * unit_amount_cents rounded to the cent; negative only for credit lines.
    amount_cents: Mapped[int] = money()
    position: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")

    invoice: Mapped[Invoice] = relationship(back_populates="line_items")
    rate_config: Mapped[RateConfig | None] = relationship()

    __table_args__ = (
        Index("ix_invoice_line_items_org_invoice_live", "org_id", "invoice_id", postgresql_where=LIVE),
        Index(
            "uq_invoice_line_items_invoice_position_live",
            "invoice_id",
            "position",
            unique=True,
            postgresql_where=LIVE,
        ),
        # Revenue by line type (rent vs fees) over time.
        Index("ix_invoice_line_items_org_type_live", "org_id", "line_type", postgresql_where=LIVE),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint(
            "line_type = 'credit' OR (unit_amount_cents >= 0 AND amount_cents >= 0)",
            name="only_credits_negative",
        ),
        CheckConstraint("line_type <> 'credit' OR amount_cents <= 0", name="credit_not_positive"),
        CheckConstraint("position >= 0", name="position_nonnegative"),
    )


CARD_DEPOSIT_OPEN = (
    "invoice_id IS NULL AND method = 'card' AND status IN ('pending', 'processing', 'succeeded')"
)


class Payment(IdMixin, TenantMixin, AuditColumnsMixin, Base):
    """Money received (or attempted). Never deleted: a mistaken payment is cancelled or refunded
    and reversed in the ledger, so there is no SoftDeleteMixin."""

    __tablename__ = "payments"

    resident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("residents.id", ondelete="RESTRICT"))
    # NULL for an on-account payment not applied to one invoice.
    invoice_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("invoices.id", ondelete="RESTRICT"))
    payer_config_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("payer_configs.id", ondelete="RESTRICT")
    )
    payment_method_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("payment_methods.id", ondelete="SET NULL")
    )
    amount_cents: Mapped[int] = money()
    currency: Mapped[str] = mapped_column(default="usd", server_default="usd")
    method: Mapped[PaymentMethodType] = mapped_column(pg_enum(PaymentMethodType))
    status: Mapped[PaymentStatus] = mapped_column(
        pg_enum(PaymentStatus), default=PaymentStatus.PENDING, server_default=PaymentStatus.PENDING.value
    )
    stripe_payment_intent_id: Mapped[str | None]
    idempotency_key: Mapped[str]
    received_at: Mapped[datetime | None]
    # ENCRYPTED: check / money-order number identifies the payer's bank account or instrument
    reference_number_ct: Mapped[bytes | None] = encrypted_column("reference_number")
    reference_number = Encrypted(str)
    # Processor decline code and message (e.g. "card_declined"); not PHI.
    failure_code: Mapped[str | None]
    failure_message: Mapped[str | None]
    # Printed on the receipt a staff member hands over for cash, check or money order; derived
    # from the payment id (services.billing.keys.receipt_number), unique per org.
    receipt_number: Mapped[str | None]
    # Staff member who recorded an offline (cash/check) payment.
    recorded_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    invoice: Mapped[Invoice | None] = relationship(back_populates="payments")
    resident: Mapped[Resident] = relationship(back_populates="payments")
    payer_config: Mapped[PayerConfig | None] = relationship()
    payment_method: Mapped[PaymentMethod | None] = relationship()
    recorded_by_user: Mapped[User | None] = relationship()
    refunds: Mapped[list[Refund]] = relationship(back_populates="payment")

    __table_args__ = (
        UniqueConstraint("org_id", "idempotency_key", name="uq_payments_org_idempotency_key"),
        UniqueConstraint("stripe_payment_intent_id", name="uq_payments_stripe_payment_intent_id"),
        Index(
            "uq_payments_org_receipt_number",
            "org_id",
            "receipt_number",
            unique=True,
            postgresql_where=text("receipt_number IS NOT NULL"),
        ),
        Index("ix_payments_org_resident_received", "org_id", "resident_id", "received_at"),
        # One card deposit in flight or taken per resident: two staff charging the same
        # deposit at once must not both reach Stripe (migration 0014).
        Index(
            "uq_payments_deposit_resident_id",
            "org_id",
            "resident_id",
            unique=True,
            postgresql_where=text(CARD_DEPOSIT_OPEN),
        ),
        Index(
            "ix_payments_org_invoice",
            "org_id",
            "invoice_id",
            postgresql_where=text("invoice_id IS NOT NULL"),
        ),
        # Work queues: payments still in flight or failed.
        Index(
            "ix_payments_org_status_created",
            "org_id",
            "status",
            "created_at",
            postgresql_where=text("status IN ('pending', 'processing', 'failed')"),
        ),
        Index("ix_payments_org_received", "org_id", "received_at"),
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        CheckConstraint(CURRENCY_CHECK, name="currency_code"),
        CheckConstraint("status <> 'succeeded' OR received_at IS NOT NULL", name="succeeded_has_time"),
    )


class LedgerAccount(IdMixin, TenantMixin, AuditColumnsMixin, SoftDeleteMixin, Base):
    """Chart of accounts. No balance column: balances are summed from ledger_entries."""

    __tablename__ = "ledger_accounts"

    # e.g. "1100" (accounts receivable), "2100" (resident deposits held), "4000" (rent revenue)
    code: Mapped[str]
    name: Mapped[str]
    description: Mapped[str | None]
    account_type: Mapped[LedgerAccountType] = mapped_column(pg_enum(LedgerAccountType))
    # Not derived from account_type: contra accounts (e.g. allowance for doubtful accounts)
    # have the opposite normal balance.
    normal_balance: Mapped[EntryDirection] = mapped_column(pg_enum(EntryDirection))
    # System accounts are created per org at onboarding and found by code by posting logic;
    # they cannot be renamed or deleted through the API.
    is_system: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    parent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("ledger_accounts.id", ondelete="RESTRICT"))

    parent: Mapped[LedgerAccount | None] = relationship(
        back_populates="children", remote_side="LedgerAccount.id"
    )
    children: Mapped[list[LedgerAccount]] = relationship(back_populates="parent")

    __table_args__ = (
        Index("uq_ledger_accounts_org_code_live", "org_id", "code", unique=True, postgresql_where=LIVE),
        Index("ix_ledger_accounts_org_type_live", "org_id", "account_type", postgresql_where=LIVE),
        Index(
            "ix_ledger_accounts_org_parent_live",
            "org_id",
            "parent_id",
            postgresql_where=text("parent_id IS NOT NULL AND deleted_at IS NULL"),
        ),
        CheckConstraint("char_length(code) > 0", name="code_nonempty"),
        CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),
    )


class LedgerEntry(IdMixin, TenantMixin, Base):
    """One line of a balanced journal. IMMUTABLE: no updated_at, no deleted_at; corrections are
    posted as a new journal with `reverses_journal_id` set. Balance (sum of debits = sum of
    credits per journal) and immutability are enforced by triggers in the migrations."""

    __tablename__ = "ledger_entries"

    # Groups the balanced entries of one business transaction; chosen deterministically by the
    # posting activity so a retried posting hits uq_ledger_entries_journal_line and is a no-op.
    journal_id: Mapped[uuid.UUID]
    line_no: Mapped[int] = mapped_column(SmallInteger)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ledger_accounts.id", ondelete="RESTRICT"))
    direction: Mapped[EntryDirection] = mapped_column(pg_enum(EntryDirection))
    amount_cents: Mapped[int] = money()
    # Sub-ledger dimensions; RESTRICT because an immutable entry must never lose its references.
    resident_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("residents.id", ondelete="RESTRICT"))
    invoice_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("invoices.id", ondelete="RESTRICT"))
    payment_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("payments.id", ondelete="RESTRICT"))
    refund_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("refunds.id", ondelete="RESTRICT"))
    deposit_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("deposits.id", ondelete="RESTRICT"))
    # Set on every line of a reversing (correcting) journal.
    reverses_journal_id: Mapped[uuid.UUID | None]
    effective_date: Mapped[date] = mapped_column(Date)
    # Plaintext by design, so it must never contain PHI: generated text such as
    # "Rent invoice INV-2024-000123" or "Stripe payment pi_...".
    description: Mapped[str | None]
    created_at: Mapped[datetime] = mapped_column(server_default=text("now()"))
    created_by: Mapped[uuid.UUID | None]

    account: Mapped[LedgerAccount] = relationship()
    # One-way on purpose: entries are immutable and balances are summed in SQL, so no
    # parent gets an (unbounded) entries collection.
    resident: Mapped[Resident | None] = relationship()
    invoice: Mapped[Invoice | None] = relationship()
    payment: Mapped[Payment | None] = relationship()
    refund: Mapped[Refund | None] = relationship()
    deposit: Mapped[Deposit | None] = relationship()

    __table_args__ = (
        UniqueConstraint("journal_id", "line_no", name="uq_ledger_entries_journal_line"),
        # Account balances (trial balance) as an index-only scan.
        Index(
            "ix_ledger_entries_org_account",
            "org_id",
            "account_id",
            postgresql_include=["direction", "amount_cents"],
        ),
        # A resident's balance on one account (e.g. A/R, deposits held).
        Index(
            "ix_ledger_entries_org_resident_account",
            "org_id",
            "resident_id",
            "account_id",
            postgresql_include=["direction", "amount_cents"],
            postgresql_where=text("resident_id IS NOT NULL"),
        ),
        # An invoice's outstanding amount (there is no stored amount_due).
        Index(
            "ix_ledger_entries_org_invoice_account",
            "org_id",
            "invoice_id",
            "account_id",
            postgresql_include=["direction", "amount_cents"],
            postgresql_where=text("invoice_id IS NOT NULL"),
        ),
        # Reports' receivable lines up to a day (AR aging, the rent roll) as an index-only scan.
        Index(
            "ix_ledger_entries_org_account_effective",
            "org_id",
            "account_id",
            "effective_date",
            postgresql_include=["invoice_id", "resident_id", "direction", "amount_cents"],
        ),
        Index("ix_ledger_entries_org_journal", "org_id", "journal_id"),
        Index("ix_ledger_entries_org_effective_date", "org_id", "effective_date"),
        Index(
            "ix_ledger_entries_org_reverses",
            "org_id",
            "reverses_journal_id",
            postgresql_where=text("reverses_journal_id IS NOT NULL"),
        ),
        Index(
            "ix_ledger_entries_org_payment",
            "org_id",
            "payment_id",
            postgresql_where=text("payment_id IS NOT NULL"),
        ),
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        CheckConstraint("line_no >= 1", name="line_no_positive"),
        CheckConstraint(
            "reverses_journal_id IS NULL OR reverses_journal_id <> journal_id", name="not_self_reversing"
        ),
    )


class Deposit(IdMixin, TenantMixin, AuditColumnsMixin, SoftDeleteMixin, Base):
    """A security / move-in deposit held on the resident's behalf (a liability in the ledger)."""

    __tablename__ = "deposits"

    resident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("residents.id", ondelete="RESTRICT"))
    admission_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("admissions.id", ondelete="SET NULL"))
    # The payment that funded the deposit, if collected through payments.
    payment_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("payments.id", ondelete="RESTRICT"))
    # The invoice the deposit was applied to (e.g. final charges at discharge).
    applied_invoice_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("invoices.id", ondelete="RESTRICT")
    )
    amount_cents: Mapped[int] = money()
    currency: Mapped[str] = mapped_column(default="usd", server_default="usd")
    status: Mapped[DepositStatus] = mapped_column(
        pg_enum(DepositStatus), default=DepositStatus.HELD, server_default=DepositStatus.HELD.value
    )
    received_date: Mapped[date] = mapped_column(Date)
    applied_date: Mapped[date | None] = mapped_column(Date)
    refunded_date: Mapped[date | None] = mapped_column(Date)
    forfeited_date: Mapped[date | None] = mapped_column(Date)
    # ENCRYPTED: free-text reason (relapse, rule violation, damages) is sensitive resident info
    forfeiture_reason_ct: Mapped[bytes | None] = encrypted_column("forfeiture_reason")
    forfeiture_reason = Encrypted(str)

    resident: Mapped[Resident] = relationship(back_populates="deposits")
    admission: Mapped[Admission | None] = relationship()
    payment: Mapped[Payment | None] = relationship()
    applied_invoice: Mapped[Invoice | None] = relationship()

    __table_args__ = (
        Index("ix_deposits_org_resident_live", "org_id", "resident_id", postgresql_where=LIVE),
        # Deposits liability report: everything still held.
        Index(
            "ix_deposits_org_held_live",
            "org_id",
            "received_date",
            postgresql_where=text("status = 'held' AND deleted_at IS NULL"),
        ),
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        CheckConstraint(CURRENCY_CHECK, name="currency_code"),
        CheckConstraint("status <> 'applied' OR applied_date IS NOT NULL", name="applied_has_date"),
        CheckConstraint("status <> 'refunded' OR refunded_date IS NOT NULL", name="refunded_has_date"),
        CheckConstraint("status <> 'forfeited' OR forfeited_date IS NOT NULL", name="forfeited_has_date"),
        CheckConstraint(
            "(applied_date IS NULL OR applied_date >= received_date)"
            " AND (refunded_date IS NULL OR refunded_date >= received_date)"
            " AND (forfeited_date IS NULL OR forfeited_date >= received_date)",
            name="dates_after_receipt",
        ),
    )


class PayerConfig(IdMixin, TenantMixin, AuditColumnsMixin, SoftDeleteMixin, Base):
    """Who pays (all or a share of) a resident's charges: the resident, family, a treatment
    provider, a grant, a court program or insurance.

    A person's name is never stored in plaintext: for an individual payer (`is_individual`)
    `organization_name` must be NULL and the name lives only in the encrypted contact_name.
    Contact details are always encrypted, since even an agency contact paired with a resident
    reveals that the resident is in recovery.
    """

    __tablename__ = "payer_configs"

    # NULL for an org-level payer (e.g. a grant or court program) shared by many residents.
    resident_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("residents.id", ondelete="RESTRICT"))
    payer_type: Mapped[PayerType] = mapped_column(pg_enum(PayerType))
    is_individual: Mapped[bool] = mapped_column(Boolean)
    # Agencies only (treatment provider, court, grantor, insurer): not PHI on its own.
    organization_name: Mapped[str | None]
    # ENCRYPTED: PII (a person's name; for agencies the caseworker's name)
    contact_name_ct: Mapped[bytes | None] = encrypted_column("contact_name")
    contact_name = Encrypted(str)
    # ENCRYPTED: PII; blind index to match inbound payer emails / portal logins
    contact_email_ct: Mapped[bytes | None] = encrypted_column("contact_email")
    contact_email_bidx: Mapped[bytes | None] = blind_index_column("contact_email")
    contact_email = Encrypted(str, blind=normalize_email)
    # ENCRYPTED: PII; blind index for caller lookup
    contact_phone_ct: Mapped[bytes | None] = encrypted_column("contact_phone")
    contact_phone_bidx: Mapped[bytes | None] = blind_index_column("contact_phone")
    contact_phone = Encrypted(str, blind=normalize_phone)
    # ENCRYPTED: PII (billing address of a person / caseworker)
    billing_address_ct: Mapped[bytes | None] = encrypted_column("billing_address")
    billing_address = Encrypted(dict)
    # ENCRYPTED: voucher / authorization / court case number ties the resident to a program
    authorization_number_ct: Mapped[bytes | None] = encrypted_column("authorization_number")
    authorization_number = Encrypted(str)
    billing_frequency: Mapped[BillingFrequency] = mapped_column(
        pg_enum(BillingFrequency), default=BillingFrequency.MONTHLY, server_default="monthly"
    )
    # Share of the resident's charges this payer covers (e.g. 50.00 for a 50/50 split).
    split_percentage: Mapped[Decimal] = mapped_column(
        Numeric(5, 2), default=Decimal(100), server_default="100"
    )
    # Optional cap per billing period (e.g. a grant covering at most $600/month).
    max_amount_cents: Mapped[int | None] = mapped_column(BigInteger)
    # A fixed share in cents per invoice instead of a percentage (then split_percentage is
    # ignored): e.g. a court program paying $300 of every month's rent.
    fixed_amount_cents: Mapped[int | None] = mapped_column(BigInteger)
    stripe_customer_id: Mapped[str | None]
    effective_from_date: Mapped[date | None] = mapped_column(Date)
    effective_to_date: Mapped[date | None] = mapped_column(Date)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))

    resident: Mapped[Resident | None] = relationship(
        back_populates="payer_configs", foreign_keys=[resident_id]
    )
    invoices: Mapped[list[Invoice]] = relationship(back_populates="payer_config")

    __table_args__ = (
        Index(
            "ix_payer_configs_org_resident_live",
            "org_id",
            "resident_id",
            postgresql_where=text("resident_id IS NOT NULL AND deleted_at IS NULL"),
        ),
        Index("ix_payer_configs_org_type_live", "org_id", "payer_type", postgresql_where=LIVE),
        Index(
            "ix_payer_configs_org_email_bidx",
            "org_id",
            "contact_email_bidx",
            postgresql_where=text("contact_email_bidx IS NOT NULL"),
        ),
        CheckConstraint(
            "(is_individual AND organization_name IS NULL)"
            " OR (NOT is_individual AND organization_name IS NOT NULL)",
            name="individual_has_no_plaintext_name",
        ),
        CheckConstraint("split_percentage > 0 AND split_percentage <= 100", name="split_range"),
        CheckConstraint("max_amount_cents IS NULL OR max_amount_cents > 0", name="cap_positive"),
        CheckConstraint("fixed_amount_cents IS NULL OR fixed_amount_cents > 0", name="fixed_positive"),
        CheckConstraint(
            "effective_to_date IS NULL OR effective_from_date IS NULL"
            " OR effective_to_date > effective_from_date",
            name="effective_order",
        ),
    )


class DunningAction(IdMixin, TenantMixin, AuditColumnsMixin, Base):
    """One scheduled step of collections on an overdue invoice (reminder, late fee, retry...).

    Not soft-deletable: a step that should not run is marked `skipped`, keeping the trail."""

    __tablename__ = "dunning_actions"

    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoices.id", ondelete="RESTRICT"))
    resident_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("residents.id", ondelete="RESTRICT"))
    dunning_config_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("dunning_configs.id", ondelete="SET NULL")
    )
    action_type: Mapped[DunningActionType] = mapped_column(pg_enum(DunningActionType))
    status: Mapped[DunningActionStatus] = mapped_column(
        pg_enum(DunningActionStatus),
        default=DunningActionStatus.SCHEDULED,
        server_default=DunningActionStatus.SCHEDULED.value,
    )
    step_number: Mapped[int] = mapped_column(SmallInteger)
    scheduled_for: Mapped[datetime]
    executed_at: Mapped[datetime | None]
    # Unique per org so a retried activity never sends the same reminder twice.
    idempotency_key: Mapped[str]
    # Key of the notification template (e.g. "dunning.reminder.day3"); rendered at send time.
    template_key: Mapped[str | None]
    # Provider message id (SendGrid / Twilio) for delivery tracing.
    provider_message_id: Mapped[str | None]
    # Provider / processor error code and text; not PHI.
    failure_reason: Mapped[str | None]

    invoice: Mapped[Invoice] = relationship(back_populates="dunning_actions")
    resident: Mapped[Resident] = relationship()
    dunning_config: Mapped[DunningConfig | None] = relationship()

    __table_args__ = (
        UniqueConstraint("org_id", "idempotency_key", name="uq_dunning_actions_org_idempotency_key"),
        # Scheduler: due steps.
        Index(
            "ix_dunning_actions_org_due",
            "org_id",
            "scheduled_for",
            postgresql_where=text("status = 'scheduled'"),
        ),
        Index("ix_dunning_actions_org_invoice_step", "org_id", "invoice_id", "step_number"),
        Index("ix_dunning_actions_org_resident", "org_id", "resident_id", "scheduled_for"),
        CheckConstraint("step_number >= 1", name="step_positive"),
        CheckConstraint("status <> 'sent' OR executed_at IS NOT NULL", name="sent_has_time"),
    )


class InvoicePayerAllocation(IdMixin, TenantMixin, Base):
    """Who owes what of one invoice: one row per payer (payer_config_id NULL is the resident
    themself), written with the invoice by the rent run when the resident has payer configs.
    Append-only: a correction is a new invoice. An invoice without rows is owed by the
    resident alone."""

    __tablename__ = "invoice_payer_allocations"

    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoices.id", ondelete="RESTRICT"))
    payer_config_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("payer_configs.id", ondelete="RESTRICT")
    )
    amount_cents: Mapped[int] = money()
    created_at: Mapped[datetime] = mapped_column(server_default=text("now()"))

    __table_args__ = (
        UniqueConstraint(
            "invoice_id",
            "payer_config_id",
            name="uq_invoice_payer_allocations_invoice_payer",
            postgresql_nulls_not_distinct=True,
        ),
        Index("ix_invoice_payer_allocations_org_invoice", "org_id", "invoice_id"),
        CheckConstraint("amount_cents > 0", name="amount_positive"),
    )


class DepositDeduction(IdMixin, TenantMixin, Base):
    """One itemised deduction from a security deposit at discharge (damage, cleaning, unpaid
    rent applied to an open invoice...), each posted as its own balanced journal. Append-only."""

    __tablename__ = "deposit_deductions"

    deposit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("deposits.id", ondelete="RESTRICT"))
    position: Mapped[int] = mapped_column(SmallInteger)
    category: Mapped[str]
    amount_cents: Mapped[int] = money()
    # Set for unpaid rent: the open invoice this deduction paid.
    invoice_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("invoices.id", ondelete="RESTRICT"))
    # ENCRYPTED: the itemised reason may describe the resident's conduct or circumstances
    reason_ct: Mapped[bytes | None] = encrypted_column("reason")
    reason = Encrypted(str)
    created_at: Mapped[datetime] = mapped_column(server_default=text("now()"))
    created_by: Mapped[uuid.UUID | None]

    __table_args__ = (
        UniqueConstraint("deposit_id", "position", name="uq_deposit_deductions_deposit_position"),
        Index("ix_deposit_deductions_org_deposit", "org_id", "deposit_id"),
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        CheckConstraint(
            "category IN ('damage', 'cleaning', 'unpaid_rent', 'fees', 'other')", name="category_known"
        ),
    )
