"""bench/reports: the rent roll and AR aging for an org with BEDS beds (default 2,000) and MONTHS
months (default 24) of rent and payments, through the real HTTP API, beside the same queries'
bare SQL time, in one run.

Seeds a scratch embedded PostgreSQL: houses of 100 beds, one resident per bed since the first
month, a rent invoice each month posted to the ledger (receivable against rent) and paid five
days later: in full by most, half by every tenth resident, not at all in the last two months by
every fifth, so every aging bucket holds money. Then, with the API served in-process (uvicorn,
the app as `recoveryos api` builds it) and a billing specialist signed in:

- p50/p99 of `GET /v1/reports/rent-roll` and `GET /v1/reports/ar-aging` (JSON, first page of
  50; totals over every row) over RUNS requests each, after a warm-up;
- the bare SQL: the statements each report ran (captured from one call), replayed as the
  database owner (no row-level security, no ORM, no rendering), p50/p99 over the same runs;
- whether each report ties to the trial balance (it must).

    .venv/bin/python -m bench.reports [--beds 2000] [--months 24] [--runs 60]
"""

from __future__ import annotations

import argparse
import time
import uuid
from datetime import date, timedelta
from typing import Any

from bench.ledger import _setup_env

TARGET_MS = 200.0
AS_OF = date(2026, 11, 20)


def _months(n: int) -> list[date]:
    first = AS_OF.replace(day=1)
    out = []
    for _ in range(n):
        out.append(first)
        first = (first - timedelta(days=1)).replace(day=1)
    return out[::-1]


def _seed(beds: int, months: int) -> uuid.UUID:
    from psycopg.types.range import Range
    from sqlalchemy import insert, select, text

    from core.db import owner_engine, tenant_session
    from core.enums import EntryDirection, InvoiceStatus
    from models.orgs import Organization
    from models.payments import Invoice, LedgerEntry
    from models.resident_tracking import BedOccupancy
    from models.residents import Admission
    from services.billing import accounts
    from tests.billing.builders import admit, make_house

    org_id = uuid.uuid4()
    with tenant_session(org_id, actor_type="bench") as s:
        s.add(Organization(id=org_id, name="Bench org", slug=f"bench-{org_id.hex[:8]}"))
        s.flush()
        acct = accounts.ensure_accounts(s)
    periods = _months(months)
    start = periods[0]
    residents: list[tuple[uuid.UUID, uuid.UUID]] = []
    for h in range(max(1, beds // 100)):
        n = min(100, beds - h * 100)
        house = make_house(org_id, beds=n, rooms=max(1, n // 4), name=f"House {h:02d}")
        rids = admit(org_id, house, [(start, None)] * n, weekly_rate_cents=21_000)
        with tenant_session(org_id, actor_type="bench") as s:
            adm = dict(
                s.execute(
                    select(Admission.resident_id, Admission.id).where(Admission.resident_id.in_(rids))
                ).all()
            )
            s.execute(
                insert(BedOccupancy),
                [
                    {
                        "id": uuid.uuid4(),
                        "org_id": org_id,
                        "bed_id": b,
                        "resident_id": r,
                        "admission_id": adm[r],
                        "during": Range(start, None, "[)"),
                    }
                    for r, b in zip(rids, house.bed_ids, strict=True)
                ],
            )
        residents += [(r, house.house_id) for r in rids]
    D, C = EntryDirection.DEBIT, EntryDirection.CREDIT
    rent = 90_000
    for m, due in enumerate(periods):
        invoices, lines = [], []
        for i, (rid, house_id) in enumerate(residents):
            inv = uuid.uuid4()
            invoices.append(
                {
                    "id": inv,
                    "org_id": org_id,
                    "resident_id": rid,
                    "house_id": house_id,
                    "number": f"INV-{m:03d}-{i:06d}",
                    "status": InvoiceStatus.OPEN,
                    "is_rent": True,
                    "period_start_date": due,
                    "period_end_date": due + timedelta(days=27),
                    "issued_date": due,
                    "due_date": due,
                    "subtotal_cents": rent,
                    "total_cents": rent,
                    "idempotency_key": f"bench:{inv}",
                }
            )
            j = uuid.uuid4()
            common = {"org_id": org_id, "resident_id": rid, "invoice_id": inv, "effective_date": due}
            lines += [
                {
                    "id": uuid.uuid4(),
                    "journal_id": j,
                    "line_no": 1,
                    "account_id": acct[accounts.RECEIVABLE],
                    "direction": D,
                    "amount_cents": rent,
                    **common,
                },
                {
                    "id": uuid.uuid4(),
                    "journal_id": j,
                    "line_no": 2,
                    "account_id": acct[accounts.RENT_REVENUE],
                    "direction": C,
                    "amount_cents": rent,
                    **common,
                },
            ]
            paid = 0 if (i % 5 == 0 and m >= months - 2) else rent // 2 if i % 10 == 1 else rent
            on = due + timedelta(days=5)
            if paid and on <= AS_OF:
                p = uuid.uuid4()
                common = {**common, "effective_date": on}
                lines += [
                    {
                        "id": uuid.uuid4(),
                        "journal_id": p,
                        "line_no": 1,
                        "account_id": acct[accounts.CASH],
                        "direction": D,
                        "amount_cents": paid,
                        **common,
                    },
                    {
                        "id": uuid.uuid4(),
                        "journal_id": p,
                        "line_no": 2,
                        "account_id": acct[accounts.RECEIVABLE],
                        "direction": C,
                        "amount_cents": paid,
                        **common,
                    },
                ]
        with tenant_session(org_id, actor_type="bench") as s:
            s.execute(insert(Invoice), invoices)
            for k in range(0, len(lines), 5_000):
                s.execute(insert(LedgerEntry), lines[k : k + 5_000])
        # Fresh statistics, so the balance check at commit (one query per line) finds a journal
        # by its index, not by scanning a table the planner still believes empty.
        with owner_engine().connect() as c:
            c.execute(text("ANALYZE ledger_entries"))
            c.execute(text("ANALYZE invoices"))
            c.commit()
    return org_id


def _user(org_id: uuid.UUID) -> str:
    from api.auth import login
    from core.db import tenant_session
    from core.enums import UserRole
    from core.passwords import hash_password
    from tests.factories import add_user

    email = f"billing.{org_id.hex[:8]}@example.test"
    with tenant_session(org_id, actor_type="bench") as s:
        add_user(
            s,
            UserRole.BILLING_SPECIALIST,
            org_id=org_id,
            email=email,
            first_name="Bench",
            last_name="Reader",
            password_hash=hash_password("x" * 16),
        )
    got = login(email, "x" * 16, request_id="bench", source_ip="127.0.0.1", user_agent="bench")
    assert got is not None and not got.mfa_pending
    return got.token


def _statements(org_id: uuid.UUID, report: str) -> list[tuple[str, Any]]:
    """The SQL one call of the report runs, as the driver received it."""
    from sqlalchemy import event

    from core.db import app_engine, tenant_session
    from services.reports import financial
    from services.reports.financial import AgingBy

    seen: list[tuple[str, Any]] = []

    def grab(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")) and "ledger_entries" in statement:
            seen.append((statement, params))

    engine = app_engine()
    event.listen(engine, "before_cursor_execute", grab)
    try:
        with tenant_session(org_id, actor_type="bench") as s:
            if report == "rent-roll":
                financial.rent_roll(s, AS_OF)
            else:
                financial.ar_aging(s, AS_OF, AgingBy.RESIDENT)
    finally:
        event.remove(engine, "before_cursor_execute", grab)
    return seen


def _bare(statements: list[tuple[str, Any]], runs: int) -> list[float]:
    from core.db import owner_engine

    times = []
    with owner_engine().connect() as c:
        raw = c.connection.dbapi_connection
        assert raw is not None
        for _ in range(runs):
            t = time.perf_counter()
            cur = raw.cursor()
            for sql, params in statements:
                cur.execute(sql, params)
                cur.fetchall()
            cur.close()
            times.append(time.perf_counter() - t)
    return times


def _pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(q * (len(xs) - 1)))] * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--beds", type=int, default=2_000)
    ap.add_argument("--months", type=int, default=24)
    ap.add_argument("--runs", type=int, default=60)
    args = ap.parse_args()
    server = _setup_env()
    try:
        import httpx

        from api.app import create_app
        from core.bootstrap import migrate
        from tests.harness import api_server

        migrate()
        t = time.perf_counter()
        org_id = _seed(args.beds, args.months)
        print(f"seeded {args.beds:,} beds x {args.months} months in {time.perf_counter() - t:.1f} s")
        token = _user(org_id)
        paths = {
            "rent-roll": f"/v1/reports/rent-roll?as_of={AS_OF}",
            "ar-aging": f"/v1/reports/ar-aging?as_of={AS_OF}&by=resident",
        }
        print(f"{'report':<10} {'API p50':>9} {'API p99':>9} {'SQL p50':>9} {'SQL p99':>9}  ties  rows")
        worst = 0.0
        with (
            api_server(create_app()) as base,
            httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60) as http,
        ):
            for name, path in paths.items():
                for _ in range(3):
                    http.get(path).raise_for_status()
                times = []
                for _ in range(args.runs):
                    t = time.perf_counter()
                    r = http.get(path)
                    times.append(time.perf_counter() - t)
                    r.raise_for_status()
                body = r.json()
                ties = all(x["ties"] for x in body["ties"]) and bool(body["ties"])
                rows = body["totals"].get("beds") or sum(1 for _ in body["items"])
                bare = _bare(_statements(org_id, name), args.runs)
                worst = max(worst, _pct(times, 0.99))
                api = f"{_pct(times, 0.5):>7.1f}ms {_pct(times, 0.99):>7.1f}ms"
                sql = f"{_pct(bare, 0.5):>7.1f}ms {_pct(bare, 0.99):>7.1f}ms"
                print(f"{name:<10} {api} {sql}  {'yes' if ties else 'NO':<4}  {rows}")
                if not ties:
                    raise SystemExit(f"{name} does not tie to the trial balance")
        verdict = "met" if worst <= TARGET_MS else "MISSED"
        print(f"worst API p99 {worst:.1f} ms (target {TARGET_MS:.0f} ms): {verdict}")
    finally:
        if server is not None:
            server.cleanup()  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
