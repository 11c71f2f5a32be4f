"""Every chain is anchored from its first entry, whoever chained it, and an anchor never
certifies a chain it has not checked: a freshly seeded org's deleted tail or whole chain is
named by `audit verify`, and a row forged at the tail is refused, not checkpointed."""

from __future__ import annotations

import uuid

import pytest

import registry
from core import audit_sealer
from core.enums import UserRole
from core.process import Actor
from seed import seed_org
from tests.audit.helpers import (
    alerts,
    anchor_now,
    chain,
    latest_anchor,
    sweep_anchors,
    tamper,
    verify,
    write_events,
)
from tests.factories import OrgFactory

pytestmark = pytest.mark.usefixtures("stack")  # the anchor workflows run on the test worker


def _line(out: str, org_id: uuid.UUID) -> str:
    (line,) = [ln for ln in out.splitlines() if str(org_id) in ln]
    return line


@pytest.fixture(scope="module")
def seeded() -> uuid.UUID:
    """A demo org as `recoveryos seed` writes it: chained by the seed, not by a worker."""
    return seed_org(
        uuid.uuid4(), registry.seed_story(), seed_value=18, slug=f"anchor-{uuid.uuid4().hex[:6]}"
    ).org_id


def test_a_chain_without_an_anchor_is_reported_unanchored_not_ok(orgs: OrgFactory) -> None:
    org = orgs.create((UserRole.ORG_OWNER,))
    write_events(org.org_id, 3)
    n = len(chain(org.org_id))  # chained here, as the seed or an import would, not by a worker
    code, out = verify(org.org_id)
    assert code == 2, out
    assert f"{n} entries checked, no anchor" in out and "UNANCHORED" in out
    assert "1 orgs checked: 0 ok, 0 broken, 1 unanchored" in out


def test_the_sweep_anchors_every_chained_org_and_a_second_sweep_starts_nothing_twice(
    seeded: uuid.UUID,
) -> None:
    assert seeded in sweep_anchors()
    assert seeded in sweep_anchors()  # the anchor already runs: kept, not an error
    cp = latest_anchor(seeded)
    assert cp is not None and cp.seq == chain(seeded)[-1].seq
    code, out = verify(seeded)
    assert code == 0, out
    assert f"anchored at seq {cp.seq}" in out and out.splitlines()[0].endswith(", ok")


def test_deleting_the_tail_of_a_freshly_seeded_chain_is_named_by_verify(seeded: uuid.UUID) -> None:
    sweep_anchors()
    cp = latest_anchor(seeded)
    assert cp is not None
    tamper("DELETE FROM audit_logs WHERE org_id = :o AND seq > :s", o=seeded, s=cp.seq - 10)
    code, out = verify()
    assert code == 1
    line = _line(out, seeded)
    assert f"BROKEN at seq {cp.seq - 9}, truncated" in line, line
    assert f"entries {cp.seq - 9}..{cp.seq} are missing" in line


def test_deleting_the_whole_chain_of_a_freshly_seeded_org_is_named_by_verify(seeded: uuid.UUID) -> None:
    sweep_anchors()
    cp = latest_anchor(seeded)
    assert cp is not None
    tamper("DELETE FROM audit_logs WHERE org_id = :o", o=seeded)
    code, out = verify()
    assert code == 1
    line = _line(out, seeded)
    assert "BROKEN at seq 1, deleted: the whole chain was deleted" in line, line
    assert f"entries 1..{cp.seq} are missing" in line


def test_a_row_forged_at_the_tail_is_refused_by_the_anchor_and_raises_an_alert(orgs: OrgFactory) -> None:
    org = orgs.create((UserRole.ORG_OWNER,))
    write_events(org.org_id, 4)
    first = anchor_now(org.org_id)
    assert first is not None
    tamper(
        "INSERT INTO audit_logs (id, org_id, seq, actor_type, action, entity_type, outcome, "
        "hmac_key_id, prev_hash, hash) VALUES (gen_random_uuid(), :o, :s, 'user', 'read', 'leads', "
        "'success', :k, :p, '\\x00')",
        o=org.org_id,
        s=first.seq + 1,
        k=first.key_id,
        p=bytes.fromhex(first.hash_hex),
    )
    write_events(org.org_id, 2)  # entries chained on top of the forgery do not launder it
    refused = anchor_now(org.org_id)
    assert refused is not None and (refused.seq, refused.hash_hex) == (first.seq, first.hash_hex)
    (alert,) = alerts(org.org_id)
    assert {k: alert[k] for k in ("alert", "seq", "damage")} == {
        "alert": "chain_broken",
        "seq": first.seq + 1,
        "damage": "altered",
    }
    assert alert["process"]["workflow_type"] == "AuditAnchor"  # type: ignore[index]
    code, out = verify(org.org_id)
    assert code == 1 and f"BROKEN at seq {first.seq + 1}" in out and "altered" in out, out


def test_removing_a_forged_tail_the_anchor_refused_leaves_a_chain_that_verifies(orgs: OrgFactory) -> None:
    org = orgs.create((UserRole.ORG_OWNER,))
    write_events(org.org_id, 3)
    first = anchor_now(org.org_id)
    assert first is not None
    forged = uuid.uuid4()
    tamper(
        "INSERT INTO audit_logs (id, org_id, seq, actor_type, action, entity_type, outcome, "
        "hmac_key_id, hash) VALUES (:id, :o, :s, 'user', 'read', 'leads', 'success', :k, '\\x00')",
        id=forged,
        o=org.org_id,
        s=first.seq + 1,
        k=first.key_id,
    )
    refused = anchor_now(org.org_id)
    assert refused is not None and (refused.seq, refused.hash_hex) == (first.seq, first.hash_hex)
    tamper("DELETE FROM audit_logs WHERE id = :id", id=forged)
    audit_sealer.seal_pending(org.org_id)  # the alert itself joins the chain
    code, out = verify(org.org_id)
    assert code == 0, out
    later = anchor_now(org.org_id)
    assert later is not None and later.seq == chain(org.org_id)[-1].seq > first.seq


def test_a_long_chain_met_for_the_first_time_is_certified_a_slice_at_a_time(
    orgs: OrgFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audit_sealer, "CHECKPOINT_SCAN_LIMIT", 3)
    org = orgs.create((UserRole.ORG_OWNER,))
    write_events(org.org_id, 7)
    head = chain(org.org_id)[-1].seq
    seen, cp = [], None
    while cp is None or cp.seq < head:
        cp = audit_sealer.checkpoint(org.org_id, cp)
        assert cp is not None and cp.valid()
        seen.append(cp.seq)
    assert seen == [*range(3, head, 3), head]


def test_an_anchor_restarted_by_the_sweep_carries_the_stopped_ones_checkpoint(orgs: OrgFactory) -> None:
    import asyncio

    from core.temporal import connect
    from workflows.audit import anchor_workflow_id

    org = orgs.create((UserRole.ORG_OWNER,))
    write_events(org.org_id, 4)
    first = anchor_now(org.org_id)
    assert first is not None

    async def terminate() -> None:
        await (await connect()).get_workflow_handle(anchor_workflow_id(org.org_id)).terminate("ops mistake")

    asyncio.run(terminate())
    tamper("DELETE FROM audit_logs WHERE org_id = :o AND seq > :s", o=org.org_id, s=first.seq - 2)
    assert org.org_id in sweep_anchors()
    code, out = verify(org.org_id)
    assert code == 1, out
    assert f"truncated after entry {first.seq - 2}: entries {first.seq - 1}..{first.seq} are missing" in out


def test_verify_reads_the_anchor_from_history_while_no_worker_could_answer_for_it(
    orgs: OrgFactory,
) -> None:
    """The anchor's run carries a checkpoint no worker has touched (it waits on a task queue
    nobody polls), yet `audit verify` finds it: the anchor is read from history, not queried."""
    import asyncio

    from core.temporal import connect
    from workflows.audit import AnchorInput, AuditAnchorWorkflow, anchor_workflow_id

    org = orgs.create((UserRole.ORG_OWNER,))
    write_events(org.org_id, 3)
    first = anchor_now(org.org_id)
    assert first is not None

    async def orphan() -> None:
        client = await connect()
        wf_id = anchor_workflow_id(org.org_id)
        await client.get_workflow_handle(wf_id).terminate("moved to a queue nobody polls")
        await client.start_workflow(
            AuditAnchorWorkflow.run,
            AnchorInput(Actor.system(org.org_id), first),
            id=wf_id,
            task_queue=f"nobody-polls-{uuid.uuid4().hex[:8]}",
        )

    asyncio.run(orphan())
    assert latest_anchor(org.org_id, timeout=5) == first
    code, out = verify(org.org_id)
    assert code == 0, out
    assert f"anchored at seq {first.seq}" in out
