"""The resident's rights over their records, one workflow per request.

AccessRequest: a resident's request for a copy of their records (45 CFR 164.524), acted on
within 30 days of receipt; once, before that first deadline, the time may be extended by 30
days with the reason given to the resident in writing. Fulfilment exports every record of that
resident, decrypted, as JSON and a readable PDF behind a signed, expiring, single-resident link;
a denial gives its grounds, the right to a review where the law gives one, and how to complain.
The deadline is a durable timer: a request still open at it is recorded as overdue (audited and
emitted). The workflow keeps ids, dates and statuses; what the resident asked for reaches it
only in its (encrypted) input and goes straight to the database.
"""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.rights import (
        Accept,
        Deny,
        DenyAmendment,
        Disagree,
        Extend,
        Fulfil,
        Overdue,
        Receive,
        RightsActivities,
    )
    from core.contracts.rights import AMEND_DAYS, EXTENSION_DAYS, Amendment, AmendmentDenial, Clock, Denial
    from core.enums import RequestStatus
    from core.errors import Conflict, Rejected
    from core.process import DB_STEP, Actor, Process, Wait

ACCESS = Process("access")


@dataclass(frozen=True)
class AccessInput:
    actor: Actor
    request_id: uuid.UUID
    resident_id: uuid.UUID
    details: str | None = None
    # How long the download link works once the records are ready.
    link_days: int = 14


@dataclass(frozen=True)
class ExtendMsg:
    actor: Actor
    reason: str


@dataclass(frozen=True)
class DenyMsg:
    actor: Actor
    denial: Denial


@dataclass
class AccessState:
    request_id: uuid.UUID
    resident_id: uuid.UUID
    requested_at: datetime
    due_at: datetime
    status: RequestStatus = RequestStatus.RECEIVED
    extended: bool = False
    overdue: bool = False
    link_expires_at: datetime | None = None


FINAL = (RequestStatus.FULFILLED, RequestStatus.DENIED)


@workflow.defn(name="AccessRequest")
class AccessRequestWorkflow:
    def __init__(self) -> None:
        self._state: AccessState | None = None
        self._recorded = False
        self._busy = False
        self._link_days = 14

    @workflow.run
    async def run(self, inp: AccessInput) -> AccessState:
        now = workflow.now()
        self._link_days = inp.link_days
        self._state = st = AccessState(inp.request_id, inp.resident_id, now, Clock(now).due_at)
        await workflow.execute_activity_method(
            RightsActivities.receive,
            Receive(inp.actor, inp.request_id, inp.resident_id, inp.details, now),
            **DB_STEP.options(),
        )
        self._recorded = True
        while st.status not in FINAL:
            left = st.due_at - workflow.now()
            if left <= timedelta(0) and not st.overdue and not self._busy:
                st.overdue = True
                await workflow.execute_activity_method(
                    RightsActivities.overdue, Overdue(inp.actor, inp.request_id), **DB_STEP.options()
                )
                continue
            due = st.due_at
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(
                    lambda due=due: st.status in FINAL or st.due_at != due,  # type: ignore[misc]
                    timeout=left if left > timedelta(0) and not st.overdue else None,
                )
        await workflow.wait_condition(workflow.all_handlers_finished)
        return st

    def _open(self) -> AccessState:
        st = self._state
        if st is None or not self._recorded:
            raise Conflict("this request is still being recorded; retry shortly", field="request_id")
        if st.status in FINAL or self._busy:
            raise Conflict(f"this request has already been answered ({st.status.value})", field="request_id")
        return st

    @workflow.update
    async def wait_recorded(self, _: Wait) -> AccessState:
        await workflow.wait_condition(lambda: self._recorded)
        assert self._state is not None
        return self._state

    @workflow.update
    async def extend(self, msg: ExtendMsg) -> AccessState:
        st = self._open()
        due = st.due_at + timedelta(days=EXTENSION_DAYS)
        await workflow.execute_activity_method(
            RightsActivities.extend,
            Extend(msg.actor, st.request_id, msg.reason, due, workflow.now()),
            **DB_STEP.options(),
        )
        st.extended, st.due_at, st.status = True, due, RequestStatus.IN_PROGRESS
        return st

    @extend.validator
    def _validate_extend(self, msg: ExtendMsg) -> None:
        st = self._open()
        if st.extended:
            raise Conflict("a request may be extended once only", field="reason")
        if workflow.now() >= st.due_at:
            raise Rejected("an extension must be given before the first 30 days end", field="reason")
        if not msg.reason.strip():
            raise Rejected("an extension states its reason", field="reason")

    @workflow.update
    async def fulfil(self, w: Wait) -> AccessState:
        st = self._open()
        self._busy = True
        expires = workflow.now() + timedelta(days=self._link_days)
        await workflow.execute_activity_method(
            RightsActivities.fulfil,
            Fulfil(w.actor, st.request_id, st.resident_id, expires, workflow.now()),
            **DB_STEP.options(),
        )
        st.status, st.link_expires_at = RequestStatus.FULFILLED, expires
        return st

    @fulfil.validator
    def _validate_fulfil(self, w: Wait) -> None:
        self._open()

    @workflow.update
    async def deny(self, msg: DenyMsg) -> AccessState:
        st = self._open()
        self._busy = True
        await workflow.execute_activity_method(
            RightsActivities.deny,
            Deny(msg.actor, st.request_id, st.resident_id, st.requested_at, msg.denial, workflow.now()),
            **DB_STEP.options(),
        )
        st.status = RequestStatus.DENIED
        return st

    @deny.validator
    def _validate_deny(self, msg: DenyMsg) -> None:
        self._open()
        if not msg.denial.explanation.strip():
            raise Rejected("a denial explains itself", field="explanation")

    @workflow.query
    def state(self) -> AccessState | None:
        return self._state


AMENDMENT = Process("amendment")


@dataclass(frozen=True)
class AmendmentInput:
    actor: Actor
    request_id: uuid.UUID
    resident_id: uuid.UUID
    details: str | None = None
    amendment: Amendment | None = None
    # After a denial, how long the resident's statement of disagreement is awaited here (the
    # operator's choice; a later one is recorded by staff as a document).
    disagreement_days: int = 60


@dataclass(frozen=True)
class DenyAmendmentMsg:
    actor: Actor
    denial: AmendmentDenial


@dataclass(frozen=True)
class DisagreeMsg:
    actor: Actor
    statement: str


@dataclass
class AmendmentState:
    request_id: uuid.UUID
    resident_id: uuid.UUID
    requested_at: datetime
    due_at: datetime
    status: RequestStatus = RequestStatus.RECEIVED
    extended: bool = False
    overdue: bool = False
    people_told: int = 0
    disagreement_filed: bool = False


@workflow.defn(name="AmendmentRequest")
class AmendmentRequestWorkflow:
    """A resident's request to amend their records (45 CFR 164.526; Pennsylvania's Chapter 717
    right to correct and rebut is served by the same): acted on within 60 days, once extended by
    30 with a written reason before then. Accepted: the change is made (or appended) and the
    people the resident named are told. Denied: a letter with the grounds, the right to file a
    statement of disagreement and how to complain; the statement, once filed, is kept with the
    record and goes into every later export of it."""

    def __init__(self) -> None:
        self._state: AmendmentState | None = None
        self._recorded = False
        self._busy = False

    @workflow.run
    async def run(self, inp: AmendmentInput) -> AmendmentState:
        now = workflow.now()
        self._state = st = AmendmentState(
            inp.request_id, inp.resident_id, now, Clock(now, days=AMEND_DAYS).due_at
        )
        await workflow.execute_activity_method(
            RightsActivities.receive,
            Receive(inp.actor, inp.request_id, inp.resident_id, inp.details, now, inp.amendment),
            **DB_STEP.options(),
        )
        self._recorded = True
        while st.status not in FINAL:
            left = st.due_at - workflow.now()
            if left <= timedelta(0) and not st.overdue and not self._busy:
                st.overdue = True
                await workflow.execute_activity_method(
                    RightsActivities.overdue, Overdue(inp.actor, inp.request_id), **DB_STEP.options()
                )
                continue
            due = st.due_at
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(
                    lambda due=due: st.status in FINAL or st.due_at != due,  # type: ignore[misc]
                    timeout=left if left > timedelta(0) and not st.overdue else None,
                )
        if st.status is RequestStatus.DENIED:
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(
                    lambda: st.disagreement_filed, timeout=timedelta(days=inp.disagreement_days)
                )
        await workflow.wait_condition(workflow.all_handlers_finished)
        return st

    def _open(self) -> AmendmentState:
        st = self._state
        if st is None or not self._recorded:
            raise Conflict("this request is still being recorded; retry shortly", field="request_id")
        if st.status in FINAL or self._busy:
            raise Conflict(f"this request has already been answered ({st.status.value})", field="request_id")
        return st

    @workflow.update
    async def wait_recorded(self, _: Wait) -> AmendmentState:
        await workflow.wait_condition(lambda: self._recorded)
        assert self._state is not None
        return self._state

    @workflow.update
    async def extend(self, msg: ExtendMsg) -> AmendmentState:
        st = self._open()
        due = st.due_at + timedelta(days=EXTENSION_DAYS)
        await workflow.execute_activity_method(
            RightsActivities.extend,
            Extend(msg.actor, st.request_id, msg.reason, due, workflow.now()),
            **DB_STEP.options(),
        )
        st.extended, st.due_at, st.status = True, due, RequestStatus.IN_PROGRESS
        return st

    @extend.validator
    def _validate_extend(self, msg: ExtendMsg) -> None:
        st = self._open()
        if st.extended:
            raise Conflict("a request may be extended once only", field="reason")
        if workflow.now() >= st.due_at:
            raise Rejected("an extension must be given before the first 60 days end", field="reason")
        if not msg.reason.strip():
            raise Rejected("an extension states its reason", field="reason")

    @workflow.update
    async def accept(self, w: Wait) -> AmendmentState:
        st = self._open()
        self._busy = True
        st.people_told = await workflow.execute_activity_method(
            RightsActivities.accept_amendment,
            Accept(w.actor, st.request_id, workflow.now()),
            **DB_STEP.options(),
        )
        st.status = RequestStatus.FULFILLED
        return st

    @accept.validator
    def _validate_accept(self, w: Wait) -> None:
        self._open()

    @workflow.update
    async def deny(self, msg: DenyAmendmentMsg) -> AmendmentState:
        st = self._open()
        self._busy = True
        await workflow.execute_activity_method(
            RightsActivities.deny_amendment,
            DenyAmendment(msg.actor, st.request_id, st.resident_id, st.requested_at, msg.denial),
            **DB_STEP.options(),
        )
        st.status = RequestStatus.DENIED
        return st

    @deny.validator
    def _validate_deny(self, msg: DenyAmendmentMsg) -> None:
        self._open()
        if not msg.denial.explanation.strip():
            raise Rejected("a denial explains itself", field="explanation")

    @workflow.update
    async def disagree(self, msg: DisagreeMsg) -> AmendmentState:
        st = self._state
        assert st is not None
        await workflow.execute_activity_method(
            RightsActivities.disagree,
            Disagree(msg.actor, st.request_id, msg.statement, workflow.now()),
            **DB_STEP.options(),
        )
        st.disagreement_filed = True
        return st

    @disagree.validator
    def _validate_disagree(self, msg: DisagreeMsg) -> None:
        st = self._state
        if st is None or st.status is not RequestStatus.DENIED:
            raise Conflict("a statement of disagreement answers a denial", field="statement")
        if st.disagreement_filed:
            raise Conflict("a statement of disagreement has already been filed", field="statement")
        if not msg.statement.strip():
            raise Rejected("the statement is empty", field="statement")

    @workflow.query
    def state(self) -> AmendmentState | None:
        return self._state
