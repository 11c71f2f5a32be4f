"""Billing activities, one class per process they serve (see `workflows.billing`):

- `rent_run`: `RentRunActivities`, one batch of rent invoices per call;
- `payments`: `CardPaymentActivities`, a card payment's PaymentIntent through Stripe;
- `refunds`: `RefundActivities`, a refund back through Stripe;
- `settlement`: `SettlementActivities`, a discharge's credited nights and deposit settlement;
- `dunning`: `DunningActivities`, the collections ladder of overdue invoices;
- `reconciliation`: `ReconciliationActivities`, a day of Stripe matched against the ledger.

Database writes are idempotent by deterministic keys; Stripe calls never run inside an open
tenant transaction.
"""
