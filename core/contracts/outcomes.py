"""Follow-up after discharge: what the journey hands over and what the survey page tells the
follow-up workflow. Ids, dates and numbers only."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from core.process import Actor, Process

# The family's name in workflow ids: `outcomes/<org>/<discharge id>`.
OUTCOMES = Process("outcomes")
# The journey starts it by this type name (admission never imports the reports family).
FOLLOW_UP_WORKFLOW = "OutcomeFollowUp"
ANSWERED_SIGNAL = "answered"
# Days after discharge at which the resident is asked.
WAVES = (30, 90, 180)
# Unanswered this long after it went out: one reminder; then the wave is closed.
REMIND_AFTER = timedelta(days=7)
CLOSE_AFTER = timedelta(days=14)
SEND_AT = time(17)  # UTC: a daytime hour in every US time zone
NAMESPACE = uuid.UUID("1b7b6f0e-2f0e-4d1e-9a51-6c0a3d1f5e27")


def survey_id(discharge_id: uuid.UUID, wave: int) -> uuid.UUID:
    """A wave's row id, the same for the workflow, its retries and the seed."""
    return uuid.uuid5(NAMESPACE, f"{discharge_id}:{wave}")


def send_at(day: date) -> datetime:
    return datetime.combine(day, SEND_AT, UTC)


@dataclass(frozen=True)
class FollowUpInput:
    actor: Actor
    discharge_id: uuid.UUID
    resident_id: uuid.UUID
    house_id: uuid.UUID
    discharged_on: date


@dataclass(frozen=True)
class Answered:
    """A wave was answered on the survey page; `no_contact` asks that nothing more be sent."""

    wave: int
    no_contact: bool
