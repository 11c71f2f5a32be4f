"""Scoped roles: a role assigned to a property or a house sees only that part of the org, and
the `resident` role sees only its own record, enforced by PostgreSQL.

Every tenant transaction states its scope next to its org (core/db.py `set_tenant`):

  app.scope         'org' (every row of the org), 'houses' or 'resident'
  app.house_ids     the houses a 'houses' scope covers (house assignments, and every house of
                    an assigned property), as a uuid[] literal
  app.property_ids  the properties those houses are in, and the assigned properties
  app.resident_id   the resident a 'resident' scope is

An unset scope matches no row of a scoped table (fail closed, like an unset org). Workflows,
the seed and the CLI say 'org'; an API request says what `auth_resolve` found in the same
single statement that resolves its session, so the hot read path gains no query and no write.

The policies below are RESTRICTIVE and apply to recoveryos_app only: they narrow the tenant
policy of migration 0002, never widen it, and leave recoveryos_auth's lookups alone. A scope
of 'org' short-circuits each of them before any subquery runs.

Revision ID: 0011_scoped_roles
Revises: 0008_documents
Create Date: 2026-11-25
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011_scoped_roles"
down_revision: str | None = "0010_deposits_reconciliation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP = "recoveryos_app"
AUTH = "recoveryos_auth"

ORG = "app_scope() = 'org'"
HOUSES = "app_scope_houses()"
ME = "app_scope_resident()"

# Table -> who besides an org-wide scope may see (and write) a row. Subqueries read other
# scoped tables, whose own policies apply; nothing refers back, so there is no recursion.
SCOPED: dict[str, str] = {
    "properties": "id = ANY(app_scope_properties())",
    "houses": f"id = ANY({HOUSES})",
    "rooms": f"house_id = ANY({HOUSES})",
    "beds": f"room_id IN (SELECT r.id FROM rooms r WHERE r.house_id = ANY({HOUSES}))",
    "admissions": f"house_id = ANY({HOUSES}) OR resident_id = {ME}",
    "residents": (
        f"current_house_id = ANY({HOUSES}) OR id = {ME} "
        f"OR id IN (SELECT a.resident_id FROM admissions a WHERE a.house_id = ANY({HOUSES}))"
    ),
    "leads": (
        f"house_preference_id = ANY({HOUSES}) "
        f"OR (app_scope() = 'houses' AND assigned_to_user_id = app_current_user()) "
        f"OR id IN (SELECT a.lead_id FROM admissions a WHERE a.house_id = ANY({HOUSES}))"
    ),
    "waitlist_entries": (
        f"house_id = ANY({HOUSES}) OR resident_id = {ME} "
        f"OR admission_id IN (SELECT a.id FROM admissions a WHERE a.house_id = ANY({HOUSES}))"
    ),
    "bed_transfers": f"from_house_id = ANY({HOUSES}) OR to_house_id = ANY({HOUSES}) OR resident_id = {ME}",
    "discharges": f"house_id = ANY({HOUSES}) OR resident_id = {ME}",
    "bed_occupancies": (
        f"resident_id = {ME} OR bed_id IN (SELECT b.id FROM beds b JOIN rooms r ON r.id = b.room_id "
        f"WHERE r.house_id = ANY({HOUSES}))"
    ),
    "resident_status_history": f"resident_id = {ME} OR resident_id IN (SELECT x.id FROM residents x)",
    "resident_contacts": f"resident_id = {ME} OR resident_id IN (SELECT x.id FROM residents x)",
    # Billing is not house-scoped; a resident sees only their own invoices.
    "invoices": f"app_scope() <> 'resident' OR resident_id = {ME}",
}

OLD_RESOLVE = f"""
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
    ALTER FUNCTION auth_resolve(bytea, double precision, double precision) OWNER TO {AUTH};
    REVOKE ALL ON FUNCTION auth_resolve(bytea, double precision, double precision) FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION auth_resolve(bytea, double precision, double precision) TO {APP};
"""

# The session, its roles and now its scope, still in one statement. Staff assignments
# decide: any org-wide one gives 'org'; otherwise the union of their houses (a property
# assignment covers every house of the property; a house one, that house). A user with only
# the resident role gets 'resident'; a user with no role at all gets an empty 'houses' scope.
NEW_RESOLVE = f"""
    CREATE FUNCTION auth_resolve(digest bytea, idle_seconds double precision, touch_seconds double precision)
      RETURNS TABLE (session_id uuid, user_id uuid, org_id uuid, resident_id uuid,
                     roles text[], mfa_pending boolean,
                     scope text, house_ids uuid[], property_ids uuid[])
      LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
        WITH live AS (
          SELECT s.id, s.user_id, s.org_id, s.mfa_pending, s.last_seen_at FROM user_sessions s
           WHERE s.token_hash = digest AND s.revoked_at IS NULL AND s.expires_at > now()
             AND s.last_seen_at > now() - make_interval(secs => idle_seconds)
        ), touched AS (
          UPDATE user_sessions t SET last_seen_at = now() FROM live
           WHERE t.id = live.id AND live.last_seen_at < now() - make_interval(secs => touch_seconds)
          RETURNING t.id
        ), ra AS (
          SELECT r.role::text AS role, r.property_id, r.house_id FROM role_assignments r JOIN live
              ON r.user_id = live.user_id AND r.org_id = live.org_id
           WHERE r.deleted_at IS NULL
        ), staff_houses AS (
          SELECT h.id, h.property_id FROM houses h JOIN live ON h.org_id = live.org_id
           WHERE EXISTS (SELECT 1 FROM ra WHERE ra.role <> 'resident'
                           AND (ra.house_id = h.id OR (ra.house_id IS NULL AND ra.property_id = h.property_id)))
        )
        SELECT live.id, live.user_id, live.org_id, u.resident_id,
               coalesce(array(SELECT ra.role FROM ra), '{{}}'),
               live.mfa_pending,
               CASE WHEN EXISTS (SELECT 1 FROM ra WHERE ra.role <> 'resident'
                                   AND ra.property_id IS NULL AND ra.house_id IS NULL) THEN 'org'
                    WHEN EXISTS (SELECT 1 FROM ra WHERE ra.role <> 'resident') THEN 'houses'
                    WHEN EXISTS (SELECT 1 FROM ra WHERE ra.role = 'resident') THEN 'resident'
                    ELSE 'houses' END,
               array(SELECT sh.id FROM staff_houses sh ORDER BY sh.id),
               array(SELECT p FROM (SELECT sh.property_id AS p FROM staff_houses sh
                                    UNION SELECT ra.property_id FROM ra
                                           WHERE ra.role <> 'resident' AND ra.property_id IS NOT NULL) x
                      ORDER BY p)
          FROM live JOIN users u ON u.id = live.user_id
         WHERE u.deleted_at IS NULL AND u.status = 'active'
    $$;
    ALTER FUNCTION auth_resolve(bytea, double precision, double precision) OWNER TO {AUTH};
    REVOKE ALL ON FUNCTION auth_resolve(bytea, double precision, double precision) FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION auth_resolve(bytea, double precision, double precision) TO {APP};
"""


def upgrade() -> None:
    # NULL when unset: every comparison with them is then false (fail closed).
    op.execute("""
    CREATE FUNCTION app_scope() RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS
      $$ SELECT NULLIF(current_setting('app.scope', true), '') $$;
    CREATE FUNCTION app_scope_houses() RETURNS uuid[] LANGUAGE sql STABLE PARALLEL SAFE AS
      $$ SELECT NULLIF(current_setting('app.house_ids', true), '')::uuid[] $$;
    CREATE FUNCTION app_scope_properties() RETURNS uuid[] LANGUAGE sql STABLE PARALLEL SAFE AS
      $$ SELECT NULLIF(current_setting('app.property_ids', true), '')::uuid[] $$;
    CREATE FUNCTION app_scope_resident() RETURNS uuid LANGUAGE sql STABLE PARALLEL SAFE AS
      $$ SELECT NULLIF(current_setting('app.resident_id', true), '')::uuid $$;
    """)
    for table, rule in SCOPED.items():
        op.execute(
            f"CREATE POLICY scope ON {table} AS RESTRICTIVE FOR ALL TO {APP} "
            f"USING ({ORG} OR {rule}) WITH CHECK ({ORG} OR {rule})"
        )

    op.execute(f"""
    GRANT SELECT (property_id, house_id) ON role_assignments TO {AUTH};
    GRANT SELECT (id, org_id, property_id) ON houses TO {AUTH};
    CREATE POLICY auth_lookup ON houses FOR SELECT TO {AUTH} USING (true);
    DROP FUNCTION auth_resolve(bytea, double precision, double precision);
    """)
    op.execute(NEW_RESOLVE)


def downgrade() -> None:
    op.execute("DROP FUNCTION auth_resolve(bytea, double precision, double precision)")
    op.execute(OLD_RESOLVE)
    op.execute(f"""
    DROP POLICY auth_lookup ON houses;
    REVOKE SELECT (id, org_id, property_id) ON houses FROM {AUTH};
    REVOKE SELECT (property_id, house_id) ON role_assignments FROM {AUTH};
    """)
    for table in SCOPED:
        op.execute(f"DROP POLICY scope ON {table}")
    op.execute("""
    DROP FUNCTION app_scope_resident();
    DROP FUNCTION app_scope_properties();
    DROP FUNCTION app_scope_houses();
    DROP FUNCTION app_scope();
    """)
