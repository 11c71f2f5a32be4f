"""A house's random drug-test draw settings, changed over the API from the next day's draw on.

- `houses.random_tests_enabled`: whether the house draws at all (a house may keep its rate and
  cap while it stops drawing).
- `houses.random_test_settings_from`: the first draw day the house's current rate, cap and
  enabled flag apply to (null: always have).
- `houses.random_test_settings_before`: the settings draws before that day use, so a change made
  today leaves today's draw as it was announced.

Revision ID: 0030_safety_more
Revises: 0026_operations_safety
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0030_safety_more"
down_revision: str | None = "0026_operations_safety"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "houses",
        sa.Column("random_tests_enabled", sa.Boolean(), server_default=sa.text("true"), nullable=False),
    )
    op.add_column("houses", sa.Column("random_test_settings_from", sa.Date(), nullable=True))
    op.add_column(
        "houses",
        sa.Column("random_test_settings_before", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    )


def downgrade() -> None:
    for column in ("random_test_settings_before", "random_test_settings_from", "random_tests_enabled"):
        op.drop_column("houses", column)
