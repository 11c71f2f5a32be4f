"""OutcomeFollowUp: after a discharge, the resident who consented is asked how they are doing at
30, 90 and 180 days (`outcomes/<org>/<discharge id>`).

The journey starts it as an abandoned child by its type name (`FOLLOW_UP_WORKFLOW`) for every
discharge; it ends at once for a resident who did not consent. Each wave: at its day (17:00
UTC) the link goes out; unanswered after 7 days, one reminder; unanswered after 14, the wave is
closed. The survey page signals `answered`; "no contact" ends the follow-up at once (the page's
transaction already withdrew the consent and stopped every open wave, so a send in flight finds
nothing to send)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.outcomes import OutcomeActivities, SendWave, WaveRef
    from core.contracts.outcomes import (
        ANSWERED_SIGNAL,
        CLOSE_AFTER,
        FOLLOW_UP_WORKFLOW,
        OUTCOMES,
        REMIND_AFTER,
        Answered,
        FollowUpInput,
        send_at,
        survey_id,
    )
    from core.process import DB_STEP, EXTERNAL_CALL

__all__ = ["OUTCOMES", "FollowUpResult", "FollowUpWorkflow"]


@dataclass
class FollowUpResult:
    # Per wave asked: "answered", "closed" (no answer), or "stopped" (no contact).
    waves: dict[int, str] = field(default_factory=dict)
    consented: bool = False
    no_contact: bool = False


@workflow.defn(name=FOLLOW_UP_WORKFLOW)
class FollowUpWorkflow:
    def __init__(self) -> None:
        self._answered: set[int] = set()
        self._stop = False

    @workflow.run
    async def run(self, inp: FollowUpInput) -> FollowUpResult:
        out = FollowUpResult()
        waves = await workflow.execute_activity_method(OutcomeActivities.plan, inp, **DB_STEP.options())
        out.consented = bool(waves)
        for wave in waves:
            if self._stop:
                break
            out.waves[wave] = await self._ask(inp, wave)
        out.no_contact = self._stop
        await workflow.wait_condition(workflow.all_handlers_finished)
        return out

    async def _ask(self, inp: FollowUpInput, wave: int) -> str:
        ref = WaveRef(inp.actor, survey_id(inp.discharge_id, wave))
        due = send_at(inp.discharged_on + timedelta(days=wave))
        if await self._wait_until(due, lambda: self._stop):
            return "stopped"
        if not await self._send(ref, reminder=False):
            return self._stopped()
        for wait, then_remind in ((REMIND_AFTER, True), (CLOSE_AFTER - REMIND_AFTER, False)):
            if await self._wait_until(workflow.now() + wait, lambda: wave in self._answered or self._stop):
                return "answered" if wave in self._answered else "stopped"
            # The page's signal may have been lost, or staff withdrew the consent: the database
            # says.
            state = await workflow.execute_activity_method(OutcomeActivities.state, ref, **DB_STEP.options())
            if state == "answered":
                return "answered"
            if state == "stopped":
                return self._stopped()
            if then_remind and not await self._send(ref, reminder=True):
                return self._stopped()
        await workflow.execute_activity_method(OutcomeActivities.close, ref, **DB_STEP.options())
        return "closed"

    def _stopped(self) -> str:
        """Nothing may be sent any more (consent withdrawn, or no address): the follow-up ends."""
        self._stop = True
        return "stopped"

    async def _send(self, ref: WaveRef, reminder: bool) -> bool:
        return await workflow.execute_activity_method(
            OutcomeActivities.send,
            SendWave(ref.actor, ref.survey_id, workflow.now(), reminder),
            **EXTERNAL_CALL.options(),
        )

    async def _wait_until(self, at: datetime, done: Callable[[], bool]) -> bool:
        """True when `done` came true before `at`."""
        delay = (at - workflow.now()).total_seconds()
        if delay <= 0:
            return done()
        try:
            await workflow.wait_condition(done, timeout=timedelta(seconds=delay))
        except TimeoutError:
            return False
        return True

    @workflow.signal(name=ANSWERED_SIGNAL)
    def answered(self, a: Answered) -> None:
        self._answered.add(a.wave)
        if a.no_contact:
            self._stop = True
