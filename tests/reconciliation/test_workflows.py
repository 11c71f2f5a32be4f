"""The daily reconciliation in Temporal time against localstripe and the real ledger: every
mismatch named, a matched day reported clean, and a re-run of a day changing nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select
from temporalio.testing import WorkflowEnvironment

from core.config import get_settings
from core.contracts.billing import DaySummary
from core.db import tenant_session
from core.enums import BillingFrequency, PaymentMethodType, PaymentStatus, UserRole
from core.process import Actor
from core.stripe_gateway import StripeGateway
from models.payment_extended import ReconciliationRecord
from models.payments import Invoice, Payment
from services.billing import invoices, payments, rates, reconciliation, rent
from services.billing.payments import NewPayment
from services.billing.rates import NewRate
from tests.billing.builders import admit, make_house
from tests.factories import OrgFactory, SampleOrg
from workflows.billing.payments import PAYMENT, CardPaymentInput, CardPaymentWorkflow
from workflows.billing.reconciliation import RECONCILIATION, ReconcileDay, ReconciliationWorkflow
from workflows.billing.refunds import REFUND, CardRefundInput, CardRefundWorkflow

NOV = date(2026, 11, 1)


def _gateway() -> StripeGateway:
    gateway = StripeGateway.from_settings(get_settings())
    assert gateway is not None
    return gateway


def _billed(orgs: OrgFactory, residents: int) -> tuple[SampleOrg, list[uuid.UUID]]:
    """Residents with November's 30,000 rent invoice each; their invoice ids."""
    org = orgs.create((UserRole.BILLING_SPECIALIST,))
    house = make_house(org.org_id, beds=residents)
    with tenant_session(org.org_id, actor_type="test") as s:
        rates.create_rate(
            s,
            uuid.uuid4(),
            NewRate("Rent", 30_000, BillingFrequency.MONTHLY, date(2026, 1, 1), house_id=house.house_id),
        )
    rids = admit(org.org_id, house, [(date(2026, 1, 1), None)] * residents)
    with tenant_session(org.org_id, actor_type="test") as s:
        rent.issue_rent_batch(s, NOV, None, 100)
    with tenant_session(org.org_id, actor_type="test") as s:
        return org, [invoices.open_invoices(s, rid)[0].id for rid in rids]


async def _pay(
    env: WorkflowEnvironment, queue: str, org: SampleOrg, invoice_id: uuid.UUID, cents: int
) -> str:
    payment_id = uuid.uuid4()
    pm = _gateway().test_card_method("4242424242424242", 12, 2030, "123")
    outcome = await env.client.execute_workflow(
        CardPaymentWorkflow.run,
        CardPaymentInput(Actor.system(org.org_id), payment_id, invoice_id, cents, pm),
        id=PAYMENT.id(org.org_id, payment_id),
        task_queue=queue,
    )
    assert outcome.status is PaymentStatus.SUCCEEDED and outcome.intent_id
    return outcome.intent_id


def _charge_outside_the_ledger(org: SampleOrg, cents: int) -> str:
    """A charge made at Stripe for this org (say, from Stripe's dashboard) that we never posted."""
    gateway = _gateway()
    intent = gateway.create_intent(
        cents, "usd", {"org_id": str(org.org_id)}, idempotency_key=uuid.uuid4().hex
    )
    pm = gateway.test_card_method("4242424242424242", 12, 2030, "123")
    assert gateway.confirm_intent(intent.id, pm, uuid.uuid4().hex).status == "succeeded"
    return intent.id


async def _reconcile(env: WorkflowEnvironment, queue: str, org: SampleOrg, day: date) -> DaySummary:
    return await env.client.execute_workflow(
        ReconciliationWorkflow.run,
        ReconcileDay(Actor.system(org.org_id), day),
        id=RECONCILIATION.id(org.org_id, f"{day.isoformat()}-{uuid.uuid4().hex[:6]}"),
        task_queue=queue,
    )


def _records(org: SampleOrg, day: date) -> list[ReconciliationRecord]:
    with tenant_session(org.org_id, actor_type="test") as s:
        return reconciliation.records(s, day)


async def test_reconciliation_names_a_charge_the_ledger_lacks_an_amount_mismatch_and_a_payment_stripe_lacks(
    time_skipping: WorkflowEnvironment, registry_worker: str, localstripe: str, orgs: OrgFactory
) -> None:
    org, (matched_inv, wrong_inv, _) = _billed(orgs, 3)
    today = datetime.now(UTC).date()
    matched = await _pay(time_skipping, registry_worker, org, matched_inv, 30_000)
    stray = _charge_outside_the_ledger(org, 12_345)
    # Stripe took 30,000 but the ledger posted 29,000 for it (a keying slip).
    wrong = _charge_outside_the_ledger(org, 30_000)
    ghost_payment = uuid.uuid4()
    with tenant_session(org.org_id, actor_type="test") as s:
        (rid,) = s.scalars(select(Invoice.resident_id).where(Invoice.id == wrong_inv)).all()
        payments.record_received_payment(
            s,
            uuid.uuid4(),
            NewPayment(rid, 29_000, PaymentMethodType.CARD, wrong_inv, today),
            recorded_by=None,
            stripe_payment_intent_id=wrong,
        )
        # And a card payment posted with an intent Stripe never saw.
        payments.record_received_payment(
            s,
            ghost_payment,
            NewPayment(rid, 1_000, PaymentMethodType.CARD, wrong_inv, today),
            recorded_by=None,
            stripe_payment_intent_id=f"pi_ghost{uuid.uuid4().hex[:12]}",
        )
    # Another org's Stripe activity the same day is not ours to reconcile.
    other, (other_inv,) = _billed(orgs, 1)
    await _pay(time_skipping, registry_worker, other, other_inv, 30_000)

    summary = await _reconcile(time_skipping, registry_worker, org, today)
    assert summary.matched == 1
    assert summary.mismatches == {"missing_in_ledger": 1, "amount_differs": 1, "missing_in_stripe": 1}
    records = _records(org, today)
    gateway = _gateway()
    by_intent = {
        gateway.client.v1.charges.retrieve(_source(r.stripe_balance_transaction_id)).payment_intent: r
        for r in records
        if r.stripe_balance_transaction_id
    }
    assert set(by_intent) == {matched, stray, wrong}
    assert by_intent[matched].mismatch is None and by_intent[matched].status.value == "matched"
    assert (by_intent[stray].mismatch, by_intent[stray].gross_amount_cents, by_intent[stray].payment_id) == (
        "missing_in_ledger",
        12_345,
        None,
    )
    assert (
        by_intent[wrong].mismatch,
        by_intent[wrong].gross_amount_cents,
        by_intent[wrong].ledger_amount_cents,
    ) == (
        "amount_differs",
        30_000,
        29_000,
    )
    (ghost,) = [r for r in records if r.stripe_balance_transaction_id is None]
    assert (ghost.mismatch, ghost.payment_id, ghost.ledger_amount_cents) == (
        "missing_in_stripe",
        ghost_payment,
        1_000,
    )

    # Idempotent per (org, day): a second run rewrites the same records.
    again = await _reconcile(time_skipping, registry_worker, org, today)
    assert again == summary
    with tenant_session(org.org_id, actor_type="test") as s:
        assert s.scalar(select(func.count()).select_from(ReconciliationRecord)) == 4
    assert _records(other, today) == []


def _source(txn_id: str | None) -> str:
    assert txn_id is not None
    return str(_gateway().client.v1.balance_transactions.retrieve(txn_id).source)


async def test_a_day_whose_charges_and_refunds_all_match_is_reported_clean(
    time_skipping: WorkflowEnvironment, registry_worker: str, localstripe: str, orgs: OrgFactory
) -> None:
    org, (first, second) = _billed(orgs, 2)
    today = datetime.now(UTC).date()
    await _pay(time_skipping, registry_worker, org, first, 30_000)
    await _pay(time_skipping, registry_worker, org, second, 10_000)
    with tenant_session(org.org_id, actor_type="test") as s:
        paid = s.scalars(select(Payment.id).where(Payment.invoice_id == first)).one()
    refund_id = uuid.uuid4()
    await time_skipping.client.execute_workflow(
        CardRefundWorkflow.run,
        CardRefundInput(Actor.system(org.org_id), refund_id, paid, 2_500),
        id=REFUND.id(org.org_id, refund_id),
        task_queue=registry_worker,
    )
    summary = await _reconcile(time_skipping, registry_worker, org, today)
    assert (summary.matched, summary.mismatches, summary.clean) == (3, {}, True)
    records = _records(org, today)
    assert sorted((r.transaction_type, r.gross_amount_cents, r.ledger_amount_cents) for r in records) == [
        ("charge", 10_000, 10_000),
        ("charge", 30_000, 30_000),
        ("refund", -2_500, -2_500),
    ]
    assert {r.refund_id for r in records if r.transaction_type == "refund"} == {refund_id}
    # A day with nothing at all is clean too, and writes nothing.
    empty = await _reconcile(time_skipping, registry_worker, org, date(2020, 1, 1))
    assert (empty.matched, empty.clean, _records(org, date(2020, 1, 1))) == (0, True, [])


async def test_without_stripe_a_day_is_skipped_once_said_and_never_retried(
    time_skipping: WorkflowEnvironment, orgs: OrgFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """A worker with no Stripe key: each run ends at once with its reason in the summary (what
    the API shows), one warning per worker, and no failed activity to retry forever."""
    import dataclasses
    from concurrent.futures import ThreadPoolExecutor

    from worker import build_deps, build_worker

    org = orgs.create((UserRole.BILLING_SPECIALIST,))
    queue = f"no-stripe-{uuid.uuid4().hex[:8]}"
    deps = dataclasses.replace(build_deps(), stripe=None)
    caplog.set_level("WARNING", logger="recoveryos.reconciliation")
    async with build_worker(
        time_skipping.client, task_queue=queue, executor=ThreadPoolExecutor(2), deps=deps
    ):
        first = await _reconcile(time_skipping, queue, org, date(2026, 11, 30))
        second = await _reconcile(time_skipping, queue, org, date(2026, 12, 1))
    assert (first.skipped, first.matched, first.mismatches) == ("Stripe is not configured", 0, {})
    assert second.skipped == "Stripe is not configured"
    said = [r for r in caplog.records if "Stripe is not configured" in r.getMessage()]
    assert len(said) <= 1  # once per worker process (an earlier test's worker may have said it)
    assert _records(org, date(2026, 11, 30)) == []
