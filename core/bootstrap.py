"""Database bootstrap: migrations as the owner, then the app role's login password.

The migrations create `recoveryos_app` (NOLOGIN) so their grants always have a grantee;
here it gets LOGIN and its password, which never appear in a migration.
"""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from psycopg import sql
from sqlalchemy import create_engine, pool, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import ProgrammingError

from core.config import APP_ROLE, get_settings
from core.db import owner_url

log = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parent.parent


def alembic_config(url: URL | None = None) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    if url is not None:
        cfg.attributes["url"] = url
    return cfg


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def migrate(url: URL | None = None, revision: str = "head") -> None:
    target = url or owner_url()
    command.upgrade(alembic_config(target), revision)
    set_app_password(target)
    log.info("migrations at %s", revision)


def set_app_password(url: URL) -> None:
    password = get_settings().app_db_password
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.begin() as conn:
            raw = conn.connection.driver_connection
            assert raw is not None
            stmt = sql.SQL("ALTER ROLE {} WITH LOGIN PASSWORD {}").format(
                sql.Identifier(APP_ROLE), sql.Literal(password)
            )
            raw.execute(stmt)
    finally:
        engine.dispose()


def current_revision() -> str | None:
    """The revision the database is at; None when it was never migrated."""
    eng = create_engine(owner_url())
    try:
        with eng.connect() as conn:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except ProgrammingError:
        return None
    finally:
        eng.dispose()
