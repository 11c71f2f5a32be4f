"""Scope policies on every table that names a resident, a house, a room, a bed or a property,
directly or through a parent row (a document's versions, a signature's events, an invoice's
lines): a house manager of one house read another house's Part 2 consent through
`GET /v1/documents/{id}` while the resident it names was a 404.

Each table gets one RESTRICTIVE policy for `recoveryos_app` built from the columns that anchor
its rows (ANCHORS): a row is visible to a scoped caller when any anchor it names is visible
(the resident, the house, the parent document...). Each anchor is checked against its own
table, whose policy applies in turn, so a row follows exactly the visibility of what it names:
a resident of my houses (now or through an admission), my houses, my property. A row that names
no anchor at all (an org-wide document, the org's default dunning configuration) is visible to
staff scoped to houses and to no resident. Scope 'org' short-circuits before any subquery runs.

Invoices lose the 0011 exception ("billing is not house-scoped"): a property manager's billing
reads now cover their property's residents only; billing specialists are org-wide.

Staff identities (users, role_assignments, user_invitations, user_sessions) are left as they
are: managing them needs an org-wide role (services/users.py) and sign-in resolves through
SECURITY DEFINER functions. `tests/test_schema.py` finds every anchored table from the
catalogue and fails on one without a scope policy.

Revision ID: 0017_scope_everywhere
Revises: 0016_setup_api
Create Date: 2026-12-05
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017_scope_everywhere"
down_revision: str | None = "0016_setup_api"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP = "recoveryos_app"
ORG = "(SELECT app_scope()) = 'org'"
HOUSES = "((SELECT app_scope_houses())::uuid[])"
PROPERTIES = "((SELECT app_scope_properties())::uuid[])"

# Anchor column -> when the row it names is visible to the caller.
ANCHORS: dict[str, str] = {
    "resident_id": "resident_id IN (SELECT x.id FROM residents x)",
    "house_id": f"house_id = ANY {HOUSES}",
    "property_id": f"property_id = ANY {PROPERTIES}",
    "room_id": "room_id IN (SELECT x.id FROM rooms x)",
    "bed_id": "bed_id IN (SELECT x.id FROM beds x)",
    "document_id": "document_id IN (SELECT x.id FROM documents x)",
    "signature_id": "signature_id IN (SELECT x.id FROM signatures x)",
    "invoice_id": "invoice_id IN (SELECT x.id FROM invoices x)",
    "payment_id": "payment_id IN (SELECT x.id FROM payments x)",
    "deposit_id": "deposit_id IN (SELECT x.id FROM deposits x)",
    "refund_id": "refund_id IN (SELECT x.id FROM refunds x)",
    "announcement_id": "announcement_id IN (SELECT x.id FROM announcements x)",
    "conversation_id": "conversation_id IN (SELECT x.id FROM conversations x)",
    "meeting_id": "meeting_id IN (SELECT x.id FROM meetings x)",
    "chore_id": "chore_id IN (SELECT x.id FROM chores x)",
    "baa_record_id": "baa_record_id IN (SELECT x.id FROM baa_records x)",
}

# Table -> its anchor columns. Parents come before their children (a child's subquery reads
# the parent under the parent's policy).
TABLES: dict[str, tuple[str, ...]] = {
    "payer_configs": ("resident_id",),
    "payment_methods": ("resident_id",),
    "file_uploads": ("resident_id",),
    "break_glass_events": ("resident_id",),
    "data_access_requests": ("resident_id",),
    "disclosure_accounting_requests": ("resident_id",),
    "documents": ("resident_id",),
    "document_versions": ("document_id",),
    "signatures": ("document_id",),
    "signature_events": ("document_id", "signature_id"),
    "baa_records": ("document_id",),
    "breach_incidents": ("baa_record_id",),
    "consents": ("resident_id", "document_id"),
    "consent_disclosures": ("resident_id",),
    "patient_notices": ("resident_id", "signature_id"),
    "clinical_assessments": ("resident_id",),
    "announcements": ("house_id", "property_id"),
    "announcement_reads": ("announcement_id",),
    "conversations": ("house_id",),
    "conversation_members": ("conversation_id",),
    "messages": ("conversation_id",),
    "chore_templates": ("house_id",),
    "chores": ("house_id",),
    "chore_assignments": ("resident_id", "chore_id"),
    "curfew_configs": ("house_id",),
    "curfew_check_ins": ("resident_id", "house_id"),
    "daily_check_ins": ("resident_id", "house_id"),
    "wellness_check_ins": ("resident_id", "house_id"),
    "drug_tests": ("resident_id", "house_id"),
    "incidents": ("resident_id", "house_id"),
    "passes": ("resident_id", "house_id"),
    "meetings": ("house_id",),
    "meeting_attendance": ("resident_id", "meeting_id"),
    "meeting_requirements": ("resident_id", "house_id"),
    "tasks": ("resident_id", "house_id"),
    "vehicles": ("resident_id", "house_id"),
    "maintenance_requests": ("house_id", "room_id"),
    "rate_configs": ("house_id", "room_id", "bed_id"),
    "dunning_configs": ("house_id",),
    "invoices": ("resident_id", "house_id"),
    "invoice_line_items": ("invoice_id",),
    "invoice_payer_allocations": ("invoice_id",),
    "dunning_actions": ("resident_id", "invoice_id"),
    "payments": ("resident_id", "invoice_id"),
    "deposits": ("resident_id", "payment_id"),
    "deposit_deductions": ("deposit_id", "invoice_id"),
    "refunds": ("resident_id", "payment_id", "deposit_id"),
    "ledger_entries": ("resident_id", "invoice_id", "payment_id", "deposit_id", "refund_id"),
    "reconciliation_records": ("payment_id", "refund_id"),
}

# 0011's policy on invoices, restored by downgrade.
OLD_INVOICES = "(SELECT app_scope()) <> 'resident' OR resident_id = (SELECT app_scope_resident())"


def predicate(anchors: tuple[str, ...]) -> str:
    named = " OR ".join(f"({ANCHORS[a]})" for a in anchors)
    unanchored = " AND ".join(f"{a} IS NULL" for a in anchors)
    return f"{ORG} OR {named} OR ({unanchored} AND (SELECT app_scope()) = 'houses')"


def upgrade() -> None:
    op.execute("DROP POLICY scope ON invoices")
    for table, anchors in TABLES.items():
        op.execute(
            f"CREATE POLICY scope ON {table} AS RESTRICTIVE FOR ALL TO {APP} USING ({predicate(anchors)})"
        )


def downgrade() -> None:
    for table in reversed(TABLES):
        op.execute(f"DROP POLICY scope ON {table}")
    op.execute(f"CREATE POLICY scope ON invoices AS RESTRICTIVE FOR ALL TO {APP} USING ({OLD_INVOICES})")
