"""`recoveryos` — dev, migrate, worker, api, seed, keys rotate, audit verify."""

from __future__ import annotations

import argparse
import sys
import uuid

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
        log_config=None,
        access_log=False,
        proxy_headers=True,
    )
    return 0


def _dev(args: argparse.Namespace) -> int:
    from cli.dev import run_dev

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


# Commands that reach the database attach to the embedded PostgreSQL in local mode.
NEEDS_DATABASE = {"migrate", "worker", "api", "seed", "keys", "audit"}


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="recoveryos", description="RecoveryOS backend")
    sub = p.add_subparsers(dest="command", required=True)

    sub.add_parser(
        "dev", help="run PostgreSQL, Temporal + UI, migrations, worker and API on this machine"
    ).set_defaults(fn=_dev)
    m = sub.add_parser("migrate", help="apply database migrations as the owner role")
    m.add_argument("--revision", default="head")
    m.set_defaults(fn=_migrate)
    sub.add_parser("worker", help="run the Temporal worker").set_defaults(fn=_worker)
    a = sub.add_parser("api", help="run the HTTP API")
    a.add_argument("--host")
    a.add_argument("--port", type=int)
    a.set_defaults(fn=_api)

    s = sub.add_parser("seed", help="create the deterministic demo organisation")
    s.add_argument("--scale", type=int, default=1)
    s.add_argument("--seed", type=int, default=42)
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
