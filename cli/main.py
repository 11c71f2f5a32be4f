"""`recoveryos` — dev, migrate, worker, api, seed, keys rotate, audit verify."""

from __future__ import annotations

import argparse
import atexit
import os
import sys
import uuid
from pathlib import Path

from cli import schedules


def _migrate(args: argparse.Namespace) -> int:
    from core.bootstrap import migrate

    migrate(revision=args.revision)
    print(f"migrated to {args.revision}")
    return 0


def _worker(args: argparse.Namespace) -> int:
    import worker

    worker.main()
    return 0


def _api(args: argparse.Namespace) -> int:
    import uvicorn

    from core.config import get_settings
    from core.logging import configure_logging

    s = get_settings()
    configure_logging(s.log_json, s.log_level)
    uvicorn.run(
        "api.app:create_app",
        factory=True,
        host=args.host or s.api_host,
        port=args.port or s.api_port,
        # One process per core (README "Deployment"); uvloop and httptools when installed.
        workers=args.workers or s.api_workers,
        log_config=None,
        access_log=False,
        # X-Forwarded-For is believed only from RECOVERYOS_TRUSTED_PROXIES (api/middleware.py).
        proxy_headers=False,
    )
    return 0


def _dev(args: argparse.Namespace) -> int:
    from cli.dev import apply_overrides, run_dev

    apply_overrides(args.api_port, args.temporal_port, args.ui_port, args.state_dir)
    return run_dev()


def _audit_verify(args: argparse.Namespace) -> int:
    from cli.admin import audit_verify

    return audit_verify(uuid.UUID(args.org) if args.org else None)


def _keys_rotate(args: argparse.Namespace) -> int:
    from cli.admin import rotate_keys

    return rotate_keys(batch_size=args.batch_size, max_batches=args.max_batches)


def _seed(args: argparse.Namespace) -> int:
    from cli.seed import seed

    return seed(scale=args.scale, seed_value=args.seed)


DEV_HELP = """\
Runs everything on this machine and stops it all on Ctrl-C: the embedded PostgreSQL (unless
DATABASE_URL is set), the Temporal dev server and its Web UI (unless TEMPORAL_ADDRESS is set),
migrations, the worker and the API.

Ports come from one place: these flags, else the RECOVERYOS_* variables named below. The
printed URLs, the UI's codec endpoint (<public URL>/codec) and the origin the codec endpoint
accepts (http://localhost:<ui port>) all follow them. The banner says how to see decoded
payloads in the UI.
"""

SEED_HELP = """\
Creates one demo organisation "Demo Recovery Residences (seed S)" with slug demo-S, through
the same code the processes run: properties, houses, rooms and beds; residents, leads,
admissions and their history; documents and signatures; Part 2 consents; invoices, payments
and a balanced ledger; house operations; compliance records; messages; webhooks and jobs.
Every tenant table gets rows. The same S always gives the same org and the same data.

Logins: one user per role, <role>@demo-S.example.com (e.g. org_owner@demo-S.example.com),
all with the password recovery-demo-S (printed at the end). The password derives from S, so
anyone who knows S can sign in: seed only databases that hold nothing real.

Running it again with the same S changes nothing and prints the logins. A second demo org
needs another seed value: recoveryos seed --seed 43.
"""

# Commands that reach the database (and Temporal) attach to the local stack in local mode.
NEEDS_DATABASE = {"migrate", "worker", "api", "seed", "keys", "audit", "schedules"}

# Commands that end once their work is done (not the servers).
SHORT_LIVED = {"seed", "keys", "audit", "schedules", "migrate"}

STATE_DIR_HELP = (
    "the state dir of a `recoveryos dev` (RECOVERYOS_STATE_DIR, default ./.recoveryos): its embedded "
    "PostgreSQL and dev keys are used, and while that stack runs its Temporal and Stripe stand-in too"
)


def state_dir_option() -> argparse.ArgumentParser:
    """`--state-dir` for every command that talks to the stack (an argparse parent parser)."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--state-dir", type=Path, metavar="DIR", help=STATE_DIR_HELP)
    return parent


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="recoveryos", description="RecoveryOS backend")
    sub = p.add_subparsers(dest="command", required=True)

    d = sub.add_parser(
        "dev",
        help="run PostgreSQL, Temporal + UI, migrations, worker and API on this machine",
        description=DEV_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    d.add_argument(
        "--api-port", type=int, metavar="N", help="API port (env RECOVERYOS_API_PORT, default 8000)"
    )
    d.add_argument(
        "--temporal-port", type=int, metavar="N", help="Temporal gRPC port (RECOVERYOS_TEMPORAL_PORT, 7233)"
    )
    d.add_argument(
        "--ui-port", type=int, metavar="N", help="Temporal Web UI port (RECOVERYOS_TEMPORAL_UI_PORT, 8233)"
    )
    d.add_argument(
        "--state-dir",
        type=Path,
        metavar="DIR",
        help="database, Temporal history and dev keys (RECOVERYOS_STATE_DIR, ./.recoveryos)",
    )
    d.set_defaults(fn=_dev)
    stack = [state_dir_option()]
    m = sub.add_parser(
        "migrate",
        parents=stack,
        help="apply database migrations as the owner role",
        description="Brings the database to a schema revision with Alembic, connected as the owner "
        "(DATABASE_URL), and sets the password of the unprivileged role the API and the worker use. "
        "Safe to run again: a database at the revision is left as it is.",
    )
    m.add_argument(
        "--revision",
        default="head",
        metavar="REV",
        help="Alembic revision to reach (default: head, the latest)",
    )
    m.set_defaults(fn=_migrate)
    sub.add_parser(
        "worker",
        parents=stack,
        help="run the Temporal worker",
        description="Polls the task queue (RECOVERYOS_TASK_QUEUE, default recoveryos) on TEMPORAL_ADDRESS "
        "and runs every process family's workflows and activities. Run as many as you like: they share "
        "PostgreSQL and Temporal, nothing else. Stops gracefully on SIGTERM.",
    ).set_defaults(fn=_worker)
    a = sub.add_parser(
        "api",
        parents=stack,
        help="run the HTTP API",
        description="Serves the HTTP API, the resident pages and the Temporal UI's codec endpoint with "
        "uvicorn. Settings come from RECOVERYOS_* variables (README, 'Running against real servers').",
    )
    a.add_argument(
        "--host", metavar="ADDR", help="address to listen on (RECOVERYOS_API_HOST, default 127.0.0.1)"
    )
    a.add_argument(
        "--port", type=int, metavar="N", help="port to listen on (RECOVERYOS_API_PORT, default 8000)"
    )
    a.add_argument(
        "--workers", type=int, metavar="N", help="worker processes (RECOVERYOS_API_WORKERS, default 1)"
    )
    a.set_defaults(fn=_api)

    s = sub.add_parser(
        "seed",
        parents=stack,
        help="create a deterministic demo organisation (refused in production)",
        description=SEED_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    s.add_argument(
        "--scale",
        type=int,
        default=1,
        metavar="N",
        help="N properties, each with a men's and a women's house (6 beds each) and 8 residents (default 1)",
    )
    s.add_argument(
        "--seed",
        type=int,
        default=42,
        metavar="S",
        help="which demo org: same S, same org and data; another S, another org (default 42)",
    )
    s.set_defaults(fn=_seed)

    k = sub.add_parser(
        "keys", help="encryption key management", description="Field-encryption key management."
    ).add_subparsers(dest="keys_cmd", required=True, metavar="{rotate}")
    r = k.add_parser(
        "rotate",
        parents=stack,
        help="re-encrypt every field under the active key (resumable)",
        description="Re-encrypts every encrypted field whose key id is not the active one "
        "(RECOVERYOS_FIELD_KEYS names the keys; the first is active), in batches, each in its own "
        "transaction. Stopping it is safe: run it again to go on where it stopped. Keep the old keys "
        "configured until it reports nothing left.",
    )
    r.add_argument(
        "--batch-size",
        type=int,
        default=500,
        metavar="N",
        help="rows re-encrypted per transaction (default 500)",
    )
    r.add_argument(
        "--max-batches", type=int, metavar="N", help="stop after this many batches (run again to resume)"
    )
    r.set_defaults(fn=_keys_rotate)

    au = sub.add_parser("audit", help="audit log tools", description="Audit log tools.").add_subparsers(
        dest="audit_cmd", required=True, metavar="{verify}"
    )
    v = au.add_parser(
        "verify",
        parents=stack,
        help="check every org's HMAC chain; names the first broken entry",
        description="Recomputes each org's HMAC chain in its own transaction and compares its head with "
        "the last checkpoint its anchor workflow signed in Temporal. Prints one line per org (ok, "
        "BROKEN with the first bad sequence number and the kind of damage, or UNANCHORED) and a summary. "
        "Exit status: 0 all ok, 1 a chain is broken, 2 completeness could not be proven (anchors "
        "unreadable or a chain unanchored).",
    )
    v.add_argument("--org", metavar="UUID", help="check this organisation only (default: every org)")
    v.set_defaults(fn=_audit_verify)
    schedules.register(sub, stack)
    return p


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    if getattr(args, "state_dir", None) is not None and args.command != "dev":
        os.environ["RECOVERYOS_STATE_DIR"] = str(args.state_dir)
    if args.command in NEEDS_DATABASE:
        from cli.local import attach_local_stack

        attach_local_stack()
    code = args.fn(args)
    if args.command in SHORT_LIVED:
        # A process that used a Temporal client can abort in interpreter finalization
        # ("PyGILState_Release: thread state … must be current", temporalio/sdk-python#300):
        # run the exit handlers (the embedded PostgreSQL's among them), then leave without it.
        sys.stdout.flush()
        sys.stderr.flush()
        atexit._run_exitfuncs()
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":
    main()
