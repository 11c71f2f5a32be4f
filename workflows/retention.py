"""Retention and destruction, one run per org and day: `retention/<org>/<run id>`.

The org's daily Schedule starts `RetentionDaily`, which starts that day's `RetentionRun` as a
child (a run started by hand the same day is the same run: the id is derived from org and day).
A run first makes a dry run: it lists, by id, what is past its retention period and under no
legal hold, with counts per record type, and changes nothing else. Nothing is destroyed until a
named person with compliance:manage confirms that list (an auditor expects a person to have
authorised each destruction, and an operator to see it before it happens); they may decline it
instead, and a list nobody answers within CONFIRM_DAYS lapses (the next day's run lists again).
Once confirmed, exactly what was listed and is still not held is destroyed, its files are
deleted from the store and a destruction certificate is written. While a run waits, the
Schedule's overlap policy (skip) starts no other.
"""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from temporalio import workflow
from temporalio.exceptions import WorkflowAlreadyStartedError

with workflow.unsafe.imports_passed_through():
    from activities.retention import Answer, Certify, DeleteFiles, Destroy, DryRun, RetentionActivities
    from core.contracts.retention import CONFIRM_DAYS, Listing, run_id
    from core.errors import Conflict
    from core.process import DB_STEP, EXTERNAL_CALL, Actor, Daily, Process, Wait

RETENTION = Process("retention")
DAILY_KEY = "daily"


@dataclass(frozen=True)
class RetentionInput:
    actor: Actor
    # None: today (UTC), the Schedule's case.
    run_on: date | None = None
    confirm_days: int = CONFIRM_DAYS


@dataclass
class RunState:
    run_id: uuid.UUID
    run_on: date
    status: str = "listing"
    counts: dict[str, int] | None = None
    destroyed: dict[str, int] | None = None
    skipped: dict[str, int] | None = None


WAITING = "listed"


@workflow.defn(name="RetentionRun")
class RetentionRunWorkflow:
    def __init__(self) -> None:
        self._state: RunState | None = None
        self._answer: Answer | None = None

    @workflow.run
    async def run(self, inp: RetentionInput) -> RunState:
        day = inp.run_on or workflow.now().date()
        self._state = st = RunState(run_id(inp.actor.org_id, day), day)
        listing: Listing = await workflow.execute_activity_method(
            RetentionActivities.dry_run,
            DryRun(inp.actor, st.run_id, day, workflow.now()),
            **DB_STEP.options(),
        )
        st.counts, st.status = listing.counts, listing.status
        if listing.total == 0 or listing.status not in (WAITING, "confirmed", "destroyed"):
            st.status = "nothing to destroy" if listing.total == 0 else listing.status
            return st
        if listing.status == WAITING:
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(
                    lambda: self._answer is not None, timeout=timedelta(days=inp.confirm_days)
                )
            answer = self._answer or Answer(inp.actor, st.run_id, "lapsed", workflow.now())
            done: Listing = await workflow.execute_activity_method(
                RetentionActivities.answer, answer, **DB_STEP.options()
            )
            st.status = done.status
            if done.status != "confirmed":
                await workflow.wait_condition(workflow.all_handlers_finished)
                return st
        else:
            # Today's run was confirmed (or destroyed) by an earlier execution that ended before
            # its certificate: finish it; every step below is idempotent. The destruction is
            # the confirmer's in the audit log either way (their id is on the run).
            answer = Answer(inp.actor, st.run_id, listing.status, workflow.now())
        destroyed = await workflow.execute_activity_method(
            RetentionActivities.destroy,
            Destroy(answer.actor, st.run_id, workflow.now()),
            start_to_close_timeout=timedelta(minutes=10),
            retry_policy=DB_STEP.retry,
        )
        await workflow.execute_activity_method(
            RetentionActivities.delete_files,
            DeleteFiles(answer.actor, destroyed.file_keys),
            start_to_close_timeout=timedelta(minutes=10),
            retry_policy=EXTERNAL_CALL.retry,
        )
        await workflow.execute_activity_method(
            RetentionActivities.certify, Certify(answer.actor, st.run_id), **EXTERNAL_CALL.options()
        )
        st.status, st.destroyed, st.skipped = "destroyed", destroyed.counts, destroyed.skipped
        await workflow.wait_condition(workflow.all_handlers_finished)
        return st

    def _waiting(self) -> RunState:
        st = self._state
        if st is None or st.status == "listing":
            raise Conflict("the dry run is still listing; retry shortly", field="run_id")
        if st.status != WAITING or self._answer is not None:
            raise Conflict(f"this run is {st.status}, not waiting for an answer", field="run_id")
        return st

    @workflow.update
    async def confirm(self, w: Wait) -> RunState:
        st = self._waiting()
        self._answer = Answer(w.actor, st.run_id, "confirmed", workflow.now())
        return st

    @confirm.validator
    def _validate_confirm(self, w: Wait) -> None:
        self._waiting()

    @workflow.update
    async def decline(self, w: Wait) -> RunState:
        st = self._waiting()
        self._answer = Answer(w.actor, st.run_id, "declined", workflow.now())
        return st

    @decline.validator
    def _validate_decline(self, w: Wait) -> None:
        self._waiting()

    @workflow.update
    async def wait_listed(self, _: Wait) -> RunState:
        await workflow.wait_condition(lambda: self._state is not None and self._state.status != "listing")
        assert self._state is not None
        return self._state

    @workflow.query
    def state(self) -> RunState | None:
        return self._state


@workflow.defn(name="RetentionDaily")
class RetentionDailyWorkflow:
    """Started by the org's Schedule: today's run as a child, awaited, so the Schedule starts no
    other while it waits for its confirmation."""

    @workflow.run
    async def run(self, inp: RetentionInput) -> RunState | None:
        day = inp.run_on or workflow.now().date()
        try:
            return await workflow.execute_child_workflow(
                RetentionRunWorkflow.run,
                RetentionInput(inp.actor, day, inp.confirm_days),
                id=RETENTION.id(inp.actor.org_id, run_id(inp.actor.org_id, day)),
            )
        except WorkflowAlreadyStartedError:
            return None  # started by hand earlier today: that run is today's


# Every day at 03:30 in the org's timezone, after the night's other work.
DAILY_SCHEDULE = Daily(RETENTION, DAILY_KEY, RetentionDailyWorkflow.run, RetentionInput, hour=3, minute=30)
