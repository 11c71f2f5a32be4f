"""Engines for the two database roles and the tenant session: the only way code reaches
tenant data.

The owner role runs migrations and admin commands. Everything else connects as
`recoveryos_app` (NOSUPERUSER NOBYPASSRLS) and sees rows only for the org set with
`SET LOCAL app.org_id` inside the current transaction, so a connection returned to the pool
carries no tenant with it.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

from core.audit import write_audit_trail
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
# The engine each role's accessor returned for the current Settings object: two dict lookups
# per transaction instead of building and rendering the URL (0.2 ms of CPU) every time.
_current: dict[str, tuple[Settings, Engine]] = {}
# A pooled connection idle longer than this is pinged before use (one round trip); one used
# more recently is not: a restarted database is noticed on the next checkout after a pause,
# and a disconnect seen by any statement invalidates the whole pool (SQLAlchemy).
PING_AFTER_IDLE_SECONDS = 1.0


def _engine(url: URL, pool_size: int) -> Engine:
    key = (url.render_as_string(hide_password=False), pool_size)
    with _engines_lock:
        eng = _engines.get(key)
        if eng is None:
            # LIFO: under load the same few connections stay hot and the rest idle out.
            eng = _engines[key] = create_engine(url, pool_size=pool_size, max_overflow=10, pool_use_lifo=True)
            _ping_when_idle(eng)
        return eng


def _ping_when_idle(eng: Engine) -> None:
    @event.listens_for(eng, "checkin")
    def _checkin(_dbapi: object, record: object) -> None:
        record.info["idle_since"] = time.monotonic()  # type: ignore[attr-defined]

    @event.listens_for(eng, "checkout")
    def _checkout(dbapi: object, record: object, _proxy: object) -> None:
        since = record.info.get("idle_since")  # type: ignore[attr-defined]
        if since is not None and time.monotonic() - since > PING_AFTER_IDLE_SECONDS:
            try:
                eng.dialect.do_ping(dbapi)  # type: ignore[arg-type]
            except eng.dialect.loaded_dbapi.Error as err:
                # The pool discards this connection and checks out another (a fresh one).
                raise exc.DisconnectionError(str(err)) from err


def _cached(role: str, build: Callable[[Settings], Engine]) -> Engine:
    s = get_settings()
    hit = _current.get(role)
    if hit is not None and hit[0] is s:
        return hit[1]
    eng = build(s)
    _current[role] = (s, eng)
    return eng


def owner_engine() -> Engine:
    return _cached("owner", lambda s: _engine(owner_url(s), 2))


def app_engine() -> Engine:
    return _cached("app", lambda s: _engine(app_url(s), 10))


def dispose_engines() -> None:
    with _engines_lock:
        _current.clear()
        for eng in _engines.values():
            eng.dispose()
        _engines.clear()


_Session = sessionmaker(expire_on_commit=False)


def set_tenant(
    session: Session,
    org_id: uuid.UUID | str,
    user_id: uuid.UUID | str | None = None,
    scope: Scope = ORG_WIDE,
) -> None:
    # set_config(..., true) is SET LOCAL with bind parameters: it ends with the transaction.
    # The scope (core/scope.py, migration 0011) rides in the same statement: a driver-level
    # statement on the session's connection, so no ORM compilation per request.
    session.connection().exec_driver_sql(
        "SELECT set_config('app.org_id', %(org)s, true), set_config('app.user_id', %(usr)s, true), "
        "set_config('app.scope', %(scope)s, true), set_config('app.house_ids', %(houses)s, true), "
        "set_config('app.property_ids', %(properties)s, true), "
        "set_config('app.resident_id', %(resident)s, true)",
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
    session = _Session(bind=engine or app_engine())
    session.info["actor"] = {
        "org_id": uuid.UUID(str(org_id)),
        "user_id": uuid.UUID(str(user_id)) if user_id else None,
        "actor_type": actor_type,
        "request_id": request_id,
        "source_ip": source_ip,
        "process": dict(process) if process else None,
    }
    # What the database will let this transaction see; services that keep org-wide caches
    # (services/bed_board.py) read it to know whether they may.
    session.info["scope"] = scope
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
