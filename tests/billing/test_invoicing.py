"""Rates, rent invoices, payments, credit and refunds against the real database."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select, text

from core.contracts.billing import RentBatch
from core.db import tenant_session
from core.enums import (
    BillingFrequency,
    InvoiceStatus,
    LineItemType,
    PaymentMethodType,
    PaymentStatus,
    UserRole,
)
from core.errors import Conflict, Rejected
from models.payments import Invoice, InvoiceLineItem, LedgerEntry
from services import ledger
from services.billing import accounts, invoices, payments, rates, refunds, rent
from services.billing.payments import NewPayment
from services.billing.rates import NewRate
from tests.billing.builders import HouseIds, admit, make_house
from tests.factories import OrgFactory, SampleOrg

M, W = BillingFrequency.MONTHLY, BillingFrequency.WEEKLY
NOV = date(2026, 11, 1)


def _rate(org: SampleOrg, cents: int, freq: BillingFrequency = M, **kw: Any) -> None:
    with tenant_session(org.org_id, actor_type="test") as s:
        rates.create_rate(
            s, uuid.uuid4(), NewRate(name="Rent", amount_cents=cents, billing_frequency=freq, **kw)
        )


def _run(org: SampleOrg, as_of: date, limit: int = 100, after: uuid.UUID | None = None) -> RentBatch:
    with tenant_session(org.org_id, actor_type="test") as s:
        return rent.issue_rent_batch(s, as_of, after, limit)


def _invoices(org: SampleOrg) -> dict[uuid.UUID, Invoice]:
    with tenant_session(org.org_id, actor_type="test") as s:
        rows = s.scalars(select(Invoice)).all()
        for r in rows:
            s.expunge(r)
        return {r.resident_id: r for r in rows}


def _counts(org: SampleOrg) -> tuple[int, int, int, int]:
    with tenant_session(org.org_id, actor_type="test") as s:
        return (
            s.scalar(select(func.count()).select_from(Invoice)) or 0,
            s.scalar(select(func.count()).select_from(InvoiceLineItem)) or 0,
            s.scalar(select(func.count()).select_from(LedgerEntry)) or 0,
            accounts.trial_balance(s),
        )


@pytest.fixture
def org(orgs: OrgFactory) -> SampleOrg:
    return orgs.create((UserRole.BILLING_SPECIALIST,))


@pytest.fixture
def house(org: SampleOrg) -> HouseIds:
    return make_house(org.org_id, beds=8, rooms=2)


def test_rates_for_the_same_target_and_line_type_cannot_overlap(org: SampleOrg, house: HouseIds) -> None:
    _rate(
        org, 90_000, house_id=house.house_id, effective_from=date(2026, 1, 1), effective_to=date(2026, 7, 1)
    )
    with pytest.raises(Conflict, match="already covers") as err:
        _rate(org, 95_000, house_id=house.house_id, effective_from=date(2026, 6, 30))
    assert err.value.field == "effective_from"
    # Adjacent ranges ([from, to) is half-open), another line type, another target: all fine.
    _rate(org, 95_000, house_id=house.house_id, effective_from=date(2026, 7, 1))
    _rate(
        org,
        5_000,
        house_id=house.house_id,
        effective_from=date(2026, 1, 1),
        line_type=LineItemType.PROGRAM_FEE,
    )
    _rate(org, 99_000, room_id=house.room_ids[0], effective_from=date(2026, 1, 1))
    with pytest.raises(Rejected):
        _rate(org, 1, house_id=house.house_id, room_id=house.room_ids[0], effective_from=date(2027, 1, 1))


def test_the_database_itself_refuses_overlapping_rates(org: SampleOrg, house: HouseIds) -> None:
    from sqlalchemy.exc import IntegrityError

    _rate(org, 90_000, bed_id=house.bed_ids[0], effective_from=date(2026, 1, 1))
    with (
        pytest.raises(IntegrityError, match="ex_rate_configs_target_period"),
        tenant_session(org.org_id, actor_type="test") as s,
    ):
        s.execute(
            text(
                "INSERT INTO rate_configs (id, org_id, bed_id, name, line_type, billing_frequency,"
                " amount_cents, effective_from_date, effective_to_date)"
                " VALUES (gen_random_uuid(), :o, :b, 'x', 'rent', 'weekly', 1, '2025-12-01', '2026-01-02')"
            ),
            {"o": org.org_id, "b": house.bed_ids[0]},
        )


def test_a_month_with_admissions_and_discharges_mid_month_is_prorated(
    org: SampleOrg, house: HouseIds
) -> None:
    _rate(org, 90_000, house_id=house.house_id, effective_from=date(2026, 1, 1))
    _rate(
        org,
        6_000,
        house_id=house.house_id,
        effective_from=date(2026, 1, 1),
        line_type=LineItemType.PROGRAM_FEE,
    )
    whole, moved_in, moved_out, both, gone, later = admit(
        org.org_id,
        house,
        [
            (date(2026, 10, 3), None),
            (date(2026, 11, 16), None),
            (date(2026, 10, 1), date(2026, 11, 11)),
            (date(2026, 11, 6), date(2026, 11, 21)),
            (date(2026, 9, 1), date(2026, 10, 20)),  # left before November
            (date(2026, 12, 2), None),  # arrives after the run's day
        ],
    )
    batch = _run(org, date(2026, 11, 30))
    assert batch.issued == 4
    inv = _invoices(org)
    assert set(inv) == {whole, moved_in, moved_out, both}
    assert gone not in inv and later not in inv
    # 30-day November: 15 nights, 10 nights, 15 nights.
    assert inv[whole].total_cents == 96_000
    assert inv[moved_in].total_cents == 45_000 + 3_000
    assert inv[moved_out].total_cents == 30_000 + 2_000
    assert inv[both].total_cents == 45_000 + 3_000
    assert all((i.period_start_date, i.period_end_date) == (NOV, date(2026, 11, 30)) for i in inv.values())
    assert all(i.status is InvoiceStatus.OPEN for i in inv.values())
    with tenant_session(org.org_id, actor_type="test") as s:
        acct = accounts.ensure_accounts(s)
        for i in inv.values():
            assert accounts.invoice_outstanding(s, i.id) == i.total_cents
        revenue = s.scalar(
            select(func.sum(LedgerEntry.amount_cents)).where(
                LedgerEntry.account_id == acct[accounts.RENT_REVENUE]
            )
        )
        assert revenue == 90_000 + 45_000 + 30_000 + 45_000
        assert accounts.trial_balance(s) == 0


def test_the_most_specific_rate_wins_bed_over_room_over_house(org: SampleOrg, house: HouseIds) -> None:
    _rate(org, 80_000, house_id=house.house_id, effective_from=date(2026, 1, 1))
    _rate(org, 85_000, room_id=house.room_ids[1], effective_from=date(2026, 1, 1))
    _rate(org, 99_000, bed_id=house.bed_ids[3], effective_from=date(2026, 1, 1))
    # Beds alternate rooms: bed 0 in room 0, bed 1 in room 1, bed 3 in room 1 with its own rate.
    r0, r1, _r2, r3 = admit(org.org_id, house, [(date(2026, 1, 1), None)] * 4)
    _run(org, NOV)
    inv = _invoices(org)
    assert (inv[r0].total_cents, inv[r1].total_cents, inv[r3].total_cents) == (80_000, 85_000, 99_000)


def test_weekly_rates_bill_the_monday_to_sunday_week(org: SampleOrg, house: HouseIds) -> None:
    _rate(org, 21_000, W, house_id=house.house_id, effective_from=date(2026, 1, 1))
    (wednesday,) = admit(org.org_id, house, [(date(2026, 11, 25), None)])
    _run(org, date(2026, 11, 25))
    inv = _invoices(org)[wednesday]
    assert (inv.period_start_date, inv.period_end_date) == (date(2026, 11, 23), date(2026, 11, 29))
    assert inv.total_cents == 15_000


def test_a_retried_batch_writes_nothing_twice(org: SampleOrg, house: HouseIds) -> None:
    _rate(org, 90_000, house_id=house.house_id, effective_from=date(2026, 1, 1))
    admit(org.org_id, house, [(date(2026, 1, 1), None)] * 5)
    first = _run(org, NOV, limit=3)
    assert (first.scanned, first.issued) == (3, 3) and first.next_after is not None
    before = _counts(org)
    again = _run(org, NOV, limit=3)  # the same batch, as after a lost activity result
    assert (again.scanned, again.issued, again.next_after) == (3, 0, first.next_after)
    assert _counts(org) == before
    rest = _run(org, NOV, limit=3, after=first.next_after)
    assert (rest.scanned, rest.issued, rest.next_after) == (2, 2, None)
    assert _counts(org) == (5, 5, 10, 0)
    # A later day in the same month finds every invoice of the period already issued.
    assert _run(org, date(2026, 11, 20)).issued == 0


def test_a_rent_batch_is_audited_by_one_chained_entry_naming_every_invoice_and_journal_it_wrote(
    org: SampleOrg, house: HouseIds
) -> None:
    from core import audit, audit_sealer
    from models.audit import AuditLog

    _rate(org, 90_000, house_id=house.house_id, effective_from=date(2026, 1, 1))
    admit(org.org_id, house, [(date(2026, 1, 1), None)] * 6)
    audit_sealer.seal_pending(org.org_id)
    with tenant_session(org.org_id, actor_type="test") as s:
        head = s.scalar(select(func.max(AuditLog.seq))) or 0
    assert _run(org, NOV).issued == 6
    audit_sealer.seal_pending(org.org_id)
    with tenant_session(org.org_id, actor_type="test") as s:
        written = s.scalars(select(AuditLog).where(AuditLog.seq > head)).all()
        invoices = {str(i.id) for i in s.scalars(select(Invoice)).all()}
        # An auditor looking for one invoice finds the entry that wrote it by its id.
        one = sorted(invoices)[3]
        found = s.scalars(select(AuditLog).where(AuditLog.details["invoice_ids"].contains([one]))).all()
        report = audit.verify_org(s.connection(), org.org_id)
    # One entry for the batch (not one per invoice, line item and ledger entry), chained.
    assert len(written) == 1
    (entry,) = written
    assert (entry.entity_type, entry.action.value, entry.actor_type) == ("invoices", "create", "test")
    assert set(entry.details["invoice_ids"]) == invoices
    assert set(entry.details["journal_ids"]) == {str(ledger.journal_id_for(f"invoice:{i}")) for i in invoices}
    assert entry.details["rows"] == {"invoices": 6, "invoice_line_items": 6, "ledger_entries": 12}
    assert [f.id for f in found] == [entry.id]
    assert report.ok, report.reason
    # A retried batch writes nothing, and so audits nothing.
    assert _run(org, NOV).issued == 0
    assert audit_sealer.seal_pending(org.org_id) == 0


def test_partial_payment_then_overpayment_becomes_credit_for_the_next_invoice(
    org: SampleOrg, house: HouseIds
) -> None:
    _rate(org, 90_000, house_id=house.house_id, effective_from=date(2026, 1, 1))
    (rid,) = admit(org.org_id, house, [(date(2026, 1, 1), None)])
    _run(org, NOV)
    nov = _invoices(org)[rid]
    with tenant_session(org.org_id, org.users[UserRole.BILLING_SPECIALIST], actor_type="test") as s:
        cash = payments.record_received_payment(
            s, uuid.uuid4(), NewPayment(rid, 40_000, PaymentMethodType.CASH, nov.id), recorded_by=None
        )
        assert cash.receipt_number and cash.receipt_number.startswith("RCPT-")
        assert invoices.get_invoice(s, nov.id).status is InvoiceStatus.PARTIALLY_PAID
    with tenant_session(org.org_id, actor_type="test") as s:
        payments.record_received_payment(
            s,
            uuid.uuid4(),
            NewPayment(rid, 70_000, PaymentMethodType.CHECK, nov.id, reference="1042"),
            recorded_by=None,
        )
        assert invoices.get_invoice(s, nov.id).status is InvoiceStatus.PAID
        acct = accounts.ensure_accounts(s)
        assert accounts.resident_credits(s, [rid], acct) == {rid: 20_000}
    _run(org, date(2026, 12, 1))
    with tenant_session(org.org_id, actor_type="test") as s:
        dec = s.scalars(select(Invoice).where(Invoice.period_start_date == date(2026, 12, 1))).one()
        assert accounts.invoice_outstanding(s, dec.id) == 70_000
        assert dec.status is InvoiceStatus.OPEN
        assert accounts.resident_credits(s, [rid], accounts.ensure_accounts(s)) == {}
        assert accounts.trial_balance(s) == 0


def test_a_repeated_payment_record_posts_once(org: SampleOrg, house: HouseIds) -> None:
    _rate(org, 90_000, house_id=house.house_id, effective_from=date(2026, 1, 1))
    (rid,) = admit(org.org_id, house, [(date(2026, 1, 1), None)])
    _run(org, NOV)
    pid, inv = uuid.uuid4(), _invoices(org)[rid]
    for _ in range(2):
        with tenant_session(org.org_id, actor_type="test") as s:
            payments.record_received_payment(
                s, pid, NewPayment(rid, 90_000, PaymentMethodType.MONEY_ORDER, inv.id), recorded_by=None
            )
    with tenant_session(org.org_id, actor_type="test") as s:
        assert accounts.invoice_outstanding(s, inv.id) == 0
        assert (
            s.scalar(select(func.count()).select_from(LedgerEntry).where(LedgerEntry.payment_id == pid)) == 2
        )


def test_refunds_reverse_the_payment_credit_first_then_reopen_the_invoice(
    org: SampleOrg, house: HouseIds
) -> None:
    _rate(org, 90_000, house_id=house.house_id, effective_from=date(2026, 1, 1))
    (rid,) = admit(org.org_id, house, [(date(2026, 1, 1), None)])
    _run(org, NOV)
    inv, pid = _invoices(org)[rid], uuid.uuid4()
    with tenant_session(org.org_id, actor_type="test") as s:
        payments.record_received_payment(
            s, pid, NewPayment(rid, 100_000, PaymentMethodType.CASH, inv.id), recorded_by=None
        )
    with tenant_session(org.org_id, actor_type="test") as s:
        refunds.record_refund(s, uuid.uuid4(), pid, 15_000, requested_by=None)
    with tenant_session(org.org_id, actor_type="test") as s:
        assert accounts.resident_credits(s, [rid], accounts.ensure_accounts(s)) == {}
        assert accounts.invoice_outstanding(s, inv.id) == 5_000
        assert invoices.get_invoice(s, inv.id).status is InvoiceStatus.PARTIALLY_PAID
        assert payments.get_payment(s, pid).status is PaymentStatus.PARTIALLY_REFUNDED
        reversing = s.scalar(
            select(func.count()).select_from(LedgerEntry).where(LedgerEntry.reverses_journal_id.is_not(None))
        )
        assert reversing == 3
        with pytest.raises(Rejected, match="between 1 and 85000"):
            refunds.record_refund(s, uuid.uuid4(), pid, 85_001, requested_by=None)
    with tenant_session(org.org_id, actor_type="test") as s:
        assert accounts.trial_balance(s) == 0
