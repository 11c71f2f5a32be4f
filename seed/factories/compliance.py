"""Compliance rows of the demo seed: consents, residents' contacts, business associate agreements."""

from __future__ import annotations

import factory

from core.contracts.consent import ConsentKind
from core.enums import BaaStatus, ConsentStatus
from models.compliance import BaaRecord, Consent
from models.residents import ResidentContact
from seed.factories.base import ResidentRowFactory


class ConsentFactory(ResidentRowFactory[Consent]):
    """An active consent of the resident of `plan`, from their move-in day."""

    class Meta:
        model = Consent

    status = ConsentStatus.ACTIVE
    kind = ConsentKind.SPECIFIC_PURPOSE
    form_version = "specific_purpose/2024.1"
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


class ResidentContactFactory(ResidentRowFactory[ResidentContact]):
    """Someone in the life of the resident of `plan`: `person` (a Person) gives the name."""

    class Meta:
        model = ResidentContact

    class Params:
        person = None

    first_name = factory.SelfAttribute("person.first")
    last_name = factory.SelfAttribute("person.last")
