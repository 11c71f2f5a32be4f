"""The house sections of the resident's home page over real HTTP: a resident asks for a pass
from the home page (the same pass process the staff API starts: staff see it waiting and
approve it as usual), checks in for the day and the night, tells staff about a meeting (it
counts toward "1 of 3" once staff confirm it) and sees this week's chores. Bad input sends the
home page back with the field named and writes nothing; a housemate gets 404 for the pass by
URL; a resident who no longer lives in a house sees "not available", never an error."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import func, select

from core.db import tenant_session
from core.enums import UserRole
from core.notify import RecordingNotifier
from models.operations import DailyCheckIn, MeetingAttendance, Pass
from models.operations_extended import CurfewCheckIn
from tests.factories import OrgFactory
from tests.messaging.world import Login
from tests.resident_pages.conftest import ask_for_link, email_of
from tests.resident_pages.world import CHORES, Pages, build_pages
from tests.scope.world import add_login


@pytest.fixture(scope="module")
def pages(stack: str, orgs: OrgFactory) -> Pages:
    return build_pages(stack, orgs)


@contextmanager
def signed_in(
    stack: str, pages: Pages, outbox: RecordingNotifier, user_id: uuid.UUID
) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack, timeout=60, headers={"Origin": stack}) as http:
        link = ask_for_link(http, outbox, email_of(pages.world.org.org_id, user_id))
        assert http.post(link).status_code == 303
        yield http


def form_value(html: str, name: str) -> str:
    return html.split(f'name="{name}" value="', 1)[1].split('"', 1)[0]


def count(
    pages: Pages, model: type[Pass | DailyCheckIn | CurfewCheckIn | MeetingAttendance], who: uuid.UUID
) -> int:
    with tenant_session(pages.world.org.org_id, actor_type="test") as s:
        return s.scalar(select(func.count()).select_from(model).where(model.resident_id == who)) or 0


def a_pass(home: str, **changes: str) -> dict[str, str]:
    """Tomorrow's day pass, as the home page's form sends it."""
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    form = {
        "csrf": form_value(home, "csrf"),
        "key": form_value(home, "key") if 'name="key"' in home else str(uuid.uuid4()),
        "pass_type": "day",
        "leave_day": tomorrow,
        "leave_time": "10:00",
        "back_day": tomorrow,
        "back_time": "18:00",
        "destination": "My sister's home",
        "reason": "Her birthday",
    }
    return {**form, **changes}


def test_a_resident_asks_for_a_pass_from_home_and_staff_approve_it_as_usual(
    stack: str, pages: Pages, outbox: RecordingNotifier
) -> None:
    w = pages.world
    with signed_in(stack, pages, outbox, w.resident.user_id) as http:
        home = http.get("/me").text
        assert "Ask for a pass" in home and "You have no passes yet." in home

        # Bad input: the home page comes back naming the field by its label; nothing written.
        for changes, label, field in (
            ({"back_time": "09:00"}, "Back by (time)", "back_time"),
            ({"destination": "  "}, "Where you will be", "destination"),
            ({"pass_type": "extended"}, "Kind of pass", "pass_type"),
            ({"leave_day": "not a day"}, "Day you leave", "leave_day"),
            (
                {"back_day": (datetime.now(UTC) + timedelta(days=3)).date().isoformat()},
                "Back by (time)",
                "back_time",
            ),
            ({"leave_day": "2020-01-01", "back_day": "2020-01-01"}, "Time you leave", "leave_time"),
        ):
            bad = http.post("/me/passes", data=a_pass(home, **changes))
            assert bad.status_code == 422, (changes, bad.text[:300])
            assert f'id="pass-error">{label}' in bad.text.replace("&#x27;", "'"), changes
            assert f'name="{field}"' in bad.text and 'aria-describedby="pass-error"' in bad.text
            assert bad.headers["cache-control"] == "no-store"
        assert http.post("/me/passes", data={**a_pass(home), "csrf": "forged"}).status_code == 403
        assert count(pages, Pass, w.a.active) == 0

        # Asked (twice with the same form: one pass), it waits for staff.
        form = a_pass(home)
        sent = [http.post("/me/passes", data=form) for _ in range(2)]
        assert {r.status_code for r in sent} == {303}
        assert sent[0].headers["location"] == sent[1].headers["location"]
        assert count(pages, Pass, w.a.active) == 1
        pass_id = sent[0].headers["location"].removeprefix("/me/passes/")
        mine = http.get(f"/me/passes/{pass_id}")
        assert mine.status_code == 200 and "My sister&#x27;s home" in mine.text
        assert mine.headers["cache-control"] == "no-store"
        assert "default-src 'none'" in mine.headers["content-security-policy"]
        assert "Waiting for staff" in mine.text and f"/me/passes/{pass_id}" in http.get("/me").text

    with httpx.Client(base_url=stack, headers=w.manager_a.headers, timeout=60) as staff:
        waiting = staff.get(
            "/v1/operations/passes", params={"resident_id": str(w.a.active), "status": "requested"}
        ).json()["items"]
        assert [p["id"] for p in waiting] == [pass_id]
        assert waiting[0]["workflow_id"].startswith("operations/")
        decided = staff.post(
            f"/v1/operations/passes/{pass_id}/decision", json={"approve": True, "note": "Call at 3 pm"}
        )
        assert decided.status_code == 200 and decided.json()["status"] == "approved"

    with signed_in(stack, pages, outbox, w.resident.user_id) as http:
        page = http.get(f"/me/passes/{pass_id}").text
        assert "Approved" in page and "Call at 3 pm" in page

    # The housemate: the pass is a 404 by URL and is not on their home page.
    with signed_in(stack, pages, outbox, w.other_resident.user_id) as http:
        assert http.get(f"/me/passes/{pass_id}").status_code == 404
        home = http.get("/me").text
        assert pass_id not in home and "You have no passes yet." in home
        assert "No chores for you this week." in home and CHORES[0][0] not in home


def test_a_resident_checks_in_reports_a_meeting_and_sees_their_chores_and_progress(
    stack: str, pages: Pages, outbox: RecordingNotifier
) -> None:
    w = pages.world
    with signed_in(stack, pages, outbox, w.resident.user_id) as http:
        home = http.get("/me").text
        for name, _day in CHORES:
            assert name in home
        assert "To do" in home
        assert "<strong>0 of 3</strong> outside meetings" in home
        assert "<strong>0 of 1</strong> house meetings" in home
        csrf = form_value(home, "csrf")

        # Check in for the day (a second tap changes nothing) and for the night.
        for _ in range(2):
            done = http.post("/me/check-in", data={"csrf": csrf, "note": "At work until 5."})
            assert done.status_code == 303
        assert count(pages, DailyCheckIn, w.a.active) == 1
        assert http.post("/me/curfew", data={"csrf": csrf}).status_code == 303
        assert count(pages, CurfewCheckIn, w.a.active) == 1
        home = http.get("/me").text
        assert 'id="checked-in"' in home and 'id="home-tonight"' in home

        # A meeting: bad input names the field; a good report waits for staff.
        today = datetime.now(UTC).date()
        future = (today + timedelta(days=2)).isoformat()
        for data, label in (
            ({"kind": "aa", "day": future}, "Day you went"),
            ({"kind": "house_meeting", "day": today.isoformat()}, "Kind of meeting"),
            ({"kind": "aa", "day": today.isoformat(), "name": "x" * 201}, "Name of the meeting"),
        ):
            bad = http.post("/me/meetings", data={"csrf": csrf, **data})
            assert bad.status_code == 422 and f'id="meeting-error">{label}' in bad.text, data
        assert count(pages, MeetingAttendance, w.a.active) == 0
        sent = http.post(
            "/me/meetings", data={"csrf": csrf, "kind": "aa", "day": today.isoformat(), "name": "Noon group"}
        )
        assert sent.status_code == 303
        assert 'id="meetings-waiting">1 you told us about' in http.get("/me").text

    with httpx.Client(base_url=stack, headers=w.manager_a.headers, timeout=60) as staff:
        house = f"/v1/houses/{w.a.house_id}"
        (report,) = staff.get(
            f"{house}/attendance", params={"resident_id": str(w.a.active), "verified": "false"}
        ).json()["items"]
        ok = staff.post(f"{house}/attendance/{report['id']}/verification", json={"confirmed": True})
        assert ok.status_code == 200

    with signed_in(stack, pages, outbox, w.resident.user_id) as http:
        home = http.get("/me").text
        assert "<strong>1 of 3</strong> outside meetings" in home and "meetings-waiting" not in home


def test_a_resident_who_no_longer_lives_in_a_house_sees_not_available(
    stack: str, pages: Pages, outbox: RecordingNotifier
) -> None:
    w = pages.world
    gone = Login(*add_login(w.org.org_id, UserRole.RESIDENT, resident_id=w.a.discharged))
    with signed_in(stack, pages, outbox, gone.user_id) as http:
        home = http.get("/me")
        assert home.status_code == 200
        assert home.text.count("Not available") == 4 and 'id="pass-form"' not in home.text
        csrf = form_value(home.text, "csrf")
        asked = http.post("/me/passes", data=a_pass(home.text))
        assert asked.status_code == 409 and 'id="form-error">Passes are not available' in asked.text
        assert http.post("/me/check-in", data={"csrf": csrf}).status_code == 409
        assert http.post("/me/curfew", data={"csrf": csrf}).status_code == 409
        assert (
            http.post("/me/meetings", data={"csrf": csrf, "kind": "aa", "day": "2026-12-01"}).status_code
            == 409
        )
    assert count(pages, Pass, w.a.discharged) == 0
    assert count(pages, DailyCheckIn, w.a.discharged) == 0
