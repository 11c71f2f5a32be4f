"""Retention and destruction: a retention policy per record type (not only per document type),
legal holds per resident or breach incident, and destruction runs (a dry-run listing, the
confirmation of a named person, what was destroyed, the certificate's digest).

`retention_policies` gains `record_type` (document, resident, breach_incident, audit_log); a
policy of a document type keeps its `document_type`, the others have none, and each org has at
most one live policy per record type. `retain_from` may also be `decided` (a breach incident's
decision).

`legal_holds` names a resident or a breach incident (exactly one) with the reason it was placed
and, once lifted, the reason it was lifted (both encrypted: a hold's reason names litigation or
an investigation about a person). Scoped like every table that names a resident.

`destruction_runs` holds one run per org and day: the ids it listed per record type (ids only),
its counts, who confirmed it and when, what was destroyed and skipped, and the digest of the
destruction certificate. Org-wide roles only (scope 'org').

Erasure under a confirmed run: a signed document's content, its versions' content and change
summaries and its signatures' personal fields were frozen by triggers (0002, 0008). Each trigger
now lets exactly one change through: the PHI columns set to NULL, nothing else changed, inside a
transaction that names (`recoveryos.destruction_run`) a confirmed run whose listing holds that
document. A version keeps its content digest and gains `erased_at`, which its content check
accepts in place of content. Everything else stays refused.

Revision ID: 0023_retention
Revises: 0022_events_out
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0023_retention"
down_revision: str | None = "0022_events_out"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP = "recoveryos_app"
RESIDENT_SCOPE = "(SELECT app_scope()) = 'org' OR (resident_id IN (SELECT x.id FROM residents x))"
ORG_SCOPE = "(SELECT app_scope()) = 'org'"
RECORD_TYPES = "('document', 'resident', 'breach_incident', 'audit_log')"
RETAIN_FROM_OLD = "retain_from IN ('created', 'signed', 'expired', 'discharge')"
RETAIN_FROM_NEW = "retain_from IN ('created', 'signed', 'expired', 'discharge', 'decided')"


def _audit_columns() -> list[sa.Column]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by", sa.UUID(), nullable=True),
        sa.Column("updated_by", sa.UUID(), nullable=True),
    ]


def _tenant_table(table: str, scope: str) -> None:
    op.execute(f"""
    ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
    ALTER TABLE {table} FORCE ROW LEVEL SECURITY;
    CREATE POLICY tenant_isolation ON {table}
      USING (org_id = (SELECT app_current_org())) WITH CHECK (org_id = (SELECT app_current_org()));
    CREATE POLICY scope ON {table} AS RESTRICTIVE FOR ALL TO {APP} USING ({scope});
    GRANT SELECT, INSERT, UPDATE ON {table} TO {APP};
    CREATE TRIGGER audit_columns BEFORE INSERT OR UPDATE ON {table}
      FOR EACH ROW EXECUTE FUNCTION set_audit_columns();
    """)


def _users_fk(table: str, column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], ["users.id"], name=op.f(f"fk_{table}_{column}_users"), ondelete="RESTRICT"
    )


DOCUMENTS_FREEZE = """
    CREATE OR REPLACE FUNCTION documents_freeze_signed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      {erase}
      IF NEW.content IS DISTINCT FROM OLD.content
         OR NEW.content_sha256 IS DISTINCT FROM OLD.content_sha256
         OR NEW.file_upload_id IS DISTINCT FROM OLD.file_upload_id
         OR NEW.current_version IS DISTINCT FROM OLD.current_version
         OR NEW.resident_id IS DISTINCT FROM OLD.resident_id
         OR NEW.title IS DISTINCT FROM OLD.title
         OR NEW.status NOT IN ('signed', 'archived') THEN
        RAISE EXCEPTION 'document % is signed and cannot change', OLD.id
          USING ERRCODE = 'insufficient_privilege';
      END IF;
      RETURN NEW;
    END $$;
"""
DOCUMENTS_ERASE = """IF NEW.content IS NULL
         AND NEW.content_sha256 IS NOT DISTINCT FROM OLD.content_sha256
         AND NEW.file_upload_id IS NOT DISTINCT FROM OLD.file_upload_id
         AND NEW.current_version = OLD.current_version
         AND NEW.resident_id IS NOT DISTINCT FROM OLD.resident_id
         AND NEW.title = OLD.title AND NEW.status = OLD.status
         AND retention_erasing('document', OLD.id) THEN
        RETURN NEW;
      END IF;"""

SIGNATURES_FREEZE = """
    CREATE OR REPLACE FUNCTION signatures_freeze_final() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      {erase}
      RAISE EXCEPTION 'signature % is % and cannot change', OLD.id, OLD.status
        USING ERRCODE = 'insufficient_privilege';
    END $$;
"""
SIGNATURES_ERASE = """IF NEW.signer_name IS NULL AND NEW.signer_email IS NULL AND NEW.signer_email_bidx IS NULL
         AND NEW.signature_image IS NULL AND NEW.typed_signature IS NULL
         AND NEW.decline_reason IS NULL AND NEW.ip_address IS NULL
         AND NEW.document_id = OLD.document_id AND NEW.status = OLD.status
         AND NEW.signed_at IS NOT DISTINCT FROM OLD.signed_at
         AND NEW.declined_at IS NOT DISTINCT FROM OLD.declined_at
         AND NEW.signed_content_sha256 IS NOT DISTINCT FROM OLD.signed_content_sha256
         AND retention_erasing('document', OLD.document_id) THEN
        RETURN NEW;
      END IF;"""


def upgrade() -> None:
    # --- policies per record type -------------------------------------------------------------
    t = "retention_policies"
    op.add_column(t, sa.Column("record_type", sa.Text(), server_default="document", nullable=False))
    op.alter_column(t, "document_type", nullable=True)
    op.create_check_constraint(
        op.f("ck_retention_policies_record_type_known"), t, f"record_type IN {RECORD_TYPES}"
    )
    op.create_check_constraint(
        op.f("ck_retention_policies_document_type_iff_document"),
        t,
        "(record_type = 'document') = (document_type IS NOT NULL)",
    )
    op.drop_constraint(op.f("ck_retention_policies_retain_from_known"), t, type_="check")
    op.create_check_constraint(op.f("ck_retention_policies_retain_from_known"), t, RETAIN_FROM_NEW)
    op.create_index(
        "uq_retention_policies_org_record_type_live",
        t,
        ["org_id", "record_type"],
        unique=True,
        postgresql_where=sa.text("record_type <> 'document' AND deleted_at IS NULL"),
    )

    # --- legal holds ----------------------------------------------------------------------------
    op.create_table(
        "legal_holds",
        sa.Column("resident_id", sa.UUID(), nullable=True),
        sa.Column("breach_incident_id", sa.UUID(), nullable=True),
        sa.Column("reason", sa.LargeBinary(), nullable=False),
        sa.Column("placed_by_user_id", sa.UUID(), nullable=True),
        sa.Column("placed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lifted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lifted_by_user_id", sa.UUID(), nullable=True),
        sa.Column("lift_reason", sa.LargeBinary(), nullable=True),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("org_id", sa.UUID(), nullable=False),
        *_audit_columns(),
        sa.CheckConstraint(
            "num_nonnulls(resident_id, breach_incident_id) = 1", name=op.f("ck_legal_holds_one_subject")
        ),
        sa.CheckConstraint(
            "lifted_at IS NULL OR lift_reason IS NOT NULL", name=op.f("ck_legal_holds_lifted_has_reason")
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["residents.id"],
            name=op.f("fk_legal_holds_resident_id_residents"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["breach_incident_id"],
            ["breach_incidents.id"],
            name=op.f("fk_legal_holds_breach_incident_id_breach_incidents"),
            ondelete="RESTRICT",
        ),
        _users_fk("legal_holds", "placed_by_user_id"),
        _users_fk("legal_holds", "lifted_by_user_id"),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_legal_holds_org_id_organizations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legal_holds")),
    )
    op.create_index(
        "ix_legal_holds_org_resident_active",
        "legal_holds",
        ["org_id", "resident_id"],
        postgresql_where=sa.text("lifted_at IS NULL AND resident_id IS NOT NULL"),
    )
    op.create_index(
        "ix_legal_holds_org_incident_active",
        "legal_holds",
        ["org_id", "breach_incident_id"],
        postgresql_where=sa.text("lifted_at IS NULL AND breach_incident_id IS NOT NULL"),
    )
    _tenant_table("legal_holds", RESIDENT_SCOPE)

    # --- destruction runs -----------------------------------------------------------------------
    jsonb_map = sa.text("'{}'::jsonb")
    op.create_table(
        "destruction_runs",
        sa.Column("run_on", sa.Date(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("listing", postgresql.JSONB(), server_default=jsonb_map, nullable=False),
        sa.Column("counts", postgresql.JSONB(), server_default=jsonb_map, nullable=False),
        sa.Column("destroyed", postgresql.JSONB(), server_default=jsonb_map, nullable=False),
        sa.Column("skipped", postgresql.JSONB(), server_default=jsonb_map, nullable=False),
        sa.Column("workflow_id", sa.Text(), nullable=True),
        sa.Column("listed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("confirmed_by_user_id", sa.UUID(), nullable=True),
        sa.Column("destroyed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("certificate_sha256", sa.LargeBinary(), nullable=True),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("org_id", sa.UUID(), nullable=False),
        *_audit_columns(),
        sa.CheckConstraint(
            "status IN ('listed', 'confirmed', 'destroyed', 'declined', 'lapsed')",
            name=op.f("ck_destruction_runs_status_known"),
        ),
        sa.CheckConstraint(
            "status NOT IN ('confirmed', 'destroyed') OR confirmed_at IS NOT NULL",
            name=op.f("ck_destruction_runs_confirmed_has_time"),
        ),
        sa.CheckConstraint(
            "certificate_sha256 IS NULL OR octet_length(certificate_sha256) = 32",
            name=op.f("ck_destruction_runs_sha256_length"),
        ),
        _users_fk("destruction_runs", "confirmed_by_user_id"),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_destruction_runs_org_id_organizations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_destruction_runs")),
        sa.UniqueConstraint("org_id", "run_on", name=op.f("uq_destruction_runs_org_id_run_on")),
    )
    _tenant_table("destruction_runs", ORG_SCOPE)

    # --- erasure through the frozen tables, only under a confirmed run that listed it ----------
    op.execute("""
    CREATE FUNCTION retention_erasing(kind text, record_id uuid) RETURNS boolean
      LANGUAGE sql STABLE AS $$
      SELECT EXISTS (
        SELECT 1 FROM destruction_runs r
        WHERE r.id = nullif(current_setting('recoveryos.destruction_run', true), '')::uuid
          AND r.status = 'confirmed'
          AND (r.listing -> kind) ? record_id::text)
    $$;
    """)
    op.execute(DOCUMENTS_FREEZE.format(erase=DOCUMENTS_ERASE))
    op.execute(SIGNATURES_FREEZE.format(erase=SIGNATURES_ERASE))
    op.add_column("document_versions", sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))
    op.drop_constraint(op.f("ck_document_versions_has_content"), "document_versions", type_="check")
    op.create_check_constraint(
        op.f("ck_document_versions_has_content"),
        "document_versions",
        "content IS NOT NULL OR file_upload_id IS NOT NULL OR erased_at IS NOT NULL",
    )
    op.execute(f"""
    CREATE FUNCTION document_versions_erase_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'UPDATE' AND NEW.content IS NULL AND NEW.change_summary IS NULL
         AND NEW.erased_at IS NOT NULL AND NEW.id = OLD.id AND NEW.org_id = OLD.org_id
         AND NEW.document_id = OLD.document_id AND NEW.version_no = OLD.version_no
         AND NEW.content_sha256 = OLD.content_sha256
         AND NEW.file_upload_id IS NOT DISTINCT FROM OLD.file_upload_id
         AND NEW.created_at = OLD.created_at AND NEW.created_by IS NOT DISTINCT FROM OLD.created_by
         AND retention_erasing('document', OLD.document_id) THEN
        RETURN NEW;
      END IF;
      RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
    END $$;
    DROP TRIGGER append_only ON document_versions;
    CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON document_versions
      FOR EACH ROW EXECUTE FUNCTION document_versions_erase_only();
    GRANT UPDATE (content, change_summary, erased_at) ON document_versions TO {APP};
    """)


def downgrade() -> None:
    op.execute(f"""
    REVOKE UPDATE (content, change_summary, erased_at) ON document_versions FROM {APP};
    DROP TRIGGER append_only ON document_versions;
    CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON document_versions
      FOR EACH ROW EXECUTE FUNCTION forbid_change();
    DROP FUNCTION document_versions_erase_only();
    """)
    op.drop_constraint(op.f("ck_document_versions_has_content"), "document_versions", type_="check")
    op.create_check_constraint(
        op.f("ck_document_versions_has_content"),
        "document_versions",
        "content IS NOT NULL OR file_upload_id IS NOT NULL",
    )
    op.drop_column("document_versions", "erased_at")
    op.execute(SIGNATURES_FREEZE.format(erase=""))
    op.execute(DOCUMENTS_FREEZE.format(erase=""))
    op.execute("DROP FUNCTION retention_erasing(text, uuid)")
    op.drop_table("destruction_runs")
    op.drop_table("legal_holds")
    t = "retention_policies"
    op.drop_index("uq_retention_policies_org_record_type_live", table_name=t)
    op.drop_constraint(op.f("ck_retention_policies_retain_from_known"), t, type_="check")
    op.create_check_constraint(op.f("ck_retention_policies_retain_from_known"), t, RETAIN_FROM_OLD)
    op.drop_constraint(op.f("ck_retention_policies_document_type_iff_document"), t, type_="check")
    op.drop_constraint(op.f("ck_retention_policies_record_type_known"), t, type_="check")
    op.execute("DELETE FROM retention_policies WHERE record_type <> 'document'")
    op.alter_column(t, "document_type", nullable=False)
    op.drop_column(t, "record_type")
