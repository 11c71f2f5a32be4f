"""`recoveryos audit verify` against a superuser who rewrites the database: every kind of
tampering is caught, and what the chain alone cannot show (its last entries, or all of it,
deleted) is caught by comparing with the org's anchor in Temporal."""

from __future__ import annotations

import uuid

import pytest

from core.enums import UserRole
from tests.audit.helpers import alerts, anchor_now, chain, tamper, verify, verify_cli, write_events
from tests.factories import OrgFactory

pytestmark = pytest.mark.usefixtures("stack")  # the anchor workflow runs on the test worker


def _anchored_org(orgs: OrgFactory, n: int = 6) -> tuple[uuid.UUID, int]:
    org = orgs.create((UserRole.ORG_OWNER,))
    write_events(org.org_id, n)
    cp = anchor_now(org.org_id)
    rows = chain(org.org_id)
    assert cp is not None and cp.seq == len(rows) == rows[-1].seq
    code, out = verify(org.org_id)
    assert code == 0, out
    assert f"{len(rows)} entries checked, anchored at seq {len(rows)}" in out
    return org.org_id, len(rows)


def _broken(org_id: uuid.UUID, *expected: str) -> str:
    code, out = verify(org_id)
    assert code == 1, out
    for text in expected:
        assert text in out, out
    return out


def test_deleting_the_last_entry_is_reported_against_the_anchor(orgs: OrgFactory) -> None:
    org_id, n = _anchored_org(orgs)
    tamper("DELETE FROM audit_logs WHERE org_id = :o AND seq = :s", o=org_id, s=n)
    _broken(org_id, f"truncated after entry {n - 1}", f"entries {n}..{n} are missing")


def test_deleting_the_last_entries_is_reported_with_the_missing_range(orgs: OrgFactory) -> None:
    org_id, n = _anchored_org(orgs)
    tamper("DELETE FROM audit_logs WHERE org_id = :o AND seq > :s", o=org_id, s=n - 3)
    _broken(org_id, f"truncated after entry {n - 3}", f"entries {n - 2}..{n} are missing")


def test_deleting_a_whole_chain_is_reported_even_by_verify_of_every_org(orgs: OrgFactory) -> None:
    org_id, n = _anchored_org(orgs)
    tamper("DELETE FROM audit_logs WHERE org_id = :o", o=org_id)
    _broken(org_id, "whole chain was deleted", f"entries 1..{n} are missing")
    code, everyone = verify()
    assert code == 1
    (line,) = [ln for ln in everyone.splitlines() if str(org_id) in ln]
    assert "whole chain was deleted" in line


def test_the_anchor_does_not_follow_a_truncated_chain(orgs: OrgFactory) -> None:
    org_id, n = _anchored_org(orgs)
    tamper("DELETE FROM audit_logs WHERE org_id = :o AND seq > :s", o=org_id, s=n - 2)
    write_events(org_id, 1)  # new entries after the cut must not launder it
    cp = anchor_now(org_id)
    assert cp is not None and cp.seq == n
    _broken(org_id, "entries", "rewritten" if len(chain(org_id)) >= n else "missing")
    assert {a["damage"] for a in alerts(org_id)} == {"truncated"}  # raised, not silently kept


@pytest.mark.parametrize("seq", [0, -1])
def test_an_entry_outside_the_chain_is_read_and_reported(orgs: OrgFactory, seq: int) -> None:
    org_id, _ = _anchored_org(orgs)
    # Only a superuser who lifts the CHECK constraint can place one; it comes back unvalidated.
    tamper(
        "ALTER TABLE audit_logs DROP CONSTRAINT ck_audit_logs_seq_positive",
        "INSERT INTO audit_logs "
        "(id, org_id, seq, actor_type, action, entity_type, outcome, hmac_key_id, hash) "
        "VALUES (gen_random_uuid(), :o, :s, 'user', 'read', 'leads', 'success', 'k', '\\x00')",
        "ALTER TABLE audit_logs ADD CONSTRAINT ck_audit_logs_seq_positive CHECK (seq >= 1) NOT VALID",
        o=org_id,
        s=seq,
    )
    try:
        _broken(org_id, f"BROKEN at seq {seq}", "outside the chain")
    finally:
        tamper("DELETE FROM audit_logs WHERE org_id = :o AND seq < 1", o=org_id)
        tamper("ALTER TABLE audit_logs VALIDATE CONSTRAINT ck_audit_logs_seq_positive")


def test_a_changed_row_id_is_caught(orgs: OrgFactory) -> None:
    org_id, _ = _anchored_org(orgs)
    victim = chain(org_id)[2]
    tamper("UPDATE audit_logs SET id = gen_random_uuid() WHERE id = :id", id=victim.id)
    _broken(org_id, f"BROKEN at seq {victim.seq}", "altered")


def test_an_edited_field_names_the_first_altered_entry(orgs: OrgFactory) -> None:
    org_id, _ = _anchored_org(orgs)
    victim = chain(org_id)[3]
    tamper("UPDATE audit_logs SET actor_user_id = NULL, request_id = 'x' WHERE id = :id", id=victim.id)
    cli = verify_cli(org_id)  # the real command, as an operator runs it
    assert cli.returncode == 1, cli.stdout + cli.stderr
    assert f"BROKEN at seq {victim.seq} (entry {victim.id})" in cli.stdout and "altered" in cli.stdout


def test_a_deleted_middle_entry_is_a_gap(orgs: OrgFactory) -> None:
    org_id, _ = _anchored_org(orgs)
    victim = chain(org_id)[2]
    tamper("DELETE FROM audit_logs WHERE id = :id", id=victim.id)
    _broken(org_id, f"BROKEN at seq {victim.seq + 1}", f"sequence gap: expected {victim.seq}")


def test_one_broken_chain_among_three_leaves_the_others_checked_and_every_org_reported(
    orgs: OrgFactory,
) -> None:
    anchored = sorted(_anchored_org(orgs)[0] for _ in range(3))
    # The first in verify's order is broken, so the other two are read after it.
    victim = chain(anchored[0])[1]
    tamper("UPDATE audit_logs SET entity_type = 'forged' WHERE id = :id", id=victim.id)
    cli = verify_cli()  # every org, as an operator runs it
    assert cli.returncode == 1, cli.stdout + cli.stderr
    lines = {org: [ln for ln in cli.stdout.splitlines() if str(org) in ln] for org in anchored}
    assert f"BROKEN at seq 2 (entry {victim.id}), altered:" in lines[anchored[0]][0]
    for org in anchored[1:]:
        assert lines[org][0].endswith(", ok"), cli.stdout
    summary = cli.stdout.splitlines()[-1]
    assert "orgs checked:" in summary and " broken, " in summary
