"""Recording scenarios for the billing workflows (tests/test_replay.py).

The card payment talks to Stripe: record with a localstripe server and the Stripe settings
pointing at it, e.g.

    .venv/bin/localstripe --port 8420 &
    RECOVERYOS_STRIPE_API_KEY=sk_test_x RECOVERYOS_STRIPE_API_BASE=http://127.0.0.1:8420 \\
        RECORD_HISTORIES=1 .venv/bin/pytest tests/test_replay.py -k record
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select
from temporalio.client import Client, WorkflowHandle

from core.config import get_settings
from core.db import tenant_session
from core.enums import BillingFrequency
from core.process import Actor
from core.stripe_gateway import StripeGateway
from models.payments import Invoice
from services.billing import deposits, rates, rent
from services.billing.rates import NewRate
from tests.billing.builders import admit, make_house
from tests.harness import Scenario
from workflows.billing import BILLING
from workflows.billing.payments import PAYMENT, CardPaymentInput, CardPaymentWorkflow, IntentSettled
from workflows.billing.rent_run import RentRunInput, RentRunWorkflow
from workflows.billing.settlement import DischargeSettlementWorkflow, SettleDischarge, discharge_key

NOV = date(2026, 11, 1)


def _residents(actor: Actor, n: int) -> list[uuid.UUID]:
    house = make_house(actor.org_id, beds=n, name=f"History House {uuid.uuid4().hex[:4]}")
    with tenant_session(actor.org_id, actor_type="test") as s:
        rates.create_rate(
            s,
            uuid.uuid4(),
            NewRate("Rent", 60_000, BillingFrequency.MONTHLY, date(2026, 1, 1), house_id=house.house_id),
        )
    return admit(actor.org_id, house, [(date(2026, 1, 1), None)] * n)


async def rent_run(client: Client, queue: str, actor: Actor) -> WorkflowHandle:
    """Three residents, one per batch, two batches per run: one continue-as-new."""
    _residents(actor, 3)
    return await client.start_workflow(
        RentRunWorkflow.run,
        RentRunInput(actor, as_of=NOV, batch_size=1, batches_per_run=2),
        id=BILLING.id(actor.org_id, f"rent-run-{uuid.uuid4().hex[:6]}"),
        task_queue=queue,
    )


def _november_invoice(actor: Actor) -> uuid.UUID:
    """One resident's November rent invoice, issued."""
    (rid,) = _residents(actor, 1)
    with tenant_session(actor.org_id, actor_type="test") as s:
        rent.issue_rent_batch(s, NOV, None, 10)
    with tenant_session(actor.org_id, actor_type="test") as s:
        return s.scalars(select(Invoice.id).where(Invoice.resident_id == rid)).one()


async def _pay_by_card(client: Client, queue: str, actor: Actor, gateway: StripeGateway) -> WorkflowHandle:
    """The November invoice paid with Stripe's test Visa, server-side."""
    payment_id = uuid.uuid4()
    card = gateway.test_card_method("4242424242424242", 12, 2030, "123")
    return await client.start_workflow(
        CardPaymentWorkflow.run,
        CardPaymentInput(actor, payment_id, _november_invoice(actor), 60_000, card),
        id=PAYMENT.id(actor.org_id, payment_id),
        task_queue=queue,
    )


async def card_payment(client: Client, queue: str, actor: Actor) -> WorkflowHandle:
    gateway = StripeGateway.from_settings(get_settings())
    if gateway is None:
        raise RuntimeError("the card-payment history needs localstripe: see tests/billing/histories.py")
    return await _pay_by_card(client, queue, actor, gateway)


async def card_payment_in_browser(client: Client, queue: str, actor: Actor) -> WorkflowHandle:
    """The Stripe.js path: the workflow opens the intent, the browser confirms it (played here
    through the SDK) and the page's return signals how it settled."""
    gateway = StripeGateway.from_settings(get_settings())
    if gateway is None:
        raise RuntimeError("the card-payment history needs localstripe: see tests/billing/histories.py")
    invoice_id = _november_invoice(actor)
    payment_id = uuid.uuid4()
    handle = await client.start_workflow(
        CardPaymentWorkflow.run,
        CardPaymentInput(actor, payment_id, invoice_id, 60_000, ""),
        id=PAYMENT.id(actor.org_id, payment_id),
        task_queue=queue,
    )
    opened = await handle.execute_update(CardPaymentWorkflow.intent_opened, actor)
    assert opened.intent_id is not None
    status = gateway.confirm_intent(opened.intent_id, "pm_card_visa", f"js:{payment_id}").status
    await handle.signal(CardPaymentWorkflow.intent_settled, IntentSettled(actor, opened.intent_id, status))
    return handle


async def discharge(client: Client, queue: str, actor: Actor) -> WorkflowHandle:
    """A resident billed for November leaves on the 21st."""
    (rid,) = _residents(actor, 1)
    with tenant_session(actor.org_id, actor_type="test") as s:
        rent.issue_rent_batch(s, NOV, None, 10)
    return await client.start_workflow(
        DischargeSettlementWorkflow.run,
        SettleDischarge(actor, rid, date(2026, 11, 21)),
        id=BILLING.id(actor.org_id, discharge_key(rid)),
        task_queue=queue,
    )


def ensure_localstripe() -> StripeGateway:
    """Recording runs outside tests/billing (no fixture there): start localstripe where the
    Stripe settings point when nothing listens yet, stopped when the recording process exits."""
    import atexit
    import socket
    import subprocess

    from tests.harness import BIN

    gateway = StripeGateway.from_settings(get_settings())
    if gateway is None or not get_settings().stripe_api_base:
        raise RuntimeError("the card histories need localstripe: see this module's docstring")
    port = int(str(get_settings().stripe_api_base).rsplit(":", 1)[1])
    with socket.socket() as s:
        listening = s.connect_ex(("127.0.0.1", port)) == 0
    if not listening:
        from cli.dev import wait_for_port

        proc = subprocess.Popen(
            [str(BIN / "localstripe"), "--port", str(port), "--from-scratch"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        atexit.register(proc.terminate)
        wait_for_port(port, 30, proc)
    return gateway


async def card_refund(client: Client, queue: str, actor: Actor) -> WorkflowHandle:
    """A November invoice paid by card, then 20,000 of it given back through Stripe."""
    from workflows.billing.refunds import REFUND, CardRefundInput, CardRefundWorkflow

    paid = await _pay_by_card(client, queue, actor, ensure_localstripe())
    await paid.result()
    payment_id = uuid.UUID(paid.id.rsplit("/", 1)[1])
    refund_id = uuid.uuid4()
    return await client.start_workflow(
        CardRefundWorkflow.run,
        CardRefundInput(actor, refund_id, payment_id, 20_000),
        id=REFUND.id(actor.org_id, refund_id),
        task_queue=queue,
    )


async def deposit_settlement(client: Client, queue: str, actor: Actor) -> WorkflowHandle:
    """A resident with a cash deposit leaves on the 21st; staff send itemised deductions."""
    from core.contracts.billing import Deduction
    from core.enums import PaymentMethodType
    from workflows.billing.settlement import DepositDecision

    (rid,) = _residents(actor, 1)
    with tenant_session(actor.org_id, actor_type="test") as s:
        deposits.collect_deposit(
            s,
            uuid.uuid4(),
            rid,
            50_000,
            PaymentMethodType.CASH,
            recorded_by=None,
            received_on=date(2026, 1, 1),
        )
        rent.issue_rent_batch(s, NOV, None, 10)
    handle = await client.start_workflow(
        DischargeSettlementWorkflow.run,
        SettleDischarge(actor, rid, date(2026, 11, 21)),
        id=BILLING.id(actor.org_id, discharge_key(rid)),
        task_queue=queue,
    )
    await handle.execute_update(
        DischargeSettlementWorkflow.settle_deposit,
        DepositDecision(actor, [Deduction("damage", 7_500, "Replaced a door handle")]),
    )
    return handle


SCENARIOS: dict[str, Scenario] = {
    "billing-rent-run": rent_run,
    "billing-card-payment": card_payment,
    "billing-card-payment-in-browser": card_payment_in_browser,
    "billing-discharge": discharge,
    # The same payment after `billing-dunning-nudge`: it signals the invoice's dunning workflow.
    "billing-card-payment-dunning-nudge": card_payment,
    "billing-card-refund": card_refund,
    "billing-deposit-settlement": deposit_settlement,
}
