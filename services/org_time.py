"""The org's time zone (`organizations.timezone`): its dates (a move-in today, a curfew night,
a draw day) are days where it is (core/localtime.py)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from core import localtime
from models.orgs import Organization


def org_zone_name(session: Session) -> str:
    org = session.get(Organization, session.info["actor"]["org_id"])
    return org.timezone if org is not None else localtime.UTC_NAME


def org_zone(session: Session) -> ZoneInfo:
    return localtime.zone(org_zone_name(session))
