"""Security: roles, forced row-level security, audit-column triggers, append-only tables,
the balanced-journal constraint on the ledger, and the two login lookups.

Static on purpose: the table lists below were written out when this migration was made,
so later model changes cannot silently change what an old migration does. Tables added by
later migrations must get their policies in those migrations (tests/test_catalogue.py
fails otherwise).

Revision ID: 0002_security
Revises: 0001_schema
Create Date: 2026-11-25
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002_security"
down_revision: str | None = "0001_schema"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP = "recoveryos_app"
AUTH = "recoveryos_auth"

# Every table with org_id: ENABLE + FORCE row-level security, one tenant policy.
TENANT_TABLES = [
    "api_keys",
    "audit_logs",
    "document_templates",
    "integration_configs",
    "ledger_accounts",
    "meeting_types",
    "properties",
    "residents",
    "retention_policies",
    "scheduled_jobs",
    "webhooks",
    "payer_configs",
    "users",
    "webhook_deliveries",
    "break_glass_events",
    "file_uploads",
    "houses",
    "notification_preferences",
    "payment_methods",
    "user_sessions",
    "announcements",
    "chore_templates",
    "conversations",
    "curfew_configs",
    "daily_check_ins",
    "data_access_requests",
    "disclosure_accounting_requests",
    "documents",
    "drug_tests",
    "dunning_configs",
    "invoices",
    "leads",
    "meeting_requirements",
    "meetings",
    "role_assignments",
    "rooms",
    "tasks",
    "vehicles",
    "wellness_check_ins",
    "announcement_reads",
    "baa_records",
    "beds",
    "chores",
    "conversation_members",
    "document_versions",
    "dunning_actions",
    "incidents",
    "maintenance_requests",
    "meeting_attendance",
    "messages",
    "passes",
    "payments",
    "signatures",
    "breach_incidents",
    "chore_assignments",
    "consents",
    "curfew_check_ins",
    "patient_notices",
    "rate_configs",
    "admissions",
    "consent_disclosures",
    "invoice_line_items",
    "resident_contacts",
    "bed_transfers",
    "clinical_assessments",
    "deposits",
    "discharges",
    "resident_status_history",
    "waitlist_entries",
    "refunds",
    "ledger_entries",
    "reconciliation_records",
]

# Rows are never changed or removed: INSERT and SELECT only, and a trigger refuses the rest.
APPEND_ONLY = [
    "audit_logs",
    "ledger_entries",
    "announcement_reads",
    "document_versions",
    "consent_disclosures",
    "resident_status_history",
]

# Tables the app may UPDATE (soft deletes are updates; nothing is granted DELETE).
WRITABLE = [
    "organizations",
    "api_keys",
    "document_templates",
    "integration_configs",
    "ledger_accounts",
    "meeting_types",
    "properties",
    "residents",
    "retention_policies",
    "scheduled_jobs",
    "webhooks",
    "payer_configs",
    "users",
    "webhook_deliveries",
    "break_glass_events",
    "file_uploads",
    "houses",
    "notification_preferences",
    "payment_methods",
    "user_sessions",
    "announcements",
    "chore_templates",
    "conversations",
    "curfew_configs",
    "daily_check_ins",
    "data_access_requests",
    "disclosure_accounting_requests",
    "documents",
    "drug_tests",
    "dunning_configs",
    "invoices",
    "leads",
    "meeting_requirements",
    "meetings",
    "role_assignments",
    "rooms",
    "tasks",
    "vehicles",
    "wellness_check_ins",
    "baa_records",
    "beds",
    "chores",
    "conversation_members",
    "dunning_actions",
    "incidents",
    "maintenance_requests",
    "meeting_attendance",
    "messages",
    "passes",
    "payments",
    "signatures",
    "breach_incidents",
    "chore_assignments",
    "consents",
    "curfew_check_ins",
    "patient_notices",
    "rate_configs",
    "admissions",
    "invoice_line_items",
    "resident_contacts",
    "bed_transfers",
    "clinical_assessments",
    "deposits",
    "discharges",
    "waitlist_entries",
    "refunds",
    "reconciliation_records",
]

# Tables whose updated_at/updated_by a trigger keeps.
WITH_UPDATED_AT = [
    "organizations",
    "api_keys",
    "document_templates",
    "integration_configs",
    "ledger_accounts",
    "meeting_types",
    "properties",
    "residents",
    "retention_policies",
    "scheduled_jobs",
    "webhooks",
    "payer_configs",
    "users",
    "file_uploads",
    "houses",
    "notification_preferences",
    "payment_methods",
    "announcements",
    "chore_templates",
    "conversations",
    "curfew_configs",
    "daily_check_ins",
    "data_access_requests",
    "disclosure_accounting_requests",
    "documents",
    "drug_tests",
    "dunning_configs",
    "invoices",
    "leads",
    "meeting_requirements",
    "meetings",
    "role_assignments",
    "rooms",
    "tasks",
    "vehicles",
    "wellness_check_ins",
    "baa_records",
    "beds",
    "chores",
    "conversation_members",
    "dunning_actions",
    "incidents",
    "maintenance_requests",
    "meeting_attendance",
    "messages",
    "passes",
    "payments",
    "signatures",
    "breach_incidents",
    "chore_assignments",
    "consents",
    "curfew_check_ins",
    "patient_notices",
    "rate_configs",
    "admissions",
    "invoice_line_items",
    "resident_contacts",
    "bed_transfers",
    "clinical_assessments",
    "deposits",
    "discharges",
    "waitlist_entries",
    "refunds",
    "reconciliation_records",
]

# Tables with created_by but no updated_at.
CREATED_BY_ONLY = [
    "document_versions",
    "consent_disclosures",
    "ledger_entries",
]


def upgrade() -> None:
    op.execute(f"""
    DO $$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP}') THEN
        CREATE ROLE {APP} NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
      END IF;
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{AUTH}') THEN
        CREATE ROLE {AUTH} NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
      END IF;
    END $$;
    ALTER ROLE {APP} NOSUPERUSER NOBYPASSRLS;
    GRANT {AUTH} TO CURRENT_USER;
    GRANT USAGE ON SCHEMA public TO {APP}, {AUTH};
    GRANT SELECT ON alembic_version TO {APP};
    """)

    # NULL when unset, so an unscoped session matches no row (fail closed).
    op.execute("""
    CREATE FUNCTION app_current_org() RETURNS uuid LANGUAGE sql STABLE PARALLEL SAFE AS
      $$ SELECT NULLIF(current_setting('app.org_id', true), '')::uuid $$;
    CREATE FUNCTION app_current_user() RETURNS uuid LANGUAGE sql STABLE PARALLEL SAFE AS
      $$ SELECT NULLIF(current_setting('app.user_id', true), '')::uuid $$;
    """)

    for t in TENANT_TABLES:
        op.execute(f"ALTER TABLE {t} ENABLE ROW LEVEL SECURITY; ALTER TABLE {t} FORCE ROW LEVEL SECURITY;")
        op.execute(
            f"CREATE POLICY tenant_isolation ON {t} "
            f"USING (org_id = app_current_org()) WITH CHECK (org_id = app_current_org())"
        )
    op.execute(
        "ALTER TABLE organizations ENABLE ROW LEVEL SECURITY; ALTER TABLE organizations FORCE ROW LEVEL SECURITY;"
    )
    op.execute(
        "CREATE POLICY tenant_isolation ON organizations "
        "USING (id = app_current_org()) WITH CHECK (id = app_current_org())"
    )

    for t in WRITABLE:
        op.execute(f"GRANT SELECT, INSERT, UPDATE ON {t} TO {APP}")
    for t in APPEND_ONLY:
        op.execute(f"GRANT SELECT, INSERT ON {t} TO {APP}")
        op.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON {t} FROM PUBLIC, {APP}")

    # Audit columns: created_* are frozen after insert, updated_* follow every change.
    op.execute("""
    CREATE FUNCTION set_audit_columns() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'INSERT' THEN
        NEW.created_by := coalesce(NEW.created_by, app_current_user());
        NEW.updated_by := coalesce(NEW.updated_by, NEW.created_by);
      ELSE
        NEW.created_at := OLD.created_at;
        NEW.created_by := OLD.created_by;
        NEW.updated_at := now();
        NEW.updated_by := coalesce(app_current_user(), NEW.updated_by);
      END IF;
      RETURN NEW;
    END $$;
    CREATE FUNCTION set_created_by() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      NEW.created_by := coalesce(NEW.created_by, app_current_user());
      RETURN NEW;
    END $$;
    CREATE FUNCTION forbid_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
    END $$;
    """)
    for t in WITH_UPDATED_AT:
        op.execute(
            f"CREATE TRIGGER audit_columns BEFORE INSERT OR UPDATE ON {t} "
            f"FOR EACH ROW EXECUTE FUNCTION set_audit_columns()"
        )
    for t in CREATED_BY_ONLY:
        op.execute(
            f"CREATE TRIGGER created_by BEFORE INSERT ON {t} FOR EACH ROW EXECUTE FUNCTION set_created_by()"
        )
    for t in APPEND_ONLY:
        op.execute(
            f"CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON {t} "
            f"FOR EACH ROW EXECUTE FUNCTION forbid_change()"
        )
        op.execute(
            f"CREATE TRIGGER append_only_truncate BEFORE TRUNCATE ON {t} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION forbid_change()"
        )

    # Double entry: at commit, every journal touched must balance and have two or more lines.
    op.execute("""
    CREATE FUNCTION ledger_check_journal() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE debits bigint; credits bigint; lines int;
    BEGIN
      SELECT coalesce(sum(amount_cents) FILTER (WHERE direction = 'debit'), 0),
             coalesce(sum(amount_cents) FILTER (WHERE direction = 'credit'), 0),
             count(*)
        INTO debits, credits, lines
        FROM ledger_entries WHERE org_id = NEW.org_id AND journal_id = NEW.journal_id;
      IF debits <> credits OR lines < 2 THEN
        RAISE EXCEPTION 'journal % is unbalanced: debits % cents, credits % cents, % lines',
          NEW.journal_id, debits, credits, lines USING ERRCODE = 'check_violation';
      END IF;
      RETURN NULL;
    END $$;
    CREATE CONSTRAINT TRIGGER journal_balanced AFTER INSERT ON ledger_entries
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_journal();
    """)

    # Login happens before any org is known. These two functions run as the NOLOGIN role
    # recoveryos_auth, which may read just the columns they return, through policies of
    # its own; recoveryos_app may call them but cannot read the rows directly.
    op.execute(f"""
    GRANT SELECT (id, org_id, email_bidx, password_hash, status, deleted_at) ON users TO {AUTH};
    GRANT SELECT (id, org_id, user_id, token_hash, expires_at, revoked_at) ON user_sessions TO {AUTH};
    CREATE POLICY auth_lookup ON users FOR SELECT TO {AUTH} USING (true);
    CREATE POLICY auth_lookup ON user_sessions FOR SELECT TO {AUTH} USING (true);

    CREATE FUNCTION auth_user_by_email(digest bytea)
      RETURNS TABLE (user_id uuid, org_id uuid, password_hash text, status text)
      LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
        SELECT u.id, u.org_id, u.password_hash, u.status::text FROM users u
         WHERE u.email_bidx = digest AND u.deleted_at IS NULL
    $$;
    CREATE FUNCTION auth_session(digest bytea)
      RETURNS TABLE (session_id uuid, user_id uuid, org_id uuid)
      LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
        SELECT s.id, s.user_id, s.org_id FROM user_sessions s
         WHERE s.token_hash = digest AND s.revoked_at IS NULL AND s.expires_at > now()
    $$;
    ALTER FUNCTION auth_user_by_email(bytea) OWNER TO {AUTH};
    ALTER FUNCTION auth_session(bytea) OWNER TO {AUTH};
    REVOKE ALL ON FUNCTION auth_user_by_email(bytea), auth_session(bytea) FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION auth_user_by_email(bytea), auth_session(bytea) TO {APP};
    """)


def downgrade() -> None:
    op.execute(f"""
    DROP FUNCTION auth_user_by_email(bytea);
    DROP FUNCTION auth_session(bytea);
    DROP POLICY auth_lookup ON users;
    DROP POLICY auth_lookup ON user_sessions;
    REVOKE ALL ON users, user_sessions FROM {AUTH};
    DROP TRIGGER journal_balanced ON ledger_entries;
    DROP FUNCTION ledger_check_journal();
    """)
    for t in APPEND_ONLY:
        op.execute(f"DROP TRIGGER append_only ON {t}; DROP TRIGGER append_only_truncate ON {t};")
    for t in CREATED_BY_ONLY:
        op.execute(f"DROP TRIGGER created_by ON {t}")
    for t in WITH_UPDATED_AT:
        op.execute(f"DROP TRIGGER audit_columns ON {t}")
    op.execute(
        "DROP FUNCTION forbid_change(); DROP FUNCTION set_created_by(); DROP FUNCTION set_audit_columns();"
    )
    for t in [*TENANT_TABLES, "organizations"]:
        op.execute(f"DROP POLICY tenant_isolation ON {t}")
        op.execute(
            f"ALTER TABLE {t} NO FORCE ROW LEVEL SECURITY; ALTER TABLE {t} DISABLE ROW LEVEL SECURITY;"
        )
        op.execute(f"REVOKE ALL ON {t} FROM {APP}")
    op.execute(f"""
    DROP FUNCTION app_current_user();
    DROP FUNCTION app_current_org();
    REVOKE ALL ON alembic_version FROM {APP};
    REVOKE USAGE ON SCHEMA public FROM {APP}, {AUTH};
    """)
    # The roles are cluster-wide and may serve other databases: they are left in place.
