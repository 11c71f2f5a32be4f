"""Field-level encryption: AES-256-GCM bound to table, column and row; blind indexes for
lookups; key rotation that resumes; and not one seeded PHI value in plaintext anywhere."""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import select, text

import models
import registry
from cli.admin import rotate_keys, stale_count_now
from core.audit_sealer import seal_pending
from core.crypto import DecryptionError, key_id_of
from core.db import tenant_session
from core.enums import UserRole
from core.fieldcrypt import field_cipher
from models.operations_extended import WellnessCheckIn
from models.residents import Resident
from models.users import User
from seed import SeedResult, seed_org
from tests.conftest import _reset_settings, create_database
from tests.db import as_owner
from tests.factories import OrgFactory


@pytest.fixture(scope="module")
def seeded(database: str) -> SeedResult:
    return seed_org(uuid.uuid4(), registry.seed_story(), seed_value=1234, slug=f"enc-{uuid.uuid4().hex[:6]}")


# The operator's own wording, merged with no resident's data (rendering writes to encrypted
# columns only): the default residency agreement names alcohol and medication, which the seed
# also records as some residents' encrypted clinical values.
ORG_WORDING = {("document_templates", "body_template")}


def test_no_seeded_phi_is_stored_in_plaintext_anywhere(seeded: SeedResult) -> None:
    assert len(seeded.phi) >= 50
    needles = [p for p in set(seeded.phi) if len(p) >= 6]
    # One pattern for every needle: each value is searched once, not once per needle.
    any_needle = re.compile(b"|".join(re.escape(n.encode()) for n in sorted(needles)))
    hits: list[str] = []
    with as_owner() as c:
        tables = (
            c.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars().all()
        )
        for table in tables:
            for row in c.execute(text(f"SELECT * FROM {table}")).mappings():
                for col, value in row.items():
                    if value is None or (table, col) in ORG_WORDING:
                        continue
                    blob = (
                        bytes(value)
                        if isinstance(value, bytes | memoryview)
                        else json.dumps(value, default=str).encode()
                    )
                    hits += [f"{table}.{col}: {m.group().decode()!r}" for m in any_needle.finditer(blob)]
    assert hits == []


def test_the_seed_reads_back_through_the_app(seeded: SeedResult) -> None:
    with tenant_session(seeded.org_id, actor_type="test") as s:
        names = {f"{r.first_name} {r.last_name}" for r in s.scalars(select(Resident))}
        moods = [w.mood_rating for w in s.scalars(select(WellnessCheckIn))]
    assert names & set(seeded.phi)
    assert moods and all(isinstance(m, int) for m in moods)


def test_a_ciphertext_moved_to_another_row_or_column_does_not_decrypt(orgs: OrgFactory) -> None:
    org = orgs.create((UserRole.HOUSE_MANAGER, UserRole.CASE_MANAGER))
    a, b = org.users[UserRole.HOUSE_MANAGER], org.users[UserRole.CASE_MANAGER]
    with as_owner() as c:
        c.execute(
            text("UPDATE users SET first_name = (SELECT first_name FROM users WHERE id = :a) WHERE id = :b"),
            {"a": a, "b": b},
        )
        c.execute(text("UPDATE users SET last_name = first_name WHERE id = :a"), {"a": a})
    with tenant_session(org.org_id, actor_type="test") as s:
        user_a, user_b = s.get(User, a), s.get(User, b)
        assert user_a is not None and user_b is not None
        assert user_a.first_name == "Test"
        with pytest.raises(DecryptionError):
            _ = user_b.first_name
        with pytest.raises(DecryptionError):
            _ = user_a.last_name


def test_ciphertexts_carry_their_key_id_and_differ_for_equal_plaintexts(orgs: OrgFactory) -> None:
    org = orgs.create((UserRole.HOUSE_MANAGER, UserRole.CASE_MANAGER))
    with tenant_session(org.org_id, actor_type="test") as s:
        users = s.scalars(select(User)).all()
        blobs = [bytes(u.first_name_ct) for u in users]
    assert {key_id_of(b) for b in blobs} == {field_cipher().ring.active}
    assert len(set(blobs)) == len(blobs)  # random nonces: same name, different ciphertext


def test_blind_indexes_find_people_by_email_and_phone_without_decrypting(orgs: OrgFactory) -> None:
    org = orgs.create((UserRole.CASE_MANAGER,))
    email = org.emails[UserRole.CASE_MANAGER]
    with tenant_session(org.org_id, actor_type="test") as s:
        user = s.scalars(
            select(User).where(User.email_bidx == User.email.lookup("users", email.upper()))
        ).one()
        assert user.id == org.users[UserRole.CASE_MANAGER]
        user.phone = "+1 (555) 201-9988"
    with tenant_session(org.org_id, actor_type="test") as s:
        found = s.scalars(
            select(User).where(User.phone_bidx == User.phone.lookup("users", "555.201.9988"))
        ).one()
        assert found.id == user.id


@pytest.fixture
def own_database(pg_cluster: str, database: str) -> Iterator[str]:
    """A separate migrated database, so re-keying cannot disturb other tests' rows."""
    from core.bootstrap import migrate

    url = create_database(pg_cluster, f"recoveryos_keys_{uuid.uuid4().hex[:6]}")
    saved = {k: os.environ[k] for k in ("DATABASE_URL", "RECOVERYOS_FIELD_KEYS")}
    os.environ["DATABASE_URL"] = url
    _reset_settings()
    migrate()
    try:
        yield url
    finally:
        os.environ.update(saved)
        os.environ.pop("RECOVERYOS_FIELD_ACTIVE_KEY", None)
        _reset_settings()


def test_key_rotation_reencrypts_everything_and_resumes_after_interruption(own_database: str) -> None:
    result = seed_org(uuid.uuid4(), registry.seed_story(), seed_value=99, slug="rotation")
    old = field_cipher().ring.active
    ring = json.loads(os.environ["RECOVERYOS_FIELD_KEYS"])
    ring["field-2"] = base64.b64encode(secrets.token_bytes(32)).decode()
    os.environ["RECOVERYOS_FIELD_KEYS"] = json.dumps(ring)
    os.environ["RECOVERYOS_FIELD_ACTIVE_KEY"] = "field-2"
    _reset_settings()
    before = stale_count_now("field-2")
    assert before > 100

    rotate_keys(batch_size=50, quiet=True, max_batches=2)  # cut short, as by Ctrl-C
    middle = stale_count_now("field-2")
    assert 0 < middle < before
    rotate_keys(batch_size=50, quiet=True)
    assert stale_count_now("field-2") == 0

    seal_pending(result.org_id)
    with tenant_session(result.org_id, actor_type="test") as s:
        residents = s.scalars(select(Resident)).all()
        assert {key_id_of(bytes(r.first_name_ct)) for r in residents} == {"field-2"}
        assert {f"{r.first_name} {r.last_name}" for r in residents} & set(result.phi)
        rotated = (
            s.execute(text("SELECT details FROM audit_logs WHERE entity_type = 'field_keys'")).scalars().all()
        )
    assert rotated and all(d["rotated_to"] == "field-2" for d in rotated)
    assert old != "field-2"
    assert len(models.metadata.tables) == 96
