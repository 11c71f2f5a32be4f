"""The resident journey after intake: application → a bed (or the waitlist) → residency →
transfers → discharge, as one `Admission` workflow per admission; a freed bed offered down the
waitlist by a `BedOffer` workflow per bed; and the hand-over of the final invoice and deposit
settlement to billing.

- `messages`: what the journey and the bed offer take, answer and send each other (inputs,
  updates, signals, results), the journey's `Stage`s and its `Journey` state;
- `journey`: `AdmissionWorkflow` (`admission/<org>/<admission id>`), one admission from
  application to discharge;
- `handover`: the journey's hand-over of a discharge to billing's settlement;
- `bed_offer`: `BedOfferWorkflow` (`bed-offer/<org>/<bed id>`), a freed bed offered down the
  waitlist.

Intake hands over through the API: `POST /v1/admissions` for an approved lead starts the
journey (intake's workflow and its histories are unchanged). Updates answer the caller
(assign a bed, answer an offer, transfer, discharge); signals carry what needs no answer
(a resident unaccounted for, or back); the `journey` query shows one journey's progress.
The workflow keeps ids, dates and statuses only; free-text reasons travel in an (encrypted)
update payload to the activity that stores them and are not kept in workflow state.

Billing seam: on discharge the journey starts billing's `BillingDischargeSettlement` as a child
workflow with `SettleDischarge(actor, resident_id, discharged_on)`, id
`billing/<org>/discharge-<resident_id>` (billing's `discharge_key`), and does not wait for it
(parent-close policy ABANDON: the settlement outlives the journey). Histories recorded before
this seam started the placeholder type `BillingFinalSettlement` instead; they replay through
the `billing-settlement` patch.
"""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from core.process import Process

ADMISSION = Process("admission")
BED_OFFER = Process("bed-offer")
