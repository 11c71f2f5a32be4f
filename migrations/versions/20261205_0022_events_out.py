"""Events out: what outgoing webhooks need beyond the tables of 0001.

`webhooks` gains the endpoint's place in the outbox (`position_tx`, `position_seq`: the last
event delivered, so any worker continues where another stopped), the previous secret and the
end of its overlap after a rotation (both sign until then), and why and when it was disabled.
A URL may be http:// (local mode and allow-listed receivers; the API enforces HTTPS elsewhere).

`webhook_deliveries` becomes one row per attempt (a retry is a new row, so the unique
(webhook_id, event_id) goes), with its latency, the receiver's truncated answer (encrypted: a
receiver may echo anything) and the error when no answer came.

`leads` gains the referral partner's API key a lead came in through.

`notification_preferences` gains quiet hours and the user's time zone.

`api_keys` gains a per-key rate limit and its counter (a fixed one-minute window kept in the
row, so every API replica counts the same calls), and `auth_api_key`: like `auth_resolve` for
sessions, a SECURITY DEFINER function owned by `recoveryos_auth` that finds a live key by its
prefix and hash before any org is known, stamps `last_used_at` and counts the call, in one
statement. The app role still cannot read other orgs' keys.

Revision ID: 0022_events_out
Revises: 0021_breach_rights
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022_events_out"
down_revision: str | None = "0021_breach_rights"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


APP = "recoveryos_app"
AUTH = "recoveryos_auth"
KEY_COLUMNS = (
    "id, org_id, key_prefix, key_hash, scopes, revoked_at, deleted_at, expires_at, "
    "rate_limit_per_minute, window_started_at, window_count"
)


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

    op.add_column("leads", sa.Column("referred_by_api_key_id", sa.UUID()))
    op.create_foreign_key(
        op.f("fk_leads_referred_by_api_key_id_api_keys"),
        "leads",
        "api_keys",
        ["referred_by_api_key_id"],
        ["id"],
        ondelete="SET NULL",
    )
    op.create_index(
        "ix_leads_org_referred_by",
        "leads",
        ["org_id", "referred_by_api_key_id"],
        postgresql_where=sa.text("referred_by_api_key_id IS NOT NULL"),
    )

    op.add_column("notification_preferences", sa.Column("quiet_start", sa.Time()))
    op.add_column("notification_preferences", sa.Column("quiet_end", sa.Time()))
    op.add_column("notification_preferences", sa.Column("time_zone", sa.Text()))

    op.add_column(
        "api_keys", sa.Column("rate_limit_per_minute", sa.Integer(), server_default="600", nullable=False)
    )
    op.add_column("api_keys", sa.Column("window_started_at", sa.DateTime(timezone=True)))
    op.add_column("api_keys", sa.Column("window_count", sa.Integer(), server_default="0", nullable=False))
    op.create_check_constraint(
        op.f("ck_api_keys_rate_limit_positive"), "api_keys", "rate_limit_per_minute BETWEEN 1 AND 100000"
    )
    op.execute(f"""
    GRANT SELECT ({KEY_COLUMNS}) ON api_keys TO {AUTH};
    GRANT UPDATE (last_used_at, window_started_at, window_count) ON api_keys TO {AUTH};
    CREATE POLICY auth_lookup ON api_keys FOR SELECT TO {AUTH} USING (true);
    CREATE POLICY auth_touch ON api_keys FOR UPDATE TO {AUTH} USING (true) WITH CHECK (true);

    -- A call made with an API key: the live key with this prefix and hash, its org, scopes
    -- and limit, and this call counted in the key's one-minute window (a new window once the
    -- last one is over). SET sees the row as it was, RETURNING as it is now.
    CREATE FUNCTION auth_api_key(prefix text, digest bytea)
      RETURNS TABLE (key_id uuid, org_id uuid, scopes jsonb, rate_limit integer,
                     window_count integer, window_ends_at timestamptz)
      LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
        UPDATE api_keys k SET
          last_used_at = now(),
          window_started_at = CASE WHEN k.window_started_at > now() - interval '1 minute'
                                   THEN k.window_started_at ELSE now() END,
          window_count = CASE WHEN k.window_started_at > now() - interval '1 minute'
                              THEN k.window_count + 1 ELSE 1 END
         WHERE k.key_prefix = prefix AND k.key_hash = digest
           AND k.revoked_at IS NULL AND k.deleted_at IS NULL
           AND (k.expires_at IS NULL OR k.expires_at > now())
        RETURNING k.id, k.org_id, k.scopes, k.rate_limit_per_minute, k.window_count,
                  k.window_started_at + interval '1 minute'
    $$;
    ALTER FUNCTION auth_api_key(text, bytea) OWNER TO {AUTH};
    REVOKE ALL ON FUNCTION auth_api_key(text, bytea) FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION auth_api_key(text, bytea) TO {APP};
    """)


def downgrade() -> None:
    op.execute(f"""
    DROP FUNCTION auth_api_key(text, bytea);
    DROP POLICY auth_touch ON api_keys;
    DROP POLICY auth_lookup ON api_keys;
    REVOKE ALL ON api_keys FROM {AUTH};
    """)
    op.drop_constraint(op.f("ck_api_keys_rate_limit_positive"), "api_keys", type_="check")
    for column in ("time_zone", "quiet_end", "quiet_start"):
        op.drop_column("notification_preferences", column)
    op.drop_index("ix_leads_org_referred_by", "leads")
    op.drop_column("leads", "referred_by_api_key_id")
    for column in ("window_count", "window_started_at", "rate_limit_per_minute"):
        op.drop_column("api_keys", column)
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
