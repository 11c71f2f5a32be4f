"""Billing: plain functions over a tenant Session, shared by the billing activities, the API and
the seed. Money is integer cents; every posting goes through `services.ledger`, and every row
written here has a deterministic id or key backed by a unique constraint, so a retried activity
writes nothing twice.

One module per part of the money:

- `accounts`: the one chart of accounts (`ensure_accounts`) and sums read from the ledger
  (what an invoice still owes, residents' credit, the trial balance);
- `keys`: deterministic ids and idempotency keys;
- `periods`: billing periods and the proration rule;
- `rates`: rates per house, room or bed, and the rate book a rent run bills on;
- `payers`: who shares a resident's charges, and how an invoice splits among them;
- `invoices`: one invoice, its transitions (issue, settle, void) and status;
- `rent`: the rent run's batches of invoices;
- `payments`: payments received (staff-recorded, or by card once Stripe took them);
- `refunds`: refunds to a payment's own method;
- `deposits`: security deposits, held and settled at discharge;
- `settlement`: the nights after a discharge credited on rent already invoiced;
- `links`: residents' signed payment links and what the payment page shows;
- `reads`: invoices, balances and statements for staff;
- `dunning`, `dunning_config`, `dunning_messages`: the collections ladder of overdue invoices,
  its schedules, and what its e-mails say and to whom;
- `reconciliation`: each day's Stripe transactions matched against the ledger.

The data these share with workflows (a rent batch's tally, deposit deductions and outcomes,
planned dunning steps, a reconciled day) is in `core.contracts.billing`.
"""
