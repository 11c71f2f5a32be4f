"""Reading money over real HTTP: invoices listed with filters and paging, a resident's balance
and their statement, every amount summed from the ledger's journal lines."""

from __future__ import annotations

import uuid
from datetime import date

import httpx
import pytest

from core.db import tenant_session
from core.enums import PaymentMethodType, UserRole
from services.billing import payments
from services.billing.payments import NewPayment
from tests.dunning.builders import RENT, Billed, billed_org
from tests.factories import OrgFactory

DUE = date(2026, 1, 5)
READER = UserRole.BILLING_SPECIALIST


def _pay(org_id: uuid.UUID, resident: uuid.UUID, cents: int, on: date, invoice: uuid.UUID | None) -> None:
    with tenant_session(org_id, actor_type="test") as s:
        data = NewPayment(resident, cents, PaymentMethodType.CASH, invoice_id=invoice, received_on=on)
        payments.record_received_payment(s, uuid.uuid4(), data, recorded_by=None)


@pytest.fixture(scope="module")
def billed(orgs: OrgFactory) -> Billed:
    """Two residents billed RENT for January; the first paid 300.00 on the invoice on the 10th and
    700.00 unassigned (kept as credit) on the 20th."""
    b = billed_org(orgs, DUE, residents=2, steps=[])
    first, invoice = b.resident_ids[0], b.invoice_ids[0]
    _pay(b.org.org_id, first, 30_000, date(2026, 1, 10), invoice)
    _pay(b.org.org_id, first, 70_000, date(2026, 1, 20), None)
    return b


def _get(stack: str, b: Billed, path: str, **params: str | int) -> httpx.Response:
    with httpx.Client(base_url=stack, headers=b.org.headers(READER), timeout=60) as http:
        return http.get(path, params=params)


def test_a_residents_balance_is_what_their_invoices_owe_less_the_credit_they_hold(
    stack: str, billed: Billed
) -> None:
    first, second = billed.resident_ids
    r = _get(stack, billed, f"/v1/billing/residents/{first}/balance", as_of="2026-01-31")
    assert r.status_code == 200, r.text
    got = r.json()
    assert (got["receivable_cents"], got["credit_cents"], got["balance_cents"]) == (
        RENT - 30_000,
        70_000,
        -10_000,
    )
    # As of a day before the unassigned payment, the credit is not there yet.
    early = _get(stack, billed, f"/v1/billing/residents/{first}/balance", as_of="2026-01-15").json()
    assert early["balance_cents"] == RENT - 30_000
    assert _get(stack, billed, f"/v1/billing/residents/{second}/balance").json()["balance_cents"] == RENT
    unknown = _get(stack, billed, f"/v1/billing/residents/{uuid.uuid4()}/balance")
    assert (unknown.status_code, unknown.json()["field"]) == (404, "resident_id")


def test_a_statement_lists_dated_journals_with_a_running_balance_from_the_opening_balance(
    stack: str, billed: Billed
) -> None:
    first = billed.resident_ids[0]
    path = f"/v1/billing/residents/{first}/statement"
    whole = _get(stack, billed, path, **{"from": "2025-12-01", "to": "2026-01-31"}).json()
    assert whole["opening_balance_cents"] == 0 and whole["closing_balance_cents"] == -10_000
    assert [(x["change_cents"], x["balance_cents"]) for x in whole["lines"]] == [
        (RENT, RENT),
        (-30_000, RENT - 30_000),
        (-70_000, -10_000),
    ]
    assert [x["effective_date"] for x in whole["lines"][1:]] == ["2026-01-10", "2026-01-20"]
    assert whole["lines"][0]["invoice_id"] == str(billed.invoice_ids[0])
    late = _get(stack, billed, path, **{"from": "2026-01-15", "to": "2026-01-31"}).json()
    assert (late["from"], late["opening_balance_cents"], len(late["lines"])) == (
        "2026-01-15",
        RENT - 30_000,
        1,
    )
    backwards = _get(stack, billed, path, **{"from": "2026-01-15", "to": "2026-01-01"})
    assert (backwards.status_code, backwards.json()["field"]) == (422, "to")
    missing = _get(stack, billed, path, **{"from": "2026-01-15"})
    assert (missing.status_code, missing.json()["field"]) == (422, "to")


def test_invoices_are_listed_by_status_resident_house_and_due_window_with_what_each_still_owes(
    stack: str, billed: Billed
) -> None:
    first, second = billed.resident_ids
    inv1, inv2 = (str(i) for i in billed.invoice_ids)

    def ids(**params: str | int) -> list[str]:
        r = _get(stack, billed, "/v1/billing/invoices", **params)
        assert r.status_code == 200, r.text
        return [i["id"] for i in r.json()["items"]]

    assert sorted(ids()) == sorted([inv1, inv2])
    (mine,) = _get(stack, billed, "/v1/billing/invoices", resident_id=str(first)).json()["items"]
    assert (mine["id"], mine["status"], mine["outstanding_cents"], mine["total_cents"]) == (
        inv1,
        "partially_paid",
        RENT - 30_000,
        RENT,
    )
    assert ids(status="open") == [inv2]
    assert sorted(ids(house_id=str(billed.house.house_id))) == sorted([inv1, inv2])
    assert ids(house_id=str(uuid.uuid4())) == []
    assert len(ids(due_from="2026-01-05", due_to="2026-01-05")) == 2
    assert ids(due_from="2026-01-06") == []
    one = _get(stack, billed, "/v1/billing/invoices", limit=1).json()
    assert len(one["items"]) == 1 and one["next_offset"] == 1
    bad = _get(stack, billed, "/v1/billing/invoices", due_from="2026-02-01", due_to="2026-01-01")
    assert (bad.status_code, bad.json()["field"]) == (422, "due_to")
    assert _get(stack, billed, "/v1/billing/invoices", status="late").json()["field"] == "status"
    assert second  # both residents are billed
