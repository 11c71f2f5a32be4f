"""One card deposit per resident at a time.

Two staff members taking a resident's deposit by card at the same moment both passed the
"no deposit held yet" check and both charged the card; the second was never posted. A partial
unique index on payments (a card payment with no invoice is a deposit) now admits one pending,
processing or succeeded card deposit per resident: the second attempt is refused before any
PaymentIntent exists, as a 409 naming `deposit_resident_id`. A failed attempt leaves the index,
so the deposit can be tried again with another card.

Revision ID: 0014_one_card_deposit
Revises: 0013_bed_board_cache
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_one_card_deposit"
down_revision: str | None = "0013_bed_board_cache"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = "invoice_id IS NULL AND method = 'card' AND status IN ('pending', 'processing', 'succeeded')"


def upgrade() -> None:
    op.create_index(
        "uq_payments_deposit_resident_id",
        "payments",
        ["org_id", "resident_id"],
        unique=True,
        postgresql_where=sa.text(OPEN),
    )


def downgrade() -> None:
    op.drop_index("uq_payments_deposit_resident_id", table_name="payments")
