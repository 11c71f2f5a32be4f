"""Part 2 consent after the 2024 rule: every §2.31 element on `consents`, what a consent covers
in words a disclosure check can compare (recipient classes, kinds of information, purposes),
revocation in writing; the §2.32 notice and the consent copy recorded on each disclosure; the
§2.26 restrictions a resident asks for; SUD counseling notes kept apart from the rest of the
record; the treatment team whose members read Part 2 fields; the extension of an accounting
request; the escalation of an unreviewed break-glass access; the signed acknowledgement of the
§2.22 notice.

New tables are tenant tables under forced row-level security with the scope policy of every
table that names a resident (0017's predicate).

Revision ID: 0020_part2_consent
Revises: 0019_domain_events
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0020_part2_consent"
down_revision: str | None = "0019_domain_events"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP = "recoveryos_app"
SCOPE = "(SELECT app_scope()) = 'org' OR (resident_id IN (SELECT x.id FROM residents x))"

ENUMS: dict[str, tuple[str, ...]] = {
    "consent_kind": ("tpo", "specific_purpose", "counseling_notes", "legal_proceedings"),
    "recipient_kind": ("named", "class", "intermediary"),
    "expiry_event": ("end_of_treatment", "end_of_research_study", "condition", "none"),
    "revocation_method": ("signed_on_page", "written_upload"),
    "notice_statement": ("statement_1", "statement_2"),
    "consent_scope_copy": ("copy_of_consent", "scope_explanation"),
    "restriction_status": ("requested", "granted", "denied", "terminated"),
    "counseling_session_kind": ("individual", "group", "joint", "family"),
}
RECIPIENT_CLASSES = (
    "treating_provider",
    "health_plan",
    "third_party_payer",
    "program_operations",
    "family",
    "criminal_justice",
    "employer",
    "researcher",
    "other",
)
INFORMATION_CLASSES = (
    "residency_status",
    "attendance",
    "drug_tests",
    "substance_use_history",
    "medications",
    "treatment_records",
    "discharge_summary",
    "incident_reports",
    "billing",
    "counseling_notes",
)
PURPOSES = (
    "treatment",
    "payment",
    "health_care_operations",
    "patient_request",
    "care_coordination",
    "family_involvement",
    "criminal_justice_supervision",
    "employment",
    "research",
    "legal_proceedings",
)


def _enum(name: str) -> postgresql.ENUM:
    return postgresql.ENUM(name=name, create_type=False)


def _within(column: str, values: tuple[str, ...]) -> str:
    listed = ", ".join(f"'{v}'" for v in values)
    return f"{column} <@ ARRAY[{listed}]::text[]"


def _texts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(
        name,
        postgresql.ARRAY(sa.Text()),
        server_default=sa.text("'{}'::text[]"),
        nullable=nullable,
    )


def _tenant_table(table: str, append_only: bool = False) -> None:
    grants = "SELECT, INSERT" if append_only else "SELECT, INSERT, UPDATE"
    op.execute(f"""
    ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
    ALTER TABLE {table} FORCE ROW LEVEL SECURITY;
    CREATE POLICY tenant_isolation ON {table}
      USING (org_id = (SELECT app_current_org())) WITH CHECK (org_id = (SELECT app_current_org()));
    CREATE POLICY scope ON {table} AS RESTRICTIVE FOR ALL TO {APP} USING ({SCOPE});
    GRANT {grants} ON {table} TO {APP};
    CREATE TRIGGER audit_columns BEFORE INSERT OR UPDATE ON {table}
      FOR EACH ROW EXECUTE FUNCTION set_audit_columns();
    """)


def _audit_columns() -> list[sa.Column]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("created_by", sa.UUID(), nullable=True),
        sa.Column("updated_by", sa.UUID(), nullable=True),
    ]


def _consents() -> None:
    op.execute("ALTER TYPE consent_status ADD VALUE IF NOT EXISTS 'unsigned'")
    add = [
        sa.Column("kind", _enum("consent_kind"), server_default="specific_purpose", nullable=False),
        sa.Column("form_version", sa.Text(), nullable=True),
        # §2.31(a)(2): who may use or disclose (encrypted: it can name the resident's providers).
        sa.Column("discloser", sa.LargeBinary(), nullable=True),
        sa.Column("recipient_kind", _enum("recipient_kind"), server_default="named", nullable=False),
        _texts("recipient_classes"),
        sa.Column("intermediary_participants", sa.LargeBinary(), nullable=True),
        sa.Column("treating_providers_only", sa.Boolean(), server_default=sa.false(), nullable=False),
        _texts("information_classes"),
        _texts("purposes"),
        sa.Column("expiry_event", _enum("expiry_event"), nullable=True),
        sa.Column("refusal_consequences", sa.LargeBinary(), nullable=True),
        sa.Column("condition_of_admission", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("remind_days_before", sa.Integer(), server_default="30", nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by_user_id", sa.UUID(), nullable=True),
        sa.Column("revocation_method", _enum("revocation_method"), nullable=True),
        sa.Column("revocation_file_id", sa.UUID(), nullable=True),
        sa.Column("revocation_document_id", sa.UUID(), nullable=True),
    ]
    for column in add:
        op.add_column("consents", column)
    for name, target, column in (
        ("fk_consents_revoked_by_user_id_users", "users", "revoked_by_user_id"),
        ("fk_consents_revocation_file_id_file_uploads", "file_uploads", "revocation_file_id"),
        ("fk_consents_revocation_document_id_documents", "documents", "revocation_document_id"),
    ):
        op.create_foreign_key(name, "consents", target, [column], ["id"], ondelete="RESTRICT")
    op.drop_constraint(op.f("ck_consents_has_expiration_date_or_event"), "consents", type_="check")
    for name, rule in (
        ("has_expiration_date_or_event", "expires_at IS NOT NULL OR expiry_event IS NOT NULL"),
        ("recipient_classes_known", _within("recipient_classes", RECIPIENT_CLASSES)),
        ("information_classes_known", _within("information_classes", INFORMATION_CLASSES)),
        ("purposes_known", _within("purposes", PURPOSES)),
        ("counseling_notes_never_a_condition", "NOT (kind = 'counseling_notes' AND condition_of_admission)"),
        (
            "counseling_notes_alone",
            "(kind = 'counseling_notes') = (information_classes = ARRAY['counseling_notes']::text[])"
            " OR (kind <> 'counseling_notes' AND NOT ('counseling_notes' = ANY (information_classes)))",
        ),
        (
            "legal_proceedings_alone",
            "(kind = 'legal_proceedings' AND purposes = ARRAY['legal_proceedings']::text[])"
            " OR (kind <> 'legal_proceedings' AND NOT ('legal_proceedings' = ANY (purposes)))",
        ),
        ("expiry_none_only_for_tpo", "expiry_event IS DISTINCT FROM 'none' OR kind = 'tpo'"),
        ("remind_days_in_range", "remind_days_before BETWEEN 0 AND 365"),
        ("revocation_is_in_writing", "revoked_at IS NULL OR revocation_method IS NOT NULL"),
    ):
        op.create_check_constraint(op.f(f"ck_consents_{name}"), "consents", rule)


def _disclosures() -> None:
    add = [
        sa.Column("recipient_class", sa.Text(), nullable=True),
        _texts("information_classes"),
        sa.Column("purpose_code", sa.Text(), nullable=True),
        sa.Column("notice_statement", _enum("notice_statement"), nullable=True),
        sa.Column("notice_version", sa.Text(), nullable=True),
        sa.Column("consent_scope_copy", _enum("consent_scope_copy"), nullable=True),
        sa.Column("package_file_id", sa.UUID(), nullable=True),
    ]
    for column in add:
        op.add_column("consent_disclosures", column)
    op.create_foreign_key(
        "fk_consent_disclosures_package_file_id_file_uploads",
        "consent_disclosures",
        "file_uploads",
        ["package_file_id"],
        ["id"],
        ondelete="RESTRICT",
    )
    for name, rule in (
        ("information_classes_known", _within("information_classes", INFORMATION_CLASSES)),
        (
            "recipient_class_known",
            f"recipient_class IS NULL OR {_within('ARRAY[recipient_class]', RECIPIENT_CLASSES)}",
        ),
        ("purpose_known", f"purpose_code IS NULL OR {_within('ARRAY[purpose_code]', PURPOSES)}"),
        # Only the 2024 texts of §2.32 may accompany a disclosure.
        ("notice_is_the_2024_text", "notice_version IS NULL OR notice_version = '2024'"),
        (
            "notice_recorded_with_its_version",
            "(notice_statement IS NULL) = (notice_version IS NULL)"
            " AND (notice_statement IS NULL OR redisclosure_notice_included)",
        ),
    ):
        op.create_check_constraint(op.f(f"ck_consent_disclosures_{name}"), "consent_disclosures", rule)


def _restrictions() -> None:
    op.create_table(
        "disclosure_restrictions",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("org_id", sa.UUID(), nullable=False),
        sa.Column("resident_id", sa.UUID(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_by_user_id", sa.UUID(), nullable=True),
        sa.Column("recipient_class", sa.Text(), nullable=True),
        # ENCRYPTED: a named recipient the resident does not want told.
        sa.Column("recipient", sa.LargeBinary(), nullable=True),
        _texts("information_classes"),
        _texts("purposes"),
        # §2.26: a restriction on disclosure to a health plan for services paid in full out of
        # pocket must be granted.
        sa.Column("health_plan_paid_in_full", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("status", _enum("restriction_status"), server_default="requested", nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by_user_id", sa.UUID(), nullable=True),
        sa.Column("decision_reason", sa.LargeBinary(), nullable=True),
        sa.Column("terminated_at", sa.DateTime(timezone=True), nullable=True),
        *_audit_columns(),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_disclosure_restrictions_org_id_organizations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["residents.id"],
            name=op.f("fk_disclosure_restrictions_resident_id_residents"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["received_by_user_id"],
            ["users.id"],
            name=op.f("fk_disclosure_restrictions_received_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_user_id"],
            ["users.id"],
            name=op.f("fk_disclosure_restrictions_decided_by_user_id_users"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disclosure_restrictions")),
        sa.CheckConstraint(
            "NOT (health_plan_paid_in_full AND status = 'denied')",
            name=op.f("ck_disclosure_restrictions_paid_in_full_is_granted"),
        ),
        sa.CheckConstraint(
            "(status = 'requested') = (decided_at IS NULL)",
            name=op.f("ck_disclosure_restrictions_decided_has_time"),
        ),
        sa.CheckConstraint(
            _within("information_classes", INFORMATION_CLASSES),
            name=op.f("ck_disclosure_restrictions_information_classes_known"),
        ),
        sa.CheckConstraint(
            _within("purposes", PURPOSES), name=op.f("ck_disclosure_restrictions_purposes_known")
        ),
    )
    op.create_index(
        "ix_disclosure_restrictions_org_resident_status",
        "disclosure_restrictions",
        ["org_id", "resident_id", "status"],
    )
    _tenant_table("disclosure_restrictions")


def _counseling_notes() -> None:
    op.create_table(
        "counseling_notes",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("org_id", sa.UUID(), nullable=False),
        sa.Column("resident_id", sa.UUID(), nullable=False),
        sa.Column("author_user_id", sa.UUID(), nullable=False),
        sa.Column("session_date", sa.Date(), nullable=False),
        sa.Column("session_kind", _enum("counseling_session_kind"), nullable=False),
        # ENCRYPTED: the note itself.
        sa.Column("body", sa.LargeBinary(), nullable=False),
        *_audit_columns(),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_counseling_notes_org_id_organizations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["residents.id"],
            name=op.f("fk_counseling_notes_resident_id_residents"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["author_user_id"],
            ["users.id"],
            name=op.f("fk_counseling_notes_author_user_id_users"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_counseling_notes")),
    )
    op.create_index(
        "ix_counseling_notes_org_resident_date", "counseling_notes", ["org_id", "resident_id", "session_date"]
    )
    _tenant_table("counseling_notes")


def _care_team() -> None:
    op.create_table(
        "care_team_members",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("org_id", sa.UUID(), nullable=False),
        sa.Column("resident_id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        *_audit_columns(),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organizations.id"],
            name=op.f("fk_care_team_members_org_id_organizations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["residents.id"],
            name=op.f("fk_care_team_members_resident_id_residents"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_care_team_members_user_id_users"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_care_team_members")),
        sa.CheckConstraint(
            "ended_at IS NULL OR ended_at >= started_at", name=op.f("ck_care_team_members_ends_after_start")
        ),
    )
    op.create_index(
        "uq_care_team_members_resident_user_current",
        "care_team_members",
        ["resident_id", "user_id"],
        unique=True,
        postgresql_where=sa.text("ended_at IS NULL"),
    )
    op.create_index("ix_care_team_members_org_user", "care_team_members", ["org_id", "user_id"])
    _tenant_table("care_team_members")


def _requests_and_notices() -> None:
    op.add_column(
        "disclosure_accounting_requests",
        sa.Column("extended_due_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.add_column(
        "disclosure_accounting_requests", sa.Column("extension_reason", sa.LargeBinary(), nullable=True)
    )
    op.add_column(
        "disclosure_accounting_requests",
        sa.Column("extension_sent_at", sa.DateTime(timezone=True), nullable=True),
    )
    # The first accounting in any 12 months is free (164.528(c)(2)).
    op.add_column(
        "disclosure_accounting_requests",
        sa.Column("fee_cents", sa.BigInteger(), server_default="0", nullable=False),
    )
    op.create_check_constraint(
        op.f("ck_disclosure_accounting_requests_one_30_day_extension"),
        "disclosure_accounting_requests",
        "extended_due_at IS NULL OR (extended_due_at > due_at AND extended_due_at <= due_at + interval '30 days'"
        " AND extension_reason IS NOT NULL AND extension_sent_at IS NOT NULL AND extension_sent_at <= due_at)",
    )
    op.add_column("break_glass_events", sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("patient_notices", sa.Column("document_id", sa.UUID(), nullable=True))
    op.create_foreign_key(
        "fk_patient_notices_document_id_documents",
        "patient_notices",
        "documents",
        ["document_id"],
        ["id"],
        ondelete="RESTRICT",
    )


def upgrade() -> None:
    bind = op.get_bind()
    for name, values in ENUMS.items():
        postgresql.ENUM(*values, name=name).create(bind, checkfirst=True)
    _consents()
    _disclosures()
    _restrictions()
    _counseling_notes()
    _care_team()
    _requests_and_notices()


def downgrade() -> None:
    op.drop_constraint("fk_patient_notices_document_id_documents", "patient_notices", type_="foreignkey")
    op.drop_column("patient_notices", "document_id")
    op.drop_column("break_glass_events", "escalated_at")
    op.drop_constraint(
        op.f("ck_disclosure_accounting_requests_one_30_day_extension"),
        "disclosure_accounting_requests",
        type_="check",
    )
    for column in ("extended_due_at", "extension_reason", "extension_sent_at", "fee_cents"):
        op.drop_column("disclosure_accounting_requests", column)
    for table in ("care_team_members", "counseling_notes", "disclosure_restrictions"):
        op.drop_table(table)
    for name in (
        "information_classes_known",
        "recipient_class_known",
        "purpose_known",
        "notice_is_the_2024_text",
        "notice_recorded_with_its_version",
    ):
        op.drop_constraint(op.f(f"ck_consent_disclosures_{name}"), "consent_disclosures", type_="check")
    op.drop_constraint(
        "fk_consent_disclosures_package_file_id_file_uploads", "consent_disclosures", type_="foreignkey"
    )
    for column in (
        "recipient_class",
        "information_classes",
        "purpose_code",
        "notice_statement",
        "notice_version",
        "consent_scope_copy",
        "package_file_id",
    ):
        op.drop_column("consent_disclosures", column)
    for name in (
        "has_expiration_date_or_event",
        "recipient_classes_known",
        "information_classes_known",
        "purposes_known",
        "counseling_notes_never_a_condition",
        "counseling_notes_alone",
        "legal_proceedings_alone",
        "expiry_none_only_for_tpo",
        "remind_days_in_range",
        "revocation_is_in_writing",
    ):
        op.drop_constraint(op.f(f"ck_consents_{name}"), "consents", type_="check")
    for name in (
        "fk_consents_revoked_by_user_id_users",
        "fk_consents_revocation_file_id_file_uploads",
        "fk_consents_revocation_document_id_documents",
    ):
        op.drop_constraint(name, "consents", type_="foreignkey")
    for column in (
        "kind",
        "form_version",
        "discloser",
        "recipient_kind",
        "recipient_classes",
        "intermediary_participants",
        "treating_providers_only",
        "information_classes",
        "purposes",
        "expiry_event",
        "refusal_consequences",
        "condition_of_admission",
        "remind_days_before",
        "signed_at",
        "expired_at",
        "revoked_by_user_id",
        "revocation_method",
        "revocation_file_id",
        "revocation_document_id",
    ):
        op.drop_column("consents", column)
    op.create_check_constraint(
        op.f("ck_consents_has_expiration_date_or_event"),
        "consents",
        "expires_at IS NOT NULL OR expiration_event IS NOT NULL",
    )
    bind = op.get_bind()
    for name in reversed(ENUMS):
        postgresql.ENUM(name=name).drop(bind, checkfirst=True)
    # PostgreSQL cannot drop a label from an enum: 'unsigned' stays on consent_status.
