"""The worker's audit sequencer, run beside its pollers: it folds events into each org's chain
and starts (or finds) each org's `AuditAnchor` workflow. Not a workflow itself; it lives with
the workflows because it starts and queries one.

Safe with any number of worker replicas: sealing takes the org's advisory lock in PostgreSQL
(a replica that finds it taken moves on to the next org), and starting an org's anchor
workflow is idempotent in Temporal (one workflow id per org).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from dataclasses import replace

from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from core import audit_sealer
from core.audit import Checkpoint
from core.process import org_of
from workflows.audit import AuditAnchorWorkflow, anchor_input, anchor_workflow_id

log = logging.getLogger("recoveryos.audit")

# How often the sequencer looks for events; the chain trails commits by about this much.
SEAL_INTERVAL_SECONDS = 1.0
# How often each worker makes sure every chain has an anchor, whoever chained it.
ANCHOR_SWEEP_SECONDS = 60.0
STOPPED_QUERY_SECONDS = 30.0


def seal_all_pending() -> list[uuid.UUID]:
    """One pass over every org with waiting events; returns the orgs this pass chained."""
    sealed = []
    for org_id in audit_sealer.pending_orgs():
        if audit_sealer.seal_pending(org_id, wait=False):
            sealed.append(org_id)
    return sealed


async def start_anchor(
    client: Client, task_queue: str, org_id: uuid.UUID, latest: Checkpoint | None = None
) -> None:
    """Start the org's anchor workflow from `latest`; one already running is kept (several
    workers, the seed and the sweep may all try)."""
    with contextlib.suppress(WorkflowAlreadyStartedError):
        await client.start_workflow(
            AuditAnchorWorkflow.run,
            replace(anchor_input(org_id), latest=latest),
            id=anchor_workflow_id(org_id),
            task_queue=task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        )


async def anchored_orgs(client: Client) -> set[uuid.UUID]:
    """Orgs whose anchor workflow runs, as Temporal's visibility store lists them."""
    found = set()
    async for wf in client.list_workflows("WorkflowType = 'AuditAnchor' AND ExecutionStatus = 'Running'"):
        org = org_of(wf.id)
        if org is not None:
            found.add(org)
    return found


async def ensure_anchors(client: Client, task_queue: str) -> set[uuid.UUID]:
    """Start an anchor for every org with a chain and none running, whoever chained it (the
    worker, the seed, an import, `keys rotate`, a migration); returns every org anchored now.

    Visibility lags a start by a moment, so an org may be started twice: the second start
    finds the running workflow and keeps it.
    """
    chained = await asyncio.to_thread(audit_sealer.chained_orgs)
    anchored = await anchored_orgs(client)
    for org_id in sorted(set(chained) - anchored):
        if await anchor_org(client, task_queue, org_id):
            anchored.add(org_id)
    return anchored


async def anchor_org(client: Client, task_queue: str, org_id: uuid.UUID) -> bool:
    """Start the org's anchor, carrying the checkpoint of one that stopped; False when that
    checkpoint could not be read: starting afresh would forget it, so the org stays
    unanchored (and `audit verify` says so) until a later pass can read it."""
    try:
        latest = await stopped_anchor_checkpoint(client, org_id)
    except (RPCError, TimeoutError):
        log.exception("the stopped anchor's checkpoint could not be read", extra={"org_id": str(org_id)})
        return False
    await start_anchor(client, task_queue, org_id, latest)
    return True


async def stopped_anchor_checkpoint(client: Client, org_id: uuid.UUID) -> Checkpoint | None:
    """The last checkpoint of the org's anchor if one ran and stopped (terminated, failed, or
    just started by someone else): a restarted anchor carries it, so a chain truncated while
    no anchor ran is still reported against it. None for an org that never had one."""
    handle = client.get_workflow_handle(anchor_workflow_id(org_id))
    try:
        # A closed workflow's query is answered by a worker replaying its history.
        return await asyncio.wait_for(handle.query(AuditAnchorWorkflow.latest), STOPPED_QUERY_SECONDS)
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            return None
        raise


async def run_sequencer(client: Client, task_queue: str, stop: asyncio.Event) -> None:
    """The worker's sequencer: chain pending events every second, start the anchor of each org
    it chained, and every minute the anchor of any org whose chain someone else wrote."""
    anchored: set[uuid.UUID] = set()  # only saves start calls; Temporal is the source of truth
    next_sweep = 0.0
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        if loop.time() >= next_sweep:
            # Apart from sealing: with Temporal down the chain still grows, and the sweep
            # tries again a minute later.
            next_sweep = loop.time() + ANCHOR_SWEEP_SECONDS
            try:
                anchored = await ensure_anchors(client, task_queue)
            except Exception:
                log.exception("audit anchor sweep failed; retrying")
        try:
            sealed = await asyncio.to_thread(seal_all_pending)
            for org_id in sealed:
                if org_id not in anchored and await anchor_org(client, task_queue, org_id):
                    anchored.add(org_id)
        except Exception:  # the loop outlives a database or Temporal restart
            log.exception("audit sequencer pass failed; retrying")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), SEAL_INTERVAL_SECONDS)
