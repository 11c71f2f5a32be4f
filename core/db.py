"""Engines for the two database roles and the tenant session: the only way code reaches
tenant data.

The owner role runs migrations and admin commands. Everything else connects as
`recoveryos_app` (NOSUPERUSER NOBYPASSRLS) and sees rows only for the org set with
`SET LOCAL app.org_id` inside the current transaction, so a connection returned to the pool
carries no tenant with it.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker, with_loader_criteria

from core.config import APP_ROLE, Settings, get_settings
from core.scope import ORG_WIDE, Scope


def sqlalchemy_url(raw: str) -> URL:
    url = make_url(raw)
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    return url


def owner_url(settings: Settings | None = None) -> URL:
    s = settings or get_settings()
    if not s.database_url:
        raise RuntimeError("DATABASE_URL is not set (recoveryos dev starts an embedded PostgreSQL for you)")
    return sqlalchemy_url(s.database_url)


def app_url(settings: Settings | None = None) -> URL:
    s = settings or get_settings()
    if s.app_database_url:
        return sqlalchemy_url(s.app_database_url)
    return owner_url(s).set(username=APP_ROLE, password=s.app_db_password)


_engines: dict[tuple[str, int], Engine] = {}
_engines_lock = threading.Lock()


def _engine(url: URL, pool_size: int) -> Engine:
    key = (url.render_as_string(hide_password=False), pool_size)
    with _engines_lock:
        eng = _engines.get(key)
        if eng is None:
            eng = _engines[key] = create_engine(url, pool_size=pool_size, max_overflow=10, pool_pre_ping=True)
        return eng


def owner_engine() -> Engine:
    return _engine(owner_url(), 2)


def app_engine() -> Engine:
    return _engine(app_url(), 10)


def dispose_engines() -> None:
    with _engines_lock:
        for eng in _engines.values():
            eng.dispose()
        _engines.clear()


_Session = sessionmaker(expire_on_commit=False)


@event.listens_for(Session, "do_orm_execute")
def _hide_soft_deleted(state: ORMExecuteState) -> None:
    """Every ORM SELECT skips soft-deleted rows unless asked with include_deleted=True."""
    from models.base import SoftDeleteMixin

    if (
        state.is_select
        and not state.is_column_load
        and not state.is_relationship_load
        and not state.execution_options.get("include_deleted", False)
    ):
        state.statement = state.statement.options(
            with_loader_criteria(SoftDeleteMixin, lambda cls: cls.deleted_at.is_(None), include_aliases=True)
        )


def set_tenant(
    session: Session,
    org_id: uuid.UUID | str,
    user_id: uuid.UUID | str | None = None,
    scope: Scope = ORG_WIDE,
) -> None:
    # set_config(..., true) is SET LOCAL with bind parameters: it ends with the transaction.
    # The scope (core/scope.py, migration 0011) rides in the same statement.
    session.execute(
        text(
            "SELECT set_config('app.org_id', :org, true), set_config('app.user_id', :usr, true), "
            "set_config('app.scope', :scope, true), set_config('app.house_ids', :houses, true), "
            "set_config('app.property_ids', :properties, true), "
            "set_config('app.resident_id', :resident, true)"
        ),
        {"org": str(org_id), "usr": str(user_id) if user_id else "", **scope.settings()},
    )


@contextmanager
def tenant_session(
    org_id: uuid.UUID | str,
    user_id: uuid.UUID | str | None = None,
    *,
    actor_type: str = "user",
    request_id: str | None = None,
    source_ip: str | None = None,
    process: dict[str, str] | None = None,
    engine: Engine | None = None,
    scope: Scope = ORG_WIDE,
) -> Iterator[Session]:
    """One transaction as `recoveryos_app` scoped to one org; commits on success.

    PHI decrypted during the transaction is audited as a read just before commit. `process`
    (workflow type, id and run id) is copied into every audit entry's details, so a row can be
    traced back to the process that wrote it. `scope` narrows what the transaction sees within
    the org (an API caller's role assignments); workflows and the seed keep the default.
    """
    from core.audit import write_audit_trail

    session = _Session(bind=engine or app_engine())
    session.info["actor"] = {
        "org_id": uuid.UUID(str(org_id)),
        "user_id": uuid.UUID(str(user_id)) if user_id else None,
        "actor_type": actor_type,
        "request_id": request_id,
        "source_ip": source_ip,
        "process": dict(process) if process else None,
    }
    try:
        with session.begin():
            set_tenant(session, org_id, user_id, scope)
            yield session
            write_audit_trail(session)
    finally:
        session.close()


@contextmanager
def owner_session() -> Iterator[Session]:
    """Owner connection for migrations and platform administration only."""
    session = _Session(bind=owner_engine())
    try:
        with session.begin():
            yield session
    finally:
        session.close()
