"""Audit chain off the hot path: an outbox of events, a sequencer function that chains them.

- `audit_events`: each transaction inserts its audit events here (no lock, no chain).
  Forced row-level security like every tenant table; `recoveryos_app` may SELECT and INSERT.
- `audit_logs` (the chain): `recoveryos_app` loses INSERT. Entries are written only by
  `audit_seal(...)`, a SECURITY DEFINER function owned by the NOLOGIN role
  `recoveryos_audit`: it checks the caller extends the current head (seq = head + 1, prev_hash
  = head hash), copies the events' columns unchanged, and deletes those events in the same
  transaction. `seq >= 1` is a CHECK constraint, so no entry can sit outside the chain.
- `audit_events` refuses UPDATE and TRUNCATE (trigger `append_only`, like every append-only
  table) and refuses to delete an event the chain does not hold.
- `audit_pending_orgs()` lists (ids only) the orgs with events waiting, so a sequencer can
  find work without seeing any other org's rows.

Revision ID: 0004_audit_sequencer
Revises: 0003_kernel
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004_audit_sequencer"
down_revision: str | None = "0003_kernel"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP = "recoveryos_app"
AUDIT = "recoveryos_audit"

EVENT_COLUMNS = (
    "id, org_id, occurred_at, actor_user_id, actor_type, action, entity_type, entity_id, "
    "outcome, source_ip, request_id, details"
)


def upgrade() -> None:
    op.create_table(
        "audit_events",
        sa.Column("event_no", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column(
            "occurred_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("clock_timestamp()"),
            nullable=False,
        ),
        sa.Column("actor_user_id", sa.UUID(), nullable=True),
        sa.Column("actor_type", sa.Text(), nullable=False),
        sa.Column("action", postgresql.ENUM(name="audit_action", create_type=False), nullable=False),
        sa.Column("entity_type", sa.Text(), nullable=False),
        sa.Column("entity_id", sa.UUID(), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("source_ip", postgresql.INET(), nullable=True),
        sa.Column("request_id", sa.Text(), nullable=True),
        sa.Column(
            "details",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("org_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_audit_events_org_id_organizations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    op.create_index("ix_audit_events_org_event_no", "audit_events", ["org_id", "event_no"], unique=False)
    op.create_check_constraint(op.f("ck_audit_logs_seq_positive"), "audit_logs", "seq >= 1")

    op.execute(f"""
    DO $$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{AUDIT}') THEN
        CREATE ROLE {AUDIT} NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
      END IF;
    END $$;
    GRANT {AUDIT} TO CURRENT_USER;
    GRANT USAGE ON SCHEMA public TO {AUDIT};

    ALTER TABLE audit_events ENABLE ROW LEVEL SECURITY;
    ALTER TABLE audit_events FORCE ROW LEVEL SECURITY;
    CREATE POLICY tenant_isolation ON audit_events
      USING (org_id = app_current_org()) WITH CHECK (org_id = app_current_org());
    -- The sequencer's lookup of orgs with work: ids only, through audit_pending_orgs().
    CREATE POLICY sequencer_scan ON audit_events FOR SELECT TO {AUDIT} USING (true);

    GRANT SELECT, INSERT ON audit_events TO {APP};
    REVOKE UPDATE, DELETE, TRUNCATE ON audit_events FROM PUBLIC, {APP};
    REVOKE INSERT ON audit_logs FROM {APP};
    GRANT SELECT, DELETE ON audit_events TO {AUDIT};
    GRANT SELECT, INSERT ON audit_logs TO {AUDIT};

    -- Events are never changed; one leaves the outbox only once the chain holds it.
    CREATE TRIGGER append_only BEFORE UPDATE ON audit_events
      FOR EACH ROW EXECUTE FUNCTION forbid_change();
    CREATE TRIGGER append_only_truncate BEFORE TRUNCATE ON audit_events
      FOR EACH STATEMENT EXECUTE FUNCTION forbid_change();
    CREATE FUNCTION audit_event_chained() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NOT EXISTS (SELECT 1 FROM audit_logs WHERE id = OLD.id) THEN
        RAISE EXCEPTION 'audit event % is not chained yet: refusing to delete it', OLD.id
          USING ERRCODE = 'insufficient_privilege';
      END IF;
      RETURN OLD;
    END $$;
    CREATE TRIGGER only_once_chained BEFORE DELETE ON audit_events
      FOR EACH ROW EXECUTE FUNCTION audit_event_chained();

    CREATE FUNCTION audit_seal(p_first_seq bigint, p_prev bytea, p_key_id text, p_ids uuid[], p_hashes bytea[])
      RETURNS integer LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    DECLARE
      org uuid := app_current_org();
      head_seq bigint;
      head_hash bytea;
      n integer;
    BEGIN
      IF org IS NULL THEN
        RAISE EXCEPTION 'audit_seal needs app.org_id' USING ERRCODE = 'insufficient_privilege';
      END IF;
      IF cardinality(p_ids) IS DISTINCT FROM cardinality(p_hashes) OR coalesce(cardinality(p_ids), 0) = 0 THEN
        RAISE EXCEPTION 'audit_seal needs as many hashes as events' USING ERRCODE = 'invalid_parameter_value';
      END IF;
      SELECT seq, hash INTO head_seq, head_hash FROM audit_logs WHERE org_id = org ORDER BY seq DESC LIMIT 1;
      IF coalesce(head_seq, 0) <> p_first_seq - 1 OR head_hash IS DISTINCT FROM p_prev THEN
        RAISE EXCEPTION 'audit chain of org % moved: head is %, caller extends %',
          org, coalesce(head_seq, 0), p_first_seq - 1 USING ERRCODE = 'serialization_failure';
      END IF;
      INSERT INTO audit_logs ({EVENT_COLUMNS}, seq, hmac_key_id, prev_hash, hash)
      SELECT e.id, e.org_id, e.occurred_at, e.actor_user_id, e.actor_type, e.action, e.entity_type,
             e.entity_id, e.outcome, e.source_ip, e.request_id, e.details,
             p_first_seq + u.i - 1, p_key_id, CASE WHEN u.i = 1 THEN p_prev ELSE p_hashes[u.i - 1] END, u.h
        FROM unnest(p_ids, p_hashes) WITH ORDINALITY AS u(id, h, i)
        JOIN audit_events e ON e.id = u.id AND e.org_id = org
       ORDER BY u.i;
      GET DIAGNOSTICS n = ROW_COUNT;
      IF n <> cardinality(p_ids) THEN
        RAISE EXCEPTION 'audit_seal: % of % events are gone (chained by another sequencer?)',
          cardinality(p_ids) - n, cardinality(p_ids) USING ERRCODE = 'serialization_failure';
      END IF;
      DELETE FROM audit_events WHERE org_id = org AND id = ANY(p_ids);
      RETURN n;
    END $$;

    CREATE FUNCTION audit_pending_orgs() RETURNS SETOF uuid
      LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
        SELECT DISTINCT org_id FROM audit_events
    $$;

    ALTER FUNCTION audit_seal(bigint, bytea, text, uuid[], bytea[]) OWNER TO {AUDIT};
    ALTER FUNCTION audit_pending_orgs() OWNER TO {AUDIT};
    REVOKE ALL ON FUNCTION audit_seal(bigint, bytea, text, uuid[], bytea[]), audit_pending_orgs() FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION audit_seal(bigint, bytea, text, uuid[], bytea[]), audit_pending_orgs() TO {APP};
    """)


def downgrade() -> None:
    op.execute(f"""
    DROP FUNCTION audit_pending_orgs();
    DROP FUNCTION audit_seal(bigint, bytea, text, uuid[], bytea[]);
    REVOKE ALL ON audit_logs FROM {AUDIT};
    GRANT INSERT ON audit_logs TO {APP};
    REVOKE USAGE ON SCHEMA public FROM {AUDIT};
    """)
    op.drop_constraint(op.f("ck_audit_logs_seq_positive"), "audit_logs", type_="check")
    op.drop_index("ix_audit_events_org_event_no", table_name="audit_events")
    op.drop_table("audit_events")
    op.execute("DROP FUNCTION audit_event_chained()")
    # The role is cluster-wide and may serve other databases: it is left in place.
