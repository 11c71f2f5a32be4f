"""Money reports, summed from the ledger's journal lines (and the invoices they name) as of a
day or over a period. Nothing here stores a balance; each report carries its ties to the trial
balance, which the tests assert and the PDF prints.

Definitions (README "Reports"):
- a line counts on a day when its `effective_date` is on or before it;
- what an invoice owes is its lines on accounts receivable (1100); its age is the report day
  less its due date: not yet due is "current", then 1-30, 31-60, 61-90 and over 90 days late.
  Receivable lines naming no invoice age from their own date. Late fees post on the invoice,
  so they age with it;
- deposits held are the lines on 2100 per resident; collections are the debits to operating
  cash (1000) and Stripe clearing (1010) of payment journals, by the payment's method and day;
  write-offs are the bad-debt expense (6200) lines and late fees the late-fee revenue (4300)
  lines of the period.

A caller limited to houses sees the lines of the residents row security shows them, and the
ties (which are org-wide) are left out of their reports."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from services.billing.accounts import (
    BAD_DEBT,
    CASH,
    DEPOSITS_HELD,
    LATE_FEE_REVENUE,
    RECEIVABLE,
    RESIDENT_CREDIT,
    STRIPE_CLEARING,
)
from services.reports.base import (
    Chart,
    Column,
    Kind,
    Report,
    Tie,
    account_ids,
    name_residents,
    org_wide,
    period,
    visible_houses,
)

BUCKETS = ("current", "d1_30", "d31_60", "d61_90", "over_90")
BUCKET_LABELS = ("Current", "1-30", "31-60", "61-90", "Over 90")
# Lines of the residents a house-scoped caller may see (residents' scope policy decides).
_VISIBLE = "(:all OR le.resident_id IN (SELECT id FROM residents))"
_SIGNED = "CASE WHEN le.direction = 'debit' THEN le.amount_cents ELSE -le.amount_cents END"


class AgingBy(StrEnum):
    RESIDENT = "resident"
    HOUSE = "house"
    PAYER = "payer"
    INVOICE = "invoice"


def _bind(session: Session, **kw: Any) -> dict[str, Any]:
    return {"all": org_wide(session), **kw}


def _houses_clause(houses: list[uuid.UUID] | None, column: str) -> str:
    return "" if houses is None else f" AND {column} = ANY(:houses)"


def account_net(session: Session, code: str, as_of: date) -> int:
    """Debits less credits on one account up to a day, over the whole org's ledger."""
    acct = account_ids(session, [code])[code]
    return int(
        session.scalar(
            text(
                f"SELECT coalesce(sum({_SIGNED}), 0) FROM ledger_entries le"
                " WHERE le.account_id = :a AND le.effective_date <= :d"
            ),
            {"a": acct, "d": as_of},
        )
        or 0
    )


def trial_balance(session: Session, as_of: date, first: date | None = None) -> Report:
    """Every account with its debits and credits (over [first, as_of], or everything up to
    as_of) and its balance on as_of in its normal direction; debits equal credits."""
    rows = session.execute(
        text(
            """
            SELECT a.code, a.name, a.account_type::text AS type, a.normal_balance::text AS normal,
              coalesce(sum(le.amount_cents) FILTER (WHERE le.direction = 'debit'
                AND le.effective_date >= :first), 0) AS debits,
              coalesce(sum(le.amount_cents) FILTER (WHERE le.direction = 'credit'
                AND le.effective_date >= :first), 0) AS credits,
              coalesce(sum(CASE WHEN le.direction = 'debit' THEN le.amount_cents
                ELSE -le.amount_cents END), 0) AS net
            FROM ledger_accounts a
            LEFT JOIN ledger_entries le ON le.account_id = a.id AND le.effective_date <= :as_of
            WHERE a.deleted_at IS NULL
            GROUP BY a.code, a.name, a.account_type, a.normal_balance
            ORDER BY a.code
            """
        ),
        {"as_of": as_of, "first": first or date.min},
    ).all()
    out = [
        {
            "code": r.code,
            "account": r.name,
            "type": r.type,
            "debits_cents": int(r.debits),
            "credits_cents": int(r.credits),
            "balance_cents": int(r.net) if r.normal == "debit" else -int(r.net),
        }
        for r in rows
    ]
    debits, credits = sum(r["debits_cents"] for r in out), sum(r["credits_cents"] for r in out)
    return Report(
        "trial_balance",
        "Trial balance",
        {"as_of": as_of.isoformat(), **({"from": first.isoformat()} if first else {})},
        [
            Column("code", "Code"),
            Column("account", "Account"),
            Column("type", "Type"),
            Column("debits_cents", "Debits", Kind.CENTS),
            Column("credits_cents", "Credits", Kind.CENTS),
            Column("balance_cents", "Balance", Kind.CENTS),
        ],
        out,
        {"debits_cents": debits, "credits_cents": credits},
        [Tie("Debits equal credits", debits, credits)],
    )


def _balance_by_code(session: Session, as_of: date) -> dict[str, int]:
    return {r["code"]: r["balance_cents"] for r in trial_balance(session, as_of).rows}


def ar_aging(session: Session, as_of: date, by: AgingBy, house_id: uuid.UUID | None = None) -> Report:
    houses = visible_houses(session, house_id)
    ar = account_ids(session, [RECEIVABLE])[RECEIVABLE]
    dim = {
        AgingBy.RESIDENT: "o.resident_id",
        AgingBy.HOUSE: "o.house_id",
        AgingBy.PAYER: "o.payer_config_id",
        AgingBy.INVOICE: "o.invoice_id",
    }[by]
    house_filter = "" if houses is None else " AND i.house_id = ANY(:houses)"
    rows = session.execute(
        text(
            f"""
            WITH owed AS (
              SELECT le.invoice_id, le.resident_id, sum({_SIGNED}) AS cents,
                     min(le.effective_date) AS first_day
              FROM ledger_entries le
              WHERE le.account_id = :ar AND le.effective_date <= :as_of AND {_VISIBLE}
              GROUP BY le.invoice_id, le.resident_id
            ), o AS (
              SELECT owed.*, i.house_id, i.payer_config_id, i.number,
                     :as_of - coalesce(i.due_date, owed.first_day) AS age
              FROM owed LEFT JOIN invoices i ON i.id = owed.invoice_id
              WHERE owed.cents <> 0{house_filter}
            )
            SELECT {dim} AS key, min(o.number) AS number, min(o.resident_id::text) AS resident,
              coalesce(sum(o.cents) FILTER (WHERE o.age <= 0), 0) AS current,
              coalesce(sum(o.cents) FILTER (WHERE o.age BETWEEN 1 AND 30), 0) AS d1_30,
              coalesce(sum(o.cents) FILTER (WHERE o.age BETWEEN 31 AND 60), 0) AS d31_60,
              coalesce(sum(o.cents) FILTER (WHERE o.age BETWEEN 61 AND 90), 0) AS d61_90,
              coalesce(sum(o.cents) FILTER (WHERE o.age > 90), 0) AS over_90,
              sum(o.cents) AS total
            FROM o GROUP BY {dim}
            ORDER BY sum(o.cents) DESC, {dim}
            """
        ),
        _bind(session, ar=ar, as_of=as_of, houses=houses),
    ).all()
    labels = _labels(session, by, [r.key for r in rows])
    out: list[dict[str, Any]] = []
    for r in rows:
        row: dict[str, Any] = {"key": str(r.key) if r.key else None, "name": labels.get(r.key, "")}
        if by is AgingBy.RESIDENT:
            row["resident_id"] = r.key
        if by is AgingBy.INVOICE:
            row["name"] = r.number or "(no invoice)"
        row.update({b: int(getattr(r, b)) for b in BUCKETS})
        row["total_cents"] = int(r.total)
        out.append(row)
    totals: dict[str, int | float | None] = {b: sum(x[b] for x in out) for b in BUCKETS}
    totals["total_cents"] = sum(x["total_cents"] for x in out)
    ties = []
    if houses is None and org_wide(session):
        ties.append(
            Tie(
                "Aging total = accounts receivable (1100)",
                int(totals["total_cents"] or 0),
                account_net(session, RECEIVABLE, as_of),
            )
        )
    report = Report(
        "ar_aging",
        "Accounts receivable aging",
        {"as_of": as_of.isoformat(), "by": by.value, **({"house_id": str(house_id)} if house_id else {})},
        [
            Column("name", by.value.capitalize()),
            *[Column(b, lbl, Kind.CENTS) for b, lbl in zip(BUCKETS, BUCKET_LABELS, strict=True)],
            Column("total_cents", "Total", Kind.CENTS),
        ],
        out,
        totals,
        ties,
        [],
        ["Age = report day - invoice due date; not yet due is Current."],
    )
    report.charts.append(
        Chart("bar", "Receivable by days past due", "bucket", ["cents"], "USD", aging_buckets(report))
    )
    if by is AgingBy.RESIDENT:
        report.name_rows = _name_resident_keys
    return report


def _name_resident_keys(session: Session, rows: list[dict[str, Any]]) -> None:
    name_residents(session, rows)
    for r in rows:
        r["name"] = r.pop("resident", "") or r["name"]


def _labels(session: Session, by: AgingBy, keys: list[Any]) -> dict[Any, str]:
    if by is AgingBy.HOUSE:
        found = session.execute(
            text("SELECT id, name FROM houses WHERE id = ANY(:ids)"), {"ids": [k for k in keys if k]}
        )
        out: dict[Any, str] = {r.id: r.name for r in found}
        out[None] = "(no house)"
        return out
    if by is AgingBy.PAYER:
        found = session.execute(
            text(
                "SELECT id, coalesce(organization_name, payer_type::text) AS name"
                " FROM payer_configs WHERE id = ANY(:ids)"
            ),
            {"ids": [k for k in keys if k]},
        )
        out = {r.id: r.name for r in found}
        out[None] = "Resident (self-pay)"
        return out
    return {}


def aging_buckets(report: Report) -> list[dict[str, Any]]:
    """The chart's rows: one bar per bucket."""
    return [{"bucket": lbl, "cents": report.totals[b]} for b, lbl in zip(BUCKETS, BUCKET_LABELS, strict=True)]


def rent_roll(session: Session, as_of: date, house_id: uuid.UUID | None = None) -> Report:
    """Every bed of the houses shown on `as_of`: who is in it (a stay covering the day), their
    weekly rate, what was charged and paid on receivable from the first of the month to
    `as_of`, and what they owe on `as_of` (receivable less credit held)."""
    houses = visible_houses(session, house_id)
    acct = account_ids(session, [RECEIVABLE, RESIDENT_CREDIT])
    month = as_of.replace(day=1)
    beds = session.execute(
        text(
            f"""
            SELECT h.id AS house_id, h.name AS house, ro.name AS room, b.id AS bed_id, b.label AS bed,
                   b.status::text AS bed_status, o.resident_id, a.weekly_rate_cents
            FROM beds b
            JOIN rooms ro ON ro.id = b.room_id AND ro.deleted_at IS NULL
            JOIN houses h ON h.id = ro.house_id AND h.deleted_at IS NULL
            LEFT JOIN bed_occupancies o ON o.bed_id = b.id AND o.during @> CAST(:as_of AS date)
            LEFT JOIN admissions a ON a.id = o.admission_id
            WHERE b.deleted_at IS NULL{_houses_clause(houses, "h.id")}
            ORDER BY h.name, h.id, ro.name, b.label
            """
        ),
        {"as_of": as_of, "houses": houses},
    ).all()
    money = session.execute(
        text(
            f"""
            SELECT le.resident_id,
              coalesce(sum(le.amount_cents) FILTER (WHERE le.account_id = :ar AND le.direction = 'debit'
                AND le.effective_date >= :month), 0) AS charges,
              coalesce(sum(le.amount_cents) FILTER (WHERE le.account_id = :ar AND le.direction = 'credit'
                AND le.effective_date >= :month), 0) AS payments,
              coalesce(sum({_SIGNED}) FILTER (WHERE le.account_id = :ar), 0) AS receivable,
              coalesce(-sum({_SIGNED}) FILTER (WHERE le.account_id = :credit), 0) AS credit
            FROM ledger_entries le
            WHERE le.account_id IN (:ar, :credit) AND le.effective_date <= :as_of
              AND le.resident_id IS NOT NULL AND {_VISIBLE}
            GROUP BY le.resident_id
            """
        ),
        _bind(session, ar=acct[RECEIVABLE], credit=acct[RESIDENT_CREDIT], month=month, as_of=as_of),
    ).all()
    by_resident = {m.resident_id: m for m in money}
    out: list[dict[str, Any]] = []
    for b in beds:
        m = by_resident.get(b.resident_id) if b.resident_id else None
        receivable, credit = (int(m.receivable), int(m.credit)) if m else (0, 0)
        out.append(
            {
                "house_id": str(b.house_id),
                "house": b.house,
                "room": b.room,
                "bed": b.bed,
                "status": "occupied"
                if b.resident_id
                else ("out of service" if b.bed_status == "out_of_service" else "vacant"),
                "resident_id": b.resident_id,
                "resident": "",
                "weekly_rate_cents": int(b.weekly_rate_cents or 0) if b.resident_id else 0,
                "charges_cents": int(m.charges) if m else 0,
                "payments_cents": int(m.payments) if m else 0,
                "receivable_cents": receivable,
                "credit_cents": credit,
                "balance_cents": receivable - credit,
            }
        )
    keys = (
        "weekly_rate_cents",
        "charges_cents",
        "payments_cents",
        "receivable_cents",
        "credit_cents",
        "balance_cents",
    )
    totals: dict[str, int | float | None] = {k: sum(r[k] for r in out) for k in keys}
    totals["beds"] = len(out)
    totals["occupied"] = sum(1 for r in out if r["resident_id"])
    bedded = {r["resident_id"] for r in out if r["resident_id"]}
    others = sum(int(m.receivable) for m in money if m.resident_id not in bedded)
    totals["receivable_not_in_a_bed_cents"] = others
    ties = []
    if houses is None and org_wide(session):
        ties.append(
            Tie(
                "Roll receivable + residents not in a bed = accounts receivable (1100)",
                int(totals["receivable_cents"] or 0) + others,
                account_net(session, RECEIVABLE, as_of),
            )
        )
    report = Report(
        "rent_roll",
        "Rent roll",
        {
            "as_of": as_of.isoformat(),
            "month_from": month.isoformat(),
            **({"house_id": str(house_id)} if house_id else {}),
        },
        [
            Column("house", "House"),
            Column("room", "Room"),
            Column("bed", "Bed"),
            Column("status", "Status"),
            Column("resident", "Resident"),
            Column("weekly_rate_cents", "Weekly rate", Kind.CENTS),
            Column("charges_cents", "Charges MTD", Kind.CENTS),
            Column("payments_cents", "Payments MTD", Kind.CENTS),
            Column("balance_cents", "Balance", Kind.CENTS),
        ],
        out,
        totals,
        ties,
        [],
        ["Charges and payments are receivable debits and credits from the first of the month."],
        name_residents,
    )
    report.charts.append(
        Chart("bar", "Balance owed by house", "house", ["balance_cents"], "USD", balance_by_house(report))
    )
    return report


def balance_by_house(report: Report) -> list[dict[str, Any]]:
    sums: dict[str, int] = defaultdict(int)
    for r in report.rows:
        sums[r["house"]] += r["balance_cents"]
    return [{"house": h, "balance_cents": c} for h, c in sums.items()]


def deposits_held(session: Session, as_of: date, house_id: uuid.UUID | None = None) -> Report:
    houses = visible_houses(session, house_id)
    held = account_ids(session, [DEPOSITS_HELD])[DEPOSITS_HELD]
    house_filter = (
        ""
        if houses is None
        else " AND le.resident_id IN (SELECT resident_id FROM admissions WHERE house_id = ANY(:houses))"
    )
    rows = session.execute(
        text(
            f"""
            SELECT le.resident_id, -sum({_SIGNED}) AS cents, min(le.effective_date) AS since
            FROM ledger_entries le
            WHERE le.account_id = :held AND le.effective_date <= :as_of AND {_VISIBLE}{house_filter}
            GROUP BY le.resident_id HAVING sum({_SIGNED}) <> 0
            ORDER BY min(le.effective_date), le.resident_id
            """
        ),
        _bind(session, held=held, as_of=as_of, houses=houses),
    ).all()
    out = [
        {
            "resident_id": r.resident_id,
            "resident": "",
            "since": r.since.isoformat(),
            "held_cents": int(r.cents),
        }
        for r in rows
    ]
    total = sum(r["held_cents"] for r in out)
    ties = []
    if houses is None and org_wide(session):
        ties.append(
            Tie(
                "Deposits held = resident deposits held (2100)",
                total,
                -account_net(session, DEPOSITS_HELD, as_of),
            )
        )
    return Report(
        "deposits_held",
        "Deposits held",
        {"as_of": as_of.isoformat()},
        [
            Column("resident", "Resident"),
            Column("since", "Held since", Kind.DATE),
            Column("held_cents", "Held", Kind.CENTS),
        ],
        out,
        {"held_cents": total, "residents": len(out)},
        ties,
        [],
        ["A deposit is a liability: it is never in what a resident owes."],
        name_residents,
    )


def collections(session: Session, first: date, last: date, house_id: uuid.UUID | None = None) -> Report:
    period(first, last)
    houses = visible_houses(session, house_id)
    acct = account_ids(session, [CASH, STRIPE_CLEARING])
    house_filter = "" if houses is None else " AND i.house_id = ANY(:houses)"
    rows = session.execute(
        text(
            f"""
            SELECT le.effective_date AS day, p.method::text AS method, count(*) AS n,
                   sum(le.amount_cents) AS cents
            FROM ledger_entries le
            JOIN payments p ON p.id = le.payment_id
            LEFT JOIN invoices i ON i.id = le.invoice_id
            WHERE le.account_id IN (:cash, :clearing) AND le.direction = 'debit'
              AND le.effective_date BETWEEN :first AND :last AND {_VISIBLE}{house_filter}
            GROUP BY le.effective_date, p.method ORDER BY le.effective_date, p.method
            """
        ),
        _bind(
            session, cash=acct[CASH], clearing=acct[STRIPE_CLEARING], first=first, last=last, houses=houses
        ),
    ).all()
    out = [
        {"day": r.day.isoformat(), "method": r.method, "payments": int(r.n), "amount_cents": int(r.cents)}
        for r in rows
    ]
    total = sum(r["amount_cents"] for r in out)
    by_method: dict[str, int] = defaultdict(int)
    for r in out:
        by_method[r["method"]] += r["amount_cents"]
    ties = []
    if houses is None and org_wide(session):
        tb = {r["code"]: r for r in trial_balance(session, last, first).rows}
        debits = sum(tb[c]["debits_cents"] for c in (CASH, STRIPE_CLEARING) if c in tb)
        ties.append(Tie("Collections = debits to cash (1000) and Stripe clearing (1010)", total, debits))
    report = Report(
        "collections",
        "Collections",
        {"from": first.isoformat(), "to": last.isoformat()},
        [
            Column("day", "Day", Kind.DATE),
            Column("method", "Method"),
            Column("payments", "Payments", Kind.COUNT),
            Column("amount_cents", "Amount", Kind.CENTS),
        ],
        out,
        {"amount_cents": total, **{f"{m}_cents": c for m, c in sorted(by_method.items())}},
        ties,
        [],
    )
    report.charts.append(
        Chart(
            "bar", "Collections by method", "method", ["amount_cents"], "USD", collections_by_method(report)
        )
    )
    return report


def collections_by_method(report: Report) -> list[dict[str, Any]]:
    sums: dict[str, int] = defaultdict(int)
    for r in report.rows:
        sums[r["method"]] += r["amount_cents"]
    return [{"method": m, "amount_cents": c} for m, c in sorted(sums.items())]


def write_offs_and_late_fees(
    session: Session, first: date, last: date, house_id: uuid.UUID | None = None
) -> Report:
    period(first, last)
    houses = visible_houses(session, house_id)
    acct = account_ids(session, [BAD_DEBT, LATE_FEE_REVENUE])
    house_filter = "" if houses is None else " AND i.house_id = ANY(:houses)"
    rows = session.execute(
        text(
            f"""
            SELECT le.effective_date AS day, le.resident_id, i.number,
                   CASE WHEN le.account_id = :bad THEN 'write_off' ELSE 'late_fee' END AS kind,
                   sum(CASE WHEN le.account_id = :bad THEN {_SIGNED} ELSE -{_SIGNED} END) AS cents
            FROM ledger_entries le LEFT JOIN invoices i ON i.id = le.invoice_id
            WHERE le.account_id IN (:bad, :late) AND le.effective_date BETWEEN :first AND :last
              AND {_VISIBLE}{house_filter}
            GROUP BY le.effective_date, le.resident_id, i.number, kind
            ORDER BY le.effective_date, kind, i.number
            """
        ),
        _bind(
            session, bad=acct[BAD_DEBT], late=acct[LATE_FEE_REVENUE], first=first, last=last, houses=houses
        ),
    ).all()
    out = [
        {
            "day": r.day.isoformat(),
            "kind": r.kind,
            "resident_id": r.resident_id,
            "resident": "",
            "invoice": r.number or "",
            "amount_cents": int(r.cents),
        }
        for r in rows
    ]
    written = sum(r["amount_cents"] for r in out if r["kind"] == "write_off")
    fees = sum(r["amount_cents"] for r in out if r["kind"] == "late_fee")
    ties = []
    if houses is None and org_wide(session):
        tb = {r["code"]: r for r in trial_balance(session, last, first).rows}
        bad, late = tb.get(BAD_DEBT), tb.get(LATE_FEE_REVENUE)
        ties.append(
            Tie(
                "Write-offs = bad debt expense (6200) for the period",
                written,
                (bad["debits_cents"] - bad["credits_cents"]) if bad else 0,
            )
        )
        ties.append(
            Tie(
                "Late fees = late fee revenue (4300) for the period",
                fees,
                (late["credits_cents"] - late["debits_cents"]) if late else 0,
            )
        )
    return Report(
        "write_offs",
        "Write-offs and late fees",
        {"from": first.isoformat(), "to": last.isoformat()},
        [
            Column("day", "Day", Kind.DATE),
            Column("kind", "Kind"),
            Column("resident", "Resident"),
            Column("invoice", "Invoice"),
            Column("amount_cents", "Amount", Kind.CENTS),
        ],
        out,
        {"write_offs_cents": written, "late_fees_cents": fees},
        ties,
        [],
        [],
        name_residents,
    )
