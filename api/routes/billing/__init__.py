"""Billing over HTTP, one module (and router) per part of the money; `router` includes them all:

- `rates`: rates per house, room or bed;
- `invoices`: one invoice with its lines, shares and payment link;
- `payments`: payments staff record, and card payments (the card-payment workflow);
- `refunds`: offline refunds, and card refunds back through Stripe (the card-refund workflow);
- `deposits`: security deposits, and their settlement after discharge (an update on the
  discharge-settlement workflow);
- `payers`: who shares a resident's charges;
- `reads`: invoices listed with filters, a resident's balance and statement;
- `page`: the resident's payment page behind a signed link (`/v1/billing/pay/<token>`);
- `webhooks`: Stripe's webhook endpoint (`/v1/billing/stripe/webhook`);
- `dunning`: collections schedules, an invoice's dunning steps, write-offs (`/v1/dunning`);
- `reconciliation`: each day's Stripe-vs-ledger records, and a run on demand
  (`/v1/reconciliation`).

Each router carries its own full prefix, so any one of them can be mounted alone, and `router`
holds their routes themselves (not the routers included), so whoever reads `router.routes` (the
app, the cross-org guard test) sees every billing route as it is served.
"""

from __future__ import annotations

from fastapi import APIRouter

from api.routes.billing import (
    deposits,
    dunning,
    invoices,
    page,
    payers,
    payments,
    rates,
    reads,
    reconciliation,
    refunds,
    webhooks,
)

router = APIRouter()
for part in (
    rates,
    invoices,
    payments,
    refunds,
    deposits,
    payers,
    page,
    webhooks,
    reads,
    dunning,
    reconciliation,
):
    router.routes.extend(part.router.routes)
