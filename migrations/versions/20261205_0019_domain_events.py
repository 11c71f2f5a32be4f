"""The domain-event outbox: `domain_events`, written in the transaction of the change it records
and read in order by consumers (webhooks, notifications, messaging, reports).

A tenant table under forced row-level security with the scope policy of every table that names
a resident or a house (0017's predicate for those two anchors). The app may insert and read,
never change or delete: an event, once committed, is history.

Revision ID: 0019_domain_events
Revises: 0018_worker_heartbeats
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0019_domain_events"
down_revision: str | None = "0018_worker_heartbeats"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP = "recoveryos_app"
SCOPE = (
    "(SELECT app_scope()) = 'org'"
    " OR (resident_id IN (SELECT x.id FROM residents x))"
    " OR (house_id = ANY ((SELECT app_scope_houses())::uuid[]))"
    " OR (resident_id IS NULL AND house_id IS NULL AND (SELECT app_scope()) = 'houses')"
)


def upgrade() -> None:
    op.create_table(
        "domain_events",
        sa.Column(
            "tx",
            sa.BigInteger(),
            server_default=sa.text("(pg_current_xact_id())::text::bigint"),
            nullable=False,
        ),
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("subject_id", sa.UUID(), nullable=False),
        sa.Column("resident_id", sa.UUID(), nullable=True),
        sa.Column("house_id", sa.UUID(), nullable=True),
        sa.Column(
            "data",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "occurred_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("clock_timestamp()"),
            nullable=False,
        ),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("org_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_domain_events_org_id_organizations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_domain_events")),
    )
    op.create_index("ix_domain_events_org_position", "domain_events", ["org_id", "tx", "seq"])
    op.create_index("ix_domain_events_org_subject", "domain_events", ["org_id", "subject_id"])
    op.execute(f"""
    ALTER TABLE domain_events ENABLE ROW LEVEL SECURITY;
    ALTER TABLE domain_events FORCE ROW LEVEL SECURITY;
    CREATE POLICY tenant_isolation ON domain_events
      USING (org_id = (SELECT app_current_org())) WITH CHECK (org_id = (SELECT app_current_org()));
    CREATE POLICY scope ON domain_events AS RESTRICTIVE FOR ALL TO {APP} USING ({SCOPE});
    GRANT SELECT, INSERT ON domain_events TO {APP};
    REVOKE UPDATE, DELETE, TRUNCATE ON domain_events FROM PUBLIC, {APP};
    CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON domain_events
      FOR EACH ROW EXECUTE FUNCTION forbid_change();
    CREATE TRIGGER append_only_truncate BEFORE TRUNCATE ON domain_events
      FOR EACH STATEMENT EXECUTE FUNCTION forbid_change();
    """)


def downgrade() -> None:
    op.drop_table("domain_events")
