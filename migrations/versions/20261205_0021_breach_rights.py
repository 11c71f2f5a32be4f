"""Breach response and the rights of access and amendment on durable clocks: what
`breach_incidents`, `baa_records` and `data_access_requests` lacked.

An incident now keeps the privacy officer's four-factor assessment (encrypted), the encryption
safe harbour and the decision with its six-year retention, the counts the clocks need (by
state, unreachable), the notice letters' content (encrypted) and their files' digests
(encrypted: who was in a breach is PHI), every obligation with its due and done times, the
law-enforcement delays (the oral statement's official, encrypted, as §164.412(b) asks), the
business associate's report and the closing report's digest. A business associate agreement
gains the notice period it sets for its breaches (at most the 60 days of §164.410(b)).

An access request keeps the written reason of its one extension (encrypted) and when the
resident was given it, a denial's grounds and whether it may be reviewed, the digests of the
export and the denial letter, and when its download link expires; an amendment request keeps
the field and value asked for (encrypted), the people to tell (encrypted) and when they were
told, and the resident's statement of disagreement with a denial (encrypted).

No new table: these tables already carry forced row-level security and the staff-only scope of
rows that name no resident or place (0017).

Revision ID: 0021_breach_rights
Revises: 0020_part2_consent
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0021_breach_rights"
down_revision: str | None = "0020_part2_consent"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_LIST = sa.text("'[]'::jsonb")
JSON_MAP = sa.text("'{}'::jsonb")


def upgrade() -> None:
    t = "breach_incidents"
    op.add_column(t, sa.Column("assessment", sa.LargeBinary(), nullable=True))
    op.add_column(t, sa.Column("safe_harbour", sa.Boolean(), nullable=True))
    op.add_column(t, sa.Column("notifiable", sa.Boolean(), nullable=True))
    op.add_column(t, sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        t,
        sa.Column(
            "decided_by_user_id",
            sa.UUID(),
            sa.ForeignKey(
                "users.id", name="fk_breach_incidents_decided_by_user_id_users", ondelete="RESTRICT"
            ),
            nullable=True,
        ),
    )
    op.add_column(t, sa.Column("retain_until_date", sa.Date(), nullable=True))
    op.add_column(
        t, sa.Column("affected_by_state", postgresql.JSONB(), server_default=JSON_MAP, nullable=False)
    )
    op.add_column(t, sa.Column("unreachable_count", sa.Integer(), server_default="0", nullable=False))
    op.add_column(t, sa.Column("notice_content", sa.LargeBinary(), nullable=True))
    op.add_column(t, sa.Column("letters", sa.LargeBinary(), nullable=True))
    op.add_column(t, sa.Column("obligations", postgresql.JSONB(), server_default=JSON_LIST, nullable=False))
    op.add_column(t, sa.Column("timeline", postgresql.JSONB(), server_default=JSON_LIST, nullable=False))
    op.add_column(
        t, sa.Column("law_enforcement_delays", postgresql.JSONB(), server_default=JSON_LIST, nullable=False)
    )
    op.add_column(t, sa.Column("law_enforcement_official", sa.LargeBinary(), nullable=True))
    op.add_column(t, sa.Column("ba_discovered_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(t, sa.Column("ba_reported_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(t, sa.Column("closing_report_sha256", sa.LargeBinary(), nullable=True))
    op.create_check_constraint(
        op.f("ck_breach_incidents_unreachable_nonnegative"), t, "unreachable_count >= 0"
    )
    op.create_check_constraint(
        op.f("ck_breach_incidents_decision_has_time"), t, "notifiable IS NULL OR decided_at IS NOT NULL"
    )
    op.create_check_constraint(
        op.f("ck_breach_incidents_safe_harbour_not_notifiable"), t, "NOT (safe_harbour AND notifiable)"
    )
    op.add_column("baa_records", sa.Column("breach_notice_days", sa.Integer(), nullable=True))
    op.create_check_constraint(
        op.f("ck_baa_records_breach_notice_days_range"),
        "baa_records",
        "breach_notice_days IS NULL OR breach_notice_days BETWEEN 1 AND 60",
    )

    d = "data_access_requests"
    op.add_column(d, sa.Column("extension_reason", sa.LargeBinary(), nullable=True))
    op.add_column(d, sa.Column("extension_notified_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(d, sa.Column("denial_ground", sa.Text(), nullable=True))
    op.add_column(d, sa.Column("denial_reviewable", sa.Boolean(), nullable=True))
    op.add_column(d, sa.Column("export_json_sha256", sa.LargeBinary(), nullable=True))
    op.add_column(d, sa.Column("export_pdf_sha256", sa.LargeBinary(), nullable=True))
    op.add_column(d, sa.Column("letter_sha256", sa.LargeBinary(), nullable=True))
    op.add_column(d, sa.Column("link_expires_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(d, sa.Column("amendment_field", sa.Text(), nullable=True))
    op.add_column(d, sa.Column("amendment_value", sa.LargeBinary(), nullable=True))
    op.add_column(d, sa.Column("notify_addresses", sa.LargeBinary(), nullable=True))
    op.add_column(d, sa.Column("notified_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(d, sa.Column("disagreement", sa.LargeBinary(), nullable=True))
    op.add_column(d, sa.Column("disagreement_at", sa.DateTime(timezone=True), nullable=True))
    op.create_check_constraint(
        op.f("ck_data_access_requests_extension_has_written_reason"),
        d,
        "extended_due_at IS NULL OR extension_reason IS NOT NULL",
    )


def downgrade() -> None:
    d = "data_access_requests"
    op.drop_constraint(op.f("ck_data_access_requests_extension_has_written_reason"), d, type_="check")
    for col in (
        "disagreement_at",
        "disagreement",
        "notified_at",
        "notify_addresses",
        "amendment_value",
        "amendment_field",
        "link_expires_at",
        "letter_sha256",
        "export_pdf_sha256",
        "export_json_sha256",
        "denial_reviewable",
        "denial_ground",
        "extension_notified_at",
        "extension_reason",
    ):
        op.drop_column(d, col)
    op.drop_constraint(op.f("ck_baa_records_breach_notice_days_range"), "baa_records", type_="check")
    op.drop_column("baa_records", "breach_notice_days")
    for name in (
        "ck_breach_incidents_safe_harbour_not_notifiable",
        "ck_breach_incidents_decision_has_time",
        "ck_breach_incidents_unreachable_nonnegative",
    ):
        op.drop_constraint(op.f(name), "breach_incidents", type_="check")
    for col in (
        "closing_report_sha256",
        "ba_reported_at",
        "ba_discovered_at",
        "law_enforcement_official",
        "law_enforcement_delays",
        "timeline",
        "obligations",
        "letters",
        "notice_content",
        "unreachable_count",
        "affected_by_state",
        "retain_until_date",
        "decided_by_user_id",
        "decided_at",
        "notifiable",
        "safe_harbour",
        "assessment",
    ):
        op.drop_column("breach_incidents", col)
