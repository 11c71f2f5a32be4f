"""Events out, the rest: a referral partner's own webhook endpoints.

`webhooks` gains the API key an endpoint was registered through (a partner subscribing to
`beds.availability_changed.v1` with its own key). Such an endpoint belongs to its key: it
delivers only while the key is live, and the key lists and deletes only its own endpoints.
NULL for endpoints staff registered.

Revision ID: 0024_events_more
Revises: 0028_messaging
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024_events_more"
down_revision: str | None = "0028_messaging"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("webhooks", sa.Column("api_key_id", sa.UUID()))
    op.create_foreign_key(
        op.f("fk_webhooks_api_key_id_api_keys"),
        "webhooks",
        "api_keys",
        ["api_key_id"],
        ["id"],
        ondelete="CASCADE",
    )
    op.create_index(
        "ix_webhooks_org_api_key",
        "webhooks",
        ["org_id", "api_key_id"],
        postgresql_where=sa.text("api_key_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_webhooks_org_api_key", "webhooks")
    op.drop_column("webhooks", "api_key_id")
