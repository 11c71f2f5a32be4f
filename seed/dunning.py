"""Collections: the org's default dunning schedule (the service's `DEFAULT_STEPS`: reminder on
day 3, late fee on day 5, second reminder on day 7, escalation to the house manager on day 14),
a gentler override for the second house, and the first steps of the ladders of open invoices,
keyed as the dunning activities key them."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

from core.enums import DunningActionStatus
from models.payment_extended import DunningConfig
from models.payments import DunningAction
from seed.context import SeedContext
from services.billing import dunning as dunning_svc
from services.billing import dunning_config
from services.billing.dunning_config import StepSpec
from services.billing.keys import dunning_action_key


def default_config(ctx: SeedContext) -> DunningConfig:
    return ctx.add(
        DunningConfig(
            id=ctx.nid(),
            org_id=ctx.org_id,
            name="Standard collections",
            steps=dunning_config.DEFAULT_STEPS,
            grace_days=2,
            late_fee_cents=dunning_config.DEFAULT_LATE_FEE_CENTS,
            late_fee_cap_cents=dunning_config.DEFAULT_LATE_FEE_CAP_CENTS,
        )
    )


def collections(ctx: SeedContext, open_invoices: list[tuple[uuid.UUID, date, uuid.UUID]]) -> None:
    """`open_invoices`: (invoice id, due date, resident id) of each open invoice."""
    conf = default_config(ctx)
    ctx.add(
        DunningConfig(
            id=ctx.nid(),
            org_id=ctx.org_id,
            house_id=ctx.houses[1].id,
            name=f"{ctx.houses[1].name} gentle schedule",
            steps=[dunning_config.DEFAULT_STEPS[0], {**dunning_config.DEFAULT_STEPS[2], "step": 2}],
            grace_days=5,
            late_fee_cents=0,
        )
    )
    ctx.flush()
    reminder, late_fee = dunning_config.steps_of(dunning_config.DEFAULT_STEPS)[:2]
    for invoice_id, due, resident_id in open_invoices:
        reminded = dunning_svc.step_at(due, reminder.days_after_due)
        message = dunning_svc.message_id_for(dunning_action_key(invoice_id, reminder.step))
        sent = {"executed_at": reminded + timedelta(minutes=2), "provider_message_id": message}
        _action(ctx, conf, invoice_id, resident_id, reminder, DunningActionStatus.SENT, reminded, **sent)
        late_at = dunning_svc.step_at(due, late_fee.days_after_due)
        _action(ctx, conf, invoice_id, resident_id, late_fee, DunningActionStatus.SCHEDULED, late_at)


def _action(
    ctx: SeedContext,
    conf: DunningConfig,
    invoice_id: uuid.UUID,
    resident_id: uuid.UUID,
    step: StepSpec,
    status: DunningActionStatus,
    at: datetime,
    **done: Any,
) -> None:
    """One step of an invoice's ladder, as the dunning workflow plans it (and, when `done`
    names when and how, as it ran it)."""
    action = DunningAction(
        id=ctx.nid(),
        org_id=ctx.org_id,
        invoice_id=invoice_id,
        resident_id=resident_id,
        dunning_config_id=conf.id,
        action_type=step.action_type,
        status=status,
        step_number=step.step,
        scheduled_for=at,
        idempotency_key=dunning_action_key(invoice_id, step.step),
        template_key=step.template_key,
        **done,
    )
    ctx.add(action)
