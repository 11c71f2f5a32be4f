"""Compliance rows of the demo seed: consents and business associate agreements."""

from __future__ import annotations

import factory

from core.enums import BaaStatus, ConsentStatus
from models.compliance import BaaRecord, Consent


class ConsentFactory(factory.Factory[Consent]):
    """An active consent of the resident of `plan` (the seed's Plan), from their move-in day."""

    class Meta:
        model = Consent

    class Params:
        plan = None

    resident_id = factory.SelfAttribute("plan.id")
    status = ConsentStatus.ACTIVE
    effective_date = factory.SelfAttribute("plan.move_in")


class BaaRecordFactory(factory.Factory[BaaRecord]):
    """An active agreement, in effect from the day it was signed; `contact` (a Person) is the
    vendor's contact, when there is one."""

    class Meta:
        model = BaaRecord

    class Params:
        contact = None

    status = BaaStatus.ACTIVE
    effective_date = factory.SelfAttribute("signed_date")
    contact_name = factory.LazyAttribute(lambda o: o.contact.full if o.contact else None)
