"""Documents and e-signature: the signature evidence trail, and signed documents frozen by the
database.

- `signature_events`: append-only (INSERT and SELECT only, the `forbid_change` trigger of
  0002_security refuses UPDATE, DELETE and TRUNCATE), tenant-isolated like every table.
- A signed document's content, hashes, file and version can never change: a trigger refuses
  it whoever asks. A signed or declined signature is evidence and is frozen the same way.
- A stored file's identity (bucket, key, SHA-256, size, type) never changes.
(`document_versions` is append-only since 0002_security.)

Revision ID: 0008_documents
Revises: 0007_billing
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008_documents"
down_revision: str | None = "0007_billing"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP = "recoveryos_app"


def upgrade() -> None:
    op.create_table(
        "signature_events",
        sa.Column("document_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("signature_id", postgresql.UUID(as_uuid=True), nullable=True),
        sa.Column("event", sa.Text(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_user_id", postgresql.UUID(as_uuid=True), nullable=True),
        sa.Column("signer_role", sa.Text(), nullable=True),
        sa.Column("ip_address", sa.LargeBinary(), nullable=True),
        sa.Column("user_agent", sa.Text(), nullable=True),
        sa.Column("sha256_before", sa.LargeBinary(), nullable=False),
        sa.Column("sha256_after", sa.LargeBinary(), nullable=False),
        sa.Column("event_key", sa.Text(), nullable=False),
        sa.Column("id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("org_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.CheckConstraint(
            "event IN ('sent', 'reminded', 'viewed', 'consented', 'signed', 'declined', 'expired', "
            "'voided', 'completed')",
            name=op.f("ck_signature_events_event_known"),
        ),
        sa.CheckConstraint(
            "octet_length(sha256_before) = 32 AND octet_length(sha256_after) = 32",
            name=op.f("ck_signature_events_sha256_length"),
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_signature_events_document_id_documents"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["signature_id"],
            ["signatures.id"],
            name=op.f("fk_signature_events_signature_id_signatures"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_signature_events_org_id_organizations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signature_events")),
        sa.UniqueConstraint("org_id", "event_key", name="uq_signature_events_org_event_key"),
    )
    op.create_index(
        "ix_signature_events_org_document",
        "signature_events",
        ["org_id", "document_id", "occurred_at"],
        unique=False,
    )
    op.execute(
        "ALTER TABLE signature_events ENABLE ROW LEVEL SECURITY; "
        "ALTER TABLE signature_events FORCE ROW LEVEL SECURITY;"
    )
    op.execute(
        "CREATE POLICY tenant_isolation ON signature_events "
        "USING (org_id = app_current_org()) WITH CHECK (org_id = app_current_org())"
    )
    op.execute(f"GRANT SELECT, INSERT ON signature_events TO {APP}")
    op.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON signature_events FROM PUBLIC, {APP}")
    op.execute(
        "CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON signature_events "
        "FOR EACH ROW EXECUTE FUNCTION forbid_change()"
    )
    op.execute(
        "CREATE TRIGGER append_only_truncate BEFORE TRUNCATE ON signature_events "
        "FOR EACH STATEMENT EXECUTE FUNCTION forbid_change()"
    )

    op.execute("""
    CREATE FUNCTION documents_freeze_signed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
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
    CREATE TRIGGER freeze_signed BEFORE UPDATE ON documents
      FOR EACH ROW WHEN (OLD.status IN ('signed', 'archived'))
      EXECUTE FUNCTION documents_freeze_signed();

    CREATE FUNCTION signatures_freeze_final() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION 'signature % is % and cannot change', OLD.id, OLD.status
        USING ERRCODE = 'insufficient_privilege';
    END $$;
    CREATE TRIGGER freeze_final BEFORE UPDATE ON signatures
      FOR EACH ROW WHEN (OLD.status IN ('signed', 'declined'))
      EXECUTE FUNCTION signatures_freeze_final();

    CREATE FUNCTION file_uploads_freeze_identity() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.bucket IS DISTINCT FROM OLD.bucket OR NEW.storage_key IS DISTINCT FROM OLD.storage_key
         OR NEW.sha256 IS DISTINCT FROM OLD.sha256 OR NEW.size_bytes IS DISTINCT FROM OLD.size_bytes
         OR NEW.content_type IS DISTINCT FROM OLD.content_type THEN
        RAISE EXCEPTION 'file % cannot change its content', OLD.id USING ERRCODE = 'insufficient_privilege';
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER freeze_identity BEFORE UPDATE ON file_uploads
      FOR EACH ROW EXECUTE FUNCTION file_uploads_freeze_identity();
    """)


def downgrade() -> None:
    op.execute("""
    DROP TRIGGER freeze_identity ON file_uploads;
    DROP FUNCTION file_uploads_freeze_identity();
    DROP TRIGGER freeze_final ON signatures;
    DROP FUNCTION signatures_freeze_final();
    DROP TRIGGER freeze_signed ON documents;
    DROP FUNCTION documents_freeze_signed();
    """)
    op.drop_table("signature_events")
