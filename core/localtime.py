"""An org's calendar: which day it is where the org is (`organizations.timezone`).

A move-in, a transfer or a discharge "today" is the operator's today. Read as a UTC date it is
tomorrow from 19:00 in New York (20:00 in summer), so an evening operator's own today would be
refused as past and a resident admitted then would move in on tomorrow's date."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

UTC_NAME = "UTC"


def zone(name: str) -> ZoneInfo:
    """The zone of that name; UTC for a name the system does not know (never an error)."""
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):
        return ZoneInfo(UTC_NAME)


def local_day(at: datetime, zone_name: str) -> date:
    """The date at the instant `at` in the zone."""
    return at.astimezone(zone(zone_name)).date()


def day_begins(day: date, zone_name: str) -> datetime:
    """The instant `day` begins (local midnight) in the zone."""
    return datetime.combine(day, datetime.min.time(), tzinfo=zone(zone_name))
