"""AccountingRequest: a resident asked for an accounting of the disclosures of their records; it
is answered within 60 days (§2.25 after HIPAA 164.528(c)(1)).

One workflow per request (`consent/<org>/<request id>`). It records the request (due in 60
days; the first in any 12 months free), reminds staff through the outbox before the deadline
(by default 14 and 3 days before, and on the day), takes at most one 30-day extension — an
update that carries the reason the resident is told in writing, refused once the first deadline
has passed or when one was already given — and ends when staff have the accounting produced:
the PDF is generated, stored and linked on the request. The workflow keeps ids, dates and
counts only; the extension's reason goes straight to the database.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.consent.accounting import (
        AccountingActivities,
        Extend,
        ExtendAccounting,
        Fulfil,
        OpenAccounting,
        Remind,
    )
    from core.enums import RequestStatus
    from core.errors import Conflict
    from core.process import DB_STEP, Actor, Wait


@dataclass(frozen=True)
class AccountingInput:
    actor: Actor
    request_id: uuid.UUID
    resident_id: uuid.UUID
    period_start: date
    period_end: date
    fee_cents: int = 0
    # Days before the deadline on which staff are reminded (and on the day itself).
    remind_days_before: list[int] = field(default_factory=lambda: [14, 3])


@dataclass
class AccountingState:
    request_id: uuid.UUID
    status: RequestStatus = RequestStatus.RECEIVED
    due_at: datetime | None = None
    extended_due_at: datetime | None = None
    fee_cents: int = 0
    # The reminders sent, as "<deadline date>/<days left>".
    reminders: list[str] = field(default_factory=list)
    fulfilled_at: datetime | None = None

    def deadline(self) -> datetime | None:
        return self.extended_due_at or self.due_at


@workflow.defn(name="AccountingRequest")
class AccountingRequestWorkflow:
    def __init__(self) -> None:
        self._state: AccountingState | None = None
        self._fulfil: Wait | None = None
        # Bumped when the deadline moves, so the clock starts over from the new one.
        self._moves = 0
        self._extension_asked = False

    @workflow.run
    async def run(self, inp: AccountingInput) -> AccountingState:
        self._state = state = AccountingState(inp.request_id)
        opened = await workflow.execute_activity_method(
            AccountingActivities.open,
            OpenAccounting(
                inp.actor,
                inp.request_id,
                inp.resident_id,
                inp.period_start,
                inp.period_end,
                inp.fee_cents,
                workflow.now(),
            ),
            **DB_STEP.options(),
        )
        state.due_at, state.fee_cents = opened.due_at, opened.fee_cents
        await self._clock(inp)
        assert self._fulfil is not None
        await workflow.execute_activity_method(
            AccountingActivities.fulfil,
            Fulfil(self._fulfil.actor, inp.request_id, workflow.now()),
            **DB_STEP.options(),
        )
        state.status, state.fulfilled_at = RequestStatus.FULFILLED, workflow.now()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return state

    async def _clock(self, inp: AccountingInput) -> None:
        """Remind staff on each mark before the current deadline until someone asks for the
        accounting to be produced; marks of a deadline that moved are dropped."""
        state = self._state
        assert state is not None
        while self._fulfil is None:
            deadline = state.deadline()
            assert deadline is not None
            marks = [
                (deadline - timedelta(days=d), d) for d in sorted(set(inp.remind_days_before), reverse=True)
            ]
            marks.append((deadline, 0))
            key = deadline.date().isoformat()
            due = [(at, d) for at, d in marks if f"{key}/{d}" not in state.reminders]
            if not due:
                await workflow.wait_condition(lambda: self._fulfil is not None)
                return
            passed = [(at, d) for at, d in due if at <= workflow.now()]
            if passed:
                # After downtime only the latest mark is worth telling.
                state.reminders += [f"{key}/{d}" for _, d in passed]
                await workflow.execute_activity_method(
                    AccountingActivities.remind,
                    Remind(inp.actor, inp.request_id, passed[-1][1]),
                    **DB_STEP.options(),
                )
                continue
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(self._woken(self._moves), timeout=due[0][0] - workflow.now())

    def _woken(self, moves: int) -> Callable[[], bool]:
        """Fulfilment asked for, or the deadline moved since `moves`."""
        return lambda: self._fulfil is not None or self._moves != moves

    @workflow.update
    async def wait_opened(self, _: Wait) -> AccountingState:
        """Lets the API answer 201 once the request is recorded with its deadline."""
        await workflow.wait_condition(lambda: self._state is not None and self._state.due_at is not None)
        assert self._state is not None
        return self._state

    @workflow.update
    async def extend(self, msg: ExtendAccounting) -> AccountingState:
        """The one 30-day extension, with the reason the resident is told in writing."""
        state = self._state
        assert state is not None
        self._extension_asked = True
        state.extended_due_at = await workflow.execute_activity_method(
            AccountingActivities.extend,
            Extend(msg.actor, state.request_id, msg.reason, workflow.now()),
            **DB_STEP.options(),
        )
        state.status = RequestStatus.IN_PROGRESS
        self._moves += 1
        return state

    @extend.validator
    def _validate_extend(self, msg: ExtendAccounting) -> None:
        state = self._state
        if state is None or state.due_at is None:
            raise Conflict("the accounting request is still being recorded; retry shortly", field="id")
        if self._fulfil is not None or state.status is RequestStatus.FULFILLED:
            raise Conflict("the accounting has already been provided", field="extension")
        if self._extension_asked or state.extended_due_at is not None:
            raise Conflict("the accounting's deadline has already been extended once", field="extension")
        if workflow.now() > state.due_at:
            raise Conflict(
                "an extension must be given before the first deadline, which has passed", field="extension"
            )

    @workflow.update
    async def fulfil(self, w: Wait) -> AccountingState:
        """Produce the accounting now; answers once its PDF is linked on the request."""
        self._fulfil = w
        await workflow.wait_condition(
            lambda: self._state is not None and self._state.status is RequestStatus.FULFILLED
        )
        assert self._state is not None
        return self._state

    @fulfil.validator
    def _validate_fulfil(self, w: Wait) -> None:
        state = self._state
        if state is None or state.due_at is None:
            raise Conflict("the accounting request is still being recorded; retry shortly", field="id")
        if self._fulfil is not None:
            raise Conflict("the accounting has already been provided", field="fulfilment")

    @workflow.query
    def state(self) -> AccountingState | None:
        return self._state
