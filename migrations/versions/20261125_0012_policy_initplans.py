"""Row-level security that reads the session's settings once per statement, not once per row.

The tenant and scope policies (0002, 0011) call `app_current_org()`, `app_scope()`,
`app_scope_houses()`... Those are STABLE SQL functions, so PostgreSQL inlines them into
`current_setting(...)` calls evaluated for every row a scan looks at: the bed board of a
2,000-bed org made about 30,000 such calls, and they were most of its execution time.
Written as `(SELECT app_current_org())` each becomes an InitPlan, computed once per statement
and compared as a parameter; what a policy admits does not change.

Every policy that calls one of these functions is rewritten from its own catalog text, so this
covers the tenant policy of every table, the scope policies and any policy an earlier migration
added, without restating them. `tests/test_schema.py` keeps later migrations to the same form.

Revision ID: 0012_policy_initplans
Revises: 0011_scoped_roles
Create Date: 2026-11-25
"""

import re
from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_policy_initplans"
down_revision: str | None = "0011_scoped_roles"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SETTINGS = (
    "app_current_org",
    "app_current_user",
    "app_scope",
    "app_scope_houses",
    "app_scope_properties",
    "app_scope_resident",
)
# Array-valued ones need the cast: `= ANY ((SELECT f()))` would read as ANY(subquery).
ARRAYS = ("app_scope_houses", "app_scope_properties")

_BARE = re.compile(r"(?<![\w.])(" + "|".join(SETTINGS) + r")\(\)")
# How PostgreSQL deparses what upgrade() wrote, e.g. `(( SELECT app_scope_houses() AS
# app_scope_houses)::uuid[])` and `( SELECT app_scope() AS app_scope)`.
_WRAPPED_ARRAY = re.compile(r"\(\(\s*SELECT (" + "|".join(ARRAYS) + r")\(\) AS \w+\)::uuid\[\]\)")
_WRAPPED = re.compile(r"\(\s*SELECT (" + "|".join(SETTINGS) + r")\(\) AS \w+\)")


def _wrap(expr: str) -> str:
    def once(m: re.Match[str]) -> str:
        name = m.group(1)
        return f"((SELECT {name}())::uuid[])" if name in ARRAYS else f"(SELECT {name}())"

    return _BARE.sub(once, expr)


def _unwrap(expr: str) -> str:
    # The outer parentheses of the array form may be those of `ANY (...)`: keep a pair.
    return _WRAPPED.sub(r"\1()", _WRAPPED_ARRAY.sub(r"(\1())", expr))


def _rewrite(change: Callable[[str], str]) -> None:
    bind = op.get_bind()
    policies = bind.execute(
        sa.text(
            "SELECT tablename, policyname, qual, with_check FROM pg_policies "
            "WHERE schemaname = 'public' ORDER BY tablename, policyname"
        )
    ).all()
    for table, name, qual, check in policies:
        new_qual = change(qual) if qual else None
        new_check = change(check) if check else None
        if (new_qual, new_check) == (qual, check):
            continue
        clauses = []
        if new_qual is not None:
            clauses.append(f"USING ({new_qual})")
        if new_check is not None:
            clauses.append(f"WITH CHECK ({new_check})")
        op.execute(f'ALTER POLICY "{name}" ON "{table}" ' + " ".join(clauses))


def upgrade() -> None:
    _rewrite(_wrap)


def downgrade() -> None:
    _rewrite(_unwrap)
