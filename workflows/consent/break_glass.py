"""BreakGlassReview: one emergency access, from its opening to its review.

Under CONSENT with the grant's id as key. The first activity writes the grant (its reason goes
straight to the database); the API answers once it exists (`wait_opened`). When the grant's
time is over the workflow records the end in the audit trail; the access itself has already
ended, because the policy compares `expires_at` with the clock on every read. If no compliance
officer has reviewed it 24 hours after it opened, the org owners are told (escalation). The
workflow ends once it is reviewed (`review`, an update from `POST /v1/break-glass/{id}/review`).
"""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.consent.break_glass import BreakGlassActivities, GrantStep, OpenGrant, RecordReview
    from core.enums import BreakGlassReviewOutcome
    from core.errors import Conflict
    from core.process import DB_STEP, Actor, Wait
    from workflows.consent import CONSENT

REVIEW_WITHIN_HOURS = 24


@dataclass(frozen=True)
class BreakGlassInput:
    actor: Actor  # the user who opens the grant
    event_id: uuid.UUID
    resident_id: uuid.UUID
    # PHI: stored by the first activity (encrypted), never kept in state.
    reason: str
    minutes: int = 60
    review_within_hours: int = REVIEW_WITHIN_HOURS


@dataclass(frozen=True)
class Review:
    """A compliance officer's finding. `notes` are PHI: stored by the activity, not kept."""

    actor: Actor
    outcome: BreakGlassReviewOutcome
    notes: str


@dataclass
class BreakGlassState:
    event_id: uuid.UUID
    opened_by: uuid.UUID | None
    occurred_at: datetime | None = None
    expires_at: datetime | None = None
    ended: bool = False
    escalated: bool = False
    outcome: BreakGlassReviewOutcome | None = None
    reviewed_by: uuid.UUID | None = None


@workflow.defn(name="BreakGlassReview")
class BreakGlassReviewWorkflow:
    def __init__(self) -> None:
        self._state: BreakGlassState | None = None
        self._reviewing = False

    @workflow.run
    async def run(self, inp: BreakGlassInput) -> BreakGlassState:
        self._state = state = BreakGlassState(inp.event_id, inp.actor.user_id)
        grant = await workflow.execute_activity_method(
            BreakGlassActivities.open,
            OpenGrant(inp.actor, inp.event_id, inp.resident_id, inp.reason, workflow.now(), inp.minutes),
            **DB_STEP.options(),
        )
        state.occurred_at, state.expires_at = grant.occurred_at, grant.expires_at

        await self._until(grant.expires_at)
        await workflow.execute_activity_method(
            BreakGlassActivities.record_end,
            GrantStep(inp.actor, inp.event_id, workflow.now()),
            **DB_STEP.options(),
        )
        state.ended = True

        deadline = grant.occurred_at + timedelta(hours=inp.review_within_hours)
        with contextlib.suppress(TimeoutError):
            await workflow.wait_condition(
                self._reviewed, timeout=max(deadline - workflow.now(), timedelta(0))
            )
        if not self._reviewed():
            state.escalated = await workflow.execute_activity_method(
                BreakGlassActivities.escalate,
                GrantStep(Actor.system(inp.actor.org_id, inp.actor.request_id), inp.event_id, workflow.now()),
                **DB_STEP.options(),
            )
            # Still reviewed afterwards, however late.
            await workflow.wait_condition(self._reviewed)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return state

    async def _until(self, at: datetime) -> None:
        left = at - workflow.now()
        if left > timedelta(0):
            await workflow.sleep(left)

    def _reviewed(self) -> bool:
        return self._state is not None and self._state.outcome is not None

    @workflow.update
    async def wait_opened(self, _: Wait) -> BreakGlassState:
        """Lets the API answer 201 once the grant is written (and so in force)."""
        await workflow.wait_condition(lambda: self._state is not None and self._state.expires_at is not None)
        assert self._state is not None
        return self._state

    @workflow.update
    async def review(self, msg: Review) -> BreakGlassState:
        self._reviewing = True
        try:
            await workflow.execute_activity_method(
                BreakGlassActivities.review,
                RecordReview(msg.actor, self._id(), msg.outcome, msg.notes, workflow.now()),
                **DB_STEP.options(),
            )
        finally:
            self._reviewing = False
        assert self._state is not None
        self._state.outcome = msg.outcome
        self._state.reviewed_by = msg.actor.user_id
        return self._state

    def _id(self) -> uuid.UUID:
        assert self._state is not None
        return self._state.event_id

    @review.validator
    def _validate_review(self, msg: Review) -> None:
        state = self._state
        if state is None or state.expires_at is None:
            raise Conflict("this emergency access is still being opened; retry shortly", field="id")
        if state.outcome is not None or self._reviewing:
            raise Conflict("this emergency access has already been reviewed", field="id")
        if msg.actor.user_id == state.opened_by:
            raise Conflict("nobody reviews their own emergency access", field="id")

    @workflow.query
    def state(self) -> BreakGlassState | None:
        return self._state


__all__ = ["CONSENT", "BreakGlassInput", "BreakGlassReviewWorkflow", "BreakGlassState", "Review"]
