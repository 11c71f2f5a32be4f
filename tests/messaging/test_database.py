"""Messaging's row-level security in PostgreSQL itself, as recoveryos_app with a resident's
scope (what a resident's API session sets): the database, not the route, decides that a resident
reads only the conversations they are in and their own house's announcements."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from core.db import tenant_session
from core.enums import AnnouncementAudience
from core.scope import Scope
from models.messaging import Announcement, Conversation, ConversationMember, Message
from models.messaging_extended import AnnouncementRead
from services import messaging
from tests.db import as_app
from tests.factories import OrgFactory
from tests.messaging.world import World, build_world


@dataclass(frozen=True)
class Rows:
    world: World
    mine: uuid.UUID  # a conversation with the resident
    theirs: uuid.UUID  # one with their neighbour in the same house
    to_house_a: uuid.UUID
    to_house_b: uuid.UUID
    to_staff: uuid.UUID
    to_everyone: uuid.UUID


@pytest.fixture(scope="module")
def rows(orgs: OrgFactory) -> Rows:
    w = build_world(orgs)
    with tenant_session(w.org.org_id, w.staff_id, actor_type="test") as s:
        mine, _ = messaging.start(s, w.staff_id, [w.resident.user_id], None, "to the resident")
        theirs, _ = messaging.start(s, w.staff_id, [w.other_resident.user_id], None, "to the neighbour")
        ann = {
            name: messaging.announce(s, w.staff_id, audience, name, "body", house_id=house).id
            for name, audience, house in [
                ("a", AnnouncementAudience.HOUSE, w.a.house_id),
                ("b", AnnouncementAudience.HOUSE, w.b.house_id),
                ("staff", AnnouncementAudience.STAFF, None),
                ("all", AnnouncementAudience.ORG, None),
            ]
        }
        for aid in ann.values():
            messaging.mark_announcement_read(s, aid, w.staff_id)
        mine_id, theirs_id = mine.id, theirs.id
    return Rows(w, mine_id, theirs_id, ann["a"], ann["b"], ann["staff"], ann["all"])


@contextmanager
def as_resident(rows: Rows, user_id: uuid.UUID, resident_id: uuid.UUID) -> Iterator[Session]:
    with tenant_session(
        rows.world.org.org_id, user_id, actor_type="test", scope=Scope.resident(resident_id)
    ) as s:
        yield s


def test_a_resident_session_reads_only_its_own_conversations_their_members_and_messages(rows: Rows) -> None:
    w = rows.world
    with as_resident(rows, w.resident.user_id, w.a.active) as s:
        assert set(s.scalars(select(Conversation.id))) == {rows.mine}
        assert set(s.scalars(select(Message.conversation_id))) == {rows.mine}
        assert set(s.scalars(select(ConversationMember.conversation_id))) == {rows.mine}
    with as_resident(rows, w.other_resident.user_id, w.neighbour) as s:
        assert set(s.scalars(select(Conversation.id))) == {rows.theirs}


def test_a_resident_session_cannot_write_into_anothers_conversation(rows: Rows) -> None:
    w = rows.world
    intruder = Message(
        org_id=w.org.org_id,
        conversation_id=rows.mine,
        sender_user_id=w.other_resident.user_id,
        body="let me in",
    )
    with (
        pytest.raises(DBAPIError, match="row-level security"),
        as_resident(rows, w.other_resident.user_id, w.neighbour) as s,
    ):
        s.add(intruder)
        s.flush()


def test_a_resident_sees_their_houses_and_org_announcements_and_only_their_own_receipts(rows: Rows) -> None:
    w = rows.world
    with as_resident(rows, w.resident.user_id, w.a.active) as s:
        visible = set(s.scalars(select(Announcement.id)))
        assert {rows.to_house_a, rows.to_everyone} <= visible
        assert rows.to_house_b not in visible and rows.to_staff not in visible
        assert list(s.scalars(select(AnnouncementRead.id))) == []  # staff's receipts are not theirs
        messaging.mark_announcement_read(s, rows.to_house_a, w.resident.user_id)
        assert set(s.scalars(select(AnnouncementRead.user_id))) == {w.resident.user_id}


def test_the_same_sql_as_the_app_role_with_a_resident_scope_and_no_user_sees_no_conversation(
    rows: Rows,
) -> None:
    w = rows.world
    with as_app(w.org.org_id, scope=Scope.resident(w.a.active)) as c:
        assert c.execute(text("SELECT count(*) FROM conversations")).scalar_one() == 0
        assert c.execute(text("SELECT count(*) FROM messages")).scalar_one() == 0
    with as_app(w.org.org_id, user_id=w.resident.user_id, scope=Scope.resident(w.a.active)) as c:
        assert c.execute(text("SELECT count(*) FROM conversations")).scalar_one() == 1


def test_a_house_manager_sees_their_houses_conversations_not_the_other_houses(rows: Rows) -> None:
    w = rows.world
    scope_a, scope_b = (
        Scope.houses((w.a.house_id,), (w.a.property_id,)),
        Scope.houses((w.b.house_id,), (w.b.property_id,)),
    )
    with tenant_session(w.org.org_id, w.manager_a.user_id, actor_type="test", scope=scope_a) as s:
        assert {rows.mine, rows.theirs} <= set(s.scalars(select(Conversation.id)))
    with tenant_session(w.org.org_id, w.manager_b.user_id, actor_type="test", scope=scope_b) as s:
        assert not {rows.mine, rows.theirs} & set(s.scalars(select(Conversation.id)))
