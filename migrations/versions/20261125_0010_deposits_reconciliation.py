"""Deposits, payer splits and daily reconciliation.

- `invoice_payer_allocations`: who owes what of an invoice (one row per payer; NULL payer is the
  resident), append-only.
- `deposit_deductions`: the itemised deductions from a security deposit at discharge, append-only.
- `payer_configs.fixed_amount_cents`: a payer paying a fixed amount instead of a percentage.
- `reconciliation_records`: a per-org record key and day so a day's reconciliation re-runs in
  place, the named mismatch, and what the ledger holds; a record for a ledger item Stripe does
  not know has no balance transaction id.

Revision ID: 0010_deposits_reconciliation
Revises: 0008_documents
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010_deposits_reconciliation"
down_revision: str | None = "0008_documents"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP = "recoveryos_app"


def _tenant(table: str) -> None:
    op.execute(
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY; ALTER TABLE {table} FORCE ROW LEVEL SECURITY;"
    )
    op.execute(
        f"CREATE POLICY tenant_isolation ON {table} "
        "USING (org_id = app_current_org()) WITH CHECK (org_id = app_current_org())"
    )
    # Append-only: rows are evidence of money owed or withheld.
    op.execute(f"GRANT SELECT, INSERT ON {table} TO {APP}")
    op.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON {table} FROM PUBLIC, {APP}")
    op.execute(
        f"CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION forbid_change()"
    )
    op.execute(
        f"CREATE TRIGGER append_only_truncate BEFORE TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION forbid_change()"
    )


def upgrade() -> None:
    op.create_table(
        "invoice_payer_allocations",
        sa.Column("invoice_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("payer_config_id", postgresql.UUID(as_uuid=True), nullable=True),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("org_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.CheckConstraint("amount_cents > 0", name=op.f("ck_invoice_payer_allocations_amount_positive")),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoices.id"],
            name=op.f("fk_invoice_payer_allocations_invoice_id_invoices"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_invoice_payer_allocations_org_id_organizations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["payer_config_id"],
            ["payer_configs.id"],
            name=op.f("fk_invoice_payer_allocations_payer_config_id_payer_configs"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_payer_allocations")),
        sa.UniqueConstraint(
            "invoice_id",
            "payer_config_id",
            name="uq_invoice_payer_allocations_invoice_payer",
            postgresql_nulls_not_distinct=True,
        ),
    )
    op.create_index(
        "ix_invoice_payer_allocations_org_invoice", "invoice_payer_allocations", ["org_id", "invoice_id"]
    )
    _tenant("invoice_payer_allocations")

    op.create_table(
        "deposit_deductions",
        sa.Column("deposit_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("invoice_id", postgresql.UUID(as_uuid=True), nullable=True),
        sa.Column("reason", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("created_by", postgresql.UUID(as_uuid=True), nullable=True),
        sa.Column("id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("org_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.CheckConstraint("amount_cents > 0", name=op.f("ck_deposit_deductions_amount_positive")),
        sa.CheckConstraint(
            "category IN ('damage', 'cleaning', 'unpaid_rent', 'fees', 'other')",
            name=op.f("ck_deposit_deductions_category_known"),
        ),
        sa.ForeignKeyConstraint(
            ["deposit_id"],
            ["deposits.id"],
            name=op.f("fk_deposit_deductions_deposit_id_deposits"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoices.id"],
            name=op.f("fk_deposit_deductions_invoice_id_invoices"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_deposit_deductions_org_id_organizations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deposit_deductions")),
        sa.UniqueConstraint("deposit_id", "position", name="uq_deposit_deductions_deposit_position"),
    )
    op.create_index("ix_deposit_deductions_org_deposit", "deposit_deductions", ["org_id", "deposit_id"])
    _tenant("deposit_deductions")

    op.add_column("payer_configs", sa.Column("fixed_amount_cents", sa.BigInteger(), nullable=True))
    op.create_check_constraint(
        op.f("ck_payer_configs_fixed_positive"),
        "payer_configs",
        "fixed_amount_cents IS NULL OR fixed_amount_cents > 0",
    )

    op.alter_column("reconciliation_records", "stripe_balance_transaction_id", nullable=True)
    op.add_column("reconciliation_records", sa.Column("record_key", sa.Text(), nullable=True))
    op.add_column("reconciliation_records", sa.Column("reconciled_on", sa.Date(), nullable=True))
    op.add_column("reconciliation_records", sa.Column("mismatch", sa.Text(), nullable=True))
    op.add_column("reconciliation_records", sa.Column("ledger_amount_cents", sa.BigInteger(), nullable=True))
    op.create_check_constraint(
        op.f("ck_reconciliation_records_mismatch_known"),
        "reconciliation_records",
        "mismatch IS NULL OR mismatch IN "
        "('missing_in_ledger', 'missing_in_stripe', 'amount_differs', 'fee_unposted')",
    )
    op.create_index(
        "uq_reconciliation_records_org_record_key",
        "reconciliation_records",
        ["org_id", "record_key"],
        unique=True,
        postgresql_where=sa.text("record_key IS NOT NULL"),
    )
    op.create_index(
        "ix_reconciliation_records_org_day",
        "reconciliation_records",
        ["org_id", "reconciled_on"],
        postgresql_where=sa.text("reconciled_on IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_reconciliation_records_org_day", table_name="reconciliation_records")
    op.drop_index("uq_reconciliation_records_org_record_key", table_name="reconciliation_records")
    op.drop_constraint(
        op.f("ck_reconciliation_records_mismatch_known"), "reconciliation_records", type_="check"
    )
    for column in ("ledger_amount_cents", "mismatch", "reconciled_on", "record_key"):
        op.drop_column("reconciliation_records", column)
    # Fails while ledger-only records exist: delete them first (they are re-made by a re-run).
    op.alter_column("reconciliation_records", "stripe_balance_transaction_id", nullable=False)
    op.drop_constraint(op.f("ck_payer_configs_fixed_positive"), "payer_configs", type_="check")
    op.drop_column("payer_configs", "fixed_amount_cents")
    op.drop_table("deposit_deductions")
    op.drop_table("invoice_payer_allocations")
