"""Waking idle webhook endpoints when their org's outbox grows, instead of polling each second.

- `webhooks.idle_since`: set by an endpoint's delivery when it found nothing to send and is
  about to wait; cleared when it starts sending again. The worker's waker
  (`core/outbox_waker.py`) pokes only endpoints that have it set.
- `domain_events_notify`: after an inserted event whose org has an idle endpoint,
  `pg_notify('recoveryos_outbox', org_id)`. While every endpoint is sending (under load) it
  notifies nothing, so it costs a writer one index probe (`ix_webhooks_org_idle`). PostgreSQL
  sends a transaction's notifications when it commits, once per distinct payload, so a rent
  run's thousand events are one notification, and a rolled-back event none. The payload is
  the org's id only: no event, no PHI. (The probe runs as the writer, under its org's row
  security: it sees its own org's endpoints only.)

Revision ID: 0031_outbox_wake
Revises: 0030_safety_more
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0031_outbox_wake"
down_revision: str | None = "0030_safety_more"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("webhooks", sa.Column("idle_since", sa.DateTime(timezone=True), nullable=True))
    op.create_index(
        "ix_webhooks_org_idle",
        "webhooks",
        ["org_id"],
        postgresql_where=sa.text("idle_since IS NOT NULL AND is_active AND deleted_at IS NULL"),
    )
    op.execute(
        """
        CREATE FUNCTION domain_events_notify() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF EXISTS (
                SELECT 1 FROM webhooks
                WHERE org_id = NEW.org_id AND idle_since IS NOT NULL AND is_active AND deleted_at IS NULL
            ) THEN
                PERFORM pg_notify('recoveryos_outbox', NEW.org_id::text);
            END IF;
            RETURN NULL;
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER domain_events_notify AFTER INSERT ON domain_events "
        "FOR EACH ROW EXECUTE FUNCTION domain_events_notify()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER domain_events_notify ON domain_events")
    op.execute("DROP FUNCTION domain_events_notify()")
    op.drop_index("ix_webhooks_org_idle", table_name="webhooks")
    op.drop_column("webhooks", "idle_since")
