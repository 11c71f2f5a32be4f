"""Money is double-entry and the database enforces it: balanced journals only, immutable
entries, corrections by reversal, balances by query."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from sqlalchemy import insert, text
from sqlalchemy.exc import DBAPIError, IntegrityError

import registry
from core.db import tenant_session
from core.enums import EntryDirection as D
from core.enums import LedgerAccountType, UserRole
from models.payments import LedgerAccount, LedgerEntry
from services.ledger import (
    Line,
    UnbalancedJournal,
    account_balance,
    journal_id_for,
    post_journal,
    resident_balance,
    reverse_journal,
)
from tests.db import as_app
from tests.factories import OrgFactory, SampleOrg

DAY = date(2026, 11, 1)


def _accounts(org: SampleOrg) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID]:
    with tenant_session(org.org_id, actor_type="test") as s:
        ar = LedgerAccount(
            org_id=org.org_id,
            code="1200",
            name="Resident receivables",
            account_type=LedgerAccountType.ASSET,
            normal_balance=D.DEBIT,
        )
        cash = LedgerAccount(
            org_id=org.org_id,
            code="1000",
            name="Operating cash",
            account_type=LedgerAccountType.ASSET,
            normal_balance=D.DEBIT,
        )
        rent = LedgerAccount(
            org_id=org.org_id,
            code="4000",
            name="Rent revenue",
            account_type=LedgerAccountType.REVENUE,
            normal_balance=D.CREDIT,
        )
        s.add_all([ar, cash, rent])
    return ar.id, cash.id, rent.id


def _raw_entry(org: SampleOrg, journal: uuid.UUID, line: int, account: uuid.UUID, d: D, cents: int) -> dict:
    return {
        "id": uuid.uuid4(),
        "org_id": org.org_id,
        "journal_id": journal,
        "line_no": line,
        "account_id": account,
        "direction": d,
        "amount_cents": cents,
        "effective_date": DAY,
    }


def test_rent_charge_and_payment_give_balances_by_query(orgs: OrgFactory) -> None:
    org = orgs.create((UserRole.BILLING_SPECIALIST,))
    ar, cash, rent = _accounts(org)
    with tenant_session(org.org_id, actor_type="test") as s:
        assert post_journal(
            s,
            org.org_id,
            journal_id_for("rent:2026-11"),
            [Line(ar, D.DEBIT, 85_000), Line(rent, D.CREDIT, 85_000)],
            DAY,
        )
        assert post_journal(
            s,
            org.org_id,
            journal_id_for("pay:1"),
            [Line(cash, D.DEBIT, 50_000), Line(ar, D.CREDIT, 50_000)],
            DAY,
        )
    with tenant_session(org.org_id, actor_type="test") as s:
        assert account_balance(s, ar) == 35_000
        assert account_balance(s, cash) == 50_000
        assert account_balance(s, rent) == 85_000


def test_a_retried_posting_is_a_no_op(orgs: OrgFactory) -> None:
    org = orgs.create((UserRole.BILLING_SPECIALIST,))
    ar, _cash, rent = _accounts(org)
    lines = [Line(ar, D.DEBIT, 1_000), Line(rent, D.CREDIT, 1_000)]
    for expected in (True, False):
        with tenant_session(org.org_id, actor_type="test") as s:
            assert post_journal(s, org.org_id, journal_id_for("late-fee:inv-7"), lines, DAY) is expected
    with tenant_session(org.org_id, actor_type="test") as s:
        assert account_balance(s, ar) == 1_000


def test_the_database_rejects_an_unbalanced_journal_at_commit(orgs: OrgFactory) -> None:
    org = orgs.create((UserRole.BILLING_SPECIALIST,))
    ar, _cash, rent = _accounts(org)
    j = uuid.uuid4()
    # The check runs at commit, which is when the tenant session closes.
    with (
        pytest.raises(IntegrityError, match="unbalanced"),
        tenant_session(org.org_id, actor_type="test") as s,
    ):
        s.execute(
            insert(LedgerEntry),
            [_raw_entry(org, j, 1, ar, D.DEBIT, 500), _raw_entry(org, j, 2, rent, D.CREDIT, 499)],
        )
    with (
        pytest.raises(IntegrityError, match="unbalanced"),
        tenant_session(org.org_id, actor_type="test") as s,
    ):
        s.execute(insert(LedgerEntry), [_raw_entry(org, uuid.uuid4(), 1, ar, D.DEBIT, 500)])
    with tenant_session(org.org_id, actor_type="test") as s:
        assert (
            s.execute(text("SELECT count(*) FROM ledger_entries")).scalar_one() == 0
        )  # nothing half-written


def test_the_python_side_refuses_before_the_database_has_to(orgs: OrgFactory) -> None:
    org = orgs.create((UserRole.BILLING_SPECIALIST,))
    ar, _cash, rent = _accounts(org)
    with tenant_session(org.org_id, actor_type="test") as s, pytest.raises(UnbalancedJournal):
        post_journal(s, org.org_id, uuid.uuid4(), [Line(ar, D.DEBIT, 2), Line(rent, D.CREDIT, 1)], DAY)


def test_entries_are_immutable_and_corrections_are_reversals(orgs: OrgFactory) -> None:
    org = orgs.create((UserRole.BILLING_SPECIALIST,))
    ar, _cash, rent = _accounts(org)
    j = journal_id_for("rent:oops")
    with tenant_session(org.org_id, actor_type="test") as s:
        post_journal(s, org.org_id, j, [Line(ar, D.DEBIT, 9_999), Line(rent, D.CREDIT, 9_999)], DAY)
    for sql in ("UPDATE ledger_entries SET amount_cents = 1", "DELETE FROM ledger_entries"):
        with as_app(org.org_id) as c, pytest.raises(DBAPIError, match="permission denied"):
            c.execute(text(sql))
    with tenant_session(org.org_id, actor_type="test") as s:
        reverse_journal(s, org.org_id, j, DAY)
    with tenant_session(org.org_id, actor_type="test") as s:
        assert account_balance(s, ar) == 0 and account_balance(s, rent) == 0
        assert s.execute(text("SELECT count(*) FROM ledger_entries")).scalar_one() == 4


def test_resident_balance_sums_only_that_residents_entries(orgs: OrgFactory) -> None:
    from seed import seed_org

    result = seed_org(uuid.uuid4(), registry.seed_story(), seed_value=7)
    with tenant_session(result.org_id, actor_type="test") as s:
        rows = s.execute(
            text(
                "SELECT resident_id, account_id, sum(CASE WHEN direction = 'debit' THEN amount_cents "
                "ELSE -amount_cents END) AS bal FROM ledger_entries WHERE resident_id IS NOT NULL "
                "GROUP BY resident_id, account_id"
            )
        ).all()
        assert rows, "the seed posts resident entries"
        for r in rows:
            assert resident_balance(s, r.resident_id, r.account_id) == r.bal
        total = s.execute(
            text(
                "SELECT sum(CASE WHEN direction = 'debit' THEN amount_cents ELSE -amount_cents END) "
                "FROM ledger_entries"
            )
        ).scalar_one()
        assert total == 0  # every journal balances, so the whole ledger does
