"""Events out: what outgoing webhooks need beyond the tables of 0001.

`webhooks` gains the endpoint's place in the outbox (`position_tx`, `position_seq`: the last
event delivered, so any worker continues where another stopped), the previous secret and the
end of its overlap after a rotation (both sign until then), and why and when it was disabled.
A URL may be http:// (local mode and allow-listed receivers; the API enforces HTTPS elsewhere).

`webhook_deliveries` becomes one row per attempt (a retry is a new row, so the unique
(webhook_id, event_id) goes), with its latency, the receiver's truncated answer (encrypted: a
receiver may echo anything) and the error when no answer came.

Revision ID: 0022_events_out
Revises: 0019_domain_events
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022_events_out"
down_revision: str | None = "0019_domain_events"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("webhooks", sa.Column("previous_secret", sa.LargeBinary(), nullable=True))
    op.add_column("webhooks", sa.Column("previous_secret_expires_at", sa.DateTime(timezone=True)))
    op.add_column("webhooks", sa.Column("position_tx", sa.BigInteger(), server_default="0", nullable=False))
    op.add_column("webhooks", sa.Column("position_seq", sa.BigInteger(), server_default="0", nullable=False))
    op.add_column("webhooks", sa.Column("failing_since", sa.DateTime(timezone=True)))
    op.add_column("webhooks", sa.Column("disabled_at", sa.DateTime(timezone=True)))
    op.add_column("webhooks", sa.Column("disabled_reason", sa.Text()))
    op.drop_constraint(op.f("ck_webhooks_url_https"), "webhooks", type_="check")
    op.create_check_constraint(op.f("ck_webhooks_url_http_or_https"), "webhooks", "url ~ '^https?://'")

    op.drop_constraint(op.f("uq_webhook_deliveries_webhook_event"), "webhook_deliveries", type_="unique")
    op.create_index(
        "ix_webhook_deliveries_org_webhook_event", "webhook_deliveries", ["org_id", "webhook_id", "event_id"]
    )
    op.add_column("webhook_deliveries", sa.Column("latency_ms", sa.Integer()))
    op.add_column("webhook_deliveries", sa.Column("response_body", sa.LargeBinary()))
    op.add_column("webhook_deliveries", sa.Column("error", sa.Text()))
    op.add_column(
        "webhook_deliveries", sa.Column("replay", sa.Boolean(), server_default=sa.false(), nullable=False)
    )


def downgrade() -> None:
    for column in ("replay", "error", "response_body", "latency_ms"):
        op.drop_column("webhook_deliveries", column)
    op.drop_index("ix_webhook_deliveries_org_webhook_event", "webhook_deliveries")
    op.create_unique_constraint(
        op.f("uq_webhook_deliveries_webhook_event"), "webhook_deliveries", ["webhook_id", "event_id"]
    )
    op.drop_constraint(op.f("ck_webhooks_url_http_or_https"), "webhooks", type_="check")
    op.create_check_constraint(op.f("ck_webhooks_url_https"), "webhooks", "url LIKE 'https://%'")
    for column in (
        "disabled_reason",
        "disabled_at",
        "failing_since",
        "position_seq",
        "position_tx",
        "previous_secret_expires_at",
        "previous_secret",
    ):
        op.drop_column("webhooks", column)
