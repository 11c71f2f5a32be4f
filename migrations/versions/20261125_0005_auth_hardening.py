"""Auth hardening: login throttles shared by every API replica, TOTP second factor with
hashed single-use recovery codes (an array on users), and sessions that end after inactivity.

Login happens before any org is known, so the throttle table has no org and no tenant
policy: only SECURITY DEFINER functions owned by the NOLOGIN role `recoveryos_auth` read or
write it (recoveryos_app has no grant on it at all). `auth_resolve` answers a request's
session in one statement, and writes `last_seen_at` only when it is older than the given
throttle, so steady traffic costs no write.

Revision ID: 0005_auth_hardening
Revises: 0004_audit_sequencer
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_auth_hardening"
down_revision: str | None = "0004_audit_sequencer"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP = "recoveryos_app"
AUTH = "recoveryos_auth"


def upgrade() -> None:
    op.add_column("users", sa.Column("mfa_secret", sa.LargeBinary(), nullable=True))
    op.add_column("users", sa.Column("mfa_last_step", sa.BigInteger(), nullable=True))
    op.add_column("users", sa.Column("mfa_recovery_codes", sa.ARRAY(sa.LargeBinary()), nullable=True))
    op.add_column(
        "user_sessions",
        sa.Column(
            "last_seen_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
    )
    op.add_column(
        "user_sessions",
        sa.Column("mfa_pending", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )
    op.create_table(
        "login_throttles",
        sa.Column("key", sa.LargeBinary(), nullable=False),
        sa.Column("failures", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "last_failure_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("blocked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_throttles")),
    )

    op.execute(f"""
    ALTER TABLE login_throttles ENABLE ROW LEVEL SECURITY;
    ALTER TABLE login_throttles FORCE ROW LEVEL SECURITY;
    CREATE POLICY auth_only ON login_throttles TO {AUTH} USING (true) WITH CHECK (true);
    GRANT SELECT, INSERT, UPDATE, DELETE ON login_throttles TO {AUTH};

    GRANT SELECT (resident_id) ON users TO {AUTH};
    GRANT SELECT (last_seen_at, mfa_pending) ON user_sessions TO {AUTH};
    GRANT UPDATE (last_seen_at) ON user_sessions TO {AUTH};
    CREATE POLICY auth_touch ON user_sessions FOR UPDATE TO {AUTH} USING (true) WITH CHECK (true);
    GRANT SELECT (org_id, user_id, role, deleted_at) ON role_assignments TO {AUTH};
    CREATE POLICY auth_lookup ON role_assignments FOR SELECT TO {AUTH} USING (true);

    -- The longest block among the keys, or NULL when none is blocked now.
    CREATE FUNCTION auth_throttle_blocked(keys bytea[]) RETURNS timestamptz
      LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
        SELECT max(blocked_until) FROM login_throttles
         WHERE key = ANY(keys) AND blocked_until > now()
    $$;

    -- One failure. The source key and the account key count; the block lands on the source
    -- key and on the (account, source) key, never on the account as a whole, so guessing
    -- from elsewhere cannot keep the real user out. Counters older than the window restart.
    CREATE FUNCTION auth_throttle_fail(
        source_key bytea, account_key bytea, account_source_key bytea,
        source_free int, account_free int, base_seconds double precision,
        max_seconds double precision, window_seconds double precision)
      RETURNS timestamptz
      LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
      DECLARE src int; acct int; until_src timestamptz; until_acct timestamptz;
      BEGIN
        INSERT INTO login_throttles AS t (key, failures, last_failure_at) VALUES (source_key, 1, now())
          ON CONFLICT (key) DO UPDATE SET
            failures = CASE WHEN t.last_failure_at < now() - make_interval(secs => window_seconds)
                            THEN 1 ELSE t.failures + 1 END,
            last_failure_at = now()
          RETURNING failures INTO src;
        IF account_key IS NOT NULL THEN
          INSERT INTO login_throttles AS t (key, failures, last_failure_at) VALUES (account_key, 1, now())
            ON CONFLICT (key) DO UPDATE SET
              failures = CASE WHEN t.last_failure_at < now() - make_interval(secs => window_seconds)
                              THEN 1 ELSE t.failures + 1 END,
              last_failure_at = now()
            RETURNING failures INTO acct;
        END IF;
        IF src > source_free THEN
          until_src := now() + make_interval(secs => least(max_seconds, base_seconds * 2 ^ (src - source_free - 1)));
          UPDATE login_throttles SET blocked_until = until_src WHERE key = source_key;
        END IF;
        IF account_key IS NOT NULL AND acct > account_free THEN
          until_acct := now() + make_interval(secs => least(max_seconds, base_seconds * 2 ^ (acct - account_free - 1)));
          INSERT INTO login_throttles AS t (key, failures, last_failure_at, blocked_until)
            VALUES (account_source_key, 1, now(), until_acct)
            ON CONFLICT (key) DO UPDATE SET failures = t.failures + 1, last_failure_at = now(),
              blocked_until = until_acct;
        END IF;
        RETURN greatest(until_src, until_acct);
      END $$;

    -- A completed sign-in (with its second factor where one is required) clears the account.
    CREATE FUNCTION auth_throttle_clear(account_key bytea, account_source_key bytea) RETURNS void
      LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
        DELETE FROM login_throttles WHERE key IN (account_key, account_source_key)
    $$;

    -- A request's session in one statement: user, org, roles, resident, second-factor state.
    -- last_seen_at is written only when older than touch_seconds, so reads stay reads (a
    -- data-modifying WITH runs whether or not the outer query reads it).
    CREATE FUNCTION auth_resolve(digest bytea, idle_seconds double precision, touch_seconds double precision)
      RETURNS TABLE (session_id uuid, user_id uuid, org_id uuid, resident_id uuid,
                     roles text[], mfa_pending boolean)
      LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
        WITH live AS (
          SELECT s.id, s.user_id, s.org_id, s.mfa_pending, s.last_seen_at FROM user_sessions s
           WHERE s.token_hash = digest AND s.revoked_at IS NULL AND s.expires_at > now()
             AND s.last_seen_at > now() - make_interval(secs => idle_seconds)
        ), touched AS (
          UPDATE user_sessions t SET last_seen_at = now() FROM live
           WHERE t.id = live.id AND live.last_seen_at < now() - make_interval(secs => touch_seconds)
          RETURNING t.id
        )
        SELECT live.id, live.user_id, live.org_id, u.resident_id,
               coalesce(array(SELECT r.role::text FROM role_assignments r
                               WHERE r.user_id = live.user_id AND r.org_id = live.org_id
                                 AND r.deleted_at IS NULL), '{{}}'),
               live.mfa_pending
          FROM live JOIN users u ON u.id = live.user_id
         WHERE u.deleted_at IS NULL AND u.status = 'active'
    $$;

    ALTER FUNCTION auth_throttle_blocked(bytea[]) OWNER TO {AUTH};
    ALTER FUNCTION auth_throttle_fail(bytea, bytea, bytea, int, int, double precision, double precision, double precision) OWNER TO {AUTH};
    ALTER FUNCTION auth_throttle_clear(bytea, bytea) OWNER TO {AUTH};
    ALTER FUNCTION auth_resolve(bytea, double precision, double precision) OWNER TO {AUTH};
    REVOKE ALL ON FUNCTION auth_throttle_blocked(bytea[]),
      auth_throttle_fail(bytea, bytea, bytea, int, int, double precision, double precision, double precision),
      auth_throttle_clear(bytea, bytea), auth_resolve(bytea, double precision, double precision) FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION auth_throttle_blocked(bytea[]),
      auth_throttle_fail(bytea, bytea, bytea, int, int, double precision, double precision, double precision),
      auth_throttle_clear(bytea, bytea), auth_resolve(bytea, double precision, double precision) TO {APP};
    """)


def downgrade() -> None:
    op.execute(f"""
    DROP FUNCTION auth_resolve(bytea, double precision, double precision);
    DROP FUNCTION auth_throttle_clear(bytea, bytea);
    DROP FUNCTION auth_throttle_fail(bytea, bytea, bytea, int, int, double precision, double precision, double precision);
    DROP FUNCTION auth_throttle_blocked(bytea[]);
    DROP POLICY auth_lookup ON role_assignments;
    REVOKE ALL ON role_assignments FROM {AUTH};
    DROP POLICY auth_touch ON user_sessions;
    REVOKE UPDATE (last_seen_at) ON user_sessions FROM {AUTH};
    REVOKE SELECT (last_seen_at, mfa_pending) ON user_sessions FROM {AUTH};
    REVOKE SELECT (resident_id) ON users FROM {AUTH};
    """)
    op.drop_table("login_throttles")
    op.drop_column("user_sessions", "mfa_pending")
    op.drop_column("user_sessions", "last_seen_at")
    op.drop_column("users", "mfa_recovery_codes")
    op.drop_column("users", "mfa_last_step")
    op.drop_column("users", "mfa_secret")
