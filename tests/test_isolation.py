"""Tenant isolation checked in the database itself, as recoveryos_app, on every table:
org A sees none of org B's rows, cannot write into org B, and with no org sees nothing."""

from __future__ import annotations

import functools
import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

import models
import registry
from core import audit
from core.db import tenant_session
from core.enums import AuditAction
from seed import SeedResult, seed_org
from tests.db import as_app, as_owner

TENANT_TABLES = sorted(t.name for t in models.metadata.tables.values() if "org_id" in t.c)
ALL_TABLES = [*TENANT_TABLES, "organizations"]


@pytest.fixture(scope="module")
def two_orgs(database: str) -> tuple[SeedResult, SeedResult]:
    a = seed_org(uuid.uuid4(), registry.seed_story(), seed_value=11, slug=f"iso-a-{uuid.uuid4().hex[:6]}")
    b = seed_org(uuid.uuid4(), registry.seed_story(), seed_value=12, slug=f"iso-b-{uuid.uuid4().hex[:6]}")
    for org in (a, b):  # the seed chains its audit events: leave one waiting in the outbox
        with tenant_session(org.org_id, actor_type="test") as s:
            audit.record(s, AuditAction.EXECUTE, "isolation_check")
    return a, b


@functools.cache
def _append_only() -> frozenset[str]:
    """Tables the database itself guards against UPDATE (the migration's append_only trigger)."""
    with as_owner() as c:
        return frozenset(
            c.execute(
                text("SELECT tgrelid::regclass::text FROM pg_trigger WHERE tgname = 'append_only'")
            ).scalars()
        )


def _app_may_update(table: str) -> bool:
    with as_owner() as c:
        return bool(
            c.execute(
                text("SELECT has_table_privilege('recoveryos_app', :t, 'UPDATE')"), {"t": table}
            ).scalar_one()
        )


def _org_col(table: str) -> str:
    return "id" if table == "organizations" else "org_id"


def test_there_are_93_tenant_tables_and_both_orgs_have_rows_in_each(
    two_orgs: tuple[SeedResult, SeedResult],
) -> None:
    assert len(TENANT_TABLES) == 93
    for org in two_orgs:
        with as_app(org.org_id) as c:
            empty = [t for t in ALL_TABLES if c.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() == 0]
        assert empty == []


@pytest.mark.parametrize("table", ALL_TABLES)
def test_org_a_sees_only_its_own_rows(two_orgs: tuple[SeedResult, SeedResult], table: str) -> None:
    a, b = two_orgs
    col = _org_col(table)
    with as_app(a.org_id) as c:
        theirs = c.execute(
            text(f"SELECT count(*) FROM {table} WHERE {col} = :b"), {"b": b.org_id}
        ).scalar_one()
        other = c.execute(
            text(f"SELECT count(*) FROM {table} WHERE {col} <> :a"), {"a": a.org_id}
        ).scalar_one()
        mine = c.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
    assert (theirs, other) == (0, 0)
    assert mine > 0


@pytest.mark.parametrize("table", ALL_TABLES)
def test_with_no_org_set_nothing_is_visible(two_orgs: tuple[SeedResult, SeedResult], table: str) -> None:
    with as_app(None) as c:
        assert c.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() == 0


@pytest.mark.parametrize("table", ALL_TABLES)
def test_org_a_cannot_write_into_org_b(two_orgs: tuple[SeedResult, SeedResult], table: str) -> None:
    a, b = two_orgs
    col = _org_col(table)
    # Copy one of A's own rows, relabelled as B's: the policy's WITH CHECK must refuse it.
    copy = (
        f"INSERT INTO {table} SELECT (jsonb_populate_record(NULL::{table}, to_jsonb(r) || "
        f"jsonb_build_object('id', gen_random_uuid(), '{col}', CAST(:b AS text)))).* FROM {table} r LIMIT 1"
    )
    with as_app(a.org_id) as c, pytest.raises(DBAPIError, match=r"row-level security|permission denied"):
        c.execute(text(copy), {"b": str(b.org_id)})
    if table in _append_only():
        return
    # A table the app may not UPDATE at all refuses before row-level security is asked.
    # Signed documents and signatures are frozen by a trigger that refuses before the policy.
    refusal = "row-level security|cannot change" if _app_may_update(table) else "permission denied"
    with as_app(a.org_id) as c, pytest.raises(DBAPIError, match=refusal):
        c.execute(text(f"UPDATE {table} SET {col} = :b"), {"b": b.org_id})
    if refusal == "permission denied":
        return
    with as_app(a.org_id) as c:
        touched = c.execute(text(f"UPDATE {table} SET {col} = {col} WHERE {col} = :b"), {"b": b.org_id})
        assert touched.rowcount == 0


def test_a_malformed_org_setting_fails_closed(two_orgs: tuple[SeedResult, SeedResult]) -> None:
    with as_app(None) as c:
        c.execute(text("SELECT set_config('app.org_id', 'not-a-uuid', true)"))
        with pytest.raises(DBAPIError, match="uuid"):
            c.execute(text("SELECT count(*) FROM residents"))


def test_the_app_role_cannot_turn_row_level_security_off(two_orgs: tuple[SeedResult, SeedResult]) -> None:
    a, _ = two_orgs
    for sql in (
        "ALTER TABLE residents NO FORCE ROW LEVEL SECURITY",
        "SET row_security = off",
        "DROP POLICY tenant_isolation ON residents",
    ):
        with as_app(a.org_id) as c:
            try:
                c.execute(text(sql))
                ok = c.execute(
                    text("SELECT count(*) FROM residents WHERE org_id <> :a"), {"a": a.org_id}
                ).scalar_one()
                assert ok == 0
            except DBAPIError as exc:
                assert (
                    "must be owner" in str(exc)
                    or "row-level security" in str(exc)
                    or "permission" in str(exc)
                )
