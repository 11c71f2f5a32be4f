"""`recoveryos` — dev, migrate, worker, api, seed, keys rotate, audit verify."""

from __future__ import annotations

import argparse
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

# Commands that reach the database attach to the embedded PostgreSQL in local mode.
NEEDS_DATABASE = {"migrate", "worker", "api", "seed", "keys", "audit"}


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
    m = sub.add_parser("migrate", help="apply database migrations as the owner role")
    m.add_argument("--revision", default="head")
    m.set_defaults(fn=_migrate)
    sub.add_parser("worker", help="run the Temporal worker").set_defaults(fn=_worker)
    a = sub.add_parser("api", help="run the HTTP API")
    a.add_argument("--host")
    a.add_argument("--port", type=int)
    a.add_argument(
        "--workers", type=int, metavar="N", help="worker processes (RECOVERYOS_API_WORKERS, default 1)"
    )
    a.set_defaults(fn=_api)

    s = sub.add_parser(
        "seed",
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

    k = sub.add_parser("keys", help="encryption key management").add_subparsers(
        dest="keys_cmd", required=True
    )
    r = k.add_parser("rotate", help="re-encrypt every field under the active key (resumable)")
    r.add_argument("--batch-size", type=int, default=500)
    r.add_argument("--max-batches", type=int, help="stop after this many batches (run again to resume)")
    r.set_defaults(fn=_keys_rotate)

    au = sub.add_parser("audit", help="audit log tools").add_subparsers(dest="audit_cmd", required=True)
    v = au.add_parser("verify", help="check every org's HMAC chain; names the first broken entry")
    v.add_argument("--org")
    v.set_defaults(fn=_audit_verify)
    schedules.register(sub)
    return p


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    if args.command in NEEDS_DATABASE:
        from cli.local import attach_local_database

        attach_local_database()
    sys.exit(args.fn(args))


if __name__ == "__main__":
    main()
