"""The audit chain's background work: the sequencer loop that folds events into each org's
chain, and the activity that signs a checkpoint of an org's chain head for its anchor.

Both are safe with any number of worker replicas: sealing takes the org's advisory lock in
PostgreSQL (a replica that finds it taken moves on to the next org), and starting an
org's anchor workflow is idempotent in Temporal (one workflow id per org).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid

from temporalio import activity
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy

from activities.base import TenantActivities
from core import audit
from core.audit import Checkpoint
from workflows.audit import AuditAnchorWorkflow, CheckpointInput, anchor_input, anchor_workflow_id

log = logging.getLogger("recoveryos.audit")

# How often the sequencer looks for events; the chain trails commits by about this much.
SEAL_INTERVAL_SECONDS = 1.0


class AuditActivities(TenantActivities):
    @activity.defn(name="audit_checkpoint")
    def checkpoint(self, inp: CheckpointInput) -> Checkpoint | None:
        return audit.checkpoint(inp.actor.org_id, inp.previous)


def seal_all_pending() -> list[uuid.UUID]:
    """One pass over every org with waiting events; returns the orgs this pass chained."""
    sealed = []
    for org_id in audit.pending_orgs():
        if audit.seal_pending(org_id, wait=False):
            sealed.append(org_id)
    return sealed


async def run_sequencer(client: Client, task_queue: str, stop: asyncio.Event) -> None:
    """The worker's sequencer: chain pending events every second and make sure each org that
    has a chain also has an anchor workflow."""
    anchored: set[uuid.UUID] = set()  # only saves start calls; Temporal is the source of truth
    while not stop.is_set():
        try:
            sealed = await asyncio.to_thread(seal_all_pending)
            for org_id in sealed:
                if org_id in anchored:
                    continue
                await client.start_workflow(
                    AuditAnchorWorkflow.run,
                    anchor_input(org_id),
                    id=anchor_workflow_id(org_id),
                    task_queue=task_queue,
                    id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                )
                anchored.add(org_id)
        except Exception:  # the loop outlives a database or Temporal restart
            log.exception("audit sequencer pass failed; retrying")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), SEAL_INTERVAL_SECONDS)
