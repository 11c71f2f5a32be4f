"""The journey's hand-over of a discharge to billing (the seam in the package docstring) and to
the consent family: each is started as an abandoned child, so it outlives the journey that
started it."""

from __future__ import annotations

import contextlib
import uuid

from temporalio import workflow
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

with workflow.unsafe.imports_passed_through():
    from core.contracts.admission import Discharged
    from core.contracts.consent import (
        END_OF_TREATMENT_WORKFLOW,
        PATIENT_NOTICE_WORKFLOW,
        EndOfTreatment,
        patient_notice_id,
    )
    from core.contracts.outcomes import FOLLOW_UP_WORKFLOW, OUTCOMES, FollowUpInput
    from core.process import Actor, Process
    from workflows.billing import BILLING
    from workflows.billing.settlement import SettleDischarge, discharge_key
    from workflows.consent import CONSENT
    from workflows.consent.notice import NoticeInput

# Before the `billing-settlement` patch: the placeholder hand-over, kept for replay only.
LEGACY_SETTLEMENT = Process("settlement")
LEGACY_SETTLEMENT_TYPE = "BillingFinalSettlement"
SETTLEMENT_TYPE = "BillingDischargeSettlement"


async def hand_over_to_billing(org: uuid.UUID, d: Discharged) -> None:
    if not workflow.patched("billing-settlement"):
        # Replaying a journey that handed over to the placeholder: the same command.
        await workflow.start_child_workflow(
            LEGACY_SETTLEMENT_TYPE,
            d,
            id=LEGACY_SETTLEMENT.id(org, d.admission_id),
            parent_close_policy=workflow.ParentClosePolicy.ABANDON,
        )
        return
    settle = SettleDischarge(Actor.system(org), d.resident_id, d.discharged_on)
    try:
        await _settle(settle, BILLING.id(org, discharge_key(d.resident_id)))
    except WorkflowAlreadyStartedError:
        # The settlement of this resident's previous stay is still running: this stay's
        # gets its own id rather than being lost.
        await _settle(settle, BILLING.id(org, f"{discharge_key(d.resident_id)}-{d.discharge_id}"))


async def _settle(settle: SettleDischarge, wf_id: str) -> None:
    # By type name: the journey never reads the settlement's result, and a journey still running
    # when its settlement ends must not have to decode it (the same command either way).
    await workflow.start_child_workflow(
        SETTLEMENT_TYPE,
        settle,
        id=wf_id,
        parent_close_policy=workflow.ParentClosePolicy.ABANDON,
    )


async def end_treatment_consents(org: uuid.UUID, d: Discharged) -> None:
    """The resident's "end of treatment" consents end with this discharge (by type name: the
    consent family is not imported here)."""
    if not workflow.patched("consent-end-of-treatment"):
        return
    await workflow.start_child_workflow(
        END_OF_TREATMENT_WORKFLOW,
        EndOfTreatment(Actor.system(org), d.resident_id, workflow.now()),
        id=CONSENT.id(org, f"end-of-treatment-{d.discharge_id}"),
        parent_close_policy=workflow.ParentClosePolicy.ABANDON,
    )


async def start_follow_up(org: uuid.UUID, d: Discharged) -> None:
    """The resident's follow-up after discharge (30, 90 and 180 days), which ends at once for a
    resident who did not consent to it (by type name: reports is not imported here)."""
    if not workflow.patched("outcomes-follow-up"):
        return
    with contextlib.suppress(WorkflowAlreadyStartedError):
        await workflow.start_child_workflow(
            FOLLOW_UP_WORKFLOW,
            FollowUpInput(Actor.system(org), d.discharge_id, d.resident_id, d.house_id, d.discharged_on),
            id=OUTCOMES.id(org, d.discharge_id),
            parent_close_policy=workflow.ParentClosePolicy.ABANDON,
        )


async def give_patient_notice(actor: Actor, resident_id: uuid.UUID) -> None:
    """On moving in, the resident is given the program's §2.22 notice to acknowledge by
    e-signature (once per version of the notice: a readmission is not asked again)."""
    if not workflow.patched("consent-patient-notice-at-admission"):
        return
    notice = patient_notice_id(resident_id)
    with contextlib.suppress(WorkflowAlreadyStartedError):
        # By type name: the journey never reads the notice's result.
        await workflow.start_child_workflow(
            PATIENT_NOTICE_WORKFLOW,
            NoticeInput(actor, notice, resident_id),
            id=CONSENT.id(actor.org_id, notice),
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            parent_close_policy=workflow.ParentClosePolicy.ABANDON,
        )
