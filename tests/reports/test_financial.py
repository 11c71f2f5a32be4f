"""Money reports on an org whose answers are worked out by hand (tests/reports/builders.py),
and on the demo seed: every report ties out to the ledger's trial balance."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

import registry
from core.db import tenant_session
from seed import SeedResult, seed_org
from services.reports import financial
from services.reports.financial import AgingBy
from tests.reports.builders import Known


def _ties(report: financial.Report) -> None:
    assert report.ties, f"{report.name} states no tie"
    assert all(t.ties for t in report.ties), [(t.label, t.report_cents, t.ledger_cents) for t in report.ties]


def test_aging_puts_what_each_invoice_owes_in_the_bucket_of_its_days_past_due(known: Known) -> None:
    with tenant_session(known.org.org_id, actor_type="test") as s:
        march = financial.ar_aging(s, date(2026, 3, 10), AgingBy.RESIDENT)
        january = financial.ar_aging(s, date(2026, 1, 20), AgingBy.RESIDENT)
        by_invoice = financial.ar_aging(s, date(2026, 3, 10), AgingBy.INVOICE)
        by_payer = financial.ar_aging(s, date(2026, 3, 10), AgingBy.PAYER)
        by_house = financial.ar_aging(s, date(2026, 3, 10), AgingBy.HOUSE)
        march.sliced(s, 0, None)
    # B owes 1,000 - 400 + 25 late fee, 37 days past due; C owes 1,000, 9 days; D was written off.
    (ana,) = march.rows
    assert (ana["resident_id"], ana["name"]) == (known.ana, "Test Resident")
    assert [ana[b] for b in financial.BUCKETS] == [0, 100_000, 62_500, 0, 0]
    assert march.totals["total_cents"] == 162_500
    _ties(march)
    # On 2026-01-20 only Ben's D is owed: 500 - 100, 66 days past due (A is paid; B not issued).
    assert [(r["resident_id"], r["d61_90"], r["total_cents"]) for r in january.rows] == [
        (known.ben, 40_000, 40_000)
    ]
    _ties(january)
    assert sorted(r["total_cents"] for r in by_invoice.rows) == [62_500, 100_000]
    assert [(r["name"], r["total_cents"]) for r in by_payer.rows] == [("Resident (self-pay)", 162_500)]
    assert [(r["name"], r["total_cents"]) for r in by_house.rows] == [("Known House", 162_500)]


def test_the_rent_roll_lists_every_bed_with_its_occupant_charges_payments_and_balance(known: Known) -> None:
    with tenant_session(known.org.org_id, actor_type="test") as s:
        roll = financial.rent_roll(s, date(2026, 2, 10))
        rows = roll.sliced(s, 0, None)
    got = [
        (r["bed"], r["status"], r["resident_id"], r["charges_cents"], r["payments_cents"], r["balance_cents"])
        for r in rows
    ]
    assert got == [
        ("B-0", "occupied", known.ana, 100_000, 40_000, 60_000),
        ("B-1", "occupied", known.ben, 0, 0, 40_000),
        ("B-2", "vacant", None, 0, 0, 0),
    ]
    assert rows[0]["weekly_rate_cents"] == 25_000 and rows[0]["resident"] == "Test Resident"
    assert (roll.totals["beds"], roll.totals["occupied"], roll.totals["balance_cents"]) == (3, 2, 100_000)
    _ties(roll)
    # After Ben left his receivable is no longer on a bed, and still ties.
    with tenant_session(known.org.org_id, actor_type="test") as s:
        later = financial.rent_roll(s, date(2026, 2, 16))
    assert later.totals["occupied"] == 1 and later.totals["receivable_not_in_a_bed_cents"] == 40_000
    _ties(later)


def test_deposits_held_collections_write_offs_and_late_fees_tie_to_their_accounts(known: Known) -> None:
    with tenant_session(known.org.org_id, actor_type="test") as s:
        held = financial.deposits_held(s, date(2026, 2, 10))
        before = financial.deposits_held(s, date(2025, 12, 31))
        taken = financial.collections(s, date(2026, 1, 1), date(2026, 2, 28))
        gone = financial.write_offs_and_late_fees(s, date(2026, 2, 1), date(2026, 2, 28))
    assert [(r["resident_id"], r["held_cents"]) for r in held.rows] == [(known.ana, 50_000)]
    assert before.rows == [] and before.ties[0].ties
    _ties(held)
    assert [(r["day"], r["method"], r["amount_cents"]) for r in taken.rows] == [
        ("2026-01-01", "cash", 50_000),
        ("2026-01-05", "cash", 100_000),
        ("2026-02-10", "ach", 40_000),
    ]
    assert (taken.totals["amount_cents"], taken.totals["cash_cents"], taken.totals["ach_cents"]) == (
        190_000,
        150_000,
        40_000,
    )
    _ties(taken)
    assert [(r["kind"], r["amount_cents"], r["day"]) for r in gone.rows] == [
        ("late_fee", 2_500, "2026-02-15"),
        ("write_off", 40_000, "2026-02-20"),
    ]
    _ties(gone)


def test_the_trial_balance_balances_and_a_backwards_period_is_refused(known: Known) -> None:
    from core.errors import Rejected

    with tenant_session(known.org.org_id, actor_type="test") as s:
        tb = financial.trial_balance(s, date(2026, 3, 10))
        with pytest.raises(Rejected) as no:
            financial.collections(s, date(2026, 2, 1), date(2026, 1, 1))
    _ties(tb)
    balances = {r["code"]: r["balance_cents"] for r in tb.rows}
    assert (balances["1100"], balances["2100"], balances["6200"], balances["4300"]) == (
        162_500,
        50_000,
        40_000,
        2_500,
    )
    assert no.value.field == "to"


@pytest.fixture(scope="module")
def seeded(database: str) -> SeedResult:
    return seed_org(
        uuid.uuid4(), registry.seed_story(), seed_value=11, slug=f"reports-{uuid.uuid4().hex[:8]}"
    )


def test_every_money_report_on_the_demo_seed_ties_out_to_the_trial_balance(seeded: SeedResult) -> None:
    day = date.today()
    with tenant_session(seeded.org_id, actor_type="test") as s:
        reports = [
            financial.trial_balance(s, day),
            *[financial.ar_aging(s, day, by) for by in AgingBy],
            financial.rent_roll(s, day),
            financial.deposits_held(s, day),
            financial.collections(s, date(day.year - 1, 1, 1), day),
            financial.write_offs_and_late_fees(s, date(day.year - 1, 1, 1), day),
        ]
        assert financial.account_net(s, "1100", day) != 0, "the seed bills someone"
    for r in reports:
        _ties(r)
