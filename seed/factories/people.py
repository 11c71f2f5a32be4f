"""Fake people, their contact details and their logins, for the demo seed and the tests.

factory_boy declarations over one Faker generator. `reseed(n)` resets both factory_boy's and
Faker's random state, so one seed value always yields the same people in the same order.
Everything is fictional: phone numbers are 555-01xx, e-mail domains are under example.*.
Substances, diagnoses and medications are fixed vocabularies because Faker has none.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

import factory
import factory.random
from faker import Faker

from core.contracts.intake import NewLead
from core.enums import ContactRelationship, HouseGender
from models.residents import Resident
from models.users import RoleAssignment, User

FAKE = Faker("en_US")


def reseed(seed_value: int) -> None:
    factory.random.reseed_random(seed_value)


@dataclass(frozen=True)
class Person:
    first: str
    last: str

    @property
    def full(self) -> str:
        return f"{self.first} {self.last}"


class PersonFactory(factory.Factory[Person]):
    """Names of at least five letters: shorter ones would match inside unrelated plaintext
    in the whole-database leak scan."""

    class Meta:
        model = Person

    class Params:
        gender = HouseGender.MEN

    first = factory.LazyAttribute(
        lambda o: _long(FAKE.first_name_male if o.gender is HouseGender.MEN else FAKE.first_name_female)
    )
    last = factory.LazyFunction(lambda: _long(FAKE.last_name))


def _long(draw: Any) -> str:
    name = str(draw())
    while len(name) < 5 or not name.isalpha():
        name = str(draw())
    return name


AREA_CODES = ["828", "704", "919", "336", "252", "910"]


def phone() -> str:
    return f"({FAKE.random_element(AREA_CODES)}) 555-01{FAKE.random_int(0, 99):02d}"


def email(who: Person) -> str:
    local = f"{who.first}.{who.last}{FAKE.random_int(10, 99)}".lower()
    return f"{local}@{FAKE.random_element(['mailbox', 'inbox', 'post'])}.example.{FAKE.tld()}"


TOWNS = [("Weaverville", "NC", "28787"), ("Candler", "NC", "28715"), ("Fletcher", "NC", "28732")]


def address() -> dict[str, Any]:
    town, state, postal = FAKE.random_element(TOWNS)
    line1 = f"{FAKE.random_int(100, 9899)} {FAKE.street_name()}"
    return {"line1": line1, "line2": None, "city": town, "state": state, "postal_code": postal}


def birth_date() -> date:
    return FAKE.date_between_dates(date(1966, 1, 1), date(2003, 12, 28))


# Part 2 vocabularies (only ever written to encrypted fields).
SUBSTANCES = ["fentanyl", "methamphetamine", "oxycodone", "heroin", "cocaine", "alcohol", "benzodiazepines"]
OPIOIDS = ("fentanyl", "oxycodone", "heroin")
DIAGNOSES = {
    "fentanyl": "F11.20 Opioid use disorder, severe",
    "oxycodone": "F11.20 Opioid use disorder, moderate",
    "heroin": "F11.21 Opioid use disorder, in early remission",
    "methamphetamine": "F15.20 Stimulant use disorder, amphetamine-type, severe",
    "cocaine": "F14.20 Stimulant use disorder, cocaine, moderate",
    "alcohol": "F10.20 Alcohol use disorder, moderate",
    "benzodiazepines": "F13.20 Sedative, hypnotic or anxiolytic use disorder, moderate",
}
MEDICATIONS = [
    {"name": "buprenorphine/naloxone", "dose": "8 mg/2 mg SL daily", "prescriber": "Dr. Ophelia Strandberg"},
    {"name": "naltrexone extended-release", "dose": "380 mg IM monthly", "prescriber": "Dr. Casimir Eklund"},
    {"name": "sertraline", "dose": "100 mg daily", "prescriber": "Dr. Ophelia Strandberg"},
    {"name": "methadone", "dose": "90 mg daily (OTP)", "prescriber": "Mountainview Opioid Treatment Program"},
]
ALLERGIES = ["penicillin", "sulfa drugs", "latex", "shellfish", "none known"]
LEGAL = [
    "On county probation through March 2027, reports monthly to probation officer",
    "Participant in adult drug treatment court, phase two",
    "Pending misdemeanor possession charge, court date scheduled for January",
    "No current criminal-justice involvement reported at intake",
]
INSURERS = ["Carolina Medicaid Managed Care", "Appalachian Mutual Health", "Blue Summit Health Plan"]
CONTACT_RELATIONS = [
    ContactRelationship.PARENT,
    ContactRelationship.SPOUSE,
    ContactRelationship.SIBLING,
    ContactRelationship.FRIEND,
]


class UserFactory(factory.Factory[User]):
    """A login. Pass `org_id`, `email` and `password_hash`; the name (from `person`, or given)
    and the phone are fake."""

    class Meta:
        model = User

    class Params:
        person = factory.SubFactory(PersonFactory)

    id = factory.LazyFunction(uuid.uuid4)
    first_name = factory.SelfAttribute("person.first")
    last_name = factory.SelfAttribute("person.last")
    phone = factory.LazyFunction(phone)


class RoleAssignmentFactory(factory.Factory[RoleAssignment]):
    """A role held by `user` (a User, e.g. from UserFactory), org-wide unless given a house or
    property. Flush the user first: only `user_id` is set, so the session does not order the
    two INSERTs."""

    class Meta:
        model = RoleAssignment

    class Params:
        user = None

    org_id = factory.SelfAttribute("user.org_id")
    user_id = factory.SelfAttribute("user.id")


class ResidentFactory(factory.Factory[Resident]):
    """A resident's PHI profile. Pass `id`, `org_id`, `resident_number`, the person and the
    placement; the clinical and insurance details are drawn here."""

    class Meta:
        model = Resident

    class Params:
        person = factory.SubFactory(PersonFactory)
        substance = factory.LazyFunction(lambda: FAKE.random_element(SUBSTANCES))

    first_name = factory.SelfAttribute("person.first")
    last_name = factory.SelfAttribute("person.last")
    date_of_birth = factory.LazyFunction(birth_date)
    email = factory.LazyAttribute(lambda o: email(o.person))
    phone = factory.LazyFunction(phone)
    ssn_last4 = factory.LazyFunction(lambda: str(FAKE.random_int(1000, 9999)))
    prior_address = factory.LazyFunction(address)
    emergency_medical_info = factory.LazyAttribute(
        lambda o: (
            f"{o.person.first} carries naloxone; history of {o.substance} overdose in "
            f"{FAKE.random_int(2019, 2025)}. Seizure precautions; physician "
            f"Dr. Ophelia Strandberg, {phone()}."
        )
    )
    primary_substance = factory.SelfAttribute("substance")
    drugs_of_choice = factory.LazyAttribute(
        lambda o: [o.substance, FAKE.random_element([x for x in SUBSTANCES if x != o.substance])]
    )
    diagnoses = factory.LazyAttribute(lambda o: [DIAGNOSES[o.substance]])
    medications = factory.LazyAttribute(
        lambda o: [FAKE.random_element(MEDICATIONS)] if o.substance in OPIOIDS else []
    )
    allergies = factory.LazyFunction(lambda: [FAKE.random_element(ALLERGIES)])
    legal_status = factory.LazyFunction(lambda: FAKE.random_element(LEGAL))
    insurance_carrier = factory.LazyFunction(lambda: FAKE.random_element(INSURERS))
    insurance_member_id = factory.LazyFunction(lambda: f"MBR{FAKE.random_int(10**8, 10**9 - 1)}")
    insurance_group_number = factory.LazyFunction(lambda: f"GRP-{FAKE.random_int(10000, 99999)}")


class NewLeadFactory(factory.Factory[NewLead]):
    """What a caller tells intake, as `services.intake.record_lead` takes it."""

    class Meta:
        model = NewLead

    class Params:
        person = factory.SubFactory(PersonFactory)

    first_name = factory.SelfAttribute("person.first")
    last_name = factory.SelfAttribute("person.last")
    email = factory.LazyAttribute(lambda o: email(o.person))
    phone = factory.LazyFunction(phone)
    date_of_birth = factory.LazyFunction(birth_date)
    primary_substance = factory.LazyFunction(lambda: FAKE.random_element(SUBSTANCES))
