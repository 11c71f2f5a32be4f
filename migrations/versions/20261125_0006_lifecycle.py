"""Resident lifecycle: bed occupancies as date ranges that PostgreSQL keeps from overlapping,
and how a discharge ended (`discharges.kind`).

Revision ID: 0006_lifecycle
Revises: 0005_auth_hardening
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006_lifecycle"
down_revision: str | None = "0005_auth_hardening"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP = "recoveryos_app"


def upgrade() -> None:
    # gist over a uuid needs btree_gist's operator classes (contrib; see README).
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    op.create_table(
        "bed_occupancies",
        sa.Column("bed_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("resident_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("admission_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("during", postgresql.DATERANGE(), nullable=False),
        sa.Column("id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("org_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("created_by", postgresql.UUID(as_uuid=True), nullable=True),
        sa.Column("updated_by", postgresql.UUID(as_uuid=True), nullable=True),
        sa.CheckConstraint("NOT lower_inf(during)", name=op.f("ck_bed_occupancies_starts")),
        sa.ForeignKeyConstraint(
            ["admission_id"],
            ["admissions.id"],
            name=op.f("fk_bed_occupancies_admission_id_admissions"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["bed_id"], ["beds.id"], name=op.f("fk_bed_occupancies_bed_id_beds"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_bed_occupancies_org_id_organizations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["residents.id"],
            name=op.f("fk_bed_occupancies_resident_id_residents"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bed_occupancies")),
        postgresql.ExcludeConstraint(
            (sa.column("bed_id"), "="),
            (sa.column("during"), "&&"),
            using="gist",
            name="ex_bed_occupancies_bed_id_during",
        ),
    )
    op.create_index(
        "ix_bed_occupancies_org_admission", "bed_occupancies", ["org_id", "admission_id"], unique=False
    )
    op.execute(
        "ALTER TABLE bed_occupancies ENABLE ROW LEVEL SECURITY; "
        "ALTER TABLE bed_occupancies FORCE ROW LEVEL SECURITY;"
    )
    op.execute(
        "CREATE POLICY tenant_isolation ON bed_occupancies "
        "USING (org_id = app_current_org()) WITH CHECK (org_id = app_current_org())"
    )
    # A range is closed (bed released), never removed: no DELETE, like every table.
    op.execute(f"GRANT SELECT, INSERT, UPDATE ON bed_occupancies TO {APP}")
    op.execute(
        "CREATE TRIGGER audit_columns BEFORE INSERT OR UPDATE ON bed_occupancies "
        "FOR EACH ROW EXECUTE FUNCTION set_audit_columns()"
    )

    op.add_column("discharges", sa.Column("kind", sa.Text(), nullable=True))
    op.create_check_constraint(
        op.f("ck_discharges_kind_known"),
        "discharges",
        "kind IS NULL OR kind IN ('planned', 'voluntary', 'administrative', 'left_without_notice')",
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_discharges_kind_known"), "discharges", type_="check")
    op.drop_column("discharges", "kind")
    op.drop_table("bed_occupancies")
    # The extension stays: other schemas may use it, and dropping it needs more than we own.
