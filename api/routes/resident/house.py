"""What a resident does about their house from the home page: ask for a pass (it starts the
same pass process the staff API starts, so staff approve it as usual), tell staff about a
meeting they went to (staff confirm it later), check in for the day, and check in for the
night; and one pass's page.

Every form needs this session's CSRF token and our own origin. Bad input sends the home page
back (422) with a message naming the field by its label, and writes nothing. Whatever is
written is for the signed-in resident: their id comes from the session, never from the form.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session
from temporalio.client import Client

from api.deps import temporal_client
from api.processes import ProcessConfig, Processes, StillRunning, process_config
from api.routes.operations.passes import PassIn, start_pass
from api.routes.resident import house_html, render
from api.routes.resident.house_html import Form as Sent
from api.routes.resident.pages import MaybeMe, home_page
from api.routes.resident.session import forged, to_sign_in
from core.contracts.safety import PassRequest
from core.enums import CheckInStatus, MeetingKind, PassType
from core.errors import Conflict, DomainError, NotFound
from models.residents import Resident
from services.operations import checkins, curfew, meetings, passes
from services.operations.checkins import DailyAnswers
from services.operations.meetings import SelfReport
from services.resident import house
from workflows.operations import OPERATIONS

router = APIRouter(include_in_schema=False)
ClientDep = Annotated[Client, Depends(temporal_client)]
ConfigDep = Annotated[ProcessConfig, Depends(process_config)]
# A pass asked for a moment ago still counts as "now" (the page was open a while).
LATE_START = timedelta(minutes=15)
NAME_MAX, DESTINATION_MAX, REASON_MAX, NOTE_MAX = 200, 200, 500, 2000


class Bad(Exception):
    """A form field the resident must fix: the field's name and a message that names its label."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _done(anchor: str) -> Response:
    return RedirectResponse(f"/me#{anchor}", status_code=303, headers={"Cache-Control": "no-store"})


def _living(s: Session, resident_id: uuid.UUID) -> bool:
    r = s.get(Resident, resident_id)
    return r is not None and house.living(r)


# --- passes ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PassForm:
    pass_type: str
    leave_day: str
    leave_time: str
    back_day: str
    back_time: str
    destination: str
    reason: str
    key: str

    def values(self) -> dict[str, str]:
        return dict(vars(self))


def _day(value: str, field: str, label: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise Bad(field, f"{label}: pick a day.") from None


def _time(value: str, field: str, label: str) -> time:
    try:
        return time.fromisoformat(value.strip())
    except ValueError:
        raise Bad(field, f"{label}: pick a time.") from None


def read_pass(f: PassForm, resident_id: uuid.UUID, zone: ZoneInfo, now: datetime) -> PassRequest:
    """The form as the pass service's request, or Bad naming the first field to fix."""
    if f.pass_type not in {t.value for t in house.RESIDENT_PASS_TYPES}:
        raise Bad("pass_type", "Kind of pass: choose a day pass or an overnight pass.")
    kind = PassType(f.pass_type)
    leaves = datetime.combine(
        _day(f.leave_day, "leave_day", "Day you leave"),
        _time(f.leave_time, "leave_time", "Time you leave"),
        zone,
    )
    back = datetime.combine(
        _day(f.back_day, "back_day", "Day you come back"),
        _time(f.back_time, "back_time", "Back by (time)"),
        zone,
    )
    if leaves < now - LATE_START:
        raise Bad("leave_time", "Time you leave: that time has already passed.")
    if leaves > now + timedelta(days=60):
        raise Bad("leave_day", "Day you leave: ask at most 60 days ahead.")
    if back <= leaves:
        raise Bad("back_time", "Back by (time): it must be after the time you leave.")
    longest = passes.LONGEST[kind]
    if back - leaves > longest:
        hours = int(longest.total_seconds() // 3600)
        raise Bad("back_time", f"Back by (time): a {kind.value} pass is at most {hours} hours long.")
    destination, reason = f.destination.strip(), f.reason.strip()
    if not destination:
        raise Bad("destination", "Where you will be: please fill this in.")
    if len(destination) > DESTINATION_MAX:
        raise Bad("destination", f"Where you will be: use at most {DESTINATION_MAX} letters.")
    if len(reason) > REASON_MAX:
        raise Bad("reason", f"Why: use at most {REASON_MAX} letters.")
    return PassRequest(
        resident_id, kind, leaves.astimezone(UTC), back.astimezone(UTC), destination, reason or None
    )


@router.post("/me/passes", response_class=HTMLResponse)
async def ask_for_pass(
    request: Request,
    me: MaybeMe,
    client: ClientDep,
    config: ConfigDep,
    pass_type: Annotated[str, Form()] = "",
    leave_day: Annotated[str, Form()] = "",
    leave_time: Annotated[str, Form()] = "",
    back_day: Annotated[str, Form()] = "",
    back_time: Annotated[str, Form()] = "",
    destination: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
    key: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    if me is None:
        return to_sign_in()
    if (refused := forged(request, me, csrf)) is not None:
        return refused
    f = PassForm(pass_type, leave_day, leave_time, back_day, back_time, destination, reason, key)
    if not await me.db.run(_living, me.resident_id):
        text = "Passes are not available to you now."
        return await home_page(me, Sent("pass", "pass_type", text, f.values()), 409)
    zone = await me.db.run(curfew.org_zone)
    try:
        req = read_pass(f, me.resident_id, zone, datetime.now(UTC))
    except Bad as bad:
        return await home_page(me, Sent("pass", bad.field, bad.message, f.values()), 422)
    processes = Processes(client, me.p, config)
    body = PassIn(
        resident_id=req.resident_id,
        pass_type=req.pass_type,
        departs_at=req.departs_at,
        returns_at=req.returns_at,
        destination=req.destination,
        reason=req.reason,
    )
    # The form's own key: pressing "Ask" twice (or the phone sending it again) asks once.
    idem = key.strip() if 0 < len(key.strip()) <= 255 else None
    try:
        pass_id, _ = await processes.claim(OPERATIONS, f"me-pass-{idem}" if idem else None, body)
    except Conflict:
        return await home_page(
            me, Sent("pass", "pass_type", "This form was already sent with other answers.", f.values()), 409
        )
    try:
        await start_pass(processes, pass_id, req)
    except StillRunning:
        # Recorded in a moment (no worker answered in time): the list on home shows it then.
        return _done("passes-h")
    return RedirectResponse(f"/me/passes/{pass_id}", status_code=303, headers={"Cache-Control": "no-store"})


@router.get("/me/passes/{pass_id}", response_class=HTMLResponse)
async def pass_page(me: MaybeMe, pass_id: uuid.UUID) -> Response:
    """One of the resident's passes; anyone else's is the database's "no row": 404."""
    if me is None:
        return to_sign_in()
    try:
        p = await me.db.run(lambda s: house.pass_row(passes.get_pass(s, pass_id)))
    except NotFound:
        return render.not_found(me.csrf, me.house)
    zone = await me.db.run(curfew.org_zone)
    body = house_html.pass_page(p, zone)
    return render.page(house_html.PASS_TYPE_WORDS[p.pass_type], body, csrf=me.csrf, house=me.house)


# --- meetings --------------------------------------------------------------------------------


def read_meeting(kind: str, day: str, name: str, resident_id: uuid.UUID, today: date) -> SelfReport:
    if kind not in {k.value for k in house.SELF_REPORT_KINDS}:
        raise Bad("kind", "Kind of meeting: choose one from the list.")
    went = _day(day, "day", "Day you went")
    if went > today:
        raise Bad("day", "Day you went: it cannot be a day still to come.")
    if went < today - timedelta(days=31):
        raise Bad("day", "Day you went: tell us within a month of the meeting.")
    if len(name.strip()) > NAME_MAX:
        raise Bad("name", f"Name of the meeting: use at most {NAME_MAX} letters.")
    # Noon that day: a day, not a moment, is what the resident knows.
    at = datetime.combine(went, time(12), UTC)
    return SelfReport(resident_id, MeetingKind(kind), at, name.strip() or None)


@router.post("/me/meetings", response_class=HTMLResponse)
async def report_meeting(
    request: Request,
    me: MaybeMe,
    kind: Annotated[str, Form()] = "",
    day: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """The resident's self-report through the staff's own self-report service, in the
    resident's scope; it counts once staff confirm it."""
    if me is None:
        return to_sign_in()
    if (refused := forged(request, me, csrf)) is not None:
        return refused
    values = {"kind": kind, "day": day, "name": name}
    if not await me.db.run(_living, me.resident_id):
        return await home_page(me, Sent("meeting", "kind", "This is not available to you now.", values), 409)
    zone = await me.db.run(curfew.org_zone)
    try:
        report = read_meeting(kind, day, name, me.resident_id, datetime.now(zone).date())
        await me.db.run(_report, report)
    except Bad as bad:
        return await home_page(me, Sent("meeting", bad.field, bad.message, values), 422)
    except DomainError:
        text = "Day you went: you did not live in one of our houses that day."
        return await home_page(me, Sent("meeting", "day", text, values), 422)
    return _done("meetings-h")


def _report(s: Session, r: SelfReport) -> None:
    meetings.report_attendance(s, r)


# --- check-ins -------------------------------------------------------------------------------


@router.post("/me/check-in", response_class=HTMLResponse)
async def check_in(
    request: Request,
    me: MaybeMe,
    note: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Today's daily check-in (one a day), with an optional note for staff (stored encrypted)."""
    if me is None:
        return to_sign_in()
    if (refused := forged(request, me, csrf)) is not None:
        return refused
    values = {"note": note}
    if len(note.strip()) > NOTE_MAX:
        text = f"Note for staff: use at most {NOTE_MAX} letters."
        return await home_page(me, Sent("check-in", "note", text, values), 422)
    if not await me.db.run(_living, me.resident_id):
        text = "Check-in is not available to you now."
        return await home_page(me, Sent("check-in", "note", text, values), 409)
    now = datetime.now(UTC)
    zone = await me.db.run(curfew.org_zone)
    today = now.astimezone(zone).date()
    answers = DailyAnswers(today, CheckInStatus.ON_TIME, "app", {}, note.strip() or None)
    try:
        await me.db.run(checkins.record_daily, me.resident_id, answers, now)
    except Conflict:
        pass  # checked in already today (a second tap): the page says so
    except DomainError:
        text = "Check-in is not available to you now."
        return await home_page(me, Sent("check-in", "note", text, values), 409)
    return _done("check-in-h")


def _home_tonight(s: Session, resident_id: uuid.UUID, at: datetime) -> None:
    curfew.record_check_in(s, resident_id, at, "app", None, None)


@router.post("/me/curfew", response_class=HTMLResponse)
async def home_tonight(request: Request, me: MaybeMe, csrf: Annotated[str, Form()] = "") -> Response:
    """The night's curfew check-in (on time or late by the house's curfew). It runs org-wide
    because the house's curfew rules are not in a resident's scope (services/resident/house.py);
    the resident is the session's own."""
    if me is None:
        return to_sign_in()
    if (refused := forged(request, me, csrf)) is not None:
        return refused
    if not await me.db.run(_living, me.resident_id):
        return await home_page(me, Sent("curfew", "", "Check-in is not available to you now.", {}), 409)
    try:
        await me.org_db.run(_home_tonight, me.resident_id, datetime.now(UTC))
    except DomainError:
        return await home_page(me, Sent("curfew", "", "There is no curfew to check in for.", {}), 409)
    return _done("check-in-h")
