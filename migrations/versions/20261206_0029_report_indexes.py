"""Reports read the receivable account by day: an index that answers aging and the rent roll
from the index alone.

AR aging sums every receivable line up to the report's day per invoice and resident; without
this index PostgreSQL reads the whole ledger (every account) to find them. With the account
and day first and the summed columns included, the scan touches receivable lines only and
never the table's heap (the visibility map permitting).

Revision ID: 0029_report_indexes
Revises: 0027_reports
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0029_report_indexes"
down_revision: str | None = "0027_reports"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_ledger_entries_org_account_effective",
        "ledger_entries",
        ["org_id", "account_id", "effective_date"],
        unique=False,
        postgresql_include=["invoice_id", "resident_id", "direction", "amount_cents"],
    )


def downgrade() -> None:
    op.drop_index("ix_ledger_entries_org_account_effective", table_name="ledger_entries")
