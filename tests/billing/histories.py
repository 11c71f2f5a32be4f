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
from core.stripe_gateway import StripeGateway
from models.enums import BillingFrequency
from models.payments import Invoice
from services import billing
from services.billing import NewRate
from tests.billing.builders import admit, make_house
from workflows.billing import (
    BILLING,
    PAYMENT,
    CardPaymentInput,
    CardPaymentWorkflow,
    DischargeSettlementWorkflow,
    IntentSettled,
    RentRunInput,
    RentRunWorkflow,
    SettleDischarge,
    discharge_key,
)
from workflows.common import Actor

NOV = date(2026, 11, 1)


def _residents(actor: Actor, n: int) -> list[uuid.UUID]:
    house = make_house(actor.org_id, beds=n, name=f"History House {uuid.uuid4().hex[:4]}")
    with tenant_session(actor.org_id, actor_type="test") as s:
        billing.create_rate(
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


async def card_payment(client: Client, queue: str, actor: Actor) -> WorkflowHandle:
    gateway = StripeGateway.from_settings(get_settings())
    if gateway is None:
        raise RuntimeError("the card-payment history needs localstripe: see tests/billing/histories.py")
    (rid,) = _residents(actor, 1)
    with tenant_session(actor.org_id, actor_type="test") as s:
        billing.issue_rent_batch(s, NOV, None, 10)
    with tenant_session(actor.org_id, actor_type="test") as s:
        invoice_id = s.scalars(select(Invoice.id).where(Invoice.resident_id == rid)).one()
    payment_id = uuid.uuid4()
    return await client.start_workflow(
        CardPaymentWorkflow.run,
        CardPaymentInput(
            actor,
            payment_id,
            invoice_id,
            60_000,
            gateway.test_card_method("4242424242424242", 12, 2030, "123"),
        ),
        id=PAYMENT.id(actor.org_id, payment_id),
        task_queue=queue,
    )


async def card_payment_in_browser(client: Client, queue: str, actor: Actor) -> WorkflowHandle:
    """The Stripe.js path: the workflow opens the intent, the browser confirms it (played here
    through the SDK) and the page's return signals how it settled."""
    gateway = StripeGateway.from_settings(get_settings())
    if gateway is None:
        raise RuntimeError("the card-payment history needs localstripe: see tests/billing/histories.py")
    (rid,) = _residents(actor, 1)
    with tenant_session(actor.org_id, actor_type="test") as s:
        billing.issue_rent_batch(s, NOV, None, 10)
    with tenant_session(actor.org_id, actor_type="test") as s:
        invoice_id = s.scalars(select(Invoice.id).where(Invoice.resident_id == rid)).one()
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
        billing.issue_rent_batch(s, NOV, None, 10)
    return await client.start_workflow(
        DischargeSettlementWorkflow.run,
        SettleDischarge(actor, rid, date(2026, 11, 21)),
        id=BILLING.id(actor.org_id, discharge_key(rid)),
        task_queue=queue,
    )
