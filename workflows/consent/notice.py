"""PatientNotice: the §2.22 notice given to one resident and acknowledged by e-signature.

Under CONSENT with the notice's id (one per resident per notice version) as key. The first
activity renders the notice from the org's settings as the resident's document and records its
delivery; the notice's signature request then runs as a child (`signed_by_everyone`, under the
signing family's usual id, so staff follow it and hand over its link through the signing
routes). When the resident has signed, the acknowledgement is recorded with the signature.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.consent.notice import Acknowledged, Deliver, NoticeActivities, Unsigned
    from core.contracts.consent import PATIENT_NOTICE_WORKFLOW
    from core.contracts.signing import SignerSpec
    from core.enums import DocumentStatus
    from core.process import DB_STEP, Actor, Wait
    from workflows.signing import signed_by_everyone


@dataclass(frozen=True)
class NoticeInput:
    actor: Actor
    notice_id: uuid.UUID
    resident_id: uuid.UUID


@dataclass
class NoticeState:
    notice_id: uuid.UUID
    document_id: uuid.UUID | None = None
    # pending_signature until the signature request ends: then signed, expired, voided.
    status: DocumentStatus = DocumentStatus.DRAFT
    signature_id: uuid.UUID | None = None


@workflow.defn(name=PATIENT_NOTICE_WORKFLOW)
class PatientNoticeWorkflow:
    def __init__(self) -> None:
        self._state: NoticeState | None = None

    @workflow.run
    async def run(self, inp: NoticeInput) -> NoticeState:
        self._state = state = NoticeState(inp.notice_id)
        state.document_id = await workflow.execute_activity_method(
            NoticeActivities.deliver,
            Deliver(inp.actor, inp.notice_id, inp.resident_id, workflow.now()),
            **DB_STEP.options(),
        )
        state.status = DocumentStatus.PENDING_SIGNATURE
        # The signing family's default deadline and reminders (14 days, every 72 hours).
        signed = await signed_by_everyone(
            inp.actor, state.document_id, [SignerSpec("resident", resident_id=inp.resident_id)]
        )
        if signed.status is DocumentStatus.SIGNED:
            state.signature_id = signed.signers[0].signature_id
            await workflow.execute_activity_method(
                NoticeActivities.acknowledge,
                Acknowledged(inp.actor, inp.notice_id, state.signature_id, workflow.now()),
                **DB_STEP.options(),
            )
        else:
            await workflow.execute_activity_method(
                NoticeActivities.unsigned,
                Unsigned(inp.actor, inp.notice_id, signed.status.value),
                **DB_STEP.options(),
            )
        state.status = signed.status
        await workflow.wait_condition(workflow.all_handlers_finished)
        return state

    @workflow.update
    async def wait_delivered(self, _: Wait) -> NoticeState:
        """Answers once the notice's document exists and its signature request is starting."""
        await workflow.wait_condition(
            lambda: self._state is not None and self._state.status is not DocumentStatus.DRAFT
        )
        assert self._state is not None
        return self._state

    @workflow.query
    def state(self) -> NoticeState | None:
        return self._state
