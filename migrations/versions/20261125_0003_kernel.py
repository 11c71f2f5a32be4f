"""Process kernel: idempotency keys for POSTs that start a process.

Revision ID: 0003_kernel
Revises: 0002_security
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003_kernel"
down_revision: str | None = "0002_security"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP = "recoveryos_app"


def upgrade() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("request_digest", sa.LargeBinary(), nullable=False),
        sa.Column("resource_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("created_by", postgresql.UUID(as_uuid=True), nullable=True),
        sa.Column("id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("org_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.CheckConstraint("length(key) BETWEEN 1 AND 255", name=op.f("ck_idempotency_keys_key_length")),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_idempotency_keys_org_id_organizations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_keys")),
        sa.UniqueConstraint("org_id", "scope", "key", name=op.f("uq_idempotency_keys_org_id_scope_key")),
    )
    op.execute(
        "ALTER TABLE idempotency_keys ENABLE ROW LEVEL SECURITY; "
        "ALTER TABLE idempotency_keys FORCE ROW LEVEL SECURITY;"
    )
    op.execute(
        "CREATE POLICY tenant_isolation ON idempotency_keys "
        "USING (org_id = app_current_org()) WITH CHECK (org_id = app_current_org())"
    )
    # A key never changes once claimed; expired keys are purged by the owner, not the app.
    op.execute(f"GRANT SELECT, INSERT ON idempotency_keys TO {APP}")


def downgrade() -> None:
    op.drop_table("idempotency_keys")
