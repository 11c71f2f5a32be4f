"""ConsentLifecycle: one Part 2 consent from its form to its end (`consent/<org>/<consent id>`).

Stored with its form, the consent waits for the resident's e-signature (the SignatureRequest
runs as a child); unsigned, it ends there. Signed, it is active until the first of: its expiry
date (a durable timer, with a reminder to staff a configurable number of days before), its
expiry event (end of treatment arrives by signal from the discharge; a condition staff record),
or a revocation in writing (a letter staff upload takes effect at once; a revocation form the
resident signs on the signing page takes effect when signed). Disclosures made while it was
active stay recorded: nothing here touches them.

The workflow carries ids, dates and enums; the consent's terms reach it only in its encrypted
input and go straight to the database through the first activity.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.consent.lifecycle import (
        ConsentActivities,
        ConsentStep,
        RevocationForm,
        RevokeConsent,
        StoreConsent,
    )
    from core.contracts.consent import ConsentTerms, ExpiryEvent, RevocationMethod, Stored
    from core.contracts.signing import SignerSpec
    from core.enums import ConsentStatus, DocumentStatus
    from core.errors import Conflict
    from core.process import DB_STEP, Actor, Wait
    from workflows.signing import RequestState, start_signing

TREATMENT_ENDED = "treatment_ended"


@dataclass(frozen=True)
class ConsentInput:
    """`terms` None: adopt a consent recorded before lifecycles ran (the seed, an import), as
    the database has it, and watch it from there."""

    actor: Actor
    consent_id: uuid.UUID
    resident_id: uuid.UUID
    terms: ConsentTerms | None
    sign_within_hours: int = 14 * 24


@dataclass(frozen=True)
class WrittenRevocation:
    """Staff upload the resident's signed letter (`file_id`), effective at once; or ask for the
    revocation form to be signed on the signing page (no file)."""

    actor: Actor
    file_id: uuid.UUID | None = None
    reason: str | None = None


@dataclass(frozen=True)
class EventHappened:
    actor: Actor
    event: ExpiryEvent
    at: datetime | None = None


@dataclass
class ConsentState:
    consent_id: uuid.UUID
    resident_id: uuid.UUID
    status: ConsentStatus = ConsentStatus.PENDING
    document_id: uuid.UUID | None = None
    expires_at: datetime | None = None
    expiry_event: ExpiryEvent | None = None
    remind_at: datetime | None = None
    reminded: bool = False
    revocation_document_id: uuid.UUID | None = None


@workflow.defn(name="ConsentLifecycle")
class ConsentLifecycleWorkflow:
    def __init__(self) -> None:
        self._state: ConsentState | None = None
        self._actor: Actor | None = None
        self._stored = False
        self._revocation: RevokeConsent | None = None
        self._event: EventHappened | None = None
        self._busy = 0
        # Revocation forms out for signature (kept so the tasks are not collected).
        self._tasks: set[asyncio.Task[None]] = set()

    @workflow.run
    async def run(self, inp: ConsentInput) -> ConsentState:
        self._actor = inp.actor
        self._state = state = ConsentState(inp.consent_id, inp.resident_id)
        if inp.terms is None:
            adopted = await self._step(ConsentActivities.adopt, self._at())
            self._remember(adopted)
            state.status = adopted.status
            self._stored = True
            await self._while_active(state)
            await workflow.wait_condition(lambda: self._busy == 0 and workflow.all_handlers_finished())
            return state
        stored = await self._step(
            ConsentActivities.store,
            StoreConsent(inp.actor, inp.consent_id, inp.resident_id, inp.terms, workflow.now()),
        )
        self._remember(stored)
        assert stored.document_id is not None
        signing = await start_signing(
            inp.actor,
            stored.document_id,
            [SignerSpec("resident", resident_id=inp.resident_id)],
            expires_after_hours=inp.sign_within_hours,
        )
        self._stored = True
        signed: RequestState = await signing
        if signed.status is not DocumentStatus.SIGNED:
            state.status = await self._step(ConsentActivities.left_unsigned, self._at())
        else:
            state.status = await self._step(ConsentActivities.activate, self._at())
            await self._while_active(state)
        await workflow.wait_condition(lambda: self._busy == 0 and workflow.all_handlers_finished())
        return state

    async def _while_active(self, state: ConsentState) -> None:
        while state.status is ConsentStatus.ACTIVE:
            deadline = self._next_deadline(state)
            timeout = None if deadline is None else max(deadline - workflow.now(), timedelta(0))
            with contextlib.suppress(asyncio.TimeoutError):
                await workflow.wait_condition(
                    lambda: self._revocation is not None or self._event is not None, timeout=timeout
                )
            if self._revocation is not None:
                state.status = await self._step(ConsentActivities.revoke, self._revocation)
            elif self._event is not None:
                state.status = await self._step(ConsentActivities.expire, self._at(self._event.event))
            elif state.expires_at is not None and workflow.now() >= state.expires_at:
                state.status = await self._step(ConsentActivities.expire, self._at())
            elif state.remind_at is not None and workflow.now() >= state.remind_at and not state.reminded:
                await self._step(ConsentActivities.remind_expiry, self._at())
                state.reminded = True

    def _remember(self, stored: Stored) -> None:
        state = self._state
        assert state is not None
        state.document_id = stored.document_id
        state.expires_at, state.expiry_event = stored.expires_at, stored.expiry_event
        if stored.expires_at is not None:
            state.remind_at = stored.expires_at - timedelta(days=stored.remind_days_before)

    def _next_deadline(self, state: ConsentState) -> datetime | None:
        if state.remind_at is not None and not state.reminded and state.remind_at > workflow.now():
            return state.remind_at
        return state.expires_at

    def _at(self, because: ExpiryEvent | None = None) -> ConsentStep:
        assert self._state is not None and self._actor is not None
        return ConsentStep(self._actor, self._state.consent_id, workflow.now(), because)

    async def _step(self, activity: Any, arg: Any) -> Any:
        self._busy += 1
        try:
            return await workflow.execute_activity_method(activity, arg, **DB_STEP.options())
        finally:
            self._busy -= 1

    # --- messages ---------------------------------------------------------------------------

    @workflow.update
    async def wait_stored(self, _: Wait) -> ConsentState:
        """Lets the API answer 201 once the consent and its form exist and the signing started."""
        await workflow.wait_condition(lambda: self._stored)
        assert self._state is not None
        return self._state

    @workflow.update
    async def revoke(self, msg: WrittenRevocation) -> ConsentState:
        """A letter: revoked at once. No letter: the revocation form goes to the resident's
        signing link, and the consent is revoked when they sign it."""
        state = self._state
        assert state is not None
        if msg.file_id is not None:
            self._revocation = RevokeConsent(
                msg.actor,
                state.consent_id,
                RevocationMethod.WRITTEN_UPLOAD,
                workflow.now(),
                file_id=msg.file_id,
                reason=msg.reason,
            )
            await workflow.wait_condition(lambda: state.status is not ConsentStatus.ACTIVE)
            return state
        doc_id = await self._step(
            ConsentActivities.revocation_form,
            RevocationForm(msg.actor, state.consent_id, workflow.now(), msg.reason),
        )
        handle = await start_signing(
            msg.actor, doc_id, [SignerSpec("resident", resident_id=state.resident_id)]
        )
        state.revocation_document_id = doc_id
        self._tasks.add(asyncio.create_task(self._revoke_when_signed(msg, doc_id, handle)))
        return state

    async def _revoke_when_signed(self, msg: WrittenRevocation, doc_id: uuid.UUID, handle: Any) -> None:
        self._busy += 1
        try:
            result: RequestState = await handle
            state = self._state
            assert state is not None
            if result.status is DocumentStatus.SIGNED and state.status is ConsentStatus.ACTIVE:
                self._revocation = RevokeConsent(
                    msg.actor,
                    state.consent_id,
                    RevocationMethod.SIGNED_ON_PAGE,
                    workflow.now(),
                    document_id=doc_id,
                    reason=msg.reason,
                )
            elif state.revocation_document_id == doc_id:
                state.revocation_document_id = None
        finally:
            self._busy -= 1

    @revoke.validator
    def _validate_revoke(self, msg: WrittenRevocation) -> None:
        state = self._state
        if state is None or state.status is not ConsentStatus.ACTIVE or self._revocation is not None:
            raise Conflict("only an active consent can be revoked", field="consent_id")
        if msg.file_id is None and state.revocation_document_id is not None:
            raise Conflict(
                "a revocation form is already waiting for the resident's signature", field="consent_id"
            )

    @workflow.update
    async def event_happened(self, msg: EventHappened) -> ConsentState:
        """Staff record that the condition (or event) the consent ends on has happened."""
        self._event = msg
        state = self._state
        assert state is not None
        await workflow.wait_condition(lambda: state.status is not ConsentStatus.ACTIVE)
        return state

    @event_happened.validator
    def _validate_event(self, msg: EventHappened) -> None:
        state = self._state
        if state is None or state.status is not ConsentStatus.ACTIVE:
            raise Conflict("only an active consent can end", field="consent_id")
        if state.expiry_event is not msg.event:
            raise Conflict("this consent does not end on that event", field="event")

    @workflow.signal(name=TREATMENT_ENDED)
    def treatment_ended(self, msg: EventHappened) -> None:
        """From the discharge (ConsentEndOfTreatment): ignored unless the consent ends with treatment."""
        state = self._state
        if state is not None and state.expiry_event is ExpiryEvent.END_OF_TREATMENT and self._event is None:
            self._event = msg

    @workflow.query
    def state(self) -> ConsentState | None:
        return self._state
