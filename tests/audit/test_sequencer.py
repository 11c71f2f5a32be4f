"""The sequencer: killed in the middle of a batch it loses nothing and another one finishes
the job; in the worker it chains events within seconds and starts the org's anchor."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time

import pytest
from temporalio.service import RPCError

from cli.admin import verify_chains
from core.config import get_settings
from core.enums import UserRole
from tests.audit.helpers import chain, latest_anchor, pending, write_events
from tests.factories import OrgFactory


def test_a_sequencer_killed_mid_batch_loses_nothing_and_another_finishes(orgs: OrgFactory) -> None:
    org = orgs.create((UserRole.ORG_OWNER,))
    before = len(chain(org.org_id))
    write_events(org.org_id, 30)
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.audit.sealer_child", str(org.org_id), "20"],
        stdout=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "sealed 20, not committed"
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
    finally:
        if child.poll() is None:
            child.kill()
    # PostgreSQL rolls the dead sealer's transaction back and frees its lock once it sees
    # the connection gone; until then a second sealer waits for the org's lock.
    rows = chain(org.org_id)
    assert len(rows) == before + 30 and pending(org.org_id) == 0
    assert [r.seq for r in rows] == list(range(1, len(rows) + 1))
    assert sorted(r.details["i"] for r in rows if r.entity_type == "test_events") == list(range(30))
    (report,) = verify_chains(org.org_id)
    assert report.ok and report.entries == len(rows)


@pytest.mark.usefixtures("stack")
def test_the_worker_sequencer_chains_events_within_seconds_and_anchors_the_org(
    stack: str, orgs: OrgFactory
) -> None:
    """`stack` runs the worker that executes the anchor workflow."""
    from core.temporal import connect
    from workflows.audit import AuditAnchorWorkflow, anchor_workflow_id
    from workflows.audit_sequencer import run_sequencer

    org = orgs.create((UserRole.ORG_OWNER,))
    write_events(org.org_id, 5)

    async def run_for_a_while() -> object:
        client = await connect()
        stop = asyncio.Event()
        loop = asyncio.create_task(run_sequencer(client, get_settings().task_queue, stop))
        deadline = time.monotonic() + 15
        try:
            while pending(org.org_id) and time.monotonic() < deadline:
                await asyncio.sleep(0.2)
            handle = client.get_workflow_handle(anchor_workflow_id(org.org_id))
            while time.monotonic() < deadline:
                try:
                    cp = await handle.query(AuditAnchorWorkflow.latest)
                except RPCError:  # the sequencer starts the anchor just after it seals
                    cp = None
                if cp is not None:
                    return cp
                await asyncio.sleep(0.2)
            return None
        finally:
            stop.set()
            await loop

    started = time.monotonic()
    cp = asyncio.run(run_for_a_while())
    assert pending(org.org_id) == 0 and time.monotonic() - started < 15
    rows = chain(org.org_id)
    assert cp is not None and getattr(cp, "seq", None) == rows[-1].seq


@pytest.mark.usefixtures("stack")
def test_the_worker_anchors_a_chain_it_did_not_write_on_its_first_sweep(orgs: OrgFactory) -> None:
    """An import, the seed or `keys rotate` chains the events; the worker only finds the chain."""
    from core.temporal import connect
    from workflows.audit_sequencer import run_sequencer

    org = orgs.create((UserRole.ORG_OWNER,))
    write_events(org.org_id, 3)
    head = chain(org.org_id)[-1].seq  # chained here, before any worker sees the events

    async def run_until_anchored() -> None:
        stop = asyncio.Event()
        loop = asyncio.create_task(run_sequencer(await connect(), get_settings().task_queue, stop))
        try:
            cp = await asyncio.to_thread(latest_anchor, org.org_id)
        finally:
            stop.set()
            await loop
        assert cp is not None and cp.seq == head

    asyncio.run(run_until_anchored())
