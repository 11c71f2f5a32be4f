"""House safety: passes, curfew, drug tests and incidents get what their processes need.

- `drug_test_draws`: each house's random draw for a day with its inputs (eligible residents,
  weekly counts, rate, cap, key fingerprint) so it can be recomputed. A tenant table under
  forced row-level security with 0017's scope predicate on its house; append-only for the app.
- `houses`: the draw's rate and weekly cap, the recurrence-of-use response plan, and the delay
  before an emergency contact is told that a resident has not come back.
- `resident_contacts.notify_method`: the method the resident consented to for that contact.
- `passes.conditions` (encrypted): the conditions of an approval.
- `incidents.state_report_due_at` / `state_reported_at`: the state-report clock.

Revision ID: 0026_operations_safety
Revises: 0022_events_out
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0026_operations_safety"
down_revision: str | None = "0029_report_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP = "recoveryos_app"
SCOPE = "(SELECT app_scope()) = 'org' OR (house_id = ANY ((SELECT app_scope_houses())::uuid[]))"


def upgrade() -> None:
    op.create_table(
        "drug_test_draws",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("org_id", sa.UUID(), nullable=False),
        sa.Column("house_id", sa.UUID(), nullable=False),
        sa.Column("draw_date", sa.Date(), nullable=False),
        sa.Column("rate_bp", sa.Integer(), nullable=False),
        sa.Column("weekly_cap", sa.Integer(), nullable=False),
        sa.Column("eligible", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("weekly_counts", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("selected", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("key_id", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by", sa.UUID(), nullable=True),
        sa.Column("updated_by", sa.UUID(), nullable=True),
        sa.CheckConstraint("rate_bp BETWEEN 0 AND 10000", name=op.f("ck_drug_test_draws_rate_range")),
        sa.CheckConstraint("weekly_cap >= 0", name=op.f("ck_drug_test_draws_cap_nonnegative")),
        sa.ForeignKeyConstraint(
            ["house_id"], ["houses.id"], name=op.f("fk_drug_test_draws_house_id_houses"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_drug_test_draws_org_id_organizations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drug_test_draws")),
    )
    op.create_index(
        "uq_drug_test_draws_house_date", "drug_test_draws", ["house_id", "draw_date"], unique=True
    )
    op.create_index("ix_drug_test_draws_org_date", "drug_test_draws", ["org_id", "draw_date"])
    op.execute(f"""
    ALTER TABLE drug_test_draws ENABLE ROW LEVEL SECURITY;
    ALTER TABLE drug_test_draws FORCE ROW LEVEL SECURITY;
    CREATE POLICY tenant_isolation ON drug_test_draws
      USING (org_id = (SELECT app_current_org())) WITH CHECK (org_id = (SELECT app_current_org()));
    CREATE POLICY scope ON drug_test_draws AS RESTRICTIVE FOR ALL TO {APP} USING ({SCOPE});
    GRANT SELECT, INSERT ON drug_test_draws TO {APP};
    CREATE TRIGGER audit_columns BEFORE INSERT OR UPDATE ON drug_test_draws
      FOR EACH ROW EXECUTE FUNCTION set_audit_columns();
    """)

    op.add_column(
        "houses", sa.Column("random_test_rate_bp", sa.Integer(), server_default="1000", nullable=False)
    )
    op.add_column(
        "houses", sa.Column("random_test_weekly_cap", sa.Integer(), server_default="2", nullable=False)
    )
    op.add_column("houses", sa.Column("recurrence_response_plan", sa.Text(), nullable=True))
    op.add_column(
        "houses",
        sa.Column("emergency_contact_delay_minutes", sa.Integer(), server_default="120", nullable=False),
    )
    op.create_check_constraint(
        op.f("ck_houses_random_test_rate_range"), "houses", "random_test_rate_bp BETWEEN 0 AND 10000"
    )
    op.create_check_constraint(
        op.f("ck_houses_random_test_cap_range"), "houses", "random_test_weekly_cap BETWEEN 0 AND 7"
    )
    op.create_check_constraint(
        op.f("ck_houses_emergency_contact_delay_range"),
        "houses",
        "emergency_contact_delay_minutes BETWEEN 0 AND 10080",
    )
    op.add_column(
        "resident_contacts",
        sa.Column("notify_method", postgresql.ENUM(name="message_channel", create_type=False), nullable=True),
    )
    op.add_column("passes", sa.Column("conditions", sa.LargeBinary(), nullable=True))
    op.add_column("incidents", sa.Column("state_report_due_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("incidents", sa.Column("state_reported_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("incidents", "state_reported_at")
    op.drop_column("incidents", "state_report_due_at")
    op.drop_column("passes", "conditions")
    op.drop_column("resident_contacts", "notify_method")
    for name in ("emergency_contact_delay_range", "random_test_cap_range", "random_test_rate_range"):
        op.drop_constraint(op.f(f"ck_houses_{name}"), "houses", type_="check")
    for column in (
        "emergency_contact_delay_minutes",
        "recurrence_response_plan",
        "random_test_weekly_cap",
        "random_test_rate_bp",
    ):
        op.drop_column("houses", column)
    op.drop_table("drug_test_draws")
