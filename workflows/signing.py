"""SignatureRequest: signers sign one after another through their signing links.

Each signer in turn gets a link (signed, expiring at the request's deadline, single-use), is
reminded on a schedule (durable timers), and signs or declines from the signing page; staff may
void the request. When the last signer has signed, the document becomes a new immutable version
with a certificate of completion. The workflow keeps ids and statuses only: what a signer
submits (their mark, IP, user agent) reaches it in an encrypted update and goes straight to the
database through an activity.
"""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.signing import (
        CloseRequest,
        Complete,
        LinkAction,
        PrepareSigners,
        SendLink,
        SigningActivities,
    )
    from core.contracts.signing import Link, SignerSpec
    from core.enums import DocumentStatus, SignatureStatus
    from core.errors import Conflict
    from core.process import DB_STEP, Actor, Process, Wait

SIGNING = Process("signing")


@dataclass(frozen=True)
class SignatureRequestInput:
    actor: Actor
    document_id: uuid.UUID
    signers: list[SignerSpec]
    expires_after_hours: int = 14 * 24
    remind_every_hours: int = 72


@dataclass
class SignerState:
    signature_id: uuid.UUID
    role: str
    status: SignatureStatus = SignatureStatus.PENDING
    reminders: int = 0


@dataclass
class RequestState:
    document_id: uuid.UUID
    status: DocumentStatus = DocumentStatus.PENDING_SIGNATURE
    signers: list[SignerState] = field(default_factory=list)
    current: int | None = None
    voided_by: uuid.UUID | None = None


FINAL = (DocumentStatus.SIGNED, DocumentStatus.VOIDED, DocumentStatus.EXPIRED)


@workflow.defn(name="SignatureRequest")
class SignatureRequestWorkflow:
    def __init__(self) -> None:
        self._state: RequestState | None = None
        self._prepared = False
        self._void: Wait | None = None
        self._invited: set[uuid.UUID] = set()
        # A signer's submission is being written: the deadline waits for its outcome.
        self._writing = 0

    @workflow.run
    async def run(self, inp: SignatureRequestInput) -> RequestState:
        self._state = state = RequestState(inp.document_id)
        deadline = workflow.now() + timedelta(hours=inp.expires_after_hours)
        ids = await workflow.execute_activity_method(
            SigningActivities.prepare,
            PrepareSigners(inp.actor, inp.document_id, inp.signers),
            **DB_STEP.options(),
        )
        state.signers = [SignerState(sid, spec.role) for sid, spec in zip(ids, inp.signers, strict=True)]

        outcome = DocumentStatus.SIGNED
        for index, signer in enumerate(state.signers):
            state.current = index
            await self._send(inp.actor, signer, deadline, "invitation")
            self._invited.add(signer.signature_id)
            self._prepared = True  # the first signer has a link: staff can hand it over
            outcome = await self._await_signer(inp, signer, deadline)
            if outcome is not DocumentStatus.SIGNED:
                break
        state.current = None
        if outcome is DocumentStatus.SIGNED:
            await workflow.execute_activity_method(
                SigningActivities.complete,
                Complete(inp.actor, inp.document_id, workflow.now()),
                **DB_STEP.options(),
            )
        elif outcome is not DocumentStatus.VOIDED or self._void is not None:
            # A decline has already voided the document in its own transaction.
            actor = self._void.actor if self._void is not None else inp.actor
            await workflow.execute_activity_method(
                SigningActivities.close,
                CloseRequest(actor, inp.document_id, outcome, workflow.now()),
                **DB_STEP.options(),
            )
        state.status = outcome
        await workflow.wait_condition(workflow.all_handlers_finished)
        return state

    async def _send(self, actor: Actor, signer: SignerState, deadline: datetime, kind: str) -> None:
        await workflow.execute_activity_method(
            SigningActivities.send_link,
            SendLink(actor, signer.signature_id, deadline, kind, signer.reminders, workflow.now()),
            **DB_STEP.options(),
        )

    async def _await_signer(
        self, inp: SignatureRequestInput, signer: SignerState, deadline: datetime
    ) -> DocumentStatus:
        every = timedelta(hours=inp.remind_every_hours)

        def settled() -> bool:
            return self._void is not None or signer.status in (
                SignatureStatus.SIGNED,
                SignatureStatus.DECLINED,
            )

        while not settled():
            left = deadline - workflow.now()
            if left <= timedelta(0):
                if self._writing:
                    await workflow.wait_condition(lambda: self._writing == 0)
                    continue
                return DocumentStatus.EXPIRED
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(settled, timeout=min(every, left))
            if not settled() and deadline - workflow.now() > timedelta(0):
                signer.reminders += 1
                await self._send(inp.actor, signer, deadline, "reminder")
        if self._void is not None:
            assert self._state is not None
            self._state.voided_by = self._void.actor.user_id
            return DocumentStatus.VOIDED
        return DocumentStatus.SIGNED if signer.status is SignatureStatus.SIGNED else DocumentStatus.VOIDED

    def _signer(self, link: Link) -> SignerState:
        state = self._state
        if state is None or state.status in FINAL or state.current is None:
            raise Conflict("this signing request is not waiting for a signature", field="link")
        signer = state.signers[state.current]
        if signer.signature_id != link.signature_id:
            raise Conflict("it is not this signer's turn", field="link")
        if self._void is not None:
            raise Conflict("this signing request has been voided", field="link")
        return signer

    @workflow.update
    async def wait_prepared(self, _: Wait) -> RequestState:
        """Lets the API answer 201 once every signer has a row and the first one a link."""
        await workflow.wait_condition(lambda: self._prepared)
        assert self._state is not None
        return self._state

    async def _record(self, step: Any, msg: LinkAction) -> Any:
        self._writing += 1
        try:
            return await workflow.execute_activity_method(
                step, replace(msg, at=workflow.now()), **DB_STEP.options()
            )
        finally:
            self._writing -= 1

    @workflow.update
    async def view(self, msg: LinkAction) -> RequestState:
        await self._record(SigningActivities.record_view, msg)
        assert self._state is not None
        for signer in self._state.signers:
            if signer.signature_id == msg.link.signature_id and signer.status is SignatureStatus.PENDING:
                signer.status = SignatureStatus.VIEWED
        return self._state

    @workflow.update
    async def consent(self, msg: LinkAction) -> RequestState:
        await self._record(SigningActivities.record_consent, msg)
        assert self._state is not None
        return self._state

    @workflow.update
    async def sign(self, msg: LinkAction) -> RequestState:
        signer = self._signer(msg.link)
        await self._record(SigningActivities.record_signature, msg)
        signer.status = SignatureStatus.SIGNED
        # Answer once the request has moved on: the next signer has their link, or the
        # signed document and its certificate exist.
        await workflow.wait_condition(lambda: self._moved_past(signer))
        assert self._state is not None
        return self._state

    def _moved_past(self, signer: SignerState) -> bool:
        state = self._state
        assert state is not None
        if state.status in FINAL:
            return True
        later = state.signers[state.signers.index(signer) + 1 :]
        return bool(later) and later[0].signature_id in self._invited

    @workflow.update
    async def decline(self, msg: LinkAction) -> RequestState:
        signer = self._signer(msg.link)
        await self._record(SigningActivities.record_decline, msg)
        signer.status = SignatureStatus.DECLINED
        assert self._state is not None
        return self._state

    @workflow.update
    async def void(self, w: Wait) -> RequestState:
        """Staff end the request; answers once the document is voided."""
        self._void = w
        await workflow.wait_condition(lambda: self._state is not None and self._state.status in FINAL)
        assert self._state is not None
        return self._state

    @view.validator
    def _validate_view(self, msg: LinkAction) -> None:
        self._signer(msg.link)

    @consent.validator
    def _validate_consent(self, msg: LinkAction) -> None:
        self._signer(msg.link)

    @sign.validator
    def _validate_sign(self, msg: LinkAction) -> None:
        self._signer(msg.link)

    @decline.validator
    def _validate_decline(self, msg: LinkAction) -> None:
        self._signer(msg.link)

    @void.validator
    def _validate_void(self, w: Wait) -> None:
        if self._state is None or self._state.status in FINAL or self._void is not None:
            raise Conflict("this signing request has already finished", field="id")
        if not self._prepared:
            raise Conflict("this signing request is still starting; retry shortly", field="id")

    @workflow.query
    def state(self) -> RequestState | None:
        return self._state


async def start_signing(
    actor: Actor,
    document_id: uuid.UUID,
    signers: list[SignerSpec],
    *,
    expires_after_hours: int = 14 * 24,
    remind_every_hours: int = 72,
) -> workflow.ChildWorkflowHandle[SignatureRequestWorkflow, RequestState]:
    """From another family's workflow: start the document's signature request as a child under
    its usual id (staff follow, void and hand over its links through the signing routes); await
    the handle for how it ended. The child is abandoned if the caller closes first, so a
    signer's link keeps working until the request itself ends."""
    return await workflow.start_child_workflow(
        SignatureRequestWorkflow.run,
        SignatureRequestInput(actor, document_id, signers, expires_after_hours, remind_every_hours),
        id=SIGNING.id(actor.org_id, document_id),
        parent_close_policy=workflow.ParentClosePolicy.ABANDON,
    )


async def signed_by_everyone(actor: Actor, document_id: uuid.UUID, signers: list[SignerSpec]) -> RequestState:
    """Start the signature request as a child and wait for it to end."""
    return await (await start_signing(actor, document_id, signers))
