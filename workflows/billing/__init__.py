"""Billing processes, one module per process (workflows carry ids, dates, enums and cents only):

- `rent_run`: `RentRunWorkflow` (`billing/<org>/rent-run`), the daily rent run;
- `payments`: `CardPaymentWorkflow` (`billing-payment/<org>/<payment id>`), one card payment;
- `refunds`: `CardRefundWorkflow` (`billing-refund/<org>/<refund id>`), a card refund;
- `settlement`: `DischargeSettlementWorkflow` (`billing/<org>/discharge-<resident id>`), the
  discharge seam: unused nights credited, then the security deposit settled;
- `dunning`: `DunningSweepWorkflow`, `DunningWorkflow`, `WriteOffWorkflow`, the collections
  ladder of overdue invoices;
- `reconciliation`: `ReconciliationWorkflow`, a day of Stripe matched against the ledger.

`BILLING` is the billing family's process: the rent run and discharge settlements run under
it, and it scopes the Idempotency-Keys of billing's creates.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from core.process import Process

BILLING = Process("billing")
