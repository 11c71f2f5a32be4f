"""BreachResponse: one suspected breach, from its report to its closing report, on the law's
clocks (45 CFR 164.400-414; 42 CFR 2.16 brings Part 2 records under the same rule).

The clocks start at discovery. Until the privacy officer records the four-factor assessment
and decides, the decision itself is owed by the residents' deadline. A notifiable decision
writes the notice letters and owes: the residents' notices (the earliest of the federal 60 days
and every applicable state rule), HHS (at once for 500 or more, else the annual log), the media
in each state with more than 500, a substitute notice for 10 or more unreachable, the state
regulators' notices, and the business associate's report under its agreement. Each obligation
is a durable timer: still open `warn_days` before its due time, and again at it, it is
escalated to the org's owners by e-mail (no PHI). A law-enforcement delay (a signal) stops the
clocks for its period: a written one for what it states, an oral one for at most 30 days unless
a written one follows. The workflow keeps ids, counts, dates and statuses only; the report's
text reaches it in its (encrypted) input and goes straight to the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.breach import Assess, BreachActivities, Clocks, Close, Delayed, Record, Step
    from core.contracts.breach import (
        Assessment,
        Decision,
        Delay,
        DelayKind,
        Facts,
        Kind,
        NewIncident,
        Obligation,
        add_delay,
        open_obligations,
        oral_delay,
        plan,
    )
    from core.errors import Conflict, Rejected
    from core.process import DB_STEP, EXTERNAL_CALL, Actor, Process, Wait

BREACH = Process("breach")


@dataclass(frozen=True)
class BreachInput:
    actor: Actor
    incident_id: uuid.UUID
    report: NewIncident
    # Days before a due time at which an open obligation is first escalated.
    warn_days: int = 7


@dataclass(frozen=True)
class AssessMsg:
    actor: Actor
    assessment: Assessment


@dataclass(frozen=True)
class DoneMsg:
    """An obligation met: `key` as the state lists it (`individuals`, `hhs`, `media-CA`...)."""

    actor: Actor
    key: str


@dataclass(frozen=True)
class DelayMsg:
    """A law-enforcement statement (164.412). Written: the clocks stop until `until`. Oral: for
    `days` (at most 30); `official` names who asked (PII, stored encrypted, kept out of state)."""

    actor: Actor
    kind: DelayKind
    until: datetime | None = None
    days: int | None = None
    official: str | None = None


@dataclass
class BreachState:
    incident_id: uuid.UUID
    closed: bool = False
    facts: Facts | None = None
    decision: Decision | None = None
    obligations: list[Obligation] = field(default_factory=list)
    delays: list[Delay] = field(default_factory=list)
    letters: int | None = None
    escalations: list[str] = field(default_factory=list)


@workflow.defn(name="BreachResponse")
class BreachResponseWorkflow:
    def __init__(self) -> None:
        self._state: BreachState | None = None
        self._done: dict[str, datetime] = {}
        self._delay_msgs: list[DelayMsg] = []
        self._dirty = False
        self._closing = False
        self._recorded = False
        # One step at a time: the main loop's escalations and the handlers' steps write the same
        # incident row.
        self._lock = asyncio.Lock()

    @workflow.run
    async def run(self, inp: BreachInput) -> BreachState:
        self._state = st = BreachState(inp.incident_id)
        st.facts = await workflow.execute_activity_method(
            BreachActivities.record,
            Record(inp.actor, inp.incident_id, inp.report, workflow.now()),
            **DB_STEP.options(),
        )
        self._replan()
        await self._save(inp.actor)
        self._recorded = True
        while not st.closed:
            async with self._lock:
                await self._take_delays()
            due = self._alarms(inp.warn_days)
            now = workflow.now()
            if due and due[0][0] <= now:
                async with self._lock:
                    for at, ob, point in due:
                        if at <= now:
                            await self._escalate(inp.actor, ob, point)
                continue
            timeout = (due[0][0] - now) if due else None
            self._dirty = False
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(
                    lambda: self._dirty or bool(self._delay_msgs) or st.closed, timeout=timeout
                )
        await workflow.wait_condition(workflow.all_handlers_finished)
        return st

    # --- the clocks -----------------------------------------------------------------------

    def _replan(self) -> None:
        st = self._state
        assert st is not None and st.facts is not None
        st.obligations = plan(st.facts, st.decision, self._done, st.delays)

    def _alarms(self, warn_days: int) -> list[tuple[datetime, Obligation, str]]:
        """Every escalation still to send, earliest first: a warning `warn_days` before each open
        obligation's due time, and an overdue notice at it. A due time moved by a delay is a new
        alarm."""
        st = self._state
        assert st is not None
        out = []
        for ob in open_obligations(st.obligations):
            for point, at in (("warning", ob.due_at - timedelta(days=warn_days)), ("overdue", ob.due_at)):
                if _alarm_key(ob, point) not in st.escalations:
                    out.append((at, ob, point))
        return sorted(out, key=lambda x: (x[0], x[1].key, x[2]))

    async def _escalate(self, actor: Actor, ob: Obligation, point: str) -> None:
        st = self._state
        assert st is not None
        await workflow.execute_activity_method(
            BreachActivities.escalate,
            Step(actor, st.incident_id, ob, st.obligations, workflow.now(), point),
            **EXTERNAL_CALL.options(),
        )
        st.escalations.append(_alarm_key(ob, point))

    async def _take_delays(self) -> None:
        st = self._state
        assert st is not None
        while self._delay_msgs:
            msg = self._delay_msgs.pop(0)
            now = workflow.now()
            if msg.kind is DelayKind.WRITTEN:
                assert msg.until is not None
                d = Delay(DelayKind.WRITTEN, now, max(msg.until, now))
            else:
                d = oral_delay(now, msg.days or 0)
            st.delays = add_delay(st.delays, d)
            self._replan()
            recorded = next(x for x in st.delays if x.start <= d.start < x.end or x == d)
            await workflow.execute_activity_method(
                BreachActivities.delay,
                Delayed(msg.actor, st.incident_id, recorded, st.obligations, msg.official),
                **DB_STEP.options(),
            )

    async def _save(self, actor: Actor) -> None:
        st = self._state
        assert st is not None
        await workflow.execute_activity_method(
            BreachActivities.save_clocks, Clocks(actor, st.incident_id, st.obligations), **DB_STEP.options()
        )

    # --- messages -------------------------------------------------------------------------

    def _open(self) -> BreachState:
        st = self._state
        if st is None or not self._recorded:
            raise Conflict("this incident is still being recorded; retry shortly", field="incident_id")
        if st.closed or self._closing:
            raise Conflict("this incident is closed", field="incident_id")
        return st

    @workflow.update
    async def wait_recorded(self, _: Wait) -> BreachState:
        """Lets the API answer 201 once the incident is in the database with its clocks."""
        await workflow.wait_condition(lambda: self._recorded)
        assert self._state is not None
        return self._state

    @workflow.update
    async def assess(self, msg: AssessMsg) -> BreachState:
        st = self._open()
        async with self._lock:
            await workflow.execute_activity_method(
                BreachActivities.assess,
                Assess(msg.actor, st.incident_id, msg.assessment, workflow.now()),
                **DB_STEP.options(),
            )
            st.decision = msg.assessment.decision
            self._done["assessment"] = workflow.now()
            self._replan()
            if st.decision is Decision.NOTIFIABLE:
                st.letters = await workflow.execute_activity_method(
                    BreachActivities.write_letters,
                    Close(msg.actor, st.incident_id, workflow.now()),
                    **DB_STEP.options(),
                )
            await self._save(msg.actor)
        self._dirty = True
        return st

    @assess.validator
    def _validate_assess(self, msg: AssessMsg) -> None:
        st = self._open()
        a = msg.assessment
        if st.decision is not None:
            raise Conflict("this incident has already been decided", field="decision")
        if a.safe_harbour and a.decision is Decision.NOTIFIABLE:
            raise Rejected(
                "information encrypted with keys that were not compromised is not unsecured: "
                "such a breach is not notifiable",
                field="safe_harbour",
            )
        if a.decision is Decision.NOTIFIABLE and a.notice is None:
            raise Rejected("a notifiable breach needs the letters' content", field="notice")

    @workflow.update
    async def complete(self, msg: DoneMsg) -> BreachState:
        st = self._open()
        async with self._lock:
            self._done[msg.key] = workflow.now()
            self._replan()
            ob = next(o for o in st.obligations if o.key == msg.key)
            await workflow.execute_activity_method(
                BreachActivities.complete,
                Step(msg.actor, st.incident_id, ob, st.obligations, workflow.now()),
                **DB_STEP.options(),
            )
        self._dirty = True
        return st

    @complete.validator
    def _validate_complete(self, msg: DoneMsg) -> None:
        st = self._open()
        ob = next((o for o in st.obligations if o.key == msg.key), None)
        if ob is None:
            owed = ", ".join(o.key for o in open_obligations(st.obligations)) or "nothing"
            raise Rejected(
                f"{msg.key!r} is not an obligation of this incident (open: {owed})", field="obligation"
            )
        if ob.kind is Kind.ASSESSMENT:
            raise Rejected("the assessment is recorded with its own request", field="obligation")
        if ob.done_at is not None:
            raise Conflict(f"{msg.key!r} is already done", field="obligation")

    @workflow.signal
    def law_enforcement_delay(self, msg: DelayMsg) -> None:
        """The API has checked the statement (a written one has its end, an oral one its days)."""
        if self._state is not None and not self._state.closed:
            self._delay_msgs.append(msg)

    @workflow.update
    async def close(self, w: Wait) -> BreachState:
        st = self._open()
        self._closing = True
        async with self._lock:
            await workflow.execute_activity_method(
                BreachActivities.close, Close(w.actor, st.incident_id, workflow.now()), **DB_STEP.options()
            )
        st.closed = True
        return st

    @close.validator
    def _validate_close(self, w: Wait) -> None:
        st = self._open()
        if st.decision is None:
            raise Conflict("an incident closes once it has been assessed and decided", field="decision")
        still = [o.key for o in open_obligations(st.obligations)]
        if still:
            raise Conflict(f"obligations still open: {', '.join(still)}", field="obligations")

    @workflow.query
    def state(self) -> BreachState | None:
        return self._state


def _alarm_key(ob: Obligation, point: str) -> str:
    return f"{ob.key}:{point}:{ob.due_at.isoformat()}"
