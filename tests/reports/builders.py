"""A small org whose every report answer is worked out by hand (the numbers in the docstrings).

One house, three beds. Ana (bed B-0) moved in on 2026-01-01 and stays; Ben (bed B-1) stayed
from 2025-11-01 to 2026-02-15. Money, each journal posted through billing's own services where
one exists:

- Ana: invoices A (due 2026-01-01), B (2026-02-01) and C (2026-03-01), 1,000.00 each, posted on
  their due days; a 500.00 cash deposit on 2026-01-01; 1,000.00 cash on A on 2026-01-05;
  400.00 by ACH on B on 2026-02-10; a 25.00 late fee on B on 2026-02-15.
- Ben: invoice D (due 2025-11-15) of 500.00; 100.00 by check on 2025-12-01; the 400.00 left
  written off on 2026-02-20.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from psycopg.types.range import Range
from sqlalchemy import insert, select

from core.db import tenant_session
from core.enums import InvoiceStatus, PaymentMethodType, UserRole
from models.payments import Invoice
from models.resident_tracking import BedOccupancy
from models.residents import Admission
from services.billing import accounts, deposits, dunning, payments
from services.billing.accounts import LATE_FEE_REVENUE, RECEIVABLE, RENT_REVENUE
from services.billing.payments import NewPayment
from services.ledger import Journal, Line, journal_id_for, post_journals
from tests.billing.builders import HouseIds, admit, make_house
from tests.factories import OrgFactory, SampleOrg

D, C = accounts.D, accounts.C
ROLES = (
    UserRole.BILLING_SPECIALIST,
    UserRole.PROPERTY_MANAGER,
    UserRole.HOUSE_MANAGER,
    UserRole.EXECUTIVE_DIRECTOR,
)


@dataclass(frozen=True)
class Known:
    org: SampleOrg
    house: HouseIds
    ana: uuid.UUID
    ben: uuid.UUID
    invoices: dict[str, uuid.UUID]


def _invoice(
    org_id: uuid.UUID, house: HouseIds, resident: uuid.UUID, name: str, due: date, cents: int
) -> uuid.UUID:
    inv_id = uuid.uuid4()
    with tenant_session(org_id, actor_type="test") as s:
        s.add(
            Invoice(
                id=inv_id,
                org_id=org_id,
                resident_id=resident,
                house_id=house.house_id,
                number=f"INV-{name}-{inv_id.hex[:6]}",
                status=InvoiceStatus.OPEN,
                is_rent=True,
                period_start_date=due,
                period_end_date=due,
                issued_date=due,
                due_date=due,
                subtotal_cents=cents,
                total_cents=cents,
                idempotency_key=f"known:{inv_id}",
            )
        )
        s.flush()
        acct = accounts.ensure_accounts(s)
        lines = [
            Line(acct[RECEIVABLE], D, cents, resident, inv_id),
            Line(acct[RENT_REVENUE], C, cents, resident, inv_id),
        ]
        post_journals(
            s, org_id, [Journal(journal_id_for(f"invoice:{inv_id}"), lines, due, "Rent invoice issued")]
        )
    return inv_id


def _pay(
    org_id: uuid.UUID,
    resident: uuid.UUID,
    invoice: uuid.UUID,
    cents: int,
    method: PaymentMethodType,
    on: date,
) -> None:
    with tenant_session(org_id, actor_type="test") as s:
        data = NewPayment(resident, cents, method, invoice_id=invoice, received_on=on)
        payments.record_received_payment(s, uuid.uuid4(), data, recorded_by=None)


def stays(
    org_id: uuid.UUID, house: HouseIds, residents: list[uuid.UUID], ranges: list[tuple[date, date | None]]
) -> None:
    """The beds' stays (admit() writes admissions only): resident n in bed n."""
    with tenant_session(org_id, actor_type="test") as s:
        for n, (rid, (first, out)) in enumerate(zip(residents, ranges, strict=True)):
            adm = s.scalars(select(Admission.id).where(Admission.resident_id == rid)).one()
            s.execute(
                insert(BedOccupancy),
                [
                    {
                        "id": uuid.uuid4(),
                        "org_id": org_id,
                        "bed_id": house.bed_ids[n],
                        "resident_id": rid,
                        "admission_id": adm,
                        "during": Range(first, out, "[)"),
                    }
                ],
            )


def known_org(orgs: OrgFactory) -> Known:
    org = orgs.create(ROLES)
    house = make_house(org.org_id, beds=3, name="Known House")
    ranges: list[tuple[date, date | None]] = [
        (date(2026, 1, 1), None),
        (date(2025, 11, 1), date(2026, 2, 15)),
    ]
    ana, ben = admit(org.org_id, house, ranges, weekly_rate_cents=25_000)
    stays(org.org_id, house, [ana, ben], ranges)
    oid = org.org_id
    inv = {
        "A": _invoice(oid, house, ana, "A", date(2026, 1, 1), 100_000),
        "B": _invoice(oid, house, ana, "B", date(2026, 2, 1), 100_000),
        "C": _invoice(oid, house, ana, "C", date(2026, 3, 1), 100_000),
        "D": _invoice(oid, house, ben, "D", date(2025, 11, 15), 50_000),
    }
    with tenant_session(oid, actor_type="test") as s:
        deposits.collect_deposit(
            s,
            uuid.uuid4(),
            ana,
            50_000,
            PaymentMethodType.CASH,
            recorded_by=None,
            received_on=date(2026, 1, 1),
        )
    _pay(oid, ben, inv["D"], 10_000, PaymentMethodType.CHECK, date(2025, 12, 1))
    _pay(oid, ana, inv["A"], 100_000, PaymentMethodType.CASH, date(2026, 1, 5))
    _pay(oid, ana, inv["B"], 40_000, PaymentMethodType.ACH, date(2026, 2, 10))
    with tenant_session(oid, actor_type="test") as s:
        acct = accounts.ensure_accounts(s)
        fee = [
            Line(acct[RECEIVABLE], D, 2_500, ana, inv["B"]),
            Line(acct[LATE_FEE_REVENUE], C, 2_500, ana, inv["B"]),
        ]
        post_journals(
            s, oid, [Journal(journal_id_for(f"late:{inv['B']}"), fee, date(2026, 2, 15), "Late fee")]
        )
    with tenant_session(oid, actor_type="test") as s:
        dunning.write_off(s, inv["D"], date(2026, 2, 20))
    return Known(org, house, ana, ben, inv)
