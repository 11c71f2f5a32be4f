"""Reports: `account_mappings`, the org's ledger accounts as named in QuickBooks Online, Xero
and beancount for the accounting export (it names no resident or house, so it has no scope
policy); `follow_up_consents` and `follow_up_surveys`, follow-up after discharge, with the scope
policy of every table that names a resident or a house (0019's predicate). All three are tenant
tables under forced row-level security; the app may insert, read and update, never delete.

Revision ID: 0027_reports
Revises: 0024_events_more
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027_reports"
down_revision: str | None = "0024_events_more"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP = "recoveryos_app"
SCOPE = (
    "(SELECT app_scope()) = 'org'"
    " OR (resident_id IN (SELECT x.id FROM residents x))"
    " OR (house_id = ANY ((SELECT app_scope_houses())::uuid[]))"
)
RESIDENT_SCOPE = "(SELECT app_scope()) = 'org' OR (resident_id IN (SELECT x.id FROM residents x))"


def _audit_columns() -> list[sa.Column]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("created_by", sa.UUID(), nullable=True),
        sa.Column("updated_by", sa.UUID(), nullable=True),
    ]


def _tenant(table: str, scope: str | None = None) -> None:
    op.execute(f"""
    ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
    ALTER TABLE {table} FORCE ROW LEVEL SECURITY;
    CREATE POLICY tenant_isolation ON {table}
      USING (org_id = (SELECT app_current_org())) WITH CHECK (org_id = (SELECT app_current_org()));
    GRANT SELECT, INSERT, UPDATE ON {table} TO {APP};
    """)
    if scope:
        op.execute(f"CREATE POLICY scope ON {table} AS RESTRICTIVE FOR ALL TO {APP} USING ({scope})")


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete="RESTRICT"
    )


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

    op.create_table(
        "follow_up_consents",
        sa.Column("resident_id", sa.UUID(), nullable=False),
        sa.Column("consented_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("org_id", sa.UUID(), nullable=False),
        *_audit_columns(),
        _fk("follow_up_consents", "resident_id", "residents"),
        _fk("follow_up_consents", "org_id", "organizations"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_up_consents")),
        sa.UniqueConstraint("org_id", "resident_id", name="uq_follow_up_consents_org_resident"),
    )
    _tenant("follow_up_consents", RESIDENT_SCOPE)

    op.create_table(
        "follow_up_surveys",
        sa.Column("resident_id", sa.UUID(), nullable=False),
        sa.Column("house_id", sa.UUID(), nullable=False),
        sa.Column("discharge_id", sa.UUID(), nullable=False),
        sa.Column("wave", sa.SmallInteger(), nullable=False),
        sa.Column("status", sa.Text(), server_default="scheduled", nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("token_hash", sa.LargeBinary(), nullable=True),
        sa.Column("answers", sa.LargeBinary(), nullable=True),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("org_id", sa.UUID(), nullable=False),
        *_audit_columns(),
        _fk("follow_up_surveys", "resident_id", "residents"),
        _fk("follow_up_surveys", "house_id", "houses"),
        _fk("follow_up_surveys", "discharge_id", "discharges"),
        _fk("follow_up_surveys", "org_id", "organizations"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_up_surveys")),
        sa.UniqueConstraint("org_id", "discharge_id", "wave", name="uq_follow_up_surveys_org_discharge_wave"),
        sa.CheckConstraint("wave IN (30, 90, 180)", name=op.f("ck_follow_up_surveys_wave_known")),
        sa.CheckConstraint(
            "status IN ('scheduled', 'sent', 'answered', 'expired', 'stopped')",
            name=op.f("ck_follow_up_surveys_status_known"),
        ),
    )
    op.create_index("ix_follow_up_surveys_org_wave_status", "follow_up_surveys", ["org_id", "wave", "status"])
    _tenant("follow_up_surveys", SCOPE)


def downgrade() -> None:
    op.drop_table("follow_up_surveys")
    op.drop_table("follow_up_consents")
    op.drop_table("account_mappings")
