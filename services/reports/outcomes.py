"""Follow-up after discharge, and the outcomes report.

A resident who said yes (`follow_up_consents`) is asked at 30, 90 and 180 days after they leave
(one `follow_up_surveys` row per wave, made when the follow-up starts) through a link to a short
page on their phone. The questions are our own wording (the BARC-10's licence was not checked,
so it is not used): substance use since leaving, housing, work or school, recovery supports, and
five statements on recovery capital answered on a 1-5 scale.

"No contact" on the page, or staff withdrawing the consent, takes effect in the same
transaction: the consent is withdrawn and every wave not yet answered is stopped, and a send
re-checks both before it goes, so nothing more is sent whatever the workflow is doing.

A link's token is `<payload>.<mac>` (ids and expiry in the clear, a keyed HMAC): only its
SHA-256 is stored, while the wave may be answered. The token derives from the wave's fixed
expiry, so a reminder sends the same link.

The outcomes report counts answers per wave, question and answer and shows no count under 11
(a cell that small could identify someone): it is suppressed, as is a whole wave with fewer
than 11 answers."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from core.config import get_settings
from core.contracts.outcomes import WAVES, FollowUpInput, send_at, survey_id
from core.enums import MessageChannel
from core.errors import Conflict, NotFound, Rejected
from core.fieldcrypt import blind_digest
from core.wording import neutral
from models.orgs import House
from models.reports import FollowUpConsent, FollowUpSurvey
from models.residents import Resident
from services.reports.base import Chart, Column, Kind, Report, visible_houses

SMALL_CELL = 11
LINK_DAYS = 21
_TOKEN = re.compile(r"^([0-9a-f]{32})([0-9a-f]{32})([0-9a-f]{10})\.([A-Za-z0-9_-]{22})$")


@dataclass(frozen=True)
class Question:
    key: str
    text: str
    options: tuple[tuple[str, str], ...]


PREFER_NOT = ("prefer_not", "I'd rather not say")
QUESTIONS = (
    Question(
        "use",
        "Since you left, have you used alcohol or drugs?",
        (("no", "No"), ("once", "Once or twice"), ("more", "More than that"), PREFER_NOT),
    ),
    Question(
        "housing",
        "Where are you living now?",
        (
            ("own", "My own place, or renting"),
            ("family", "With family or friends"),
            ("recovery_home", "Another recovery residence"),
            ("care", "A treatment program or hospital"),
            ("unhoused", "A shelter or no fixed place"),
            ("other", "Somewhere else"),
            PREFER_NOT,
        ),
    ),
    Question(
        "work",
        "Are you working or in school?",
        (
            ("work", "Working"),
            ("school", "In school or training"),
            ("both", "Both"),
            ("neither", "Neither"),
            PREFER_NOT,
        ),
    ),
    Question(
        "supports",
        "Are you in touch with recovery supports, such as meetings, a peer or sponsor, or counselling?",
        (("yes", "Yes"), ("no", "No"), PREFER_NOT),
    ),
)
SCALE = tuple(
    (str(n), label)
    for n, label in enumerate(("Not at all", "A little", "Somewhat", "Mostly", "Completely"), 1)
)
CAPITAL = (
    Question("people", "I have people I can turn to.", SCALE),
    Question("control", "I feel in charge of my own life.", SCALE),
    Question("home", "I have a safe, steady place to live.", SCALE),
    Question("purpose", "I spend my days on things that matter to me.", SCALE),
    Question("hope", "I feel hopeful about what comes next.", SCALE),
)
ALL_QUESTIONS = QUESTIONS + CAPITAL


# --- consent -------------------------------------------------------------------------------


def set_consent(session: Session, resident_id: uuid.UUID, consented: bool, at: datetime) -> FollowUpConsent:
    """Yes (again) or no; no also stops every wave not yet answered, at once."""
    org_id = session.info["actor"]["org_id"]
    if session.get(Resident, resident_id) is None:
        raise NotFound("resident not found", field="resident_id")
    row = session.scalar(select(FollowUpConsent).where(FollowUpConsent.resident_id == resident_id))
    if row is None:
        row = FollowUpConsent(org_id=org_id, resident_id=resident_id, consented_at=at)
        session.add(row)
    if consented:
        row.consented_at, row.withdrawn_at = at, None
    else:
        row.withdrawn_at = row.withdrawn_at or at
        _stop_open_waves(session, resident_id)
    session.flush()
    return row


def _stop_open_waves(session: Session, resident_id: uuid.UUID) -> None:
    session.execute(
        update(FollowUpSurvey)
        .where(FollowUpSurvey.resident_id == resident_id, FollowUpSurvey.status.in_(("scheduled", "sent")))
        .values(status="stopped", token_hash=None)
    )


def consented(session: Session, resident_id: uuid.UUID) -> bool:
    row = session.scalar(select(FollowUpConsent).where(FollowUpConsent.resident_id == resident_id))
    return row is not None and row.withdrawn_at is None


# --- the follow-up's steps ------------------------------------------------------------------


def plan(session: Session, inp: FollowUpInput) -> list[int]:
    """The waves to ask (every one for a resident who consented, none otherwise); their rows are
    written once (a retry finds them)."""
    if not consented(session, inp.resident_id):
        return []
    session.execute(
        pg_insert(FollowUpSurvey)
        .values(
            [
                {
                    "id": survey_id(inp.discharge_id, wave),
                    "org_id": inp.actor.org_id,
                    "resident_id": inp.resident_id,
                    "house_id": inp.house_id,
                    "discharge_id": inp.discharge_id,
                    "wave": wave,
                    "due_date": inp.discharged_on + timedelta(days=wave),
                }
                for wave in WAVES
            ]
        )
        .on_conflict_do_nothing()
    )
    return list(WAVES)


@dataclass(frozen=True)
class Message:
    channel: MessageChannel
    to: str
    subject: str
    body: str
    message_id: str


SUBJECT = "How are you doing?"
BODY = "{house} would like to hear how you are doing. It takes two minutes: {link}"
REMINDER = "A reminder: {house} would still like to hear how you are doing. It takes two minutes: {link}"


def prepare_send(session: Session, sid: uuid.UUID, at: datetime, reminder: bool) -> Message | None:
    """The wave's message (and its link made usable), or None when nothing may be sent: the
    consent was withdrawn, the wave was answered or stopped, or there is no address."""
    survey = session.get(FollowUpSurvey, sid, with_for_update=True)
    if (
        survey is None
        or survey.status not in ("scheduled", "sent")
        or not consented(session, survey.resident_id)
    ):
        return None
    resident = session.get(Resident, survey.resident_id)
    if resident is None:
        return None
    channel, to = (
        (MessageChannel.EMAIL, resident.email) if resident.email else (MessageChannel.SMS, resident.phone)
    )
    if not to:
        return None
    token = make_token(survey.org_id, survey.id, expires_at(survey))
    survey.token_hash = hashlib.sha256(token.encode()).digest()
    if survey.status == "scheduled":
        survey.status, survey.sent_at = "sent", at
    if reminder and survey.reminded_at is None:
        survey.reminded_at = at
    house = session.get(House, survey.house_id)
    place = neutral(house.name if house else None, "your residence")
    text = (REMINDER if reminder else BODY).format(house=place, link=link_url(token))
    kind = "reminder" if reminder else "survey"
    return Message(channel, to, SUBJECT, text[:1].upper() + text[1:], f"<follow-up-{sid}-{kind}@recoveryos>")


def close(session: Session, sid: uuid.UUID) -> bool:
    """A wave left unanswered is closed: its link no longer works. True when it was open."""
    survey = session.get(FollowUpSurvey, sid, with_for_update=True)
    if survey is None or survey.status != "sent":
        return False
    survey.status, survey.token_hash = "expired", None
    return True


def state(session: Session, sid: uuid.UUID) -> str:
    survey = session.get(FollowUpSurvey, sid)
    return survey.status if survey is not None else "stopped"


# --- the link and the page ------------------------------------------------------------------


class LinkError(Conflict):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message, field="link", reason=reason)
        self.reason = reason


def expires_at(survey: FollowUpSurvey) -> datetime:
    return send_at(survey.due_date) + timedelta(days=LINK_DAYS)


def _mac(payload: str) -> str:
    return base64.urlsafe_b64encode(blind_digest("follow-up-link", payload)[:16]).rstrip(b"=").decode()


def make_token(org_id: uuid.UUID, sid: uuid.UUID, expires: datetime) -> str:
    payload = f"{org_id.hex}{sid.hex}{int(expires.timestamp()):010x}"
    return f"{payload}.{_mac(payload)}"


def link_url(token: str) -> str:
    return f"{get_settings().public_base_url.rstrip('/')}/follow-up/{token}"


@dataclass(frozen=True)
class Link:
    org_id: uuid.UUID
    survey_id: uuid.UUID
    token_hash: bytes


def read_token(token: str, now: datetime) -> Link:
    m = _TOKEN.match(token)
    if m is None or not hmac.compare_digest(_mac(token.split(".", 1)[0]), m.group(4)):
        raise LinkError("invalid", "this link is not valid")
    if datetime.fromtimestamp(int(m.group(3), 16), UTC) <= now:
        raise LinkError("expired", "this link has expired")
    return Link(uuid.UUID(m.group(1)), uuid.UUID(m.group(2)), hashlib.sha256(token.encode()).digest())


def open_survey(session: Session, link: Link) -> FollowUpSurvey:
    survey = session.get(FollowUpSurvey, link.survey_id, with_for_update=True)
    if (
        survey is None
        or survey.token_hash is None
        or not hmac.compare_digest(survey.token_hash, link.token_hash)
    ):
        raise LinkError("closed", "this survey is closed")
    return survey


def answer(session: Session, link: Link, form: dict[str, str], at: datetime) -> tuple[uuid.UUID, int, bool]:
    """Store the answers (every one optional, each checked against its question's options) or
    the "no contact" choice; the link stops working. Returns (discharge id, wave, no contact)."""
    survey = open_survey(session, link)
    no_contact = form.get("no_contact") == "yes"
    answers: dict[str, Any] = {}
    for q in ALL_QUESTIONS:
        value = form.get(q.key)
        if value in (None, ""):
            continue
        if value not in dict(q.options):
            raise Rejected(f"not an answer to {q.key}", field=q.key)
        answers[q.key] = value
    survey.answers = {**answers, "no_contact": no_contact}
    survey.status, survey.answered_at, survey.token_hash = "answered", at, None
    if no_contact:
        set_consent(session, survey.resident_id, False, at)
    return survey.discharge_id, survey.wave, no_contact


# --- the report -----------------------------------------------------------------------------


def _cell(n: int) -> int | None:
    return n if n >= SMALL_CELL else None


def outcomes_report(session: Session, house_id: uuid.UUID | None = None) -> Report:
    """Per wave: surveys sent, answered and "no contact"; then each question's answers counted.
    A count under 11 is shown as suppressed (null), and a wave with fewer than 11 answers shows
    none of its answer counts."""
    houses = visible_houses(session, house_id)
    stmt = select(FollowUpSurvey).where(FollowUpSurvey.status != "scheduled")
    if houses is not None:
        stmt = stmt.where(FollowUpSurvey.house_id.in_(houses))
    surveys = session.scalars(stmt).all()
    out: list[dict[str, Any]] = []
    suppressed = 0
    for wave in WAVES:
        mine = [s for s in surveys if s.wave == wave]
        done = [s.answers or {} for s in mine if s.status == "answered"]
        stats = {
            "sent": len(mine),
            "answered": len(done),
            "no contact": sum(1 for a in done if a.get("no_contact")),
        }
        for label, n in stats.items():
            out.append({"wave": wave, "question": "surveys", "answer": label, "count": _cell(n)})
            suppressed += n < SMALL_CELL
        for q in ALL_QUESTIONS:
            for value, label in q.options:
                n = sum(1 for a in done if a.get(q.key) == value)
                shown = _cell(n) if len(done) >= SMALL_CELL else None
                suppressed += shown is None
                out.append({"wave": wave, "question": q.text, "answer": label, "count": shown})
    chart_rows = [
        {"wave": f"{r['wave']} days", "count": r["count"] or 0}
        for r in out
        if r["question"] == "surveys" and r["answer"] == "answered"
    ]
    return Report(
        "outcomes",
        "Outcomes after discharge",
        {**({"house_id": str(house_id)} if house_id else {})},
        [
            Column("wave", "Days after discharge", Kind.COUNT),
            Column("question", "Question"),
            Column("answer", "Answer"),
            Column("count", "Count", Kind.COUNT),
        ],
        out,
        {"suppressed_cells": suppressed},
        charts=[
            Chart(
                "bar",
                "Surveys answered by wave (under 11 not shown)",
                "wave",
                ["count"],
                "answers",
                chart_rows,
            )
        ],
        notes=[f"Counts under {SMALL_CELL} are suppressed (blank), so no cell can identify a person."],
    )
