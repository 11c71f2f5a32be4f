"""Payer splits, deposits and card refunds over real HTTP with real roles: invoices split among
payers by the stated rounding rule, bad payer configs refused naming the field, deposits taken
once and settled only through the discharge process, card money given back through Stripe."""

from __future__ import annotations

import uuid
from datetime import date

import httpx

from core.db import tenant_session
from core.enums import UserRole
from services.billing import deposits, invoices, rent
from tests.billing.builders import admit, make_house, rated_resident
from tests.factories import OrgFactory, SampleOrg

NOV = date(2026, 11, 1)
SPECIALIST = UserRole.BILLING_SPECIALIST


def test_a_60_40_split_gives_each_payer_their_share_rounded_down_and_the_odd_cent_to_the_resident(
    stack: str, orgs: OrgFactory
) -> None:
    org, rid = rated_resident(orgs, stack, 100_001)
    with httpx.Client(base_url=stack, headers=org.headers(SPECIALIST), timeout=30) as http:
        family = http.post(
            f"/v1/billing/residents/{rid}/payers",
            json={"payer_type": "family", "share_percent": "60", "contact_name": "Marisol Vega"},
            headers={"Idempotency-Key": "family-1"},
        )
        assert family.status_code == 201, family.text
        again = http.post(
            f"/v1/billing/residents/{rid}/payers",
            json={"payer_type": "family", "share_percent": "60", "contact_name": "Marisol Vega"},
            headers={"Idempotency-Key": "family-1"},
        )
        assert again.status_code == 200 and again.json()["id"] == family.json()["id"]
        court = http.post(
            f"/v1/billing/residents/{rid}/payers",
            json={"payer_type": "court", "share_percent": "40", "organization_name": "County Drug Court"},
        )
        assert court.status_code == 201, court.text
        assert len(http.get(f"/v1/billing/residents/{rid}/payers").json()) == 2
        with tenant_session(org.org_id, actor_type="test") as s:
            rent.issue_rent_batch(s, NOV, None, 10)
        with tenant_session(org.org_id, actor_type="test") as s:
            (inv,) = invoices.open_invoices(s, rid)
        got = http.get(f"/v1/billing/invoices/{inv.id}").json()
        shares = {(a["payer_config_id"], a["amount_cents"]) for a in got["allocations"]}
        # 60% of 100,001 is 60,000.6 and 40% is 40,000.4: each rounds down, the cent is the resident's.
        assert shares == {(family.json()["id"], 60_000), (court.json()["id"], 40_000), (None, 1)}
        paid = http.post(
            "/v1/billing/payments",
            json={
                "resident_id": str(rid),
                "invoice_id": str(inv.id),
                "amount_cents": 40_000,
                "method": "check",
                "payer_config_id": court.json()["id"],
            },
        )
        assert paid.status_code == 201, paid.text
        got = http.get(f"/v1/billing/invoices/{inv.id}").json()
        by_payer = {a["payer_config_id"]: a["paid_cents"] for a in got["allocations"]}
        assert by_payer == {family.json()["id"]: 0, court.json()["id"]: 40_000, None: 0}
        assert got["outstanding_cents"] == 60_001


def test_payer_configs_that_do_not_add_up_are_refused_naming_the_field(stack: str, orgs: OrgFactory) -> None:
    org, rid = rated_resident(orgs, stack, 90_000)
    url = f"/v1/billing/residents/{rid}/payers"
    with httpx.Client(base_url=stack, headers=org.headers(SPECIALIST), timeout=30) as http:
        first = {"payer_type": "family", "share_percent": "60", "effective_to": "2030-01-01"}
        assert http.post(url, json=first).status_code == 201
        over = http.post(
            url, json={"payer_type": "grant", "share_percent": "50", "organization_name": "Hope Fund"}
        )
        assert over.status_code == 422 and "share_percent" in over.text and "110" in over.text
        above = http.post(url, json={"payer_type": "family", "share_percent": "100.5"})
        assert above.status_code == 422 and "share_percent" in above.text
        both = http.post(url, json={"payer_type": "family", "share_percent": "10", "fixed_cents": 100})
        assert both.status_code == 422 and "share_percent" in both.text
        agency = http.post(url, json={"payer_type": "court", "fixed_cents": 30_000})
        assert agency.status_code == 422 and "organization_name" in agency.text
        # A later, non-overlapping period may carry its own shares.
        later = http.post(
            url,
            json={
                "payer_type": "grant",
                "share_percent": "50",
                "organization_name": "Hope Fund",
                "effective_from": "2030-01-01",
            },
        )
        assert later.status_code == 201, later.text
        assert (
            http.post(
                f"/v1/billing/residents/{uuid.uuid4()}/payers",
                json={"payer_type": "family", "share_percent": "5"},
            ).status_code
            == 404
        )
        assert len(http.get(url).json()) == 2
    with httpx.Client(base_url=stack, headers=org.headers(UserRole.HOUSE_MANAGER), timeout=30) as http:
        assert http.get(url).status_code == 403


def test_a_deposit_is_taken_once_and_settled_only_through_the_discharge_process(
    stack: str, orgs: OrgFactory
) -> None:
    org, rid = rated_resident(orgs, stack, 90_000)
    body = {"resident_id": str(rid), "amount_cents": 50_000, "method": "money_order", "reference": "MO-1"}
    with httpx.Client(base_url=stack, headers=org.headers(SPECIALIST), timeout=30) as http:
        taken = http.post("/v1/billing/deposits", json=body, headers={"Idempotency-Key": "dep-1"})
        assert taken.status_code == 201, taken.text
        assert (taken.json()["status"], taken.json()["held_cents"]) == ("held", 50_000)
        replay = http.post("/v1/billing/deposits", json=body, headers={"Idempotency-Key": "dep-1"})
        assert replay.status_code == 200 and replay.json()["id"] == taken.json()["id"]
        second = http.post("/v1/billing/deposits", json={**body, "reference": "MO-2"})
        assert second.status_code == 409 and "resident_id" in second.text
        # Before the discharge there is no settlement process to send the decision to.
        early = http.post(f"/v1/billing/residents/{rid}/deposit/settlement", json={"deductions": []})
        assert early.status_code == 404
        # A deposit goes back at discharge, not through the refund of its payment.
        refund = http.post(
            f"/v1/billing/payments/{taken.json()['payment_id']}/refunds", json={"amount_cents": 100}
        )
        assert refund.status_code == 422 and "payment_id" in refund.text
        assert http.get(f"/v1/billing/residents/{rid}/deposit").json()["held_cents"] == 50_000


def test_a_card_payment_is_refunded_through_stripe_and_an_offline_one_is_pointed_elsewhere(
    stack: str, localstripe: str, orgs: OrgFactory
) -> None:
    from core.config import get_settings
    from core.stripe_gateway import StripeGateway

    org, rid = rated_resident(orgs, stack, 45_000)
    with tenant_session(org.org_id, actor_type="test") as s:
        rent.issue_rent_batch(s, NOV, None, 10)
    with tenant_session(org.org_id, actor_type="test") as s:
        (inv,) = invoices.open_invoices(s, rid)
    gateway = StripeGateway.from_settings(get_settings())
    assert gateway is not None
    pm = gateway.test_card_method("4242424242424242", 12, 2030, "123")
    with httpx.Client(base_url=stack, headers=org.headers(SPECIALIST), timeout=60) as http:
        paid = http.post("/v1/billing/card-payments", json={"invoice_id": str(inv.id), "payment_method": pm})
        assert paid.status_code == 201, paid.text
        body = {"payment_id": paid.json()["id"], "amount_cents": 5_000}
        too_much = http.post("/v1/billing/card-refunds", json={**body, "amount_cents": 45_001})
        assert too_much.status_code == 422 and "amount_cents" in too_much.text
        refund = http.post("/v1/billing/card-refunds", json=body, headers={"Idempotency-Key": "cr-1"})
        assert refund.status_code == 201, refund.text
        assert (refund.json()["status"], refund.json()["payment_status"]) == (
            "succeeded",
            "partially_refunded",
        )
        replay = http.post("/v1/billing/card-refunds", json=body, headers={"Idempotency-Key": "cr-1"})
        assert replay.status_code == 200 and replay.json()["id"] == refund.json()["id"]
        intent = paid.json()["stripe_payment_intent_id"]
        made = gateway.client.v1.refunds.list(params={"payment_intent": intent}).data
        assert [(r.id, r.amount) for r in made] == [(refund.json()["stripe_refund_id"], 5_000)]
        assert http.get(f"/v1/billing/invoices/{inv.id}").json()["outstanding_cents"] == 5_000
        cash = http.post(
            "/v1/billing/payments",
            json={"resident_id": str(rid), "amount_cents": 1_000, "method": "cash"},
        )
        offline = http.post(
            "/v1/billing/card-refunds", json={"payment_id": cash.json()["id"], "amount_cents": 1}
        )
        assert offline.status_code == 422 and "payment_id" in offline.text
    other = orgs.create((SPECIALIST,))
    with httpx.Client(base_url=stack, headers=other.headers(SPECIALIST), timeout=30) as http:
        assert http.post("/v1/billing/card-refunds", json=body).status_code == 404


def discharged_with_deposit(http: httpx.Client, org: SampleOrg) -> tuple[str, str]:
    """A resident who paid a 50,000 cash deposit and has left: billing's discharge settlement
    (on the stack's worker) waits for staff's deposit decision. (resident id, workflow id)"""
    import asyncio

    from core.config import get_settings
    from core.process import Actor
    from core.temporal import connect
    from workflows.billing import BILLING
    from workflows.billing.settlement import DischargeSettlementWorkflow, SettleDischarge, discharge_key

    (rid,) = admit(org.org_id, make_house(org.org_id, beds=1), [(date(2026, 1, 1), None)])
    r = http.post(
        "/v1/billing/deposits", json={"resident_id": str(rid), "amount_cents": 50_000, "method": "cash"}
    )
    assert r.status_code == 201, r.text
    wf_id = BILLING.id(org.org_id, discharge_key(rid))

    async def start() -> None:
        client = await connect()
        handle = await client.start_workflow(
            DischargeSettlementWorkflow.run,
            SettleDischarge(Actor.system(org.org_id), rid, date(2026, 11, 21)),
            id=wf_id,
            task_queue=get_settings().task_queue,
        )
        for _ in range(200):
            if await handle.query(DischargeSettlementWorkflow.awaiting_decision):
                return
            await asyncio.sleep(0.05)
        raise AssertionError("the settlement never reached the deposit decision")

    asyncio.run(start())
    return str(rid), wf_id


def test_staff_settle_a_deposit_after_the_move_out_inspection(stack: str, orgs: OrgFactory) -> None:
    org = orgs.create((SPECIALIST,))
    with httpx.Client(base_url=stack, headers=org.headers(SPECIALIST), timeout=60) as http:
        rid, _wf = discharged_with_deposit(http, org)
        url = f"/v1/billing/residents/{rid}/deposit/settlement"
        damage = {"category": "damage", "amount_cents": 6_000, "reason": "Cracked window"}
        too_much = http.post(url, json={"deductions": [{**damage, "amount_cents": 50_001}]})
        assert too_much.status_code == 422 and "deductions" in too_much.text
        no_reason = http.post(url, json={"disposition": "forfeit"})
        assert no_reason.status_code == 422 and "forfeit_reason" in no_reason.text
        assert http.get(f"/v1/billing/residents/{rid}/deposit").json()["held_cents"] == 50_000
        done = http.post(url, json={"deductions": [damage]})
        assert done.status_code == 200, done.text
        got = done.json()
        assert (got["status"], got["held_cents"], got["refund_cents"], got["refund_pending"]) == (
            "refunded",
            0,
            44_000,
            False,
        )
        assert [(d["category"], d["amount_cents"], d["reason"]) for d in got["deductions"]] == [
            ("damage", 6_000, "Cracked window")
        ]
        # The process is over: a second decision has nowhere to go.
        assert http.post(url, json={"deductions": [damage]}).status_code == 409


def _card(number: str) -> str:
    """A localstripe PaymentMethod for a test card number."""
    from core.config import get_settings
    from core.stripe_gateway import StripeGateway

    gateway = StripeGateway.from_settings(get_settings())
    assert gateway is not None
    return gateway.test_card_method(number, 12, 2030, "123")


def test_two_card_deposits_sent_at_once_for_one_resident_charge_the_card_once(
    stack: str, localstripe: str, orgs: OrgFactory
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from sqlalchemy import select

    from core.enums import PaymentMethodType
    from models.payments import Payment

    org, rid = rated_resident(orgs, stack, 45_000)
    pm = _card("4242424242424242")
    body = {"deposit_resident_id": str(rid), "amount_cents": 50_000, "payment_method": pm}
    headers = org.headers(SPECIALIST)

    def send(n: int) -> httpx.Response:
        # Two staff members (two keys), the same resident, the same moment.
        with httpx.Client(base_url=stack, headers=headers, timeout=60) as http:
            return http.post("/v1/billing/card-payments", json=body, headers={"Idempotency-Key": f"dep-{n}"})

    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(send, range(2)))
    assert sorted(r.status_code for r in answers) == [201, 409], [r.text for r in answers]
    refused = next(r for r in answers if r.status_code == 409)
    assert refused.json().get("field") == "deposit_resident_id", refused.text
    with tenant_session(org.org_id, actor_type="test") as s:
        cards = s.scalars(
            select(Payment).where(Payment.resident_id == rid, Payment.method == PaymentMethodType.CARD)
        ).all()
        charged = [p for p in cards if p.stripe_payment_intent_id]
        assert len(charged) == 1, [(p.status, p.stripe_payment_intent_id) for p in cards]
        held = deposits.held_deposit(s, rid)
        assert held is not None and held.payment_id == charged[0].id


def test_a_declined_card_deposit_can_be_taken_again_with_another_card(
    stack: str, localstripe: str, orgs: OrgFactory
) -> None:
    org, rid = rated_resident(orgs, stack, 45_000)
    declined, good = _card("4000000000000341"), _card("4242424242424242")
    body = {"deposit_resident_id": str(rid), "amount_cents": 50_000}
    with httpx.Client(base_url=stack, headers=org.headers(SPECIALIST), timeout=60) as http:
        first = http.post("/v1/billing/card-payments", json={**body, "payment_method": declined})
        assert first.status_code == 201 and first.json()["status"] == "failed", first.text
        second = http.post("/v1/billing/card-payments", json={**body, "payment_method": good})
        assert second.status_code == 201 and second.json()["status"] == "succeeded", second.text
        third = http.post("/v1/billing/card-payments", json={**body, "payment_method": good})
        assert third.status_code == 409 and third.json()["field"] == "deposit_resident_id", third.text
        assert http.get(f"/v1/billing/residents/{rid}/deposit").json()["payment_id"] == second.json()["id"]
