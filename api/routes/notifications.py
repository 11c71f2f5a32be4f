"""Each signed-in person's own notification settings (`/v1/me/notification-preferences`): which
channels (e-mail, text) for which kinds ("*" for every kind), quiet hours in their own time
zone. Essential kinds (a payment due, a document to sign) ignore opt-outs; nothing is sent in
quiet hours (services/notifications.py)."""

from __future__ import annotations

from datetime import time
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints
from sqlalchemy.orm import Session

from api.auth import Principal
from api.deps import CurrentUser, TenantDep
from core.enums import MessageChannel
from core.errors import Rejected
from services import notifications
from services.notifications import EVERY_KIND, Choice, Kind

router = APIRouter(tags=["notifications"])
# Every notice kind is a choice, or "*" for all of them: the list is the notifier's own.
KindOrEvery = Kind | Literal["*"]


class ChoiceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    channel: Literal["email", "sms"]
    kind: KindOrEvery = "*"
    enabled: StrictBool


# Local wall-clock time, hours and minutes: a time zone or seconds would only confuse.
HourMinute = Annotated[str, StringConstraints(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]


class QuietHours(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start: HourMinute = Field(description="local time quiet hours begin, e.g. 21:00")
    end: HourMinute = Field(description="local time they end, e.g. 08:00 (the next morning)")

    def times(self) -> tuple[time, time]:
        return time.fromisoformat(self.start), time.fromisoformat(self.end)

    @classmethod
    def of(cls, start: time, end: time) -> QuietHours:
        return cls(start=start.strftime("%H:%M"), end=end.strftime("%H:%M"))


class PreferencesIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "time_zone": "America/Chicago",
                    "quiet_hours": {"start": "21:00", "end": "08:00"},
                    "choices": [{"channel": "sms", "kind": "*", "enabled": True}],
                }
            ]
        },
    )
    time_zone: str = Field("UTC", max_length=64, description="IANA time zone of the quiet hours")
    quiet_hours: QuietHours | None = None
    choices: list[ChoiceIn] = Field(default_factory=list, max_length=20)


class PreferencesOut(BaseModel):
    time_zone: str
    quiet_hours: QuietHours | None
    choices: list[ChoiceIn]
    essential_kinds: list[str] = Field(description="sent whatever the choices (outside quiet hours)")


def _me(p: Principal) -> Principal:
    if p.user_id is None:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "an API key has no notification preferences")
    return p


def _read(s: Session, p: Principal) -> PreferencesOut:
    assert p.user_id is not None
    rows = notifications.preferences(s, p.user_id)
    every = next((r for r in rows if r.event_type == EVERY_KIND and r.quiet_start), None)
    return PreferencesOut(
        time_zone=next((r.time_zone for r in rows if r.time_zone), "UTC"),
        quiet_hours=QuietHours.of(every.quiet_start, every.quiet_end)
        if every and every.quiet_start and every.quiet_end
        else None,
        choices=[ChoiceIn(channel=r.channel.value, kind=r.event_type, enabled=r.enabled) for r in rows],
        essential_kinds=sorted(k.value for k, t in notifications.TEMPLATES.items() if t.essential),
    )


@router.get("/v1/me/notification-preferences", response_model=PreferencesOut)
async def my_preferences(p: CurrentUser, db: TenantDep) -> PreferencesOut:
    """Your channels, kinds and quiet hours (defaults: e-mail on, text off, no quiet hours)."""
    return await db.run(_read, _me(p))


@router.put("/v1/me/notification-preferences", response_model=PreferencesOut)
async def set_my_preferences(body: PreferencesIn, p: CurrentUser, db: TenantDep) -> PreferencesOut:
    """Set the choices you name (others stay as they were), your time zone and quiet hours
    (none when left out)."""
    me = _me(p)
    try:
        ZoneInfo(body.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise Rejected(f"unknown time zone {body.time_zone!r}", field="time_zone") from None
    choices = [Choice(MessageChannel(c.channel), str(c.kind), c.enabled) for c in body.choices]
    quiet = body.quiet_hours.times() if body.quiet_hours else None

    def write(s: Session) -> PreferencesOut:
        assert me.user_id is not None
        notifications.set_preferences(s, me.user_id, choices, body.time_zone, quiet)
        return _read(s, me)

    return await db.run(write)
