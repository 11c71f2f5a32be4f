"""Security deposits and card refunds in Temporal time, on the real database and localstripe:
held as a liability, settled at discharge with itemised deductions (refunded, applied or
forfeited) exactly once, and card money given back through Stripe exactly once."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select
from temporalio.testing import WorkflowEnvironment

from activities.base import Deps
from core.config import get_settings
from core.contracts.billing import Deduction, Disposition
from core.db import app_engine, tenant_session
from core.enums import (
    BillingFrequency,
    DepositStatus,
    InvoiceStatus,
    PaymentMethodType,
    PaymentStatus,
    RefundStatus,
    UserRole,
)
from core.process import Actor
from core.stripe_gateway import StripeGateway
from models.payment_extended import Refund
from models.payments import LedgerEntry
from services.billing import accounts, deposits, invoices, keys, payments, rates, rent
from services.billing.rates import NewRate
from services.ledger import account_balance
from tests.billing.builders import admit, make_house
from tests.factories import OrgFactory, SampleOrg
from workflows.billing import BILLING
from workflows.billing.payments import PAYMENT, CardPaymentInput, CardPaymentWorkflow
from workflows.billing.refunds import REFUND, CardRefundInput, CardRefundWorkflow
from workflows.billing.settlement import (
    DepositDecision,
    DischargeSettlementWorkflow,
    SettleDischarge,
    discharge_key,
)

NOV = date(2026, 11, 1)


def _resident(orgs: OrgFactory, cents: int = 90_000) -> tuple[SampleOrg, uuid.UUID]:
    org = orgs.create((UserRole.BILLING_SPECIALIST,))
    house = make_house(org.org_id, beds=1)
    with tenant_session(org.org_id, actor_type="test") as s:
        rates.create_rate(
            s,
            uuid.uuid4(),
            NewRate("Rent", cents, BillingFrequency.MONTHLY, date(2026, 1, 1), house_id=house.house_id),
        )
    (rid,) = admit(org.org_id, house, [(date(2026, 1, 1), None)])
    return org, rid


def _take_deposit(org: SampleOrg, rid: uuid.UUID, cents: int, method: PaymentMethodType) -> None:
    with tenant_session(org.org_id, actor_type="test") as s:
        deposits.collect_deposit(
            s, uuid.uuid4(), rid, cents, method, recorded_by=None, received_on=date(2026, 1, 1)
        )


def _balances(org: SampleOrg) -> dict[str, int]:
    with tenant_session(org.org_id, actor_type="test") as s:
        acct = accounts.ensure_accounts(s)
        out = {code: account_balance(s, acct[code]) for code in acct}
        out["trial"] = accounts.trial_balance(s)
        return out


def _gateway() -> StripeGateway:
    gateway = StripeGateway.from_settings(get_settings())
    assert gateway is not None
    return gateway


async def test_a_cash_deposit_is_held_as_a_liability_then_returned_less_itemised_deductions(
    time_skipping: WorkflowEnvironment, registry_worker: str, orgs: OrgFactory
) -> None:
    org, rid = _resident(orgs)
    _take_deposit(org, rid, 50_000, PaymentMethodType.CASH)
    held = _balances(org)
    # Cash against the deposits-held liability; no revenue.
    assert (held[accounts.CASH], held[accounts.DEPOSITS_HELD], held[accounts.RENT_REVENUE]) == (
        50_000,
        50_000,
        0,
    )
    with tenant_session(org.org_id, actor_type="test") as s:
        rent.issue_rent_batch(s, NOV, None, 10)
    with tenant_session(org.org_id, actor_type="test") as s:
        (inv,) = invoices.open_invoices(s, rid)
        invoice_id = inv.id
    actor = Actor.system(org.org_id)
    # Leaves on the 16th: 15 of 30 nights stay billed (45,000), unpaid; the deposit pays it.
    handle = await time_skipping.client.start_workflow(
        DischargeSettlementWorkflow.run,
        SettleDischarge(actor, rid, date(2026, 11, 16)),
        id=BILLING.id(org.org_id, discharge_key(rid)),
        task_queue=registry_worker,
    )
    decision = DepositDecision(
        actor,
        [Deduction("damage", 2_500, "Broken blind"), Deduction("cleaning", 1_000, "Carpet cleaning")],
    )
    outcome = await handle.execute_update(DischargeSettlementWorkflow.settle_deposit, decision)
    assert outcome is not None
    assert (outcome.status, outcome.deducted_cents, outcome.unpaid_rent_cents, outcome.refund_cents) == (
        DepositStatus.REFUNDED,
        3_500,
        45_000,
        1_500,
    )
    done = await handle.result()
    assert done.credited_cents == 45_000 and done.deposit == outcome
    after = _balances(org)
    assert after[accounts.DEPOSITS_HELD] == 0 and after["trial"] == 0
    assert after[accounts.DEPOSIT_KEPT] == 3_500
    # 50,000 in, 1,500 back out in cash.
    assert after[accounts.CASH] == 48_500
    with tenant_session(org.org_id, actor_type="test") as s:
        assert invoices.get_invoice(s, invoice_id).status is InvoiceStatus.PAID
        rows = deposits.deposit_deductions(s, keys.deposit_id_for(org.org_id, rid))
        assert [(r.category, r.amount_cents, r.reason) for r in rows] == [
            ("damage", 2_500, "Broken blind"),
            ("cleaning", 1_000, "Carpet cleaning"),
            ("unpaid_rent", 45_000, None),
        ]
        entries = s.scalar(select(func.count()).select_from(LedgerEntry))
    # A second settlement of the same discharge changes nothing.
    again = await time_skipping.client.execute_workflow(
        DischargeSettlementWorkflow.run,
        SettleDischarge(actor, rid, date(2026, 11, 16), decision),
        id=BILLING.id(org.org_id, discharge_key(rid) + "-again"),
        task_queue=registry_worker,
    )
    assert again.deposit == outcome and again.credited_cents == 0
    with tenant_session(org.org_id, actor_type="test") as s:
        assert s.scalar(select(func.count()).select_from(LedgerEntry)) == entries
    assert _balances(org) == after


async def test_a_deposit_forfeited_at_discharge_becomes_revenue_with_its_reason(
    time_skipping: WorkflowEnvironment, registry_worker: str, orgs: OrgFactory
) -> None:
    org, rid = _resident(orgs)
    _take_deposit(org, rid, 40_000, PaymentMethodType.CHECK)
    actor = Actor.system(org.org_id)
    decision = DepositDecision(
        actor,
        [Deduction("damage", 10_000, "Hole in the wall")],
        Disposition.FORFEIT,
        forfeit_reason="Left without the notice the agreement requires",
    )
    done = await time_skipping.client.execute_workflow(
        DischargeSettlementWorkflow.run,
        SettleDischarge(actor, rid, date(2026, 10, 31), decision),
        id=BILLING.id(org.org_id, discharge_key(rid)),
        task_queue=registry_worker,
    )
    assert done.deposit is not None
    assert (done.deposit.status, done.deposit.deducted_cents, done.deposit.forfeited_cents) == (
        DepositStatus.FORFEITED,
        10_000,
        30_000,
    )
    after = _balances(org)
    assert (after[accounts.DEPOSITS_HELD], after[accounts.DEPOSIT_KEPT], after["trial"]) == (0, 40_000, 0)
    with tenant_session(org.org_id, actor_type="test") as s:
        deposit = deposits.held_deposit(s, rid)
        assert (
            deposit is not None
            and deposit.forfeiture_reason == "Left without the notice the agreement requires"
        )
        assert s.scalar(select(func.count()).select_from(Refund)) == 0


async def test_deductions_above_the_deposit_are_refused_naming_the_field_and_nothing_is_posted(
    time_skipping: WorkflowEnvironment, registry_worker: str, orgs: OrgFactory
) -> None:
    from temporalio.client import WorkflowUpdateFailedError

    org, rid = _resident(orgs)
    _take_deposit(org, rid, 20_000, PaymentMethodType.CASH)
    actor = Actor.system(org.org_id)
    handle = await time_skipping.client.start_workflow(
        DischargeSettlementWorkflow.run,
        SettleDischarge(actor, rid, date(2026, 10, 31)),
        id=BILLING.id(org.org_id, discharge_key(rid)),
        task_queue=registry_worker,
    )
    # Sent at once: the update waits for the workflow to find the deposit, then refuses.
    too_much = DepositDecision(actor, [Deduction("damage", 20_001, "Everything")])
    with pytest.raises(WorkflowUpdateFailedError) as err:
        await handle.execute_update(DischargeSettlementWorkflow.settle_deposit, too_much)
    assert "deductions" in str(err.value.cause)
    assert _balances(org)[accounts.DEPOSITS_HELD] == 20_000
    fine = DepositDecision(actor, [Deduction("damage", 20_000, "Everything")])
    outcome = await handle.execute_update(DischargeSettlementWorkflow.settle_deposit, fine)
    assert outcome is not None and outcome.status is DepositStatus.APPLIED
    assert _balances(org)[accounts.DEPOSITS_HELD] == 0


async def _card_payment(
    env: WorkflowEnvironment, queue: str, org: SampleOrg, cents: int, **kw: Any
) -> tuple[uuid.UUID, str]:
    payment_id = uuid.uuid4()
    pm = _gateway().test_card_method("4242424242424242", 12, 2030, "123")
    outcome = await env.client.execute_workflow(
        CardPaymentWorkflow.run,
        CardPaymentInput(Actor.system(org.org_id), payment_id, kw.pop("invoice_id", None), cents, pm, **kw),
        id=PAYMENT.id(org.org_id, payment_id),
        task_queue=queue,
    )
    assert outcome.status is PaymentStatus.SUCCEEDED and outcome.intent_id
    return payment_id, outcome.intent_id


async def test_a_card_deposit_is_returned_through_stripe_at_discharge(
    time_skipping: WorkflowEnvironment, registry_worker: str, localstripe: str, orgs: OrgFactory
) -> None:
    org, rid = _resident(orgs)
    _payment_id, intent = await _card_payment(
        time_skipping, registry_worker, org, 30_000, deposit_resident_id=rid
    )
    held = _balances(org)
    assert (held[accounts.STRIPE_CLEARING], held[accounts.DEPOSITS_HELD]) == (30_000, 30_000)
    actor = Actor.system(org.org_id)
    done = await time_skipping.client.execute_workflow(
        DischargeSettlementWorkflow.run,
        # (after the card deposit was taken today, by the activities' clock)
        SettleDischarge(
            actor, rid, date(2099, 1, 31), DepositDecision(actor, [Deduction("fees", 4_000, "Keys")])
        ),
        id=BILLING.id(org.org_id, discharge_key(rid)),
        task_queue=registry_worker,
    )
    assert done.deposit is not None
    assert (done.deposit.refund_cents, done.deposit.refund_pending) == (26_000, False)
    refunds = _gateway().client.v1.refunds.list(params={"payment_intent": intent}).data
    assert [r.amount for r in refunds] == [26_000]
    after = _balances(org)
    assert (after[accounts.STRIPE_CLEARING], after[accounts.DEPOSITS_HELD], after["trial"]) == (4_000, 0, 0)
    with tenant_session(org.org_id, actor_type="test") as s:
        refund = s.scalars(select(Refund)).one()
        assert refund.status is RefundStatus.SUCCEEDED and refund.stripe_refund_id == refunds[0].id


class LosesFirstAnswer(StripeGateway):
    """Stripe makes the refund, but the first answer never reaches us (a timeout)."""

    refund_calls = 0

    def refund(self, *args: Any, **kwargs: Any) -> str:
        stripe_id = super().refund(*args, **kwargs)
        self.refund_calls += 1
        if self.refund_calls == 1:
            raise ConnectionError("the answer was lost on the way back")
        return stripe_id


@pytest.fixture
async def lossy_worker(
    time_skipping: WorkflowEnvironment, database: str
) -> AsyncIterator[tuple[str, LosesFirstAnswer]]:
    from worker import build_worker

    s = get_settings()
    assert s.stripe_api_key
    gateway = LosesFirstAnswer(s.stripe_api_key, s.stripe_api_base)
    queue = f"test-{uuid.uuid4().hex[:10]}"
    worker = build_worker(
        time_skipping.client,
        task_queue=queue,
        executor=ThreadPoolExecutor(4),
        deps=Deps(engine=app_engine(), stripe=gateway),
    )
    async with worker:
        yield queue, gateway


async def test_a_card_refund_reaches_stripe_once_even_when_the_activity_retries(
    time_skipping: WorkflowEnvironment,
    lossy_worker: tuple[str, LosesFirstAnswer],
    localstripe: str,
    orgs: OrgFactory,
) -> None:
    queue, gateway = lossy_worker
    org, rid = _resident(orgs, cents=60_000)
    with tenant_session(org.org_id, actor_type="test") as s:
        rent.issue_rent_batch(s, NOV, None, 10)
    with tenant_session(org.org_id, actor_type="test") as s:
        (inv,) = invoices.open_invoices(s, rid)
        invoice_id = inv.id
    payment_id, intent = await _card_payment(time_skipping, queue, org, 60_000, invoice_id=invoice_id)
    refund_id = uuid.uuid4()
    outcome = await time_skipping.client.execute_workflow(
        CardRefundWorkflow.run,
        CardRefundInput(Actor.system(org.org_id), refund_id, payment_id, 20_000),
        id=REFUND.id(org.org_id, refund_id),
        task_queue=queue,
    )
    assert outcome.status is RefundStatus.SUCCEEDED
    # The retry found the refund Stripe had made (by our refund id) instead of making another.
    assert gateway.refund_calls == 1
    refunds = gateway.client.v1.refunds.list(params={"payment_intent": intent}).data
    assert [(r.id, r.amount) for r in refunds] == [(outcome.stripe_refund_id, 20_000)]
    with tenant_session(org.org_id, actor_type="test") as s:
        assert payments.get_payment(s, payment_id).status is PaymentStatus.PARTIALLY_REFUNDED
        assert accounts.invoice_outstanding(s, invoice_id) == 20_000
        assert invoices.get_invoice(s, invoice_id).status is InvoiceStatus.PARTIALLY_PAID
        journals = s.scalar(
            select(func.count(LedgerEntry.journal_id.distinct())).where(LedgerEntry.description == "Refund")
        )
        assert journals == 1
    assert _balances(org)["trial"] == 0
