"""Billing: rates per house, room or bed that cannot overlap in time, receipt numbers.

Revision ID: 0007_billing
Revises: 0006_lifecycle
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_billing"
down_revision: str | None = "0006_lifecycle"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Equality on uuid and enum columns inside a GiST index needs btree_gist.
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    op.add_column("rate_configs", sa.Column("room_id", sa.UUID(), nullable=True))
    op.create_foreign_key(
        op.f("fk_rate_configs_room_id_rooms"),
        "rate_configs",
        "rooms",
        ["room_id"],
        ["id"],
        ondelete="RESTRICT",
    )
    op.drop_constraint(op.f("ck_rate_configs_one_scope"), "rate_configs", type_="check")
    op.create_check_constraint(
        op.f("ck_rate_configs_one_scope"), "rate_configs", "num_nonnulls(house_id, room_id, bed_id) = 1"
    )
    op.create_index(
        "ix_rate_configs_org_room_from_live",
        "rate_configs",
        ["org_id", "room_id", "effective_from_date"],
        postgresql_where=sa.text("room_id IS NOT NULL AND deleted_at IS NULL"),
    )
    op.execute(
        "ALTER TABLE rate_configs ADD CONSTRAINT ex_rate_configs_target_period EXCLUDE USING gist ("
        "coalesce(bed_id, room_id, house_id) WITH =, line_type WITH =, "
        "daterange(effective_from_date, effective_to_date, '[)') WITH &&"
        ") WHERE (deleted_at IS NULL)"
    )
    op.add_column("payments", sa.Column("receipt_number", sa.Text(), nullable=True))
    op.create_index(
        "uq_payments_org_receipt_number",
        "payments",
        ["org_id", "receipt_number"],
        unique=True,
        postgresql_where=sa.text("receipt_number IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("uq_payments_org_receipt_number", table_name="payments")
    op.drop_column("payments", "receipt_number")
    op.execute("ALTER TABLE rate_configs DROP CONSTRAINT ex_rate_configs_target_period")
    op.drop_index("ix_rate_configs_org_room_from_live", table_name="rate_configs")
    op.drop_constraint(op.f("ck_rate_configs_one_scope"), "rate_configs", type_="check")
    # Fails while room-scoped rates exist: move them to their beds first rather than lose them.
    op.create_check_constraint(
        op.f("ck_rate_configs_one_scope"), "rate_configs", "num_nonnulls(house_id, bed_id) = 1"
    )
    op.drop_constraint(op.f("fk_rate_configs_room_id_rooms"), "rate_configs", type_="foreignkey")
    op.drop_column("rate_configs", "room_id")
    # btree_gist stays: other constraints (bed occupancy) may use it.
