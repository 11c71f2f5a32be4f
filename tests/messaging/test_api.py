"""Messaging over real HTTP: staff start a conversation with a resident, the resident reads and
answers it under their own session, staff see who has read what; announcements reach the
residents of their house (and only them) and their receipts are staff's to see; whatever is out
of a caller's reach is a 404, and bad input a 422 naming the field."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from core.db import tenant_session
from models.events import DomainEvent
from models.messaging import Message
from tests.factories import OrgFactory
from tests.messaging.world import World, build_world

PDF = b"%PDF-1.4\n% a tiny attachment\n"


@pytest.fixture(scope="module")
def world(stack: str, orgs: OrgFactory) -> World:
    return build_world(orgs)


def _http(stack: str, headers: dict[str, str]) -> httpx.Client:
    return httpx.Client(base_url=stack, headers=headers, timeout=60)


def _start(stack: str, world: World, **body: Any) -> dict[str, Any]:
    payload = {
        "member_user_ids": [str(world.resident.user_id)],
        "subject": "Your letter",
        "body": "Hi, your letter is ready.",
    }
    with _http(stack, world.staff) as http:
        r = http.post("/v1/conversations", json={**payload, **body})
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_staff_and_a_resident_talk_and_staff_see_the_read_state(stack: str, world: World) -> None:
    conv = _start(stack, world)
    assert conv["conversation_type"] == "direct" and conv["house_id"] == str(world.a.house_id)
    cid = conv["id"]
    with _http(stack, world.resident.headers) as me:
        inbox = me.get("/v1/conversations").json()
        assert [(c["id"], c["unread"]) for c in inbox if c["id"] == cid] == [(cid, 1)]
        thread = me.get(f"/v1/conversations/{cid}").json()
        assert [m["body"] for m in thread["messages"]] == ["Hi, your letter is ready."]
        assert me.post(f"/v1/conversations/{cid}/read").status_code == 204
        answer = me.post(
            f"/v1/conversations/{cid}/messages", json={"body": "Thanks, I will come by at five."}
        )
        assert answer.status_code == 201, answer.text
    with _http(stack, world.staff) as staff:
        thread = staff.get(f"/v1/conversations/{cid}").json()
    assert [m["body"] for m in thread["messages"]][-1] == "Thanks, I will come by at five."
    read = {m["user_id"]: m["last_read_at"] for m in thread["members"]}
    assert read[str(world.resident.user_id)] is not None
    # The outbox names the message and its conversation, never its text.
    with tenant_session(world.org.org_id, actor_type="test") as s:
        events = s.scalars(select(DomainEvent).where(DomainEvent.type == "message.sent.v1")).all()
        bodies = {
            m.id: m.body for m in s.scalars(select(Message).where(Message.conversation_id == uuid.UUID(cid)))
        }
    mine = [e for e in events if e.data.get("conversation_id") == cid]
    assert {e.subject_id for e in mine} == set(bodies)
    assert all("come by" not in str(e.data) for e in mine)


def test_another_resident_of_the_same_house_and_another_house_manager_get_404(
    stack: str, world: World
) -> None:
    cid = _start(stack, world)["id"]
    for who in (world.other_resident, world.manager_b):
        with _http(stack, who.headers) as http:
            assert http.get(f"/v1/conversations/{cid}").status_code == 404
            assert http.post(f"/v1/conversations/{cid}/messages", json={"body": "hello"}).status_code == 404
            assert http.post(f"/v1/conversations/{cid}/read").status_code == 404
            assert cid not in {c["id"] for c in http.get("/v1/conversations").json()}
    # The manager of the resident's house sees it (house-scoped staff), and can join by writing.
    with _http(stack, world.manager_a.headers) as http:
        assert http.get(f"/v1/conversations/{cid}").status_code == 200
        assert (
            http.post(f"/v1/conversations/{cid}/messages", json={"body": "I can drive you."}).status_code
            == 201
        )


def test_a_house_manager_cannot_start_a_conversation_with_another_houses_resident(
    stack: str, world: World
) -> None:
    with _http(stack, world.manager_b.headers) as http:
        r = http.post(
            "/v1/conversations",
            json={"member_user_ids": [str(world.resident.user_id)], "body": "hello"},
        )
    assert r.status_code == 404 and r.json()["field"] == "member_user_ids"
    # A resident cannot start one either: staff start conversations.
    with _http(stack, world.resident.headers) as http:
        r = http.post("/v1/conversations", json={"member_user_ids": [str(world.staff_id)], "body": "hi"})
    assert r.status_code == 403


def test_bad_input_is_a_422_naming_the_field_and_nothing_is_written(stack: str, world: World) -> None:
    cid = _start(stack, world)["id"]
    with _http(stack, world.staff) as http:
        before = len(http.get(f"/v1/conversations/{cid}").json()["messages"])
        r = http.post(f"/v1/conversations/{cid}/messages", json={"body": "   "})
        assert r.status_code == 422 and r.json()["field"] == "body"
        r = http.post("/v1/conversations", json={"member_user_ids": [], "body": "x"})
        assert r.status_code == 422 and "member_user_ids" in r.text
        r = http.post("/v1/announcements", json={"audience": "house", "title": "x", "body": "y"})
        assert r.status_code == 422 and r.json()["field"] == "house_id"
        assert len(http.get(f"/v1/conversations/{cid}").json()["messages"]) == before


def test_an_attachment_goes_through_the_file_store_and_only_members_download_it(
    stack: str, world: World
) -> None:
    cid = _start(stack, world)["id"]
    with _http(stack, world.staff) as http:
        up = http.post("/v1/message-attachments", files={"file": ("letter.pdf", PDF, "application/pdf")})
        assert up.status_code == 201, up.text
        fid = up.json()["file_upload_id"]
        sent = http.post(
            f"/v1/conversations/{cid}/messages", json={"body": "The letter", "file_upload_id": fid}
        )
        assert sent.status_code == 201 and sent.json()["has_attachment"]
        bad = http.post("/v1/message-attachments", files={"file": ("x.pdf", b"not a pdf", "application/pdf")})
        assert bad.status_code == 422 and bad.json()["field"] == "file"
    mid = sent.json()["id"]
    with _http(stack, world.resident.headers) as http:
        got = http.get(f"/v1/messages/{mid}/attachment")
        assert got.status_code == 200 and got.content == PDF and got.headers["cache-control"] == "no-store"
    with _http(stack, world.other_resident.headers) as http:
        assert http.get(f"/v1/messages/{mid}/attachment").status_code == 404


def test_a_house_announcement_reaches_its_residents_and_staff_see_the_receipts(
    stack: str, world: World
) -> None:
    with _http(stack, world.manager_a.headers) as http:
        r = http.post(
            "/v1/announcements",
            json={
                "audience": "house",
                "house_id": str(world.a.house_id),
                "title": "Water off",
                "body": "Tuesday 9-11.",
            },
        )
        assert r.status_code == 201, r.text
        aid = r.json()["id"]
        # Another house's manager may not address house A; house A's may not address house B.
        assert (
            http.post(
                "/v1/announcements",
                json={"audience": "house", "house_id": str(world.b.house_id), "title": "x", "body": "y"},
            ).status_code
            == 404
        )
    with _http(stack, world.resident.headers) as me:
        mine = {a["id"]: a for a in me.get("/v1/announcements").json()}
        assert mine[aid]["read"] is False and mine[aid]["body"] == "Tuesday 9-11."
        assert me.post(f"/v1/announcements/{aid}/read").status_code == 204
        assert me.post(f"/v1/announcements/{aid}/read").status_code == 204  # once is enough
        assert {a["id"]: a["read"] for a in me.get("/v1/announcements").json()}[aid] is True
        assert me.get(f"/v1/announcements/{aid}/reads").status_code == 403
    with _http(stack, world.manager_b.headers) as http:
        assert aid not in {a["id"] for a in http.get("/v1/announcements").json()}
        assert http.get(f"/v1/announcements/{aid}/reads").status_code == 404
    with _http(stack, world.staff) as http:
        receipts = http.get(f"/v1/announcements/{aid}/reads").json()
    assert [r["user_id"] for r in receipts] == [str(world.resident.user_id)]


def test_staff_only_announcements_never_reach_residents(stack: str, world: World) -> None:
    with _http(stack, world.staff) as http:
        r = http.post("/v1/announcements", json={"audience": "staff", "title": "Rota", "body": "New rota."})
        assert r.status_code == 201
    with _http(stack, world.resident.headers) as me:
        assert r.json()["id"] not in {a["id"] for a in me.get("/v1/announcements").json()}
        assert me.post(f"/v1/announcements/{r.json()['id']}/read").status_code == 404


def test_a_house_manager_talks_with_a_colleague_and_the_conversation_stays_in_their_house(
    stack: str, world: World
) -> None:
    with _http(stack, world.manager_a.headers) as http:
        r = http.post(
            "/v1/conversations", json={"member_user_ids": [str(world.staff_id)], "body": "Van free?"}
        )
        assert r.status_code == 201, r.text
        assert r.json()["house_id"] == str(world.a.house_id)
    with _http(stack, world.manager_b.headers) as http:
        assert http.get(f"/v1/conversations/{r.json()['id']}").status_code == 404
    with _http(stack, world.staff) as http:
        assert http.get(f"/v1/conversations/{r.json()['id']}").status_code == 200


def test_a_house_manager_cannot_announce_to_the_whole_org(stack: str, world: World) -> None:
    with _http(stack, world.manager_a.headers) as http:
        r = http.post("/v1/announcements", json={"audience": "org", "title": "All", "body": "Everyone"})
    assert r.status_code == 422 and r.json()["field"] == "audience"


def test_another_orgs_staff_and_residents_get_404_and_write_nothing(
    stack: str, orgs: OrgFactory, world: World
) -> None:
    cid = _start(stack, world)["id"]
    with _http(stack, world.staff) as http:
        before = len(http.get(f"/v1/conversations/{cid}").json()["messages"])
        aid = http.post(
            "/v1/announcements", json={"audience": "org", "title": "Hours", "body": "9-5"}
        ).json()["id"]
    stranger = build_world(orgs)
    for headers in (stranger.staff, stranger.resident.headers):
        with _http(stack, headers) as http:
            assert http.get(f"/v1/conversations/{cid}").status_code == 404
            assert http.post(f"/v1/conversations/{cid}/messages", json={"body": "hi"}).status_code == 404
            assert http.post(f"/v1/announcements/{aid}/read").status_code == 404
            assert aid not in {a["id"] for a in http.get("/v1/announcements").json()}
    with _http(stack, stranger.staff) as http:
        assert http.get(f"/v1/announcements/{aid}/reads").status_code == 404
        r = http.post(
            "/v1/conversations", json={"member_user_ids": [str(world.resident.user_id)], "body": "hi"}
        )
        assert r.status_code == 404
    with _http(stack, world.staff) as http:
        assert len(http.get(f"/v1/conversations/{cid}").json()["messages"]) == before
        assert http.get(f"/v1/announcements/{aid}/reads").json() == []
