"""Reports: `account_mappings`, the org's ledger accounts as named in QuickBooks Online, Xero
and beancount for the accounting export. A tenant table under forced row-level security; it
names no resident or house, so it has no scope policy (whoever may read reports reads it).

Revision ID: 0027_reports
Revises: 0022_events_out
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027_reports"
down_revision: str | None = "0022_events_out"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP = "recoveryos_app"


def _audit_columns() -> list[sa.Column]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("created_by", sa.UUID(), nullable=True),
        sa.Column("updated_by", sa.UUID(), nullable=True),
    ]


def _tenant(table: str) -> None:
    op.execute(f"""
    ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
    ALTER TABLE {table} FORCE ROW LEVEL SECURITY;
    CREATE POLICY tenant_isolation ON {table}
      USING (org_id = (SELECT app_current_org())) WITH CHECK (org_id = (SELECT app_current_org()));
    GRANT SELECT, INSERT, UPDATE ON {table} TO {APP};
    """)


def upgrade() -> None:
    op.create_table(
        "account_mappings",
        sa.Column("account_id", sa.UUID(), nullable=False),
        sa.Column("qbo_account", sa.Text(), nullable=True),
        sa.Column("xero_account_code", sa.Text(), nullable=True),
        sa.Column("xero_tax_rate", sa.Text(), nullable=True),
        sa.Column("beancount_account", sa.Text(), nullable=True),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("org_id", sa.UUID(), nullable=False),
        *_audit_columns(),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["ledger_accounts.id"],
            name=op.f("fk_account_mappings_account_id_ledger_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_account_mappings_org_id_organizations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_mappings")),
        sa.UniqueConstraint("org_id", "account_id", name="uq_account_mappings_org_account"),
    )
    _tenant("account_mappings")


def downgrade() -> None:
    op.drop_table("account_mappings")
