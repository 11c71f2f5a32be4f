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
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.signing import (
        CloseRequest,
        Complete,
        DeclineAction,
        LinkAction,
        PrepareSigners,
        SendLink,
        SignAction,
        SigningActivities,
    )
    from core.errors import Conflict
    from models.enums import DocumentStatus, SignatureStatus
    from services.signing import Evidence, Link, SignerSpec
    from workflows.common import DB_STEP, Actor, Process, Wait

SIGNING = Process("signing")


@dataclass(frozen=True)
class SignatureRequestInput:
    actor: Actor
    document_id: uuid.UUID
    signers: list[SignerSpec]
    expires_after_hours: int = 14 * 24
    remind_every_hours: int = 72


@dataclass(frozen=True)
class PageVisit:
    """The signer opened the page or consented: from the page, authorised by the link."""

    actor: Actor
    link: Link
    evidence: Evidence


@dataclass(frozen=True)
class Signing:
    actor: Actor
    link: Link
    evidence: Evidence
    typed: str | None = None
    # PNG, base64.
    drawn_png: str | None = None


@dataclass(frozen=True)
class Declining:
    actor: Actor
    link: Link
    evidence: Evidence
    reason: str | None = None


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

    @workflow.update
    async def view(self, visit: PageVisit) -> RequestState:
        await workflow.execute_activity_method(
            SigningActivities.record_view,
            LinkAction(visit.actor, visit.link, visit.evidence, workflow.now()),
            **DB_STEP.options(),
        )
        assert self._state is not None
        for signer in self._state.signers:
            if signer.signature_id == visit.link.signature_id and signer.status is SignatureStatus.PENDING:
                signer.status = SignatureStatus.VIEWED
        return self._state

    @workflow.update
    async def consent(self, visit: PageVisit) -> RequestState:
        await workflow.execute_activity_method(
            SigningActivities.record_consent,
            LinkAction(visit.actor, visit.link, visit.evidence, workflow.now()),
            **DB_STEP.options(),
        )
        assert self._state is not None
        return self._state

    @workflow.update
    async def sign(self, s: Signing) -> RequestState:
        signer = self._signer(s.link)
        await workflow.execute_activity_method(
            SigningActivities.record_signature,
            SignAction(s.actor, s.link, s.evidence, workflow.now(), s.typed, s.drawn_png),
            **DB_STEP.options(),
        )
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
    async def decline(self, d: Declining) -> RequestState:
        signer = self._signer(d.link)
        await workflow.execute_activity_method(
            SigningActivities.record_decline,
            DeclineAction(d.actor, d.link, d.evidence, workflow.now(), d.reason),
            **DB_STEP.options(),
        )
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
    def _validate_view(self, visit: PageVisit) -> None:
        self._signer(visit.link)

    @consent.validator
    def _validate_consent(self, visit: PageVisit) -> None:
        self._signer(visit.link)

    @sign.validator
    def _validate_sign(self, s: Signing) -> None:
        self._signer(s.link)

    @decline.validator
    def _validate_decline(self, d: Declining) -> None:
        self._signer(d.link)

    @void.validator
    def _validate_void(self, w: Wait) -> None:
        if self._state is None or self._state.status in FINAL or self._void is not None:
            raise Conflict("this signing request has already finished", field="id")
        if not self._prepared:
            raise Conflict("this signing request is still starting; retry shortly", field="id")

    @workflow.query
    def state(self) -> RequestState | None:
        return self._state
