"""Worker heartbeats: each worker process writes its row every couple of seconds, and `/ready`
answers 503 within seconds of the last worker's death (Temporal lists a killed worker's pollers
for minutes). A platform table: no org, read and written by the app role only.

Revision ID: 0018_worker_heartbeats
Revises: 0017_scope_everywhere
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018_worker_heartbeats"
down_revision: str | None = "0017_scope_everywhere"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP = "recoveryos_app"


def upgrade() -> None:
    op.create_table(
        "worker_heartbeats",
        sa.Column("worker_id", sa.Text(), nullable=False),
        sa.Column("task_queue", sa.Text(), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("worker_id", name=op.f("pk_worker_heartbeats")),
    )
    op.create_index("ix_worker_heartbeats_queue_seen", "worker_heartbeats", ["task_queue", "seen_at"])
    op.execute(f"""
    ALTER TABLE worker_heartbeats ENABLE ROW LEVEL SECURITY;
    ALTER TABLE worker_heartbeats FORCE ROW LEVEL SECURITY;
    CREATE POLICY workers ON worker_heartbeats TO {APP} USING (true) WITH CHECK (true);
    GRANT SELECT, INSERT, UPDATE ON worker_heartbeats TO {APP};
    """)


def downgrade() -> None:
    op.drop_table("worker_heartbeats")
