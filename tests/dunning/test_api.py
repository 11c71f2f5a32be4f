"""Dunning over real HTTP with real roles: the schedule per org or house, an invoice's steps,
starting a ladder now, a cash payment that stops it at once, a write-off, and bad input."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date, timedelta
from typing import Any

import httpx
from temporalio.client import WorkflowExecutionStatus

from core.db import tenant_session
from core.enums import UserRole
from core.temporal import connect
from services.billing import accounts, invoices
from tests.dunning.builders import RENT, Billed, billed_org
from tests.factories import OrgFactory

SPECIALIST = UserRole.BILLING_SPECIALIST
# Steps ten years out: the ladder waits on a timer for as long as a test needs it.
FAR = [
    {"step": 1, "days_after_due": 3650, "action_type": "reminder_email"},
    {"step": 2, "days_after_due": 3655, "action_type": "late_fee"},
]
CONFIG: dict[str, Any] = {
    "name": "Standard collections",
    "steps": [
        {"step": 1, "days_after_due": 3, "action_type": "reminder_email", "template_key": "dunning.reminder"},
        {"step": 2, "days_after_due": 5, "action_type": "late_fee"},
        {"step": 3, "days_after_due": 7, "action_type": "reminder_email"},
        {"step": 4, "days_after_due": 14, "action_type": "staff_escalation"},
    ],
    "grace_days": 2,
    "late_fee_cents": 2500,
    "late_fee_cap_cents": 7500,
}


def _overdue(orgs: OrgFactory) -> Billed:
    return billed_org(orgs, date.today() - timedelta(days=5), steps=FAR)


async def _closed(workflow_id: str) -> WorkflowExecutionStatus | None:
    client = await connect()
    for _ in range(200):
        status = (await client.get_workflow_handle(workflow_id).describe()).status
        if status is not WorkflowExecutionStatus.RUNNING:
            return status
        await asyncio.sleep(0.05)
    return WorkflowExecutionStatus.RUNNING


def test_staff_set_the_org_schedule_and_a_house_override(stack: str, orgs: OrgFactory) -> None:
    b = billed_org(orgs, date.today(), steps=[])
    with httpx.Client(base_url=stack, headers=b.org.headers(SPECIALIST), timeout=30) as http:
        r = http.put("/v1/dunning/config", json=CONFIG)
        assert r.status_code == 200, r.text
        assert [s["action_type"] for s in r.json()["steps"]] == [
            "reminder_email",
            "late_fee",
            "reminder_email",
            "staff_escalation",
        ]
        gentle = {**CONFIG, "name": "Gentle", "house_id": str(b.house.house_id), "steps": CONFIG["steps"][:1]}
        assert http.put("/v1/dunning/config", json=gentle).status_code == 200
        # Setting the org default again updates it in place.
        again = http.put("/v1/dunning/config", json={**CONFIG, "late_fee_cents": 3000})
        assert again.status_code == 200 and again.json()["id"] == r.json()["id"]
        listed = http.get("/v1/dunning/configs").json()
        assert [(c["house_id"], c["late_fee_cents"]) for c in listed] == [
            (None, 3000),
            (str(b.house.house_id), 2500),
        ]


def test_any_schedule_the_schema_allows_is_accepted_and_answered_as_it_will_run(
    stack: str, orgs: OrgFactory
) -> None:
    b = billed_org(orgs, date.today(), steps=[])
    body = {
        "name": "Out of order",
        "grace_days": 4,
        "late_fee_cents": 9000,
        "late_fee_cap_cents": 5000,
        "steps": [
            {"step": 1, "days_after_due": 10, "action_type": "staff_escalation"},
            {"days_after_due": 1, "action_type": "late_fee"},  # inside the grace period
            {"step": 7, "days_after_due": 2, "action_type": "reminder_email"},
        ],
    }
    with httpx.Client(base_url=stack, headers=b.org.headers(SPECIALIST), timeout=30) as http:
        r = http.put("/v1/dunning/config", json=body)
        assert r.status_code == 200, r.text
        assert [(s["step"], s["days_after_due"], s["action_type"]) for s in r.json()["steps"]] == [
            (1, 2, "reminder_email"),
            (2, 4, "late_fee"),
            (3, 10, "staff_escalation"),
        ]
        assert (r.json()["late_fee_cents"], r.json()["late_fee_cap_cents"]) == (
            5000,
            5000,
        )  # a fee above its cap
        no_fee = http.put(
            "/v1/dunning/config", json={**CONFIG, "late_fee_cents": 0, "late_fee_cap_cents": None}
        )
        assert no_fee.status_code == 200, no_fee.text


def test_bad_dunning_input_is_a_4xx_naming_the_field_and_writes_nothing(stack: str, orgs: OrgFactory) -> None:
    b = billed_org(orgs, date.today(), steps=[])
    steps: list[dict[str, Any]] = CONFIG["steps"]
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({**CONFIG, "house_id": str(uuid.uuid4())}, 404, "house_id"),
        ({**CONFIG, "steps": [{**steps[0], "step": 0}]}, 422, "step"),
        ({**CONFIG, "steps": [{**steps[0], "days_after_due": -1}]}, 422, "days_after_due"),
        ({**CONFIG, "steps": [{**steps[0], "action_type": "reminder_sms"}]}, 422, "action_type"),
        ({**CONFIG, "steps": []}, 422, "steps"),
        ({**CONFIG, "late_fee_cents": -1}, 422, "late_fee_cents"),
        ({**CONFIG, "colour": "red"}, 422, "colour"),
    ]
    with httpx.Client(base_url=stack, headers=b.org.headers(SPECIALIST), timeout=30) as http:
        for body, status, field in cases:
            r = http.put("/v1/dunning/config", json=body)
            assert r.status_code == status, (body, r.text)
            assert field in r.text
        assert http.get("/v1/dunning/configs").json() == []
        r = http.get(f"/v1/dunning/invoices/{uuid.uuid4()}/actions")
        assert r.status_code == 404 and r.json()["field"] == "invoice_id"
        r = http.post(f"/v1/dunning/invoices/{b.invoice_ids[0]}/start")  # due today: not overdue
        assert r.status_code == 422 and r.json()["field"] == "invoice_id"


def test_roles_without_billing_rights_cannot_configure_start_or_write_off(
    stack: str, orgs: OrgFactory
) -> None:
    b = _overdue(orgs)
    inv = b.invoice_ids[0]
    with httpx.Client(base_url=stack, headers=b.org.headers(UserRole.HOUSE_MANAGER), timeout=30) as http:
        assert http.put("/v1/dunning/config", json=CONFIG).status_code == 403
        assert http.get(f"/v1/dunning/invoices/{inv}/actions").status_code == 403
        assert http.post(f"/v1/dunning/invoices/{inv}/write-off").status_code == 403
    with httpx.Client(base_url=stack, headers=b.org.headers(UserRole.PROPERTY_MANAGER), timeout=30) as http:
        assert http.get(f"/v1/dunning/invoices/{inv}/actions").status_code == 200
        assert http.get("/v1/dunning/configs").status_code == 200
        assert http.post(f"/v1/dunning/invoices/{inv}/start").status_code == 403
        assert http.post(f"/v1/dunning/invoices/{inv}/write-off").status_code == 403
    with tenant_session(b.org.org_id, actor_type="test") as s:
        assert invoices.get_invoice(s, inv).status.value == "open"


def test_a_cash_payment_recorded_by_staff_stops_the_running_ladder_at_once(
    stack: str, orgs: OrgFactory
) -> None:
    b = _overdue(orgs)
    inv = b.invoice_ids[0]
    with httpx.Client(base_url=stack, headers=b.org.headers(SPECIALIST), timeout=30) as http:
        started = http.post(f"/v1/dunning/invoices/{inv}/start")
        assert started.status_code == 201, started.text
        assert [a["status"] for a in started.json()["actions"]] == ["scheduled", "scheduled"]
        again = http.post(f"/v1/dunning/invoices/{inv}/start")
        assert again.status_code == 200 and again.json()["workflow_id"] == started.json()["workflow_id"]
        # A partial payment leaves the ladder running.
        body = {"resident_id": str(b.resident_ids[0]), "invoice_id": str(inv), "method": "cash"}
        assert http.post("/v1/billing/payments", json={**body, "amount_cents": 10_000}).status_code == 201
        assert asyncio.run(_closed(started.json()["workflow_id"])) is WorkflowExecutionStatus.RUNNING
        paid = http.post("/v1/billing/payments", json={**body, "amount_cents": RENT - 10_000})
        assert paid.status_code == 201 and paid.json()["invoice_status"] == "paid"
        assert asyncio.run(_closed(started.json()["workflow_id"])) is WorkflowExecutionStatus.COMPLETED
        got = http.get(f"/v1/dunning/invoices/{inv}/actions").json()
        assert [(a["status"], a["reason"]) for a in got["actions"]] == [("skipped", "paid")] * 2


def test_writing_an_invoice_off_stops_its_ladder_and_books_bad_debt(stack: str, orgs: OrgFactory) -> None:
    b = _overdue(orgs)
    inv = b.invoice_ids[0]
    with httpx.Client(base_url=stack, headers=b.org.headers(SPECIALIST), timeout=30) as http:
        wf = http.post(f"/v1/dunning/invoices/{inv}/start").json()["workflow_id"]
        key = {"Idempotency-Key": "write-off-1"}
        r = http.post(f"/v1/dunning/invoices/{inv}/write-off", headers=key)
        assert r.status_code == 201, r.text
        assert (r.json()["invoice_status"], r.json()["written_off_cents"], r.json()["skipped_steps"]) == (
            "uncollectible",
            RENT,
            2,
        )
        replay = http.post(f"/v1/dunning/invoices/{inv}/write-off", headers=key)
        assert replay.status_code == 200 and replay.json()["workflow_id"] == r.json()["workflow_id"]
        assert asyncio.run(_closed(wf)) is WorkflowExecutionStatus.COMPLETED
        got = http.get(f"/v1/dunning/invoices/{inv}/actions").json()
        assert got["outstanding_cents"] == 0
        assert [a["reason"] for a in got["actions"]] == ["written off"] * 2
        # Paid invoices are not written off.
        body = {"resident_id": str(b.resident_ids[0]), "invoice_id": str(b.invoice_ids[0]), "method": "cash"}
        assert http.post("/v1/billing/payments", json={**body, "amount_cents": 100}).status_code == 201
    other = _overdue(orgs)
    with httpx.Client(base_url=stack, headers=other.org.headers(SPECIALIST), timeout=30) as http:
        body = {
            "resident_id": str(other.resident_ids[0]),
            "invoice_id": str(other.invoice_ids[0]),
            "method": "cash",
        }
        assert http.post("/v1/billing/payments", json={**body, "amount_cents": RENT}).status_code == 201
        r = http.post(f"/v1/dunning/invoices/{other.invoice_ids[0]}/write-off")
        assert r.status_code == 409 and r.json()["field"] == "invoice_id"
    for org_id in (b.org.org_id, other.org.org_id):
        with tenant_session(org_id, actor_type="test") as s:
            assert accounts.trial_balance(s) == 0
