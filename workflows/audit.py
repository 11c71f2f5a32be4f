"""AuditAnchor: one workflow per org whose history holds signed checkpoints of the org's
audit chain head, outside the reach of anyone who controls PostgreSQL.

Every few minutes it runs `audit_checkpoint` (seal what is pending, sign the head); the
result is recorded in the workflow's history by Temporal. It continues as new after a
bounded number of checkpoints, carrying the latest, so its history stays small. The latest
checkpoint is readable with the `latest` query; `checkpoint_now` takes one on demand.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.audit import CHECKPOINT, CheckpointInput
    from core.audit import Checkpoint
    from core.process import DB_STEP, Actor, workflow_id

ANCHOR_EVERY = timedelta(minutes=2)
CHECKPOINTS_PER_RUN = 200


def anchor_workflow_id(org_id: uuid.UUID) -> str:
    return workflow_id("audit-anchor", org_id, "chain")


@dataclass(frozen=True)
class AnchorInput:
    actor: Actor
    latest: Checkpoint | None = None
    every_seconds: float = ANCHOR_EVERY.total_seconds()


def anchor_input(org_id: uuid.UUID, every: timedelta = ANCHOR_EVERY) -> AnchorInput:
    return AnchorInput(actor=Actor.system(org_id), every_seconds=every.total_seconds())


@workflow.defn(name="AuditAnchor")
class AuditAnchorWorkflow:
    def __init__(self) -> None:
        self._latest: Checkpoint | None = None
        self._actor: Actor | None = None

    @workflow.run
    async def run(self, inp: AnchorInput) -> None:
        self._actor, self._latest = inp.actor, inp.latest
        for _ in range(CHECKPOINTS_PER_RUN):
            await self._checkpoint()
            await workflow.sleep(inp.every_seconds)
        await workflow.wait_condition(workflow.all_handlers_finished)
        workflow.continue_as_new(AnchorInput(inp.actor, self._latest, inp.every_seconds))

    async def _checkpoint(self) -> Checkpoint | None:
        assert self._actor is not None
        cp: Checkpoint | None = await workflow.execute_activity(
            CHECKPOINT,
            CheckpointInput(self._actor, self._latest),
            result_type=Checkpoint,
            start_to_close_timeout=DB_STEP.start_to_close,
            retry_policy=DB_STEP.retry,
        )
        # An on-demand checkpoint may finish before a scheduled one: keep the furthest head.
        if cp is not None and (self._latest is None or cp.seq >= self._latest.seq):
            self._latest = cp
        return self._latest

    @workflow.update
    async def checkpoint_now(self) -> Checkpoint | None:
        await workflow.wait_condition(lambda: self._actor is not None)
        return await self._checkpoint()

    @workflow.query
    def latest(self) -> Checkpoint | None:
        return self._latest
