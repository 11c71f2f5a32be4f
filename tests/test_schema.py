"""The schema as PostgreSQL sees it: every table, enum and index of the seed, forced RLS on
every tenant table, migrations that agree with the models and run both ways."""

from __future__ import annotations

import re

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import LargeBinary, create_engine, text
from sqlalchemy.engine import make_url

import models
from core.bootstrap import migrate
from models.base import ENCRYPTED_FIELDS
from models.bed_board import CACHE_TABLES
from tests.conftest import create_database
from tests.db import as_owner

SPEC_TABLES = {
    "organizations",
    "properties",
    "houses",
    "rooms",
    "beds",
    "users",
    "role_assignments",
    "user_sessions",
    "residents",
    "admissions",
    "leads",
    "resident_contacts",
    "discharges",
    "resident_status_history",
    "waitlist_entries",
    "bed_transfers",
    "invoices",
    "invoice_line_items",
    "payments",
    "ledger_accounts",
    "ledger_entries",
    "deposits",
    "payer_configs",
    "dunning_actions",
    "rate_configs",
    "payment_methods",
    "refunds",
    "dunning_configs",
    "reconciliation_records",
    "chores",
    "chore_assignments",
    "meetings",
    "meeting_attendance",
    "passes",
    "curfew_configs",
    "drug_tests",
    "incidents",
    "daily_check_ins",
    "tasks",
    "chore_templates",
    "meeting_types",
    "meeting_requirements",
    "curfew_check_ins",
    "maintenance_requests",
    "vehicles",
    "wellness_check_ins",
    "clinical_assessments",
    "documents",
    "document_templates",
    "signatures",
    "retention_policies",
    "document_versions",
    "conversations",
    "conversation_members",
    "messages",
    "announcements",
    "announcement_reads",
    "consents",
    "consent_disclosures",
    "patient_notices",
    "breach_incidents",
    "baa_records",
    "disclosure_accounting_requests",
    "data_access_requests",
    "break_glass_events",
    "audit_logs",
    "file_uploads",
    "api_keys",
    "webhooks",
    "webhook_deliveries",
    "integration_configs",
    "notification_preferences",
    "scheduled_jobs",
}


def test_every_table_of_the_spec_exists_with_40_plus_enums_and_150_plus_indexes(database: str) -> None:
    with as_owner() as c:
        tables = set(c.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars())
        enums = c.execute(
            text(
                "SELECT count(*) FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
                "WHERE n.nspname = 'public' AND t.typtype = 'e'"
            )
        ).scalar_one()
        indexes = c.execute(
            text("SELECT count(*) FROM pg_indexes WHERE schemaname = 'public' AND indexname NOT LIKE 'pk_%'")
        ).scalar_one()
    assert tables >= SPEC_TABLES
    assert len(SPEC_TABLES) >= 60 and enums >= 40 and indexes >= 150


def test_models_and_migrations_agree(database: str) -> None:
    eng = create_engine(database)
    with eng.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), models.metadata
        )
    eng.dispose()
    assert [
        d
        for d in diff
        if not (isinstance(d, tuple) and d[0] == "remove_table" and d[1].name == "alembic_version")
    ] == []


def test_every_table_with_org_id_forces_row_level_security_with_a_tenant_policy(database: str) -> None:
    with as_owner() as c:
        rows = c.execute(
            text("""
            SELECT cl.relname, cl.relrowsecurity, cl.relforcerowsecurity,
                   (SELECT count(*) FROM pg_policy p WHERE p.polrelid = cl.oid
                     AND pg_get_expr(p.polqual, p.polrelid) LIKE '%app_current_org()%'
                     AND pg_get_expr(p.polwithcheck, p.polrelid) LIKE '%app_current_org()%') AS policies
              FROM pg_class cl JOIN pg_namespace n ON n.oid = cl.relnamespace
             WHERE n.nspname = 'public' AND cl.relkind = 'r'
               AND (EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = cl.oid AND a.attname = 'org_id'
                                                         AND NOT a.attisdropped)
                    OR cl.relname = 'organizations')
        """)
        ).all()
    assert len(rows) == len([t for t in models.metadata.tables.values() if "org_id" in t.c]) + 1
    bad = [r.relname for r in rows if not (r.relrowsecurity and r.relforcerowsecurity and r.policies == 1)]
    assert bad == []
    with as_owner() as c:
        not_null = (
            c.execute(
                text(
                    "SELECT table_name FROM information_schema.columns WHERE table_schema='public' "
                    "AND column_name='org_id' AND is_nullable='YES'"
                )
            )
            .scalars()
            .all()
        )
    assert not_null == []


def test_every_policy_reads_the_session_settings_once_per_statement(database: str) -> None:
    """A bare `app_current_org()` in a policy is evaluated for every row scanned; wrapped in a
    sub-select it is an InitPlan, computed once (migration 0012)."""
    bare = re.compile(r"(?<!SELECT )\bapp_(current_org|current_user|scope\w*)\(\)")
    with as_owner() as c:
        policies = c.execute(
            text("SELECT tablename, policyname, qual, with_check FROM pg_policies WHERE schemaname='public'")
        ).all()
    assert len(policies) > 60
    per_row = [p for p in policies if bare.search(p.qual or "") or bare.search(p.with_check or "")]
    assert [(p.tablename, p.policyname) for p in per_row] == []


def test_the_app_role_cannot_bypass_row_level_security(database: str) -> None:
    with as_owner() as c:
        role = c.execute(
            text("SELECT rolsuper, rolbypassrls, rolcanlogin FROM pg_roles WHERE rolname = 'recoveryos_app'")
        ).one()
        deletable = set(
            c.execute(
                text(
                    "SELECT table_name FROM information_schema.role_table_grants "
                    "WHERE grantee = 'recoveryos_app' AND privilege_type IN ('DELETE','TRUNCATE')"
                )
            ).scalars()
        )
    assert (role.rolsuper, role.rolbypassrls, role.rolcanlogin) == (False, False, True)
    # Records are never deleted; the bed board's cache (migration 0013) is not a record.
    assert deletable == set(CACHE_TABLES)


def test_no_table_stores_a_balance(database: str) -> None:
    # Balances are sums over ledger_entries; a numeric column named like one would be a cache
    # that can drift. (ledger_accounts.normal_balance is the account's debit/credit side.)
    with as_owner() as c:
        cols = (
            c.execute(
                text(
                    "SELECT table_name || '.' || column_name FROM information_schema.columns "
                    "WHERE table_schema = 'public' "
                    "AND data_type IN ('bigint', 'integer', 'numeric', 'double precision') "
                    "AND (column_name LIKE '%balance%' OR column_name LIKE 'amount_due%' "
                    "OR column_name LIKE 'amount_paid%' OR column_name LIKE '%outstanding%')"
                )
            )
            .scalars()
            .all()
        )
    assert cols == []


def test_encrypted_fields_are_bytea_and_mood_rating_is_one_of_them(database: str) -> None:
    fields = {(f.table, f.field) for f in ENCRYPTED_FIELDS}
    assert len(fields) >= 50
    assert ("wellness_check_ins", "mood_rating") in fields  # finding F5
    for table, field in fields:
        col = models.metadata.tables[table].c[field]
        assert isinstance(col.type, LargeBinary), f"{table}.{field}"
    with as_owner() as c:
        types: dict[str, str] = dict(
            c.execute(
                text(
                    "SELECT table_name || '.' || column_name, data_type FROM information_schema.columns "
                    "WHERE table_schema = 'public'"
                )
            ).all()
        )
    assert {types[f"{t}.{f}"] for t, f in fields} == {"bytea"}


def test_audit_columns_exist_on_every_mutable_table() -> None:
    for t in models.metadata.tables.values():
        if "updated_at" in t.c:
            assert {"created_at", "created_by", "updated_by"} <= set(t.c.keys()), t.name
    assert "updated_at" not in models.metadata.tables["audit_logs"].c
    assert "deleted_at" not in models.metadata.tables["audit_logs"].c


def test_migrations_build_the_schema_on_an_empty_database_and_back(pg_cluster: str) -> None:
    from alembic import command

    from core.bootstrap import alembic_config

    url = create_database(pg_cluster, "recoveryos_roundtrip")
    count = "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
    migrate(make_url(url))
    eng = create_engine(url)
    with eng.connect() as c:
        assert c.execute(text(count)).scalar_one() == len(models.metadata.tables) + 1  # and alembic_version
    command.downgrade(alembic_config(make_url(url)), "base")
    with eng.connect() as c:
        assert c.execute(text(count)).scalar_one() == 1  # alembic_version
        assert (
            c.execute(
                text(
                    "SELECT count(*) FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
                    "WHERE n.nspname = 'public' AND t.typtype = 'e'"
                )
            ).scalar_one()
            == 0
        )
    migrate(make_url(url))
    with eng.connect() as c:
        assert c.execute(text(count)).scalar_one() == len(models.metadata.tables) + 1
    eng.dispose()


# Staff identities: managing them needs an org-wide role (services/users.py) and sign-in
# resolves through SECURITY DEFINER functions, so no house scope narrows them.
IDENTITY_TABLES = {"users", "role_assignments", "user_invitations", "user_sessions"}
PLACES = {"residents", "houses", "rooms", "beds", "properties"}
NAMING_COLUMNS = {"resident_id", "house_id", "room_id", "bed_id", "property_id"}


def test_every_table_that_names_a_resident_or_a_place_carries_a_restrictive_scope_policy(
    database: str,
) -> None:
    """Found from the catalogue: a tenant table with a column naming a resident or a place, or a
    foreign key to such a table (a document's versions, a signature's events), transitively."""
    with as_owner() as c:
        tenant = set(
            c.execute(
                text(
                    "SELECT table_name FROM information_schema.columns "
                    "WHERE table_schema = 'public' AND column_name = 'org_id'"
                )
            ).scalars()
        )
        columns = c.execute(
            text(
                "SELECT table_name, column_name FROM information_schema.columns "
                "WHERE table_schema = 'public' AND column_name = ANY(:names)"
            ),
            {"names": sorted(NAMING_COLUMNS)},
        ).all()
        fks = c.execute(
            text(
                "SELECT cl.relname AS child, pa.relname AS parent FROM pg_constraint k "
                "JOIN pg_class cl ON cl.oid = k.conrelid JOIN pg_class pa ON pa.oid = k.confrelid "
                "JOIN pg_namespace n ON n.oid = cl.relnamespace "
                "WHERE k.contype = 'f' AND n.nspname = 'public'"
            )
        ).all()
        scoped = set(
            c.execute(
                text(
                    "SELECT tablename FROM pg_policies WHERE schemaname = 'public' "
                    "AND permissive = 'RESTRICTIVE' AND 'recoveryos_app' = ANY(roles)"
                )
            ).scalars()
        )
    # A staff identity names a resident (a resident's login) but does not pass it on to every
    # row a user wrote.
    naming = ((PLACES | {t for t, _ in columns}) & tenant | {"properties"}) - IDENTITY_TABLES
    while True:
        more = {f.child for f in fks if f.parent in naming and f.child in tenant} - naming - IDENTITY_TABLES
        if not more:
            break
        naming |= more
    assert len(naming) > 60
    assert sorted(naming - scoped) == []


def test_the_scope_policy_of_a_table_follows_what_its_rows_name(database: str) -> None:
    """A document's signature events are visible exactly when the document is (the parent's own
    policy applies inside the child's), and a row naming nothing is not shown to a resident."""
    with as_owner() as c:
        qual = c.execute(
            text("SELECT qual FROM pg_policies WHERE tablename = 'signature_events' AND policyname = 'scope'")
        ).scalar_one()
    assert "FROM documents" in qual and "FROM signatures" in qual and "'houses'" in qual
