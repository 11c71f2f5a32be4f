"""Intake's data: what staff record about an inquiry, as the intake workflow carries it to the
activity that stores it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from core.enums import HouseGender, LeadSource


@dataclass(frozen=True)
class NewLead:
    """What a staff member records about an inquiry. PHI: it lives in the database, and in a
    workflow input only until the first activity has stored it."""

    first_name: str
    last_name: str
    email: str | None = None
    phone: str | None = None
    source: LeadSource = LeadSource.OTHER
    notes: str | None = None
    date_of_birth: date | None = None
    primary_substance: str | None = None
    housing_gender: HouseGender | None = None
    desired_move_in_date: date | None = None
    house_preference_id: uuid.UUID | None = None
    # Set by the API for a lead created with a referral partner's key, never by the caller.
    referred_by_api_key_id: uuid.UUID | None = None
