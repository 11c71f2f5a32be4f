"""The bed board, kept in PostgreSQL between changes.

Building a 2,000-bed board means joining every bed to its stays, offers and occupants and
decrypting about 1,500 names: tens of milliseconds however it is written. Between two changes
to beds, stays, offers or occupants' names the answer is the same, so an org-wide read keeps it
here, one encrypted JSON fragment per house, and the next org-wide read of the same day sends
those fragments back after one indexed read.

- `bed_board_versions`: one counter per org, raised by the writer's own transaction whenever a
  property, house, room, bed, stay, waitlist offer or an occupant's name changes. The triggers
  are deferred to commit, so the counter row is the last lock a writer takes (no deadlock with
  the rows it changed), once per transaction, and it commits atomically with the change.
- `bed_board_snapshots`: which version a day's board was built from. A board is used only when
  its version is the org's current one; anything older is rebuilt.
- `bed_board_snapshot_houses`: the houses of a build, each as AES-256-GCM ciphertext of its JSON
  (occupants' first names and initials are PHI), with the ids of the occupants shown so reading
  it is audited like reading them, and the property, designation and order the filters need.

Only an org-wide session may read or write a snapshot (restrictive policy on `app.scope`):
a house manager's board is always built live, under the scope policies of migration 0011.
These are caches, not records: the app may delete from them, and nothing here is audited.

Revision ID: 0013_bed_board_cache
Revises: 0012_policy_initplans
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0013_bed_board_cache"
down_revision: str | None = "0012_policy_initplans"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP = "recoveryos_app"
CACHES = ("bed_board_versions", "bed_board_snapshots", "bed_board_snapshot_houses")

# Table -> the changes that can alter a board (UPDATE OF these columns; every insert/delete).
WATCHED: dict[str, str | None] = {
    "properties": None,
    "houses": None,
    "rooms": None,
    "beds": None,
    "bed_occupancies": None,
    "waitlist_entries": "status, offered_bed_id, offered_at, deleted_at",
    "residents": "first_name, last_name, deleted_at",
}


def _org(column: str) -> sa.Column[object]:
    return sa.Column(
        column,
        postgresql.UUID(as_uuid=True),
        sa.ForeignKey("organizations.id", ondelete="CASCADE"),
        nullable=False,
    )


def upgrade() -> None:
    op.create_table(
        "bed_board_versions",
        _org("org_id"),
        sa.Column("version", sa.BigInteger(), nullable=False, server_default="1"),
        sa.PrimaryKeyConstraint("org_id", name=op.f("pk_bed_board_versions")),
    )
    op.create_table(
        "bed_board_snapshots",
        _org("org_id"),
        sa.Column("on_date", sa.Date(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("built_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("org_id", "on_date", name=op.f("pk_bed_board_snapshots")),
    )
    op.create_table(
        "bed_board_snapshot_houses",
        _org("org_id"),
        sa.Column("on_date", sa.Date(), nullable=False),
        sa.Column("house_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("property_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("gender", postgresql.ENUM(name="house_gender", create_type=False), nullable=False),
        sa.Column("vacant", sa.Integer(), nullable=False),
        sa.Column("occupant_ids", postgresql.ARRAY(postgresql.UUID(as_uuid=True)), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("built_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("org_id", "on_date", "house_id", name=op.f("pk_bed_board_snapshot_houses")),
    )
    for table in CACHES:
        op.execute(
            f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY; ALTER TABLE {table} FORCE ROW LEVEL SECURITY;"
        )
        op.execute(
            f"CREATE POLICY tenant_isolation ON {table} "
            "USING (org_id = (SELECT app_current_org())) WITH CHECK (org_id = (SELECT app_current_org()))"
        )
        op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {APP}")
    for table in CACHES[1:]:
        op.execute(
            f"CREATE POLICY scope ON {table} AS RESTRICTIVE FOR ALL TO {APP} "
            "USING ((SELECT app_scope()) = 'org') WITH CHECK ((SELECT app_scope()) = 'org')"
        )

    # Once per transaction and org: the first trigger to fire at commit raises the counter and
    # notes it in a transaction-local setting; the rest of that commit's rows find the note.
    op.execute("""
    CREATE FUNCTION bed_board_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
      org uuid := CASE WHEN TG_OP = 'DELETE' THEN OLD.org_id ELSE NEW.org_id END;
    BEGIN
      IF current_setting('app.bed_board_changed', true) = org::text THEN
        RETURN NULL;
      END IF;
      INSERT INTO bed_board_versions AS v (org_id) VALUES (org)
        ON CONFLICT (org_id) DO UPDATE SET version = v.version + 1;
      PERFORM set_config('app.bed_board_changed', org::text, true);
      RETURN NULL;
    END $$;
    """)
    for table, columns in WATCHED.items():
        update = f"UPDATE OF {columns}" if columns else "UPDATE"
        op.execute(
            f"CREATE CONSTRAINT TRIGGER bed_board_changed AFTER INSERT OR {update} OR DELETE ON {table} "
            "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bed_board_changed()"
        )


def downgrade() -> None:
    for table in WATCHED:
        op.execute(f"DROP TRIGGER bed_board_changed ON {table}")
    op.execute("DROP FUNCTION bed_board_changed()")
    for table in reversed(CACHES):
        op.drop_table(table)
