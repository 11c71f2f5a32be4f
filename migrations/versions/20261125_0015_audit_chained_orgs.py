"""Anchoring every chain: the orgs that have one, whoever chained it.

The worker started an org's anchor workflow only after chaining that org's events itself,
so a chain written by the seed, an import or a migration had no anchor and its last entries
(or all of it) could be deleted unnoticed. `audit_chained_orgs()` lists, ids only, the orgs
whose chain has at least one entry, so the worker's anchor sweep can start an anchor for
each without seeing any other org's rows. It walks the (org_id, seq) index one org at a
time, so its cost grows with the number of orgs, not of entries.

Revision ID: 0015_audit_chained_orgs
Revises: 0014_one_card_deposit
Create Date: 2026-11-25
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015_audit_chained_orgs"
down_revision: str | None = "0014_one_card_deposit"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP = "recoveryos_app"
AUDIT = "recoveryos_audit"


def upgrade() -> None:
    op.execute(f"""
    -- The anchor sweep's lookup of orgs with a chain: ids only, through audit_chained_orgs().
    CREATE POLICY anchor_scan ON audit_logs FOR SELECT TO {AUDIT} USING (true);

    CREATE FUNCTION audit_chained_orgs() RETURNS SETOF uuid
      LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
        WITH RECURSIVE o(id) AS (
          (SELECT org_id FROM audit_logs ORDER BY org_id LIMIT 1)
          UNION ALL
          SELECT (SELECT org_id FROM audit_logs WHERE org_id > o.id ORDER BY org_id LIMIT 1)
            FROM o WHERE o.id IS NOT NULL
        )
        SELECT id FROM o WHERE id IS NOT NULL
    $$;
    ALTER FUNCTION audit_chained_orgs() OWNER TO {AUDIT};
    REVOKE ALL ON FUNCTION audit_chained_orgs() FROM PUBLIC;
    GRANT EXECUTE ON FUNCTION audit_chained_orgs() TO {APP};
    """)


def downgrade() -> None:
    op.execute("""
    DROP FUNCTION audit_chained_orgs();
    DROP POLICY anchor_scan ON audit_logs;
    """)
