"""Invitations: a user invited by e-mail sets their password through a one-time link.

`user_invitations` keeps only the SHA-256 of each link's token, when it expires and when it was
used. Row-level security as on every tenant table; the app may read, add and mark rows used,
never delete them (the record of who was invited by whom stays).

Revision ID: 0016_setup_api
Revises: 0015_audit_chained_orgs
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_setup_api"
down_revision: str | None = "0015_audit_chained_orgs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP = "recoveryos_app"


def upgrade() -> None:
    op.create_table(
        "user_invitations",
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("token_hash", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("created_by", sa.UUID(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("org_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_user_invitations_org_id_organizations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_invitations_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_invitations")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_user_invitations_token_hash")),
    )
    op.create_index("ix_user_invitations_org_user", "user_invitations", ["org_id", "user_id"], unique=False)
    op.execute(
        "ALTER TABLE user_invitations ENABLE ROW LEVEL SECURITY; "
        "ALTER TABLE user_invitations FORCE ROW LEVEL SECURITY;"
    )
    op.execute(
        "CREATE POLICY tenant_isolation ON user_invitations "
        "USING (org_id = (SELECT app_current_org())) WITH CHECK (org_id = (SELECT app_current_org()))"
    )
    op.execute(f"GRANT SELECT, INSERT, UPDATE ON user_invitations TO {APP}")


def downgrade() -> None:
    op.drop_table("user_invitations")
