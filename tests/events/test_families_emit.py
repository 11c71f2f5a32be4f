"""The families that exist record their events through the services they already use: a stay's
admission, transfer and discharge, and an invoice's life from the rent run to write-off. Each
event names ids only, and carries the resident and house that scope it."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from core.db import tenant_session
from core.enums import PaymentMethodType, PaymentStatus, UserRole
from core.events import EventType
from models.events import DomainEvent
from models.payments import Payment
from services import events
from services.billing import dunning, payments, refunds
from services.billing.payments import NewPayment
from tests.dunning.builders import billed_org
from tests.factories import OrgFactory
from tests.scope.world import build_side


def _data_are_ids_and_values(org_id: uuid.UUID, subject: uuid.UUID) -> list[dict[str, str]]:
    with tenant_session(org_id, actor_type="test") as s:
        rows = s.scalars(select(DomainEvent).where(DomainEvent.subject_id == subject)).all()
    for row in rows:
        for value in row.data.values():
            assert value.isdigit() or value.isidentifier() or uuid.UUID(value)
    return [dict(r.data) for r in rows]


def test_a_stay_emits_admitted_transferred_and_discharged_naming_its_house(orgs: OrgFactory) -> None:
    org = orgs.create((UserRole.HOUSE_MANAGER,)).org_id
    side = build_side(org, "Elm")
    with tenant_session(org, actor_type="test") as s:
        moved = events.events_about(s, side.active)
        left = events.events_about(s, side.discharged)
        houses = set(s.scalars(select(DomainEvent.house_id).where(DomainEvent.resident_id == side.active)))
    assert moved == [EventType.RESIDENT_ADMITTED, EventType.RESIDENT_TRANSFERRED]
    assert left == [EventType.RESIDENT_ADMITTED, EventType.RESIDENT_DISCHARGED]
    assert houses == {side.house_id}
    (admitted, discharged) = _data_are_ids_and_values(org, side.discharged)
    assert discharged["kind"] == "voluntary" and discharged["discharge_id"] == str(side.discharge)
    assert admitted["bed_id"] == str(side.beds["1"])


def test_an_invoice_emits_issued_dunning_steps_payment_refund_and_write_off(orgs: OrgFactory) -> None:
    b = billed_org(orgs, date.today() - timedelta(days=40))
    org, invoice, resident = b.org.org_id, b.invoice_ids[0], b.resident_ids[0]
    now = datetime.now(UTC)
    payment_id, refund_id = uuid.uuid4(), uuid.uuid4()
    with tenant_session(org, actor_type="test") as s:
        step = dunning.plan(s, invoice)[0].step
        dunning.finish_step(s, invoice, step, now, "message-1")
        dunning.finish_step(s, invoice, step, now, "message-1")  # a retried activity
        cash = NewPayment(resident, 10_000, PaymentMethodType.CASH, invoice)
        payments.record_received_payment(s, payment_id, cash, recorded_by=None)
        payments.record_received_payment(s, payment_id, cash, recorded_by=None)
        refunds.record_refund(s, refund_id, payment_id, 2_000, requested_by=None)
        dunning.write_off(s, invoice, date.today())
    with tenant_session(org, actor_type="test") as s:
        assert events.events_about(s, invoice) == [
            EventType.INVOICE_ISSUED,
            EventType.DUNNING_STEP_TAKEN,
            EventType.INVOICE_WRITTEN_OFF,
        ]
        assert events.events_about(s, payment_id) == [EventType.PAYMENT_RECEIVED]
        assert events.events_about(s, refund_id) == [EventType.REFUND_COMPLETED]
    assert _data_are_ids_and_values(org, payment_id) == [{"invoice_id": str(invoice), "method": "cash"}]


def test_a_declined_card_payment_emits_payment_failed_once(orgs: OrgFactory) -> None:
    b = billed_org(orgs, date.today())
    org = b.org.org_id
    payment_id = uuid.uuid4()
    with tenant_session(org, actor_type="test") as s:
        s.add(
            Payment(
                id=payment_id,
                org_id=org,
                resident_id=b.resident_ids[0],
                invoice_id=b.invoice_ids[0],
                amount_cents=5_000,
                method=PaymentMethodType.CARD,
                status=PaymentStatus.PENDING,
                idempotency_key=f"test:{payment_id}",
            )
        )
        s.flush()
        for _ in range(2):
            payments.fail_payment(s, payments.get_payment(s, payment_id), "card_declined")
    with tenant_session(org, actor_type="test") as s:
        assert events.events_about(s, payment_id) == [EventType.PAYMENT_FAILED]
