"""Direct database helpers for tests that check the database itself, not the API."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, create_engine, text

from core.db import app_url, owner_url
from core.scope import ORG_WIDE, Scope


@contextmanager
def as_app(
    org_id: uuid.UUID | None = None, user_id: uuid.UUID | None = None, scope: Scope | None = ORG_WIDE
) -> Iterator[Connection]:
    """A raw connection as recoveryos_app, in a transaction that is rolled back; with an org,
    org-wide unless another scope is given (None: no scope set at all)."""
    eng = create_engine(app_url())
    with eng.connect() as conn:
        trans = conn.begin()
        if org_id is not None:
            conn.execute(text("SELECT set_config('app.org_id', :o, true)"), {"o": str(org_id)})
        if org_id is not None and scope is not None:
            settings = scope.settings()
            for name, guc in (
                ("scope", "app.scope"),
                ("houses", "app.house_ids"),
                ("properties", "app.property_ids"),
                ("resident", "app.resident_id"),
            ):
                conn.execute(text("SELECT set_config(:g, :v, true)"), {"g": guc, "v": settings[name]})
        if user_id is not None:
            conn.execute(text("SELECT set_config('app.user_id', :u, true)"), {"u": str(user_id)})
        try:
            yield conn
        finally:
            trans.rollback()
    eng.dispose()


@contextmanager
def as_owner() -> Iterator[Connection]:
    """The owner (a superuser in the embedded cluster), committed on exit."""
    eng = create_engine(owner_url())
    with eng.begin() as conn:
        yield conn
    eng.dispose()


def database_url() -> str:
    return os.environ["DATABASE_URL"]
