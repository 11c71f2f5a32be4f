"""Billing workflows in Temporal time, on the registry's worker and the real database."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date

from sqlalchemy import func, select
from temporalio.client import WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment

from core.config import get_settings
from core.db import tenant_session
from core.enums import (
    BillingFrequency,
    DunningActionType,
    InvoiceStatus,
    PaymentMethodType,
    PaymentStatus,
    UserRole,
)
from core.process import Actor
from core.stripe_gateway import StripeGateway
from models.payments import Invoice, LedgerEntry, Payment
from services.billing import accounts, invoices, payments, rates, rent
from services.billing.rates import NewRate
from tests.billing.builders import admit, make_house
from tests.factories import OrgFactory, SampleOrg
from workflows.billing import BILLING
from workflows.billing.payments import PAYMENT, CardPaymentInput, CardPaymentWorkflow, IntentSettled
from workflows.billing.rent_run import RentRunInput, RentRunWorkflow
from workflows.billing.settlement import DischargeSettlementWorkflow, SettleDischarge, discharge_key

NOV = date(2026, 11, 1)


def _org_with_residents(orgs: OrgFactory, n: int, cents: int = 90_000) -> tuple[SampleOrg, list[uuid.UUID]]:
    org = orgs.create((UserRole.BILLING_SPECIALIST,))
    house = make_house(org.org_id, beds=n)
    with tenant_session(org.org_id, actor_type="test") as s:
        rates.create_rate(
            s,
            uuid.uuid4(),
            NewRate("Rent", cents, BillingFrequency.MONTHLY, date(2026, 1, 1), house_id=house.house_id),
        )
    return org, admit(org.org_id, house, [(date(2026, 1, 1), None)] * n)


def _ledger(org: SampleOrg) -> tuple[int, int, int]:
    with tenant_session(org.org_id, actor_type="test") as s:
        invoices = s.scalar(select(func.count()).select_from(Invoice)) or 0
        entries = s.scalar(select(func.count()).select_from(LedgerEntry)) or 0
        return invoices, entries, accounts.trial_balance(s)


async def test_a_rent_run_continues_as_new_and_issues_every_invoice_once(
    time_skipping: WorkflowEnvironment, registry_worker: str, orgs: OrgFactory
) -> None:
    org, _ = _org_with_residents(orgs, 7)
    actor = Actor.system(org.org_id)
    wf_id = BILLING.id(org.org_id, f"rent-run-{uuid.uuid4().hex[:6]}")
    handle = await time_skipping.client.start_workflow(
        RentRunWorkflow.run,
        RentRunInput(actor, as_of=NOV, batch_size=2, batches_per_run=2),
        id=wf_id,
        task_queue=registry_worker,
    )
    result = await handle.result()
    assert (result.issued, result.scanned, result.total_cents, result.runs) == (7, 7, 7 * 90_000, 2)
    assert _ledger(org) == (7, 14, 0)
    # The first run closed by continuing as new: its history holds two batches, not seven.
    first = time_skipping.client.get_workflow_handle(wf_id, run_id=handle.first_execution_run_id)
    assert (await first.describe()).status is WorkflowExecutionStatus.CONTINUED_AS_NEW
    again = await time_skipping.client.execute_workflow(
        RentRunWorkflow.run, RentRunInput(actor, as_of=NOV), id=wf_id + "-again", task_queue=registry_worker
    )
    assert (again.issued, again.scanned) == (0, 7)
    assert _ledger(org) == (7, 14, 0)


async def test_a_rent_run_terminated_mid_run_and_started_again_leaves_every_invoice_exactly_once(
    stack: str, orgs: OrgFactory
) -> None:
    # On the dev server: a terminated run's in-flight activity would hold the time-skipping
    # server's clock for every later test.
    from core.config import get_settings
    from core.temporal import connect

    org, residents = _org_with_residents(orgs, 12)
    client = await connect()
    registry_worker = get_settings().task_queue
    wf_id = BILLING.id(org.org_id, "rent-run-interrupted")
    inp = RentRunInput(Actor.system(org.org_id), as_of=NOV, batch_size=1, batches_per_run=100)
    handle = await client.start_workflow(RentRunWorkflow.run, inp, id=wf_id, task_queue=registry_worker)
    for _ in range(600):
        if _ledger(org)[0] >= 3:
            break
        await asyncio.sleep(0.05)
    await handle.terminate("killed mid-run by the test")
    stopped_at = _ledger(org)[0]
    assert 3 <= stopped_at < 12, "the run must stop mid-way for this test to mean anything"
    result = await client.execute_workflow(RentRunWorkflow.run, inp, id=wf_id, task_queue=registry_worker)
    # A batch in flight when the run was killed may still commit (its activity outlives the
    # run), so the second run issues at most what was missing, and the ledger shows each once.
    assert result.scanned == 12 and 0 < result.issued <= 12 - stopped_at
    assert _ledger(org) == (12, 24, 0)
    with tenant_session(org.org_id, actor_type="test") as s:
        per_resident = s.execute(
            select(Invoice.resident_id, func.count()).group_by(Invoice.resident_id)
        ).all()
    assert sorted(r[0] for r in per_resident) == sorted(residents)
    assert {r[1] for r in per_resident} == {1}


async def test_a_card_payment_through_a_payment_intent_pays_the_invoice(
    time_skipping: WorkflowEnvironment, registry_worker: str, localstripe: str, orgs: OrgFactory
) -> None:
    from core.config import get_settings
    from core.stripe_gateway import StripeGateway

    org, (rid,) = _org_with_residents(orgs, 1, cents=45_000)
    actor = Actor.system(org.org_id)
    await time_skipping.client.execute_workflow(
        RentRunWorkflow.run,
        RentRunInput(actor, as_of=NOV),
        id=BILLING.id(org.org_id, "rent-run"),
        task_queue=registry_worker,
    )
    with tenant_session(org.org_id, actor_type="test") as s:
        invoice_id = s.scalars(select(Invoice.id).where(Invoice.resident_id == rid)).one()
    gateway = StripeGateway.from_settings(get_settings())
    assert gateway is not None
    pm = gateway.test_card_method("4242424242424242", 12, 2030, "123")
    payment_id = uuid.uuid4()
    outcome = await time_skipping.client.execute_workflow(
        CardPaymentWorkflow.run,
        CardPaymentInput(actor, payment_id, invoice_id, 45_000, pm),
        id=PAYMENT.id(org.org_id, payment_id),
        task_queue=registry_worker,
    )
    assert outcome.status is PaymentStatus.SUCCEEDED and outcome.intent_id
    assert gateway.get_intent(outcome.intent_id).status == "succeeded"
    with tenant_session(org.org_id, actor_type="test") as s:
        assert invoices.get_invoice(s, invoice_id).status is InvoiceStatus.PAID
        payment = s.get(Payment, payment_id)
        assert payment is not None and payment.stripe_payment_intent_id == outcome.intent_id
        assert accounts.trial_balance(s) == 0


def _billed(orgs: OrgFactory, cents: int) -> tuple[SampleOrg, uuid.UUID]:
    org, (rid,) = _org_with_residents(orgs, 1, cents=cents)
    with tenant_session(org.org_id, actor_type="test") as s:
        rent.issue_rent_batch(s, NOV, None, 10)
    with tenant_session(org.org_id, actor_type="test") as s:
        return org, s.scalars(select(Invoice.id).where(Invoice.resident_id == rid)).one()


def _gateway() -> StripeGateway:
    gateway = StripeGateway.from_settings(get_settings())
    assert gateway is not None
    return gateway


def _paid(org: SampleOrg, invoice_id: uuid.UUID) -> tuple[InvoiceStatus, int, int]:
    """The invoice's status, the payment journals posted against it, the trial balance."""
    with tenant_session(org.org_id, actor_type="test") as s:
        journals = s.scalar(
            select(func.count(func.distinct(LedgerEntry.journal_id))).where(
                LedgerEntry.invoice_id == invoice_id, LedgerEntry.payment_id.is_not(None)
            )
        )
        return invoices.get_invoice(s, invoice_id).status, int(journals or 0), accounts.trial_balance(s)


async def test_a_payment_the_browser_confirms_is_created_here_and_settled_by_the_signal(
    time_skipping: WorkflowEnvironment, registry_worker: str, localstripe: str, orgs: OrgFactory
) -> None:
    org, invoice_id = _billed(orgs, 45_000)
    actor = Actor.system(org.org_id)
    payment_id = uuid.uuid4()
    handle = await time_skipping.client.start_workflow(
        CardPaymentWorkflow.run,
        CardPaymentInput(actor, payment_id, invoice_id, 45_000, ""),
        id=PAYMENT.id(org.org_id, payment_id),
        task_queue=registry_worker,
    )
    opened = await handle.execute_update(CardPaymentWorkflow.intent_opened, actor)
    assert opened.intent_id is not None and opened.status is PaymentStatus.PROCESSING
    gateway = _gateway()
    # The workflow did not confirm it: that is the browser's part (Stripe.js), played here.
    assert gateway.get_intent(opened.intent_id).status == "requires_payment_method"
    assert gateway.confirm_intent(opened.intent_id, "pm_card_visa", f"js:{payment_id}").status == "succeeded"
    await handle.signal(
        CardPaymentWorkflow.intent_settled, IntentSettled(actor, opened.intent_id, "succeeded")
    )
    outcome = await handle.result()
    assert (outcome.status, outcome.intent_id) == (PaymentStatus.SUCCEEDED, opened.intent_id)
    assert _paid(org, invoice_id) == (InvoiceStatus.PAID, 1, 0)


async def test_a_browser_attempt_never_confirmed_fails_when_the_settle_window_closes(
    time_skipping: WorkflowEnvironment, registry_worker: str, localstripe: str, orgs: OrgFactory
) -> None:
    org, invoice_id = _billed(orgs, 45_000)
    actor = Actor.system(org.org_id)
    payment_id = uuid.uuid4()
    outcome = await time_skipping.client.execute_workflow(
        CardPaymentWorkflow.run,
        CardPaymentInput(actor, payment_id, invoice_id, 45_000, ""),
        id=PAYMENT.id(org.org_id, payment_id),
        task_queue=registry_worker,
    )
    assert (outcome.status, outcome.failure_code) == (PaymentStatus.FAILED, "expired")
    assert _paid(org, invoice_id) == (InvoiceStatus.OPEN, 0, 0)


async def test_a_declined_card_ends_the_attempt_at_once_and_posts_nothing(
    time_skipping: WorkflowEnvironment, registry_worker: str, localstripe: str, orgs: OrgFactory
) -> None:
    org, invoice_id = _billed(orgs, 45_000)
    actor = Actor.system(org.org_id)
    payment_id = uuid.uuid4()
    declined = _gateway().test_card_method("4000000000000341", 12, 2030, "123")
    outcome = await asyncio.wait_for(
        time_skipping.client.execute_workflow(
            CardPaymentWorkflow.run,
            CardPaymentInput(actor, payment_id, invoice_id, 45_000, declined),
            id=PAYMENT.id(org.org_id, payment_id),
            task_queue=registry_worker,
        ),
        60,
    )
    # A decline is an answer, not an error to retry (retrying would never end: within 60 s).
    assert (outcome.status, outcome.failure_code) == (PaymentStatus.FAILED, "requires_payment_method")
    assert _paid(org, invoice_id) == (InvoiceStatus.OPEN, 0, 0)


async def test_settling_a_mid_month_discharge_credits_the_unused_nights_once(
    time_skipping: WorkflowEnvironment, registry_worker: str, orgs: OrgFactory
) -> None:
    org, (rid,) = _org_with_residents(orgs, 1, cents=90_000)
    actor = Actor.system(org.org_id)
    with tenant_session(org.org_id, actor_type="test") as s:
        rent.issue_rent_batch(s, NOV, None, 10)
    with tenant_session(org.org_id, actor_type="test") as s:
        (inv,) = invoices.open_invoices(s, rid)
        inv_id = inv.id
        payments.record_received_payment(
            s,
            uuid.uuid4(),
            payments.NewPayment(rid, 90_000, PaymentMethodType.CASH, inv_id),
            recorded_by=None,
        )
    # Leaves on the 21st: 20 nights of 30 stay billed (60,000), 30,000 comes back as credit.
    settle = SettleDischarge(actor, rid, date(2026, 11, 21))
    for expected in (30_000, 0):
        done = await time_skipping.client.execute_workflow(
            DischargeSettlementWorkflow.run,
            settle,
            id=BILLING.id(org.org_id, f"{discharge_key(rid)}-{expected}"),
            task_queue=registry_worker,
        )
        assert done.credited_cents == expected
    with tenant_session(org.org_id, actor_type="test") as s:
        acct = accounts.ensure_accounts(s)
        assert accounts.resident_credits(s, [rid], acct) == {rid: 30_000}
        assert accounts.invoice_outstanding(s, inv_id) == 0
        assert accounts.trial_balance(s) == 0


async def test_a_card_payment_that_pays_an_overdue_invoice_stops_its_dunning_at_once(
    time_skipping: WorkflowEnvironment, registry_worker: str, localstripe: str, orgs: OrgFactory
) -> None:
    from core.config import get_settings
    from core.stripe_gateway import StripeGateway
    from services.billing import dunning, dunning_config
    from workflows.billing.dunning import DunningInput, DunningWorkflow, Stopped, dunning_id

    org, (rid,) = _org_with_residents(orgs, 1, cents=45_000)
    actor = Actor.system(org.org_id)
    far = [dunning_config.StepSpec(1, 3650, DunningActionType.REMINDER_EMAIL)]
    with tenant_session(org.org_id, actor_type="test") as s:
        rent.issue_rent_batch(s, NOV, None, 10)
        dunning_config.configure(s, uuid.uuid4(), dunning_config.NewConfig("Collections", far))
    with tenant_session(org.org_id, actor_type="test") as s:
        invoice_id = s.scalars(select(Invoice.id).where(Invoice.resident_id == rid)).one()
    ladder = await time_skipping.client.start_workflow(
        DunningWorkflow.run,
        DunningInput(actor, invoice_id),
        id=dunning_id(org.org_id, invoice_id),
        task_queue=registry_worker,
    )
    await ladder.execute_update(DunningWorkflow.wait_planned, actor)
    gateway = StripeGateway.from_settings(get_settings())
    assert gateway is not None
    payment_id = uuid.uuid4()
    await time_skipping.client.execute_workflow(
        CardPaymentWorkflow.run,
        CardPaymentInput(
            actor,
            payment_id,
            invoice_id,
            45_000,
            gateway.test_card_method("4242424242424242", 12, 2030, "123"),
        ),
        id=PAYMENT.id(org.org_id, payment_id),
        task_queue=registry_worker,
    )
    result = await ladder.result()
    assert (result.stopped, result.done) == (Stopped.SETTLED, [])
    with tenant_session(org.org_id, actor_type="test") as s:
        assert [(a.status.value, a.failure_reason) for a in dunning.actions(s, invoice_id)] == [
            ("skipped", "paid")
        ]
