"""`recoveryos seed`: a deterministic demo organisation that puts rows in every tenant table.

Everything is written through one `tenant_session` as `recoveryos_app`, so row-level
security, the audit-column triggers, the balanced-journal trigger and the audit chain all
apply exactly as they do for the application. All randomness comes from one
`random.Random(seed_value)`: the same seed gives the same plaintext values and (for the same
org id) the same row ids. Row ids are the rng's draws mixed with the org id, so several orgs
seeded with one seed (tests) still get distinct primary keys. Dates are relative to a fixed
anchor day, except session expiry, which must lie in the future.

Secrets (API key, session tokens, signing-link tokens, webhook secrets) come from `secrets`,
never from the seed: a demo database must not hand out predictable credentials.
"""

from __future__ import annotations

import hashlib
import random
import secrets
import time as monotonic_clock
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.orm import Session

import models
from core.config import get_settings
from core.db import tenant_session
from core.passwords import hash_password
from core.permissions import ROLE_TITLES
from models.audit import AuditLog
from models.base import Base
from models.compliance import BaaRecord, BreachIncident, Consent, ConsentDisclosure, PatientNotice
from models.compliance_extended import BreakGlassEvent, DataAccessRequest, DisclosureAccountingRequest
from models.documents import Document, DocumentTemplate, RetentionPolicy, Signature
from models.documents_extended import DocumentVersion
from models.enums import (
    AdmissionStatus,
    AnnouncementAudience,
    AttendanceStatus,
    BaaStatus,
    BedStatus,
    BillingFrequency,
    BreachRiskLevel,
    BreachStatus,
    BreakGlassReviewOutcome,
    CheckInStatus,
    ChoreFrequency,
    ChoreStatus,
    ConsentStatus,
    ConsentType,
    ContactRelationship,
    ConversationType,
    DataAccessRequestType,
    DepositStatus,
    DischargeReason,
    DisclosureMethod,
    DocumentStatus,
    DocumentType,
    DrugTestResult,
    DrugTestType,
    DunningActionStatus,
    DunningActionType,
    EntryDirection,
    FileScanStatus,
    HouseGender,
    IncidentSeverity,
    IncidentStatus,
    IncidentType,
    IntegrationProvider,
    InvoiceStatus,
    JobStatus,
    LeadSource,
    LeadStatus,
    LedgerAccountType,
    LineItemType,
    MaintenanceStatus,
    MeetingKind,
    MessageChannel,
    NarrLevel,
    PassStatus,
    PassType,
    PatientNoticeType,
    PayerType,
    PaymentMethodType,
    PaymentStatus,
    Priority,
    PropertyType,
    ReconciliationStatus,
    RefundStatus,
    RequestStatus,
    ResidentStatus,
    SignatureStatus,
    TaskStatus,
    UserRole,
    WaitlistStatus,
    WebhookDeliveryStatus,
)
from models.files import FileUpload
from models.integrations import (
    ApiKey,
    IdempotencyRecord,
    IntegrationConfig,
    NotificationPreference,
    ScheduledJob,
    Webhook,
    WebhookDelivery,
)
from models.messaging import Announcement, Conversation, ConversationMember, Message
from models.messaging_extended import AnnouncementRead
from models.operations import (
    Chore,
    ChoreAssignment,
    CurfewConfig,
    DailyCheckIn,
    DrugTest,
    Incident,
    Meeting,
    MeetingAttendance,
    Pass,
    Task,
)
from models.operations_extended import (
    ChoreTemplate,
    ClinicalAssessment,
    CurfewCheckIn,
    MaintenanceRequest,
    MeetingRequirement,
    MeetingType,
    Vehicle,
    WellnessCheckIn,
)
from models.orgs import Bed, House, Organization, Property, Room
from models.payment_extended import (
    DunningConfig,
    PaymentMethod,
    RateConfig,
    ReconciliationRecord,
    Refund,
)
from models.payments import (
    Deposit,
    DunningAction,
    Invoice,
    InvoiceLineItem,
    LedgerAccount,
    LedgerEntry,
    PayerConfig,
    Payment,
)
from models.resident_tracking import BedTransfer, Discharge, ResidentStatusHistory, WaitlistEntry
from models.residents import Admission, Lead, Resident, ResidentContact
from models.users import RoleAssignment, User, UserSession
from services.idempotency import request_digest

# Fixed namespace for the CLI's demo org id: uuid5(DEMO_NAMESPACE, "recoveryos-demo-<seed>").
DEMO_NAMESPACE = uuid.UUID("6f1c9a2e-4b7d-4e15-9a0c-2d8e5b3f7a41")
ANCHOR = date(2026, 11, 1)
LOCAL = ZoneInfo("America/New_York")
BUCKET = "recoveryos-demo"

M = TypeVar("M", bound=Base)
# Parents before children (use_alter foreign keys are left out of the sort; the seeder
# flushes those parents in an earlier stage).
_TABLE_ORDER = [t.name for t in models.metadata.sorted_tables]


@dataclass
class SeedResult:
    org_id: uuid.UUID
    users: dict[UserRole, tuple[uuid.UUID, str]]
    password: str
    phi: list[str]
    counts: dict[str, int]
    seconds: float = 0.0


def demo_org_id(seed_value: int) -> uuid.UUID:
    return uuid.uuid5(DEMO_NAMESPACE, f"recoveryos-demo-{seed_value}")


def demo_password(seed_value: int) -> str:
    return f"recovery-demo-{seed_value}"


# --- fake data (all fictional) ------------------------------------------------------------------

MEN_FIRST = [
    "Dashiell", "Thaddeus", "Leopold", "Cornelius", "Bartholomew", "Fitzgerald", "Ignatius",
    "Maximilian", "Percival", "Zacharias", "Cassius", "Florian", "Horatio", "Jebediah", "Lysander",
    "Montague", "Nathaniel", "Octavian", "Peregrine", "Reginald", "Sebastian", "Tobias", "Ulysses",
    "Valentino", "Wendell", "Augustin", "Benedikt", "Caspian", "Desmond", "Emmerich", "Gideon",
    "Hollis", "Ansel", "Barnaby", "Crispin", "Evander",
]  # fmt: skip
WOMEN_FIRST = [
    "Marisol", "Evangeline", "Rosalind", "Genevieve", "Anneliese", "Esperanza", "Josephine",
    "Octavia", "Seraphina", "Theodora", "Valentina", "Wilhelmina", "Delphine", "Emmeline",
    "Gwendolyn", "Isadora", "Leocadia", "Marguerite", "Philippa", "Rosamund", "Temperance",
    "Ysabelle", "Clementine", "Dorothea", "Honoria", "Imogen", "Juliette", "Lavinia", "Magdalena",
    "Perpetua", "Saoirse", "Winifred", "Araminta", "Bernadette", "Cordelia", "Florentina",
]  # fmt: skip
LAST_NAMES = [
    "Castellanos", "Whitfield", "Okonkwo", "Marchetti", "Abernathy", "Delacroix", "Fitzwilliam",
    "Hargreaves", "Kowalczyk", "Lindqvist", "Pemberton", "Quintanilla", "Rutherford", "Szczepanski",
    "Thibodeaux", "Vanderpool", "Achterberg", "Balasubramanian", "Carrington", "Dunleavy",
    "Esterhazy", "Featherstone", "Gallagher", "Halvorsen", "Ingleby", "Jablonski", "Kavanaugh",
    "Lachapelle", "Mwangi-Ellis", "Nightingale", "Oyelaran", "Prendergast", "Rasmussen",
    "Sandoval-Reyes", "Tremblay", "Underhill", "Villanueva", "Wojciechowski", "Yamaguchi",
    "Zabrowski", "Ashcombe", "Blackthorne", "Cartwright", "Drummond", "Ellsworth", "Fairbanks",
    "Greenhalgh", "Hollingsworth",
]  # fmt: skip
AREA_CODES = ["828", "704", "919", "336", "252", "910"]
EMAIL_DOMAINS = ["mailbox.example.net", "inbox.example.org", "post.example.com"]
STREETS = [
    "Whisperwood Court", "Quillfeather Road", "Bramblecrest Drive", "Thistledown Avenue",
    "Foxglove Terrace", "Moonrake Street", "Harrowgate Lane", "Silverbirch Way",
]  # fmt: skip
TOWNS = [("Weaverville", "NC", "28787"), ("Candler", "NC", "28715"), ("Fletcher", "NC", "28732")]
PROPERTY_NAMES = ["Larkspur Commons", "Sassafras Ridge", "Bluebonnet Court", "Hemlock Hollow"]
HOUSE_NAMES = [("Cedar House", HouseGender.MEN), ("Willow House", HouseGender.WOMEN)]
# Substances (Part 2 data, only ever written to encrypted fields).
SUBSTANCES = ["fentanyl", "methamphetamine", "oxycodone", "heroin", "cocaine", "alcohol", "benzodiazepines"]
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


def _sha(value: str) -> bytes:
    return hashlib.sha256(value.encode()).digest()


def _day(offset: int) -> date:
    return ANCHOR + timedelta(days=offset)


def _at(offset_days: int, hour: int = 9, minute: int = 0) -> datetime:
    """A local (America/New_York) time `offset_days` from the anchor day."""
    return _on(ANCHOR + timedelta(days=offset_days), hour, minute)


def _on(d: date, hour: int, minute: int = 0) -> datetime:
    """Local wall time on day `d`, as UTC so that later `+ timedelta` is exact across DST
    (the anchor day is itself a DST change, and several checks count exact days)."""
    return datetime.combine(d, time(hour, minute), tzinfo=LOCAL).astimezone(UTC)


@dataclass
class _Person:
    first: str
    last: str

    @property
    def full(self) -> str:
        return f"{self.first} {self.last}"


@dataclass
class _Res:
    """The plan for one resident, kept in plaintext so nothing is decrypted while seeding."""

    id: uuid.UUID
    n: int  # 1-based number across the org (resident_number)
    i: int  # position in its block of eight, see BLOCK
    person: _Person
    status: ResidentStatus
    gender: HouseGender
    house: House
    bed: Bed | None
    move_in: date | None
    move_out: date | None
    substance: str
    weekly_rate: int
    admission: Admission | None = None
    lead: Lead | None = None
    payer: PayerConfig | None = None
    consent: Consent | None = None
    deposit_payment: Payment | None = None
    drug_tests: list[DrugTest] = field(default_factory=list)

    @property
    def current(self) -> bool:
        return self.status in (ResidentStatus.ACTIVE, ResidentStatus.ON_PASS)


# Resident statuses of each block of eight (even index: men's house, odd: women's house).
BLOCK = [
    ResidentStatus.ACTIVE,
    ResidentStatus.ACTIVE,
    ResidentStatus.ACTIVE,
    ResidentStatus.ACTIVE,
    ResidentStatus.ACTIVE,
    ResidentStatus.ON_PASS,
    ResidentStatus.DISCHARGED,
    ResidentStatus.WAITLISTED,
]


class _Seeder:
    def __init__(
        self, s: Session, org_id: uuid.UUID, *, scale: int, seed_value: int, name: str, slug: str
    ) -> None:
        self.s = s
        self.org_id = org_id
        self.scale = scale
        self.seed_value = seed_value
        self.name = name
        self.slug = slug
        self.rng = random.Random(seed_value)
        self.counts: dict[str, int] = {}
        self._pending: dict[str, list[Base]] = {}
        self.phi: list[str] = []
        self._phi_seen: set[str] = set()
        self._names_used: set[str] = set()
        self.users: dict[UserRole, User] = {}
        self.emails: dict[UserRole, str] = {}
        self.properties: list[Property] = []
        self.houses: list[House] = []
        self.house_beds: dict[uuid.UUID, list[Bed]] = {}
        self.house_rooms: dict[uuid.UUID, list[Room]] = {}
        self.residents: list[_Res] = []
        self.files: list[FileUpload] = []
        self.rent_rates: dict[uuid.UUID, RateConfig] = {}
        self.accounts: dict[str, LedgerAccount] = {}
        self._invoice_no = 0
        self._coc_no = 0

    # --- primitives -----------------------------------------------------------------------------

    def nid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128) ^ self.org_id.int, version=4)

    def add(self, obj: M) -> M:
        """Queue a row; `flush` inserts queued rows table by table in foreign-key order."""
        table: str = obj.__tablename__
        self._pending.setdefault(table, []).append(obj)
        self.counts[table] = self.counts.get(table, 0) + 1
        return obj

    def flush(self) -> None:
        # Without relationship() between the models the unit of work does not order INSERTs
        # across tables, so parents go first explicitly (rows of one table keep their order).
        for table in _TABLE_ORDER:
            rows = self._pending.pop(table, None)
            if rows:
                self.s.add_all(rows)
                self.s.flush()
        assert not self._pending, f"tables missing from the metadata order: {sorted(self._pending)}"

    def p(self, value: str) -> str:
        """Record a plaintext value written to an encrypted field (for the plaintext scan)."""
        if value not in self._phi_seen:
            self._phi_seen.add(value)
            self.phi.append(value)
        return value

    def pick(self, items: Sequence[Any]) -> Any:
        return items[self.rng.randrange(len(items))]

    def person(self, gender: HouseGender | None = None) -> _Person:
        if gender is None:
            gender = HouseGender.MEN if self.rng.random() < 0.5 else HouseGender.WOMEN
        pool = MEN_FIRST if gender is HouseGender.MEN else WOMEN_FIRST
        for _ in range(25):
            cand = _Person(self.pick(pool), self.pick(LAST_NAMES))
            if cand.full not in self._names_used:
                break
        self._names_used.add(cand.full)
        self.p(cand.first)
        self.p(cand.last)
        self.p(cand.full)
        return cand

    def email_for(self, who: _Person) -> str:
        local = f"{who.first}.{who.last}{self.rng.randint(10, 99)}".lower().replace("-", "")
        return self.p(f"{local}@{self.pick(EMAIL_DOMAINS)}")

    def phone(self) -> str:
        return self.p(f"({self.pick(AREA_CODES)}) 555-01{self.rng.randint(0, 99):02d}")

    def address(self) -> dict[str, Any]:
        town, state, postal = self.pick(TOWNS)
        line1 = self.p(f"{self.rng.randint(100, 9899)} {self.pick(STREETS)}")
        return {"line1": line1, "line2": None, "city": town, "state": state, "postal_code": postal}

    @property
    def house_manager(self) -> User:
        return self.users[UserRole.HOUSE_MANAGER]

    @property
    def case_manager(self) -> User:
        return self.users[UserRole.CASE_MANAGER]

    # --- the organisation, its people and its places -------------------------------------------

    def org(self) -> None:
        org = Organization(
            id=self.org_id,
            name=self.name,
            slug=self.slug,
            timezone="America/New_York",
            npi=None,
            settings={"demo": True, "seed": self.seed_value, "scale": self.scale},
        )
        self.add(org)
        self.flush()

    def staff(self, password_hash: str) -> None:
        for role in UserRole:
            if role is UserRole.RESIDENT:
                continue
            who = self.person()
            email = self.p(f"{role.value}@{self.slug}.example.com")
            user = self.add(
                User(
                    id=self.nid(),
                    org_id=self.org_id,
                    email=email,
                    first_name=who.first,
                    last_name=who.last,
                    phone=self.phone(),
                    password_hash=password_hash,
                    mfa_enabled=role in (UserRole.ORG_OWNER, UserRole.COMPLIANCE_OFFICER),
                )
            )
            self.users[role] = user
            self.emails[role] = email
        self.flush()

    def places(self) -> None:
        for k in range(self.scale):
            town, state, postal = TOWNS[k % len(TOWNS)]
            suffix = "" if k < len(PROPERTY_NAMES) else f" {k // len(PROPERTY_NAMES) + 1}"
            prop = self.add(
                Property(
                    id=self.nid(),
                    org_id=self.org_id,
                    name=PROPERTY_NAMES[k % len(PROPERTY_NAMES)] + suffix,
                    property_type=PropertyType.SINGLE_FAMILY if k % 2 == 0 else PropertyType.MULTI_FAMILY,
                    address_line1=f"{140 + 12 * k} Larkspur Lane",
                    city=town,
                    state=state,
                    postal_code=postal,
                    certification_body="NC Alliance for Recovery Residences",
                    certified_until=_at(300 + k),
                )
            )
            self.properties.append(prop)
        self.flush()
        for prop in self.properties:
            for house_name, gender in HOUSE_NAMES:
                house = self.add(
                    House(
                        id=self.nid(),
                        org_id=self.org_id,
                        property_id=prop.id,
                        name=house_name,
                        gender=gender,
                        narr_level=NarrLevel.LEVEL_2 if gender is HouseGender.MEN else NarrLevel.LEVEL_3,
                        capacity=6,
                        house_manager_id=self.house_manager.id,
                        phone=f"(828) 555-02{self.rng.randint(0, 99):02d}",
                    )
                )
                self.houses.append(house)
        self.flush()
        for house in self.houses:
            rooms = [
                self.add(
                    Room(
                        id=self.nid(),
                        org_id=self.org_id,
                        house_id=house.id,
                        name=f"Room {r}",
                        floor=1 + r // 3,
                    )
                )
                for r in range(1, 4)
            ]
            self.house_rooms[house.id] = rooms
        self.flush()
        for house in self.houses:
            beds: list[Bed] = []
            men = house.gender is HouseGender.MEN
            for b in range(6):
                # Plan (see residents()): beds 0, 2, 4 hold current residents; bed 1 was vacated
                # by a transfer; bed 3 was the discharged resident's; bed 5 is out of service in
                # the men's house and reserved for a waitlist offer in the women's house.
                status = BedStatus.AVAILABLE
                if b in (0, 2, 4):
                    status = BedStatus.OCCUPIED
                elif b == 5:
                    status = BedStatus.OUT_OF_SERVICE if men else BedStatus.RESERVED
                beds.append(
                    self.add(
                        Bed(
                            id=self.nid(),
                            org_id=self.org_id,
                            room_id=self.house_rooms[house.id][b // 2].id,
                            label="A" if b % 2 == 0 else "B",
                            status=status,
                            weekly_rate_cents=22500 if b < 4 else 25000,
                        )
                    )
                )
            self.house_beds[house.id] = beds
        self.flush()
        for i, prop in enumerate(self.properties):
            self.add(
                RoleAssignment(
                    id=self.nid(),
                    org_id=self.org_id,
                    user_id=self.users[UserRole.PROPERTY_MANAGER].id,
                    role=UserRole.PROPERTY_MANAGER,
                    property_id=prop.id,
                )
            )
            if i == 0:
                for role, user in self.users.items():
                    if role is UserRole.PROPERTY_MANAGER:
                        continue
                    self.add(
                        RoleAssignment(
                            id=self.nid(),
                            org_id=self.org_id,
                            user_id=user.id,
                            role=role,
                            house_id=self.houses[0].id if role is UserRole.HOUSE_MANAGER else None,
                        )
                    )

    def rates_and_payers(self) -> None:
        for house in self.houses:
            self.rent_rates[house.id] = self.add(
                RateConfig(
                    id=self.nid(),
                    org_id=self.org_id,
                    house_id=house.id,
                    name=f"{house.name} weekly rent",
                    line_type=LineItemType.RENT,
                    billing_frequency=BillingFrequency.WEEKLY,
                    amount_cents=22500,
                    effective_from_date=_day(-365),
                )
            )
            self.add(
                RateConfig(
                    id=self.nid(),
                    org_id=self.org_id,
                    house_id=house.id,
                    name="Random drug screen fee",
                    line_type=LineItemType.DRUG_TEST_FEE,
                    billing_frequency=BillingFrequency.WEEKLY,
                    amount_cents=2500,
                    effective_from_date=_day(-365),
                )
            )
            # An expired house rate and a per-bed override for the larger room.
            self.add(
                RateConfig(
                    id=self.nid(),
                    org_id=self.org_id,
                    house_id=house.id,
                    name=f"{house.name} weekly rent (2025)",
                    line_type=LineItemType.RENT,
                    billing_frequency=BillingFrequency.WEEKLY,
                    amount_cents=21000,
                    effective_from_date=_day(-730),
                    effective_to_date=_day(-365),
                )
            )
            self.add(
                RateConfig(
                    id=self.nid(),
                    org_id=self.org_id,
                    bed_id=self.house_beds[house.id][4].id,
                    name="Semi-private room rate",
                    line_type=LineItemType.RENT,
                    billing_frequency=BillingFrequency.WEEKLY,
                    amount_cents=25000,
                    effective_from_date=_day(-180),
                )
            )
        caseworker = self.person()
        self.court_payer = self.add(
            PayerConfig(
                id=self.nid(),
                org_id=self.org_id,
                payer_type=PayerType.COURT,
                is_individual=False,
                organization_name="Tri-County Recovery Court Program",
                contact_name=caseworker.full,
                contact_email=self.email_for(caseworker),
                contact_phone=self.phone(),
                billing_address={
                    "line1": "60 Court Plaza",
                    "city": "Asheville",
                    "state": "NC",
                    "postal_code": "28801",
                },
                billing_frequency=BillingFrequency.MONTHLY,
                split_percentage=Decimal("100.00"),
                max_amount_cents=120000,
                effective_from_date=_day(-400),
            )
        )
        grant_contact = self.person()
        self.add(
            PayerConfig(
                id=self.nid(),
                org_id=self.org_id,
                payer_type=PayerType.GRANT,
                is_individual=False,
                organization_name="State Recovery Housing Grant",
                contact_name=grant_contact.full,
                contact_email=self.email_for(grant_contact),
                billing_frequency=BillingFrequency.MONTHLY,
                split_percentage=Decimal("100.00"),
                max_amount_cents=60000,
                effective_from_date=_day(-200),
                effective_to_date=_day(165),
            )
        )
        self.flush()

    def residents_(self) -> None:
        n = 0
        for b in range(self.scale):
            men_house, women_house = self.houses[2 * b], self.houses[2 * b + 1]
            slot = {men_house.id: 0, women_house.id: 0}
            for i, status in enumerate(BLOCK):
                n += 1
                gender = HouseGender.MEN if i % 2 == 0 else HouseGender.WOMEN
                house = men_house if gender is HouseGender.MEN else women_house
                beds = self.house_beds[house.id]
                bed: Bed | None = None
                move_in: date | None = None
                move_out: date | None = None
                if status in (ResidentStatus.ACTIVE, ResidentStatus.ON_PASS):
                    bed = beds[2 * slot[house.id]]
                    slot[house.id] += 1
                    move_in = _day(-self.rng.randint(35, 200))
                elif status is ResidentStatus.DISCHARGED:
                    bed = beds[3]
                    move_in = _day(-self.rng.randint(120, 240))
                    move_out = _day(-self.rng.randint(15, 30))
                rate = 25000 if bed is not None and bed is beds[4] else 22500
                self.residents.append(
                    _Res(
                        id=self.nid(),
                        n=n,
                        i=i,
                        person=self.person(gender),
                        status=status,
                        gender=gender,
                        house=house,
                        bed=bed,
                        move_in=move_in,
                        move_out=move_out,
                        substance=self.pick(SUBSTANCES),
                        weekly_rate=rate,
                    )
                )
        for r in self.residents:
            sub = self.p(r.substance)
            second = self.p(self.pick([x for x in SUBSTANCES if x != sub]))
            meds = [self.pick(MEDICATIONS)] if sub in ("fentanyl", "oxycodone", "heroin") else []
            for m in meds:
                self.p(m["prescriber"])
            court = r.i == 4  # one active resident per block is funded by the recovery court
            if court:
                r.payer = self.court_payer
            first = r.person.first
            self.add(
                Resident(
                    id=r.id,
                    org_id=self.org_id,
                    resident_number=f"R-{r.n:05d}",
                    first_name=r.person.first,
                    last_name=r.person.last,
                    preferred_name=self.p(f"{first[:4]}ie") if r.n % 3 == 0 else None,
                    date_of_birth=self._dob(),
                    email=self.email_for(r.person),
                    phone=self.phone(),
                    ssn_last4=self.p(f"{self.rng.randint(1000, 9999)}"),
                    gender_identity="man" if r.gender is HouseGender.MEN else "woman",
                    pronouns="he/him" if r.gender is HouseGender.MEN else "she/her",
                    prior_address=self.address(),
                    emergency_medical_info=self.p(
                        f"{first} carries naloxone; history of {sub} overdose in "
                        f"{self.rng.randint(2019, 2025)}. Seizure precautions; physician "
                        f"Dr. Ophelia Strandberg, (828) 555-01{self.rng.randint(0, 99):02d}."
                    ),
                    primary_substance=sub,
                    drugs_of_choice=[sub, second],
                    diagnoses=[self.p(DIAGNOSES[sub])],
                    medications=meds,
                    allergies=[self.pick(ALLERGIES)],
                    sobriety_date=(r.move_in or _day(-20)) - timedelta(days=self.rng.randint(10, 90)),
                    legal_status=self.p(self.pick(LEGAL)),
                    insurance_carrier=self.p(self.pick(INSURERS)),
                    insurance_member_id=self.p(f"MBR{self.rng.randint(10**8, 10**9 - 1)}"),
                    insurance_group_number=self.p(f"GRP-{self.rng.randint(10000, 99999)}"),
                    status=r.status,
                    housing_gender=r.gender,
                    current_house_id=r.house.id if r.current else None,
                    current_bed_id=r.bed.id if r.current and r.bed is not None else None,
                    move_in_date=r.move_in,
                    move_out_date=r.move_out,
                    primary_payer_type=PayerType.COURT if court else PayerType.SELF_PAY,
                    payer_config_id=self.court_payer.id if court else None,
                )
            )
        self.flush()
        # The resident login belongs to the first resident.
        first_res = self.residents[0]
        email = self.p(f"{UserRole.RESIDENT.value}@{self.slug}.example.com")
        user = self.add(
            User(
                id=self.nid(),
                org_id=self.org_id,
                email=email,
                first_name=first_res.person.first,
                last_name=first_res.person.last,
                phone=self.phone(),
                password_hash=self._password_hash,
                resident_id=first_res.id,
            )
        )
        self.users[UserRole.RESIDENT] = user
        self.emails[UserRole.RESIDENT] = email
        self.flush()
        self.add(RoleAssignment(id=self.nid(), org_id=self.org_id, user_id=user.id, role=UserRole.RESIDENT))

    def _dob(self) -> date:
        d = date(self.rng.randint(1966, 2003), self.rng.randint(1, 12), self.rng.randint(1, 28))
        self.p(d.isoformat())
        return d

    # --- intake: leads, admissions, lifecycle ----------------------------------------------------

    def leads(self) -> None:
        for b in range(self.scale):
            block = self.residents[8 * b : 8 * b + 8]
            # Two residents came in through the lead pipeline.
            for r in block[:2]:
                r.lead = self.add(
                    Lead(
                        id=self.nid(),
                        org_id=self.org_id,
                        first_name=r.person.first,
                        last_name=r.person.last,
                        phone=self.phone(),
                        primary_substance=r.substance,
                        notes=self.p(
                            f"{r.person.first} called from the detox unit; discharge planned "
                            f"{self.rng.randint(2, 9)} days out, wants a bed close to work."
                        ),
                        source=LeadSource.REFERRAL_TREATMENT,
                        status=LeadStatus.CONVERTED,
                        house_preference_id=r.house.id,
                        housing_gender=r.gender,
                        desired_move_in_date=r.move_in,
                        assigned_to_user_id=self.case_manager.id,
                        last_contacted_at=_on(r.move_in or _day(-60), 10) - timedelta(days=3),
                        converted_resident_id=r.id,
                        converted_at=_on(r.move_in or _day(-60), 11) - timedelta(days=1),
                    )
                )
            plans = [
                (LeadStatus.NEW, LeadSource.WEBSITE),
                (LeadStatus.CONTACTED, LeadSource.PHONE),
                (LeadStatus.SCREENING, LeadSource.REFERRAL_COURT),
                (LeadStatus.DECLINED, LeadSource.REFERRAL_FAMILY),
            ]
            for k, (status, source) in enumerate(plans):
                gender = HouseGender.WOMEN if k % 2 == 0 else HouseGender.MEN
                who = self.person(gender)
                referrer = self.person() if source is LeadSource.REFERRAL_COURT else None
                lead = self.add(
                    Lead(
                        id=self.nid(),
                        org_id=self.org_id,
                        first_name=who.first,
                        last_name=who.last,
                        email=self.email_for(who),
                        phone=self.phone(),
                        date_of_birth=self._dob(),
                        referral_source_name=self.p("Buncombe County Adult Drug Treatment Court")
                        if referrer
                        else None,
                        referral_contact={
                            "name": referrer.full,
                            "phone": self.phone(),
                            "email": self.email_for(referrer),
                        }
                        if referrer
                        else None,
                        primary_substance=self.p(self.pick(SUBSTANCES)),
                        screening_answers={
                            "days_sober": self.rng.randint(5, 60),
                            "currently_in_treatment": True,
                            "housing_situation": self.p(
                                f"Staying with {who.first}'s cousin on a couch until Friday"
                            ),
                        }
                        if status is LeadStatus.SCREENING
                        else None,
                        notes=self.p(
                            f"{who.first} {who.last} asked about {'women' if k % 2 == 0 else 'men'}'s "
                            f"beds and whether MOUD is allowed; left voicemail #{self.rng.randint(1, 4)}."
                        ),
                        disposition_reason=self.p(
                            f"{who.first} needs medically supervised withdrawal first; referred to detox."
                        )
                        if status is LeadStatus.DECLINED
                        else None,
                        source=source,
                        status=status,
                        house_preference_id=self.houses[2 * b + (0 if gender is HouseGender.MEN else 1)].id,
                        housing_gender=gender,
                        desired_move_in_date=_day(self.rng.randint(3, 30)),
                        assigned_to_user_id=self.case_manager.id,
                        last_contacted_at=_at(-self.rng.randint(1, 5), 14)
                        if status is not LeadStatus.NEW
                        else None,
                        next_follow_up_at=_at(self.rng.randint(1, 4), 10)
                        if status in (LeadStatus.CONTACTED, LeadStatus.SCREENING)
                        else None,
                    )
                )
                if status is LeadStatus.SCREENING:
                    self._screening_leads.append((b, lead))
                if status is LeadStatus.NEW:
                    # The website form posts with an Idempotency-Key, as the kernel records it.
                    self.add(
                        IdempotencyRecord(
                            id=self.nid(),
                            org_id=self.org_id,
                            scope="intake",
                            key=f"web-form-{lead.id}",
                            request_digest=request_digest({"lead": str(lead.id)}),
                            resource_id=lead.id,
                        )
                    )
        self.flush()

    _screening_leads: list[tuple[int, Lead]]

    def admissions(self) -> None:
        for r in self.residents:
            rate = self.rent_rates[r.house.id]
            notes = self.p(
                f"Intake: {r.person.first} completed 28-day residential care; primary {r.substance} use, "
                f"{self.rng.randint(1, 4)} prior treatment episodes; goals are work and family reunification."
            )
            if r.current:
                assert r.bed is not None and r.move_in is not None
                admitted = _on(r.move_in, 15)
                # The first resident of each men's house moved from bed 1 to bed 0 (bed_transfers).
                r.admission = self.add(
                    Admission(
                        id=self.nid(),
                        org_id=self.org_id,
                        resident_id=r.id,
                        house_id=r.house.id,
                        bed_id=r.bed.id,
                        lead_id=r.lead.id if r.lead else None,
                        status=AdmissionStatus.ACTIVE,
                        scheduled_move_in_date=r.move_in,
                        admitted_at=admitted,
                        expected_length_days=180,
                        intake_by_user_id=self.case_manager.id,
                        weekly_rate_cents=r.weekly_rate,
                        deposit_cents=50000,
                        billing_frequency=BillingFrequency.WEEKLY,
                        rate_config_id=rate.id,
                        payer_config_id=r.payer.id if r.payer else None,
                        intake_notes=notes,
                    )
                )
            elif r.status is ResidentStatus.DISCHARGED:
                assert r.bed is not None and r.move_in is not None and r.move_out is not None
                r.admission = self.add(
                    Admission(
                        id=self.nid(),
                        org_id=self.org_id,
                        resident_id=r.id,
                        house_id=r.house.id,
                        bed_id=r.bed.id,
                        status=AdmissionStatus.COMPLETED,
                        scheduled_move_in_date=r.move_in,
                        admitted_at=_on(r.move_in, 15),
                        ended_at=_on(r.move_out, 12),
                        expected_length_days=120,
                        intake_by_user_id=self.case_manager.id,
                        weekly_rate_cents=r.weekly_rate,
                        deposit_cents=50000,
                        rate_config_id=rate.id,
                        intake_notes=notes,
                    )
                )
            else:
                # The waitlisted resident had an earlier pending admission that was cancelled.
                r.admission = self.add(
                    Admission(
                        id=self.nid(),
                        org_id=self.org_id,
                        resident_id=r.id,
                        house_id=r.house.id,
                        status=AdmissionStatus.CANCELLED,
                        scheduled_move_in_date=_day(-10),
                        weekly_rate_cents=r.weekly_rate,
                        deposit_cents=50000,
                        intake_notes=notes,
                        cancellation_reason=self.p(
                            f"{r.person.first} was readmitted to inpatient care the day before move-in."
                        ),
                    )
                )
        self.flush()

    def lifecycle(self) -> None:
        for r in self.residents:
            adm = r.admission
            assert adm is not None
            steps: list[tuple[ResidentStatus | None, ResidentStatus, datetime, str | None]] = []
            start = _on(r.move_in, 14) if r.move_in else _at(-12, 10)
            steps.append((None, ResidentStatus.APPLICANT, start - timedelta(days=5), None))
            if r.status is ResidentStatus.WAITLISTED:
                steps.append(
                    (
                        ResidentStatus.APPLICANT,
                        ResidentStatus.WAITLISTED,
                        _at(-9, 9),
                        self.p(
                            f"{r.person.first} returned to inpatient care; keep on the women's house list."
                        ),
                    )
                )
            else:
                steps.append((ResidentStatus.APPLICANT, ResidentStatus.ADMITTED, start, None))
                steps.append(
                    (ResidentStatus.ADMITTED, ResidentStatus.ACTIVE, start + timedelta(hours=2), None)
                )
            if r.status is ResidentStatus.ON_PASS:
                steps.append((ResidentStatus.ACTIVE, ResidentStatus.ON_PASS, _at(-1, 10), None))
            if r.status is ResidentStatus.DISCHARGED:
                assert r.move_out is not None
                steps.append(
                    (
                        ResidentStatus.ACTIVE,
                        ResidentStatus.DISCHARGED,
                        _on(r.move_out, 12),
                        self.p(
                            f"{r.person.first} used {r.substance} at the house; declined residential care."
                        ),
                    )
                )
            for frm, to, when, reason in steps:
                self.add(
                    ResidentStatusHistory(
                        id=self.nid(),
                        org_id=self.org_id,
                        resident_id=r.id,
                        admission_id=adm.id if to is not ResidentStatus.APPLICANT else None,
                        from_status=frm,
                        to_status=to,
                        occurred_at=when,
                        changed_by=self.case_manager.id,
                        source="user",
                        reason=reason,
                    )
                )
        for b in range(self.scale):
            block = self.residents[8 * b : 8 * b + 8]
            mover = block[0]
            assert mover.admission is not None and mover.bed is not None
            beds = self.house_beds[mover.house.id]
            self.add(
                BedTransfer(
                    id=self.nid(),
                    org_id=self.org_id,
                    resident_id=mover.id,
                    admission_id=mover.admission.id,
                    from_bed_id=beds[1].id,
                    to_bed_id=mover.bed.id,
                    from_house_id=mover.house.id,
                    to_house_id=mover.house.id,
                    effective_at=_at(-20, 11),
                    completed_at=_at(-20, 13),
                    requested_by_user_id=self.house_manager.id,
                    approved_by_user_id=self.users[UserRole.PROPERTY_MANAGER].id,
                    reason=self.p(
                        f"{mover.person.first} asked to move after a roommate conflict over night shifts."
                    ),
                )
            )
            gone = block[6]
            assert gone.admission is not None and gone.move_out is not None
            stay_days = (gone.move_out - (gone.move_in or gone.move_out)).days
            self.add(
                Discharge(
                    id=self.nid(),
                    org_id=self.org_id,
                    resident_id=gone.id,
                    admission_id=gone.admission.id,
                    house_id=gone.house.id,
                    bed_id=gone.bed.id if gone.bed else None,
                    discharged_at=_on(gone.move_out, 12),
                    reason=DischargeReason.RELAPSE,
                    is_planned=False,
                    discharged_by_user_id=self.house_manager.id,
                    approved_by_user_id=self.users[UserRole.EXECUTIVE_DIRECTOR].id,
                    eligible_for_readmission=True,
                    readmission_eligible_date=gone.move_out + timedelta(days=30),
                    belongings_hold_until_date=gone.move_out + timedelta(days=14),
                    deposit_refund_cents=35000,
                    reason_details=self.p(
                        f"{gone.person.first} had a positive screen for {gone.substance} and admitted use "
                        f"at a family gathering."
                    ),
                    summary=self.p(
                        f"{gone.person.full} stayed {stay_days} days, "
                        f"completed phase one and held a job at a bakery before the relapse."
                    ),
                    aftercare_plan=self.p(
                        f"Intensive outpatient three evenings a week; continue MOUD; {gone.person.first} "
                        f"to call "
                        f"sponsor daily."
                    ),
                    referred_to=self.p("Blue Ridge Intensive Outpatient Program"),
                    forwarding_address=self.address(),
                    forwarding_phone=self.phone(),
                )
            )
            waiting = block[7]
            self.add(
                WaitlistEntry(
                    id=self.nid(),
                    org_id=self.org_id,
                    resident_id=waiting.id,
                    house_id=waiting.house.id,
                    housing_gender=waiting.gender,
                    status=WaitlistStatus.WAITING,
                    priority=Priority.HIGH,
                    added_at=_at(-9, 9),
                    requested_move_in_date=_day(10),
                    notes=self.p(
                        f"{waiting.person.first} expects discharge from inpatient care in about ten days."
                    ),
                )
            )
            for bb, lead in self._screening_leads:
                if bb != b:
                    continue
                women = self.houses[2 * b + 1]
                self.add(
                    WaitlistEntry(
                        id=self.nid(),
                        org_id=self.org_id,
                        lead_id=lead.id,
                        house_id=women.id,
                        housing_gender=HouseGender.WOMEN,
                        status=WaitlistStatus.OFFERED,
                        priority=Priority.NORMAL,
                        added_at=_at(-6, 9),
                        requested_move_in_date=_day(5),
                        offered_bed_id=self.house_beds[women.id][5].id,
                        offered_at=_at(-1, 16),
                        offer_expires_at=_at(2, 16),
                        notes=self.p("Court liaison confirmed the referral; offer sent by phone and email."),
                    )
                )
            # A removed entry for a converted lead (placed long ago).
            placed = block[1]
            if placed.lead is not None and placed.admission is not None:
                self.add(
                    WaitlistEntry(
                        id=self.nid(),
                        org_id=self.org_id,
                        lead_id=placed.lead.id,
                        house_id=placed.house.id,
                        housing_gender=placed.gender,
                        status=WaitlistStatus.PLACED,
                        added_at=_on(placed.move_in or _day(-60), 9) - timedelta(days=12),
                        placed_at=_on(placed.move_in or _day(-60), 15),
                        admission_id=placed.admission.id,
                    )
                )

    # --- files, documents, consents ------------------------------------------------------------------

    def file(
        self, filename: str, content_type: str, resident: _Res | None, *, part2: bool = False
    ) -> FileUpload:
        fid = self.nid()
        f = self.add(
            FileUpload(
                id=fid,
                org_id=self.org_id,
                bucket=BUCKET,
                storage_key=f"{self.org_id}/{fid}",
                original_filename=self.p(filename),
                content_type=content_type,
                size_bytes=self.rng.randint(40_000, 2_500_000),
                sha256=_sha(f"demo-file:{fid}"),
                scan_status=FileScanStatus.CLEAN,
                scanned_at=_at(-self.rng.randint(1, 30), 12),
                uploaded_by_user_id=self.case_manager.id,
                resident_id=resident.id if resident else None,
                is_part2=part2,
            )
        )
        self.files.append(f)
        return f

    def documents(self) -> None:
        def slug_of(r: _Res) -> str:
            return f"{r.person.first}_{r.person.last}".lower().replace("-", "_")

        self.id_scans: dict[uuid.UUID, FileUpload] = {}
        self.signed_pdfs: dict[uuid.UUID, FileUpload] = {}
        for r in self.residents:
            self.id_scans[r.id] = self.file(f"{slug_of(r)}_state_id_scan.pdf", "application/pdf", r)
            if r.current:
                self.signed_pdfs[r.id] = self.file(
                    f"{slug_of(r)}_residency_agreement_signed.pdf", "application/pdf", r, part2=True
                )
        self.misc_file = self.file("kitchen_window_damage_photo.jpg", "image/jpeg", None)
        self.flush()

        templates: dict[str, DocumentTemplate] = {}
        specs = [
            (
                "Residency agreement",
                DocumentType.RESIDENCY_AGREEMENT,
                1,
                False,
                ["resident", "house_manager"],
            ),
            ("Residency agreement", DocumentType.RESIDENCY_AGREEMENT, 2, True, ["resident", "house_manager"]),
            ("House rules", DocumentType.HOUSE_RULES, 1, True, ["resident"]),
            ("Part 2 consent to disclose", DocumentType.CONSENT_FORM, 1, True, ["resident"]),
            (
                "Payment agreement",
                DocumentType.PAYMENT_AGREEMENT,
                1,
                True,
                ["resident", "billing_specialist"],
            ),
        ]
        for name, dtype, version, active, signers in specs:
            t = self.add(
                DocumentTemplate(
                    id=self.nid(),
                    org_id=self.org_id,
                    name=name,
                    document_type=dtype,
                    description=f"{name}, version {version}",
                    body_template=(
                        f"{name}\n\nThis agreement is between {{{{ org.name }}}} and "
                        "{{ resident.first_name }} {{ resident.last_name }}, effective {{ date }}."
                    ),
                    version=version,
                    is_active=active,
                    required_signers=signers,
                    is_part2=dtype is not DocumentType.HOUSE_RULES,
                )
            )
            if active:
                templates[name] = t
        for dtype, years, basis, frm in [
            (
                DocumentType.RESIDENCY_AGREEMENT,
                7,
                "State licensing rule: resident records 7 years after discharge",
                "discharge",
            ),
            (DocumentType.CONSENT_FORM, 6, "45 CFR 164.316(b)(2) and 42 CFR 2.31: 6 years", "expired"),
            (DocumentType.DISCHARGE_SUMMARY, 7, "State licensing rule: 7 years", "created"),
            (DocumentType.INCIDENT_REPORT, 7, "Insurance carrier requirement: 7 years", "created"),
            (DocumentType.HOUSE_RULES, 3, "Operational policy", "signed"),
        ]:
            self.add(
                RetentionPolicy(
                    id=self.nid(),
                    org_id=self.org_id,
                    document_type=dtype,
                    retain_years=years,
                    retain_from=frm,
                    legal_basis=basis,
                )
            )
        self.flush()

        agreement = templates["Residency agreement"]
        consent_t = templates["Part 2 consent to disclose"]
        self.consent_signatures: dict[uuid.UUID, Signature] = {}
        self.consent_docs: dict[uuid.UUID, Document] = {}
        docs: list[tuple[Document, str, _Res | None]] = []
        sigs: list[Signature] = []
        for r in self.residents:
            if not r.current:
                continue
            assert r.move_in is not None
            signed_at = _on(r.move_in, 16)
            body = self.p(
                f"Residency agreement between {self.name} and {r.person.full} for {r.house.name}, "
                f"weekly rent ${r.weekly_rate / 100:.2f}, move-in {r.move_in.isoformat()}."
            )
            doc = self.add(
                Document(
                    id=self.nid(),
                    org_id=self.org_id,
                    resident_id=r.id,
                    template_id=agreement.id,
                    template_version=2,
                    document_type=DocumentType.RESIDENCY_AGREEMENT,
                    status=DocumentStatus.SIGNED,
                    title="Residency agreement",
                    content=body,
                    file_upload_id=self.signed_pdfs[r.id].id,
                    content_sha256=_sha(body),
                    completed_at=signed_at + timedelta(hours=1),
                    retention_until_date=_day(7 * 365),
                )
            )
            docs.append((doc, body, r))
            consent_body = self.p(
                f"I, {r.person.full}, authorize {self.name} to disclose attendance and drug screen results "
                f"to my treatment provider. Expires one year from signing."
            )
            cdoc = self.add(
                Document(
                    id=self.nid(),
                    org_id=self.org_id,
                    resident_id=r.id,
                    template_id=consent_t.id,
                    template_version=1,
                    document_type=DocumentType.CONSENT_FORM,
                    status=DocumentStatus.SIGNED,
                    title="Consent to disclose (42 CFR Part 2)",
                    content=consent_body,
                    content_sha256=_sha(consent_body),
                    completed_at=signed_at,
                    expires_at=signed_at + timedelta(days=365),
                )
            )
            docs.append((cdoc, consent_body, r))
            self.consent_docs[r.id] = cdoc
        # A pending house-rules acknowledgement and an org-wide draft.
        pending_res = next(r for r in self.residents if r.current)
        rules_body = self.p(
            f"House rules acknowledgement for {pending_res.person.full}: curfew, chores, meetings, "
            f"random screening, visitors on weekends only."
        )
        pending_doc = self.add(
            Document(
                id=self.nid(),
                org_id=self.org_id,
                resident_id=pending_res.id,
                template_id=templates["House rules"].id,
                template_version=1,
                document_type=DocumentType.HOUSE_RULES,
                status=DocumentStatus.PENDING_SIGNATURE,
                title="House rules acknowledgement",
                content=rules_body,
                expires_at=_at(7, 17),
                is_part2=False,
            )
        )
        docs.append((pending_doc, rules_body, pending_res))
        posted = "House rules (posted copy): quiet hours 10pm to 7am; chores by Sunday evening."
        org_doc = self.add(
            Document(
                id=self.nid(),
                org_id=self.org_id,
                document_type=DocumentType.HOUSE_RULES,
                status=DocumentStatus.DRAFT,
                title="House rules (posted copy)",
                content=posted,
                is_part2=False,
            )
        )
        docs.append((org_doc, posted, None))
        self.flush()

        ip = f"198.51.100.{self.rng.randint(2, 250)}"
        self.p(ip)
        for doc, body, dr in docs:
            self.add(
                DocumentVersion(
                    id=self.nid(),
                    org_id=self.org_id,
                    document_id=doc.id,
                    version_no=1,
                    content=body,
                    content_sha256=_sha(body),
                    file_upload_id=self.signed_pdfs[dr.id].id
                    if dr is not None and doc.document_type is DocumentType.RESIDENCY_AGREEMENT
                    else None,
                    change_summary=self.p(f"Generated from template for {dr.person.full}")
                    if dr is not None
                    else None,
                )
            )
            if dr is None:
                continue
            if doc.status is DocumentStatus.SIGNED:
                assert dr.move_in is not None
                signed_at = _on(dr.move_in, 16)
                sig = self.add(
                    Signature(
                        id=self.nid(),
                        org_id=self.org_id,
                        document_id=doc.id,
                        signer_resident_id=dr.id,
                        signer_role="resident",
                        signer_name=dr.person.full,
                        signer_email=self.email_for(dr.person),
                        status=SignatureStatus.SIGNED,
                        signing_order=1,
                        viewed_at=signed_at - timedelta(minutes=10),
                        esign_consent_at=signed_at - timedelta(minutes=5),
                        signed_at=signed_at,
                        typed_signature=dr.person.full,
                        ip_address=ip,
                        user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X)",
                        signed_content_sha256=_sha(body),
                    )
                )
                sigs.append(sig)
                if doc.document_type is DocumentType.CONSENT_FORM:
                    self.consent_signatures[dr.id] = sig
                else:
                    self.add(
                        Signature(
                            id=self.nid(),
                            org_id=self.org_id,
                            document_id=doc.id,
                            signer_user_id=self.house_manager.id,
                            signer_role="house_manager",
                            status=SignatureStatus.SIGNED,
                            signing_order=2,
                            signed_at=signed_at + timedelta(minutes=30),
                            signed_content_sha256=_sha(body),
                        )
                    )
            else:
                self.add(
                    Signature(
                        id=self.nid(),
                        org_id=self.org_id,
                        document_id=doc.id,
                        signer_resident_id=dr.id,
                        signer_role="resident",
                        signer_name=dr.person.full,
                        status=SignatureStatus.VIEWED,
                        signing_token_hash=_sha(secrets.token_urlsafe(32)),
                        token_expires_at=_at(7, 17),
                        viewed_at=_at(-1, 19),
                    )
                )
        self.flush()

    # --- issue 12 (documents and e-signature): the evidence trail of the seeded signatures ------
    def signature_events_(self) -> None:
        """A "signed" event per seeded signature and "completed" per signed document, written by
        the signing service like the workflow writes them."""
        from sqlalchemy import select

        from services.signing import Evidence, record_event

        self.flush()
        signed = self.s.scalars(
            select(Signature).where(Signature.status == SignatureStatus.SIGNED).order_by(Signature.signed_at)
        ).all()
        for sig in signed:
            doc = self.s.get(Document, sig.document_id)
            assert doc is not None and sig.signed_at is not None
            ev = Evidence(sig.ip_address, sig.user_agent)
            record_event(self.s, doc, "signed", f"{sig.id}:signed", sig.signed_at, sig=sig, evidence=ev)
            self.counts["signature_events"] = self.counts.get("signature_events", 0) + 1
        for doc in {self.s.get(Document, sig.document_id) for sig in signed}:
            assert doc is not None
            record_event(self.s, doc, "completed", "completed", doc.completed_at or _at(0))
            self.counts["signature_events"] += 1

    def consents(self) -> None:
        sponsor_consents: dict[uuid.UUID, Consent] = {}
        for r in self.residents:
            if not r.current:
                continue
            assert r.move_in is not None
            provider = self.person()
            r.consent = self.add(
                Consent(
                    id=self.nid(),
                    org_id=self.org_id,
                    resident_id=r.id,
                    consent_type=ConsentType.TREATMENT,
                    status=ConsentStatus.ACTIVE,
                    recipient_name=self.p(f"Dr. {provider.full}"),
                    recipient_organization=self.p("Blue Ridge Intensive Outpatient Program"),
                    recipient_is_entity=False,
                    purpose=self.p(
                        f"Coordinate {r.person.first}'s outpatient treatment and medication management"
                    ),
                    information_scope=self.p(
                        "Drug screen results, meeting attendance and house incident reports"
                    ),
                    effective_date=r.move_in,
                    expires_at=_on(r.move_in, 16) + timedelta(days=365),
                    signature_id=self.consent_signatures[r.id].id,
                    document_id=self.consent_docs[r.id].id,
                )
            )
            if r.i == 2:
                parent = self.person()
                sponsor_consents[r.id] = self.add(
                    Consent(
                        id=self.nid(),
                        org_id=self.org_id,
                        resident_id=r.id,
                        consent_type=ConsentType.FAMILY,
                        status=ConsentStatus.ACTIVE,
                        recipient_name=self.p(parent.full),
                        purpose=self.p(
                            f"Let {parent.first} know whether {r.person.first} is attending meetings"
                        ),
                        information_scope=self.p("Residency status and meeting attendance only"),
                        effective_date=r.move_in,
                        expiration_event=self.p(f"{r.person.first}'s discharge from {r.house.name}"),
                    )
                )
            if r.i == 4:
                self.add(
                    Consent(
                        id=self.nid(),
                        org_id=self.org_id,
                        resident_id=r.id,
                        consent_type=ConsentType.COURT,
                        status=ConsentStatus.ACTIVE,
                        recipient_name=self.p("Coordinator, District 28 treatment court"),
                        recipient_organization=self.p("District 28 Adult Treatment Court"),
                        recipient_is_entity=True,
                        purpose=self.p(
                            f"Compliance reporting for {r.person.first}'s recovery court agreement"
                        ),
                        information_scope=self.p("Drug screen results, curfew compliance and discharge date"),
                        effective_date=r.move_in,
                        expires_at=_at(240, 12),
                        expiration_event=self.p("Completion of the recovery court program"),
                    )
                )
            if r.i == 3:
                employer = self.person()
                self.add(
                    Consent(
                        id=self.nid(),
                        org_id=self.org_id,
                        resident_id=r.id,
                        consent_type=ConsentType.EMPLOYER,
                        status=ConsentStatus.REVOKED,
                        recipient_name=self.p(employer.full),
                        recipient_organization=self.p("Riverbend Bakery and Cafe"),
                        purpose=self.p(
                            f"Verify {r.person.first}'s residence for a work schedule accommodation"
                        ),
                        information_scope=self.p("Confirmation of residence only"),
                        effective_date=r.move_in,
                        expires_at=_at(60, 12),
                        revoked_at=_at(-5, 15),
                        revocation_reason=self.p(
                            f"{r.person.first} changed jobs and no longer wants the employer contacted"
                        ),
                    )
                )
        self.flush()
        for idx, r in enumerate(self.residents):
            contact = self.person()
            self.add(
                ResidentContact(
                    id=self.nid(),
                    org_id=self.org_id,
                    resident_id=r.id,
                    relationship_type=CONTACT_RELATIONS[idx % len(CONTACT_RELATIONS)],
                    first_name=contact.first,
                    last_name=contact.last,
                    phone=self.phone(),
                    alternate_phone=self.phone() if idx % 2 == 0 else None,
                    email=self.email_for(contact),
                    address=self.address(),
                    notes=self.p(f"Call {contact.first} first in an emergency; prefers text after 6pm."),
                    is_emergency_contact=True,
                    is_primary=True,
                    consent_id=sponsor_consents[r.id].id if r.id in sponsor_consents else None,
                )
            )
            if r.current:
                sponsor = self.person(r.gender)
                self.add(
                    ResidentContact(
                        id=self.nid(),
                        org_id=self.org_id,
                        resident_id=r.id,
                        relationship_type=ContactRelationship.SPONSOR,
                        first_name=sponsor.first,
                        last_name=sponsor.last,
                        phone=self.phone(),
                        notes=self.p(f"{sponsor.first} has sponsored {r.person.first} since treatment."),
                    )
                )
            if r.i == 4:
                po = self.person()
                self.add(
                    ResidentContact(
                        id=self.nid(),
                        org_id=self.org_id,
                        resident_id=r.id,
                        relationship_type=ContactRelationship.PROBATION_OFFICER,
                        first_name=po.first,
                        last_name=po.last,
                        phone=self.phone(),
                        organization_name=self.p("Buncombe County Adult Probation Office"),
                    )
                )
        for r in self.residents:
            if not r.current or r.consent is None:
                continue
            assert r.move_in is not None
            if r.n % 2 == 1:
                self.add(
                    ConsentDisclosure(
                        id=self.nid(),
                        org_id=self.org_id,
                        consent_id=r.consent.id,
                        resident_id=r.id,
                        disclosed_at=_at(-self.rng.randint(2, 20), 14),
                        disclosed_by_user_id=self.case_manager.id,
                        recipient=self.p("Blue Ridge Intensive Outpatient Program, attn. intake team"),
                        information_disclosed=self.p(
                            f"{r.person.first}'s last four drug screen results (all negative) and meeting log"
                        ),
                        purpose=self.p("Treatment coordination under the signed consent"),
                        method=DisclosureMethod.ELECTRONIC,
                        redisclosure_notice_included=True,
                    )
                )
            delivered = _on(r.move_in, 15)
            refused = r.i == 3
            self.add(
                PatientNotice(
                    id=self.nid(),
                    org_id=self.org_id,
                    resident_id=r.id,
                    notice_type=PatientNoticeType.COMBINED,
                    notice_version="2026-01",
                    delivered_at=delivered,
                    acknowledged_at=None if refused else delivered + timedelta(minutes=20),
                    method=DisclosureMethod.IN_PERSON,
                    refusal_note=self.p(
                        f"{r.person.first} took a copy but declined to sign the acknowledgement; staff "
                        f"explained the notice verbally."
                    )
                    if refused
                    else None,
                )
            )
        self.flush()

    # --- money ----------------------------------------------------------------------------------------

    def ledger(self) -> None:
        specs = [
            ("1000", "Operating cash", LedgerAccountType.ASSET, EntryDirection.DEBIT, None),
            ("1100", "Accounts receivable", LedgerAccountType.ASSET, EntryDirection.DEBIT, None),
            ("2100", "Resident deposits held", LedgerAccountType.LIABILITY, EntryDirection.CREDIT, None),
            ("3000", "Owner's equity", LedgerAccountType.EQUITY, EntryDirection.CREDIT, None),
            ("4000", "Rent revenue", LedgerAccountType.REVENUE, EntryDirection.CREDIT, None),
            ("4100", "Program and testing fees", LedgerAccountType.REVENUE, EntryDirection.CREDIT, None),
            ("6100", "Payment processing fees", LedgerAccountType.EXPENSE, EntryDirection.DEBIT, None),
        ]
        for code, name, kind, normal, _ in specs:
            self.accounts[code] = self.add(
                LedgerAccount(
                    id=self.nid(),
                    org_id=self.org_id,
                    code=code,
                    name=name,
                    account_type=kind,
                    normal_balance=normal,
                    is_system=True,
                )
            )
        self.flush()
        self.accounts["1010"] = self.add(
            LedgerAccount(
                id=self.nid(),
                org_id=self.org_id,
                code="1010",
                name="Stripe clearing",
                description="Card and ACH receipts awaiting payout",
                account_type=LedgerAccountType.ASSET,
                normal_balance=EntryDirection.DEBIT,
                is_system=True,
                parent_id=self.accounts["1000"].id,
            )
        )
        self.flush()

    def _post(
        self,
        lines: list[tuple[str, EntryDirection, int]],
        when: date,
        description: str,
        *,
        resident: _Res | None = None,
        invoice: Invoice | None = None,
        payment: Payment | None = None,
        refund: Refund | None = None,
        deposit: Deposit | None = None,
        reverses: uuid.UUID | None = None,
    ) -> uuid.UUID:
        debits = sum(a for _, d, a in lines if d is EntryDirection.DEBIT)
        credits = sum(a for _, d, a in lines if d is EntryDirection.CREDIT)
        assert debits == credits and len(lines) >= 2, (description, debits, credits)
        journal = self.nid()
        for no, (code, direction, amount) in enumerate(lines, start=1):
            self.add(
                LedgerEntry(
                    id=self.nid(),
                    org_id=self.org_id,
                    journal_id=journal,
                    line_no=no,
                    account_id=self.accounts[code].id,
                    direction=direction,
                    amount_cents=amount,
                    resident_id=resident.id if resident else None,
                    invoice_id=invoice.id if invoice else None,
                    payment_id=payment.id if payment else None,
                    refund_id=refund.id if refund else None,
                    deposit_id=deposit.id if deposit else None,
                    reverses_journal_id=reverses,
                    effective_date=when,
                    description=description,
                )
            )
        return journal

    def _invoice(
        self,
        r: _Res,
        start: date,
        status: InvoiceStatus,
        lines: list[tuple[LineItemType, int, str | None]],
        *,
        rent: bool,
        memo: str | None = None,
    ) -> tuple[Invoice, list[tuple[LineItemType, int]]]:
        self._invoice_no += 1
        number = f"INV-2026-{self._invoice_no:06d}"
        issued = None if status is InvoiceStatus.DRAFT else start - timedelta(days=2)
        subtotal = sum(a for t, a, _ in lines if t is not LineItemType.CREDIT)
        total = sum(a for _, a, _ in lines)
        inv = self.add(
            Invoice(
                id=self.nid(),
                org_id=self.org_id,
                resident_id=r.id,
                payer_config_id=r.payer.id if r.payer and rent else None,
                house_id=r.house.id,
                number=number,
                status=status,
                is_rent=rent,
                period_start_date=start,
                period_end_date=start + timedelta(days=6),
                issued_date=issued,
                due_date=start + timedelta(days=3),
                subtotal_cents=subtotal,
                total_cents=total,
                memo=self.p(memo) if memo else None,
                idempotency_key=f"{'rent' if rent else 'adhoc'}:{r.id}:{start}:{self._invoice_no}",
                voided_at=_on(start, 12) if status is InvoiceStatus.VOID else None,
            )
        )
        self._pending_lines.append((inv, lines))
        return inv, [(t, a) for t, a, _ in lines]

    _pending_lines: list[tuple[Invoice, list[tuple[LineItemType, int, str | None]]]]

    def billing(self) -> None:
        self._pending_lines = []
        self.ledger()
        # Saved payment methods (Stripe tokens only) and a family payer for some residents.
        methods: dict[uuid.UUID, PaymentMethod] = {}
        family_payers: dict[uuid.UUID, PayerConfig] = {}
        payer_names: dict[uuid.UUID, str] = {}
        for r in self.residents:
            if r.i == 3:
                parent = self.person()
                payer_names[r.id] = parent.full
                family_payers[r.id] = self.add(
                    PayerConfig(
                        id=self.nid(),
                        org_id=self.org_id,
                        resident_id=r.id,
                        payer_type=PayerType.FAMILY,
                        is_individual=True,
                        contact_name=parent.full,
                        contact_email=self.email_for(parent),
                        contact_phone=self.phone(),
                        billing_address=self.address(),
                        billing_frequency=BillingFrequency.WEEKLY,
                        split_percentage=Decimal("50.00"),
                        effective_from_date=r.move_in,
                    )
                )
        self.flush()
        for r in self.residents:
            if not r.current:
                continue
            pm_id = self.nid()
            methods[r.id] = self.add(
                PaymentMethod(
                    id=pm_id,
                    org_id=self.org_id,
                    resident_id=r.id,
                    method_type=PaymentMethodType.CARD,
                    stripe_payment_method_id=f"pm_{pm_id.hex[:24]}",
                    stripe_customer_id=f"cus_{r.id.hex[:14]}",
                    brand=self.pick(["visa", "mastercard", "discover"]),
                    last4=f"{self.rng.randint(1000, 9999)}",
                    exp_month=self.rng.randint(1, 12),
                    exp_year=2027 + self.rng.randint(0, 3),
                    holder_name=r.person.full,
                    is_default=True,
                )
            )
            if r.id in family_payers:
                ach_id = self.nid()
                self.add(
                    PaymentMethod(
                        id=ach_id,
                        org_id=self.org_id,
                        resident_id=r.id,
                        payer_config_id=family_payers[r.id].id,
                        method_type=PaymentMethodType.ACH,
                        stripe_payment_method_id=f"pm_{ach_id.hex[:24]}",
                        brand="First Mountain Credit Union",
                        last4=f"{self.rng.randint(1000, 9999)}",
                        holder_name=payer_names[r.id],
                    )
                )

        # Invoices: last week's rent paid, this week's open (overdue), next week's draft.
        week1, week2, week3 = _day(-14), _day(-7), _day(0)
        posted: list[tuple[Invoice, _Res, list[tuple[LineItemType, int]]]] = []
        open_invoices: list[tuple[Invoice, _Res]] = []
        paid: list[tuple[Invoice, _Res, int]] = []
        void_inv: tuple[Invoice, _Res, list[tuple[LineItemType, int]]] | None = None
        for r in self.residents:
            if r.status is ResidentStatus.WAITLISTED:
                continue
            rent = (
                LineItemType.RENT,
                r.weekly_rate,
                self.p(f"Weekly rent, {r.house.name}, bed for {r.person.first}"),
            )
            if r.status is ResidentStatus.DISCHARGED:
                assert r.move_out is not None
                inv, ls = self._invoice(
                    r, r.move_out - timedelta(days=6), InvoiceStatus.PAID, [rent], rent=True
                )
                posted.append((inv, r, ls))
                paid.append((inv, r, inv.total_cents))
                continue
            lines1: list[tuple[LineItemType, int, str | None]] = [rent]
            if r.n % 2 == 0:
                lines1.append(
                    (
                        LineItemType.DRUG_TEST_FEE,
                        2500,
                        self.p(f"Random UA for {r.person.first}, observed collection"),
                    )
                )
            if r.i == 2:
                lines1.append(
                    (LineItemType.CREDIT, -1500, self.p(f"Chore bonus credit for {r.person.first}"))
                )
            inv1, ls1 = self._invoice(r, week1, InvoiceStatus.PAID, lines1, rent=True)
            posted.append((inv1, r, ls1))
            paid.append((inv1, r, inv1.total_cents))
            partial = r.n % 3 == 0
            inv2, ls2 = self._invoice(
                r,
                week2,
                InvoiceStatus.PARTIALLY_PAID if partial else InvoiceStatus.OPEN,
                [rent],
                rent=True,
                memo=f"{r.person.first} agreed to a payment plan after missing two shifts"
                if partial
                else None,
            )
            posted.append((inv2, r, ls2))
            open_invoices.append((inv2, r))
            if partial:
                paid.append((inv2, r, inv2.total_cents // 2))
            self._invoice(r, week3, InvoiceStatus.DRAFT, [rent], rent=True)
            if void_inv is None:
                vi, vls = self._invoice(
                    r,
                    week2,
                    InvoiceStatus.VOID,
                    [
                        (
                            LineItemType.PROGRAM_FEE,
                            7500,
                            self.p(f"Life-skills workshop fee for {r.person.first}"),
                        )
                    ],
                    rent=False,
                )
                void_inv = (vi, r, vls)
        self.flush()
        for inv, lines in self._pending_lines:
            for pos, (ltype, amount, desc) in enumerate(lines):
                rate_id = (
                    self.rent_rates[inv.house_id].id if ltype is LineItemType.RENT and inv.house_id else None
                )
                self.add(
                    InvoiceLineItem(
                        id=self.nid(),
                        org_id=self.org_id,
                        invoice_id=inv.id,
                        line_type=ltype,
                        rate_config_id=rate_id,
                        description=desc,
                        quantity=Decimal(1),
                        unit_amount_cents=amount,
                        amount_cents=amount,
                        position=pos,
                    )
                )

        # Payments.
        payments: list[tuple[Payment, Invoice | None, _Res]] = []
        for inv, r, amount in paid:
            card = r.id in methods and r.i % 4 != 1
            pay_id = self.nid()
            pay = self.add(
                Payment(
                    id=pay_id,
                    org_id=self.org_id,
                    resident_id=r.id,
                    invoice_id=inv.id,
                    payer_config_id=inv.payer_config_id,
                    payment_method_id=methods[r.id].id if card else None,
                    amount_cents=amount,
                    method=PaymentMethodType.CARD if card else PaymentMethodType.CHECK,
                    status=PaymentStatus.SUCCEEDED,
                    stripe_payment_intent_id=f"pi_{pay_id.hex[:24]}" if card else None,
                    idempotency_key=f"payment:{inv.id}:{amount}",
                    received_at=_on(inv.due_date, 10),
                    reference_number=None
                    if card
                    else self.p(f"Check no. {self.rng.randint(1000, 9999)}-{r.n:03d}"),
                    recorded_by=None if card else self.users[UserRole.BILLING_SPECIALIST].id,
                )
            )
            payments.append((pay, inv, r))
        # A declined card attempt on one open invoice.
        if open_invoices:
            inv, r = open_invoices[0]
            fail_id = self.nid()
            self.add(
                Payment(
                    id=fail_id,
                    org_id=self.org_id,
                    resident_id=r.id,
                    invoice_id=inv.id,
                    payment_method_id=methods[r.id].id,
                    amount_cents=inv.total_cents,
                    method=PaymentMethodType.CARD,
                    status=PaymentStatus.FAILED,
                    stripe_payment_intent_id=f"pi_{fail_id.hex[:24]}",
                    idempotency_key=f"payment:{inv.id}:retry-1",
                    failure_code="card_declined",
                    failure_message="Your card was declined.",
                )
            )
        # Deposits, each funded by an on-account payment.
        deposit_payments: list[tuple[Payment, _Res]] = []
        for r in self.residents:
            if r.move_in is None:
                continue
            pay = self.add(
                Payment(
                    id=self.nid(),
                    org_id=self.org_id,
                    resident_id=r.id,
                    amount_cents=50000,
                    method=PaymentMethodType.MONEY_ORDER,
                    status=PaymentStatus.SUCCEEDED,
                    idempotency_key=f"deposit:{r.id}",
                    received_at=_on(r.move_in, 13),
                    reference_number=self.p(f"Money order {self.rng.randint(10**9, 10**10 - 1)}"),
                    recorded_by=self.users[UserRole.BILLING_SPECIALIST].id,
                )
            )
            r.deposit_payment = pay
            deposit_payments.append((pay, r))
        self.flush()
        deposits: list[tuple[Deposit, Payment, _Res]] = []
        for pay, r in deposit_payments:
            assert r.move_in is not None and r.admission is not None
            gone = r.status is ResidentStatus.DISCHARGED
            dep = self.add(
                Deposit(
                    id=self.nid(),
                    org_id=self.org_id,
                    resident_id=r.id,
                    admission_id=r.admission.id,
                    payment_id=pay.id,
                    amount_cents=50000,
                    status=DepositStatus.REFUNDED if gone else DepositStatus.HELD,
                    received_date=r.move_in,
                    refunded_date=r.move_out if gone else None,
                )
            )
            deposits.append((dep, pay, r))
        self.flush()
        refunds: list[tuple[Refund, Deposit, _Res]] = []
        for dep, pay, r in deposits:
            if dep.status is not DepositStatus.REFUNDED:
                continue
            assert r.move_out is not None
            refunds.append(
                (
                    self.add(
                        Refund(
                            id=self.nid(),
                            org_id=self.org_id,
                            payment_id=pay.id,
                            resident_id=r.id,
                            deposit_id=dep.id,
                            amount_cents=35000,
                            method=PaymentMethodType.CHECK,
                            status=RefundStatus.SUCCEEDED,
                            idempotency_key=f"refund:deposit:{dep.id}",
                            reason=self.p(
                                f"Deposit returned to {r.person.first} less $150 for a damaged closet door"
                            ),
                            requested_by=self.users[UserRole.BILLING_SPECIALIST].id,
                            approved_by=self.users[UserRole.EXECUTIVE_DIRECTOR].id,
                            processed_at=_on(r.move_out, 15) + timedelta(days=3),
                        )
                    ),
                    dep,
                    r,
                )
            )
        self.flush()

        # The ledger: every issued invoice, payment, deposit and refund as a balanced journal.
        for inv, r, ls in posted:
            rent_amt = sum(a for t, a in ls if t is LineItemType.RENT)
            fee_amt = sum(a for t, a in ls if t not in (LineItemType.RENT, LineItemType.CREDIT))
            credit_amt = -sum(a for t, a in ls if t is LineItemType.CREDIT)
            jl: list[tuple[str, EntryDirection, int]] = [("1100", EntryDirection.DEBIT, inv.total_cents)]
            if credit_amt:
                jl.append(("4000", EntryDirection.DEBIT, credit_amt))
            if rent_amt:
                jl.append(("4000", EntryDirection.CREDIT, rent_amt))
            if fee_amt:
                jl.append(("4100", EntryDirection.CREDIT, fee_amt))
            assert inv.issued_date is not None
            self._post(jl, inv.issued_date, f"Invoice {inv.number}", resident=r, invoice=inv)
        if void_inv is not None:
            vi, vr, vls = void_inv
            amount = sum(a for _, a in vls)
            assert vi.issued_date is not None
            issued = self._post(
                [("1100", EntryDirection.DEBIT, amount), ("4100", EntryDirection.CREDIT, amount)],
                vi.issued_date,
                f"Invoice {vi.number}",
                resident=vr,
                invoice=vi,
            )
            self._post(
                [("4100", EntryDirection.DEBIT, amount), ("1100", EntryDirection.CREDIT, amount)],
                vi.period_start_date,
                f"Void of invoice {vi.number}",
                resident=vr,
                invoice=vi,
                reverses=issued,
            )
        for pay, pinv, r in payments:
            cash = "1010" if pay.method is PaymentMethodType.CARD else "1000"
            assert pay.received_at is not None
            self._post(
                [
                    (cash, EntryDirection.DEBIT, pay.amount_cents),
                    ("1100", EntryDirection.CREDIT, pay.amount_cents),
                ],
                pay.received_at.date(),
                f"Payment on invoice {pinv.number}" if pinv else "Payment on account",
                resident=r,
                invoice=pinv,
                payment=pay,
            )
        for dep, pay, r in deposits:
            self._post(
                [
                    ("1000", EntryDirection.DEBIT, dep.amount_cents),
                    ("2100", EntryDirection.CREDIT, dep.amount_cents),
                ],
                dep.received_date,
                "Security deposit received",
                resident=r,
                payment=pay,
                deposit=dep,
            )
        for ref, dep, r in refunds:
            assert ref.processed_at is not None
            kept = dep.amount_cents - ref.amount_cents
            self._post(
                [
                    ("2100", EntryDirection.DEBIT, dep.amount_cents),
                    ("1000", EntryDirection.CREDIT, ref.amount_cents),
                    ("4100", EntryDirection.CREDIT, kept),
                ],
                ref.processed_at.date(),
                "Security deposit returned at discharge, damages retained",
                resident=r,
                deposit=dep,
                refund=ref,
            )

        # Collections.
        default_steps = [
            {
                "step": 1,
                "days_after_due": 1,
                "action_type": "reminder_email",
                "template_key": "dunning.reminder.day1",
            },
            {
                "step": 2,
                "days_after_due": 3,
                "action_type": "reminder_sms",
                "template_key": "dunning.reminder.day3",
            },
            {"step": 3, "days_after_due": 5, "action_type": "late_fee", "template_key": "dunning.late_fee"},
            {"step": 4, "days_after_due": 10, "action_type": "staff_escalation", "template_key": None},
        ]
        dconf = self.add(
            DunningConfig(
                id=self.nid(),
                org_id=self.org_id,
                name="Standard collections",
                steps=default_steps,
                grace_days=2,
                late_fee_cents=2500,
                late_fee_cap_cents=7500,
            )
        )
        self.add(
            DunningConfig(
                id=self.nid(),
                org_id=self.org_id,
                house_id=self.houses[1].id,
                name="Willow House gentle schedule",
                steps=default_steps[:2],
                grace_days=5,
                late_fee_cents=0,
            )
        )
        self.flush()
        for inv, r in open_invoices:
            self.add(
                DunningAction(
                    id=self.nid(),
                    org_id=self.org_id,
                    invoice_id=inv.id,
                    resident_id=r.id,
                    dunning_config_id=dconf.id,
                    action_type=DunningActionType.REMINDER_EMAIL,
                    status=DunningActionStatus.SENT,
                    step_number=1,
                    scheduled_for=_on(inv.due_date + timedelta(days=1), 9),
                    executed_at=_on(inv.due_date + timedelta(days=1), 9, 2),
                    idempotency_key=f"dunning:{inv.id}:1",
                    template_key="dunning.reminder.day1",
                    provider_message_id=f"sg_{inv.id.hex[:20]}",
                )
            )
            self.add(
                DunningAction(
                    id=self.nid(),
                    org_id=self.org_id,
                    invoice_id=inv.id,
                    resident_id=r.id,
                    dunning_config_id=dconf.id,
                    action_type=DunningActionType.REMINDER_SMS,
                    status=DunningActionStatus.SCHEDULED,
                    step_number=2,
                    scheduled_for=_on(inv.due_date + timedelta(days=3), 9),
                    idempotency_key=f"dunning:{inv.id}:2",
                    template_key="dunning.reminder.day3",
                )
            )
        # Stripe reconciliation for card payments, plus one disputed item.
        matched = 0
        for pay, _inv, _r in payments:
            if pay.method is not PaymentMethodType.CARD:
                continue
            fee = round(pay.amount_cents * 0.029) + 30
            assert pay.received_at is not None
            disputed = matched == 1
            self.add(
                ReconciliationRecord(
                    id=self.nid(),
                    org_id=self.org_id,
                    stripe_balance_transaction_id=f"txn_{pay.id.hex[:24]}",
                    stripe_payout_id=f"po_{self.org_id.hex[:8]}{pay.received_at:%Y%m%d}",
                    transaction_type="charge",
                    payment_id=pay.id,
                    gross_amount_cents=pay.amount_cents,
                    fee_amount_cents=fee,
                    net_amount_cents=pay.amount_cents - fee,
                    available_on_date=pay.received_at.date() + timedelta(days=2),
                    payout_arrival_date=pay.received_at.date() + timedelta(days=3),
                    status=ReconciliationStatus.DISPUTED if disputed else ReconciliationStatus.MATCHED,
                    matched_at=None if disputed else pay.received_at + timedelta(days=3),
                    matched_by=None if disputed else self.users[UserRole.BILLING_SPECIALIST].id,
                    resolution_note=self.p(
                        f"Cardholder disputes the charge; {_r.person.first} says a relative used the card."
                    )
                    if disputed
                    else None,
                )
            )
            matched += 1
        for ref, _dep, _r in refunds:
            assert ref.processed_at is not None
            self.add(
                ReconciliationRecord(
                    id=self.nid(),
                    org_id=self.org_id,
                    stripe_balance_transaction_id=f"txn_{ref.id.hex[:24]}",
                    transaction_type="refund",
                    refund_id=ref.id,
                    gross_amount_cents=-ref.amount_cents,
                    fee_amount_cents=0,
                    net_amount_cents=-ref.amount_cents,
                    status=ReconciliationStatus.UNMATCHED,
                )
            )
        self.flush()

    # --- house operations ------------------------------------------------------------------------------

    def operations(self) -> None:
        current = [r for r in self.residents if r.current]
        hm = self.house_manager
        # Chores.
        org_templates = [
            ("Kitchen deep clean", "kitchen", ["wipe counters", "clean stovetop", "mop floor"], 45),
            ("Bathroom reset", "bathroom", ["scrub sink and tub", "restock paper", "empty trash"], 30),
        ]
        templates: list[ChoreTemplate] = []
        for name, area, checklist, minutes in org_templates:
            templates.append(
                self.add(
                    ChoreTemplate(
                        id=self.nid(),
                        org_id=self.org_id,
                        name=name,
                        area=area,
                        frequency=ChoreFrequency.WEEKLY,
                        default_points=2,
                        estimated_minutes=minutes,
                        checklist=checklist,
                    )
                )
            )
        house_templates: dict[uuid.UUID, ChoreTemplate] = {}
        for house in self.houses:
            house_templates[house.id] = self.add(
                ChoreTemplate(
                    id=self.nid(),
                    org_id=self.org_id,
                    house_id=house.id,
                    name="Porch and walkway sweep",
                    area="outside",
                    frequency=ChoreFrequency.DAILY,
                    default_points=1,
                    estimated_minutes=15,
                    checklist=["sweep porch", "clear walkway"],
                )
            )
        meeting_types = {
            MeetingKind.HOUSE_MEETING: "Weekly house meeting",
            MeetingKind.AA: "Home group (AA)",
            MeetingKind.NA: "NA step study",
            MeetingKind.SMART_RECOVERY: "SMART Recovery",
        }
        mtypes: dict[MeetingKind, MeetingType] = {}
        for mkind, name in meeting_types.items():
            mtypes[mkind] = self.add(
                MeetingType(
                    id=self.nid(),
                    org_id=self.org_id,
                    name=name,
                    kind=mkind,
                    counts_toward_requirement=mkind is not MeetingKind.HOUSE_MEETING,
                    requires_proof=mkind in (MeetingKind.AA, MeetingKind.NA),
                    default_duration_minutes=60,
                )
            )
        curfew_default = self.add(
            CurfewConfig(
                id=self.nid(),
                org_id=self.org_id,
                name="Phase 1 curfew",
                min_days_in_residence=0,
                weeknight_curfew=time(22, 0),
                weekend_curfew=time(23, 0),
                grace_minutes=10,
                effective_from_date=_day(-400),
            )
        )
        self.add(
            CurfewConfig(
                id=self.nid(),
                org_id=self.org_id,
                name="Phase 2 curfew",
                min_days_in_residence=60,
                weeknight_curfew=time(23, 0),
                weekend_curfew=time(23, 59),
                grace_minutes=15,
                effective_from_date=_day(-400),
            )
        )
        self.add(
            CurfewConfig(
                id=self.nid(),
                org_id=self.org_id,
                house_id=self.houses[1].id,
                name="Willow House phase 1",
                min_days_in_residence=0,
                weeknight_curfew=time(21, 30),
                weekend_curfew=time(22, 30),
                grace_minutes=5,
                effective_from_date=_day(-200),
                effective_until_date=_day(165),
            )
        )
        self.add(
            MeetingRequirement(
                id=self.nid(),
                org_id=self.org_id,
                required_count=3,
                period_days=7,
                min_days_in_residence=0,
                max_days_in_residence=90,
                effective_from_date=_day(-400),
            )
        )
        self.add(
            MeetingRequirement(
                id=self.nid(),
                org_id=self.org_id,
                house_id=self.houses[0].id,
                meeting_type_id=mtypes[MeetingKind.HOUSE_MEETING].id,
                kind=MeetingKind.HOUSE_MEETING,
                required_count=1,
                period_days=7,
                effective_from_date=_day(-400),
            )
        )
        self.flush()
        chores: dict[uuid.UUID, list[Chore]] = {}
        for house in self.houses:
            hc: list[Chore] = []
            for k, t in enumerate([*templates, house_templates[house.id]]):
                hc.append(
                    self.add(
                        Chore(
                            id=self.nid(),
                            org_id=self.org_id,
                            house_id=house.id,
                            template_id=t.id,
                            name=t.name,
                            area=t.area,
                            frequency=t.frequency,
                            day_of_week=(k * 2) % 7 if t.frequency is ChoreFrequency.WEEKLY else None,
                            points=t.default_points,
                            estimated_minutes=t.estimated_minutes,
                        )
                    )
                )
            chores[house.id] = hc
        meetings: dict[uuid.UUID, Meeting] = {}
        for house in self.houses:
            meetings[house.id] = self.add(
                Meeting(
                    id=self.nid(),
                    org_id=self.org_id,
                    house_id=house.id,
                    meeting_type_id=mtypes[MeetingKind.HOUSE_MEETING].id,
                    kind=MeetingKind.HOUSE_MEETING,
                    title=f"{house.name} weekly meeting",
                    starts_at=_at(-3, 19),
                    ends_at=_at(-3, 20),
                    location=f"{house.name} living room",
                    is_mandatory=True,
                    facilitator_user_id=hm.id,
                    notes=self.p(
                        "Discussed chore rotation; "
                        + ", ".join(r.person.first for r in current if r.house is house)
                        + " shared updates on work and step work."
                    ),
                )
            )
            self.add(
                Meeting(
                    id=self.nid(),
                    org_id=self.org_id,
                    house_id=house.id,
                    meeting_type_id=mtypes[MeetingKind.HOUSE_MEETING].id,
                    kind=MeetingKind.HOUSE_MEETING,
                    title=f"{house.name} weekly meeting",
                    starts_at=_at(4, 19),
                    ends_at=_at(4, 20),
                    location=f"{house.name} living room",
                    is_mandatory=True,
                    facilitator_user_id=hm.id,
                )
            )
        outside = self.add(
            Meeting(
                id=self.nid(),
                org_id=self.org_id,
                meeting_type_id=mtypes[MeetingKind.AA].id,
                kind=MeetingKind.AA,
                title="Noon home group",
                starts_at=_at(-2, 12),
                ends_at=_at(-2, 13),
                location="First Street community hall",
                is_external=True,
            )
        )
        self.flush()

        # Drug tests (before passes and incidents, which point at them).
        for r in self.residents:
            if r.move_in is None:
                continue
            self._coc_no += 1
            collected = _at(-self.rng.randint(3, 12), 7, 30) if r.current else _on(r.move_out or _day(-20), 8)
            positive = r.status is ResidentStatus.DISCHARGED
            test = self.add(
                DrugTest(
                    id=self.nid(),
                    org_id=self.org_id,
                    resident_id=r.id,
                    house_id=r.house.id,
                    test_type=DrugTestType.URINE,
                    result=DrugTestResult.POSITIVE if positive else DrugTestResult.NEGATIVE,
                    is_random=not positive,
                    collected_at=collected,
                    collected_by_user_id=hm.id,
                    observed_collection=True,
                    chain_of_custody_id=f"COC-{self._coc_no:06d}",
                    sent_to_lab_at=collected + timedelta(hours=3) if positive else None,
                    resulted_at=collected + timedelta(minutes=10),
                    reviewed_by_user_id=self.case_manager.id,
                    reviewed_at=collected + timedelta(hours=2),
                    fee_cents=2500,
                    substances_detected=[{"substance": r.substance, "level_ng_ml": self.rng.randint(20, 900)}]
                    if positive
                    else [],
                    lab_details={
                        "lab": "Piedmont Toxicology",
                        "panel": "12-panel cup",
                        "accession": f"PT{self.rng.randint(10**6, 10**7)}",
                    },
                    declared_medications=[m["name"] for m in MEDICATIONS[:1]] if r.n % 4 == 0 else [],
                    reason=self.p(f"For cause: {r.person.first} seemed impaired at the house meeting")
                    if positive
                    else None,
                    notes=self.p(
                        f"{r.person.first} provided specimen without issue; temperature strip in range."
                    )
                    if not positive
                    else self.p(f"{r.person.first} admitted use before the result was read."),
                )
            )
            r.drug_tests.append(test)
        self.flush()
        for r in self.residents:
            if r.status is not ResidentStatus.DISCHARGED or not r.drug_tests:
                continue
            screen = r.drug_tests[0]
            self._coc_no += 1
            r.drug_tests.append(
                self.add(
                    DrugTest(
                        id=self.nid(),
                        org_id=self.org_id,
                        resident_id=r.id,
                        house_id=r.house.id,
                        test_type=DrugTestType.URINE,
                        result=DrugTestResult.POSITIVE,
                        is_random=False,
                        collected_at=screen.collected_at,
                        chain_of_custody_id=f"COC-{self._coc_no:06d}",
                        sent_to_lab_at=screen.collected_at + timedelta(hours=3),
                        resulted_at=screen.collected_at + timedelta(days=2),
                        confirms_test_id=screen.id,
                        substances_detected=[{"substance": r.substance, "method": "LC-MS/MS confirmation"}],
                        lab_details={
                            "lab": "Piedmont Toxicology",
                            "panel": "GC/MS confirmation",
                            "mro_reviewed": True,
                        },
                    )
                )
            )
        self.flush()

        # Passes.
        passes: dict[uuid.UUID, Pass] = {}
        for r in current:
            kind = r.i
            host = self.person()
            base = {
                "id": self.nid(),
                "org_id": self.org_id,
                "resident_id": r.id,
                "house_id": r.house.id,
                "destination": self.address()["line1"] + ", Weaverville",
                "host_contact": {"name": host.full, "phone": self.phone(), "relationship": "aunt"},
                "reason": self.p(f"{r.person.first} is visiting family for a birthday and a church service"),
                "requested_at": _at(-6, 12),
            }
            if kind in (0, 4):
                continue
            if r.status is ResidentStatus.ON_PASS:
                p = Pass(
                    **base,
                    pass_type=PassType.OVERNIGHT,
                    status=PassStatus.ACTIVE,
                    departs_at=_at(-1, 10),
                    returns_at=_at(1, 18),
                    actual_departed_at=_at(-1, 10, 15),
                    decided_by_user_id=hm.id,
                    decided_at=_at(-3, 9),
                    drug_test_required_on_return=True,
                )
            elif kind == 1:
                p = Pass(
                    **base,
                    pass_type=PassType.WEEKEND,
                    status=PassStatus.COMPLETED,
                    departs_at=_at(-9, 17),
                    returns_at=_at(-7, 18),
                    actual_departed_at=_at(-9, 17, 5),
                    actual_returned_at=_at(-7, 17, 40),
                    decided_by_user_id=hm.id,
                    decided_at=_at(-10, 9),
                    drug_test_required_on_return=True,
                    return_drug_test_id=r.drug_tests[0].id if r.drug_tests else None,
                )
            elif kind == 2:
                p = Pass(
                    **base,
                    pass_type=PassType.DAY,
                    status=PassStatus.DENIED,
                    departs_at=_at(2, 9),
                    returns_at=_at(2, 20),
                    decided_by_user_id=hm.id,
                    decided_at=_at(-1, 9),
                    denial_reason=self.p(
                        f"{r.person.first} is in the first 30 days; day passes start in phase 2."
                    ),
                )
            else:
                p = Pass(
                    **base,
                    pass_type=PassType.DAY,
                    status=PassStatus.REQUESTED,
                    departs_at=_at(3, 9),
                    returns_at=_at(3, 21),
                )
            passes[r.id] = self.add(p)
        self.flush()

        # Incidents.
        incidents: dict[uuid.UUID, Incident] = {}
        for r in self.residents:
            kind = r.i
            if r.status is ResidentStatus.DISCHARGED and r.drug_tests:
                witness = self.person()
                occurred = r.drug_tests[0].collected_at - timedelta(hours=12)
                incidents[r.id] = self.add(
                    Incident(
                        id=self.nid(),
                        org_id=self.org_id,
                        house_id=r.house.id,
                        resident_id=r.id,
                        incident_type=IncidentType.RELAPSE,
                        severity=IncidentSeverity.HIGH,
                        status=IncidentStatus.CLOSED,
                        occurred_at=occurred,
                        reported_at=occurred + timedelta(hours=1),
                        reported_by_user_id=hm.id,
                        location="back porch",
                        naloxone_administered=False,
                        drug_test_id=r.drug_tests[0].id,
                        follow_up_due_date=occurred.date() + timedelta(days=3),
                        resolved_at=occurred + timedelta(days=2),
                        resolved_by_user_id=self.users[UserRole.EXECUTIVE_DIRECTOR].id,
                        description=self.p(
                            f"{r.person.full} returned after curfew visibly impaired and later admitted "
                            f"using {r.substance} with an old friend."
                        ),
                        involved_parties=[{"resident_id": str(r.id), "role": "primary"}],
                        witnesses=[
                            {
                                "name": witness.full,
                                "statement": self.p(
                                    f"{witness.first} saw {r.person.first} stumble on the porch steps."
                                ),
                            }
                        ],
                        actions_taken=self.p(
                            f"Stayed with {r.person.first}, checked breathing, naloxone ready; paged on-call."
                        ),
                        resolution_notes=self.p(
                            f"{r.person.first} chose discharge to intensive outpatient care."
                        ),
                    )
                )
            elif kind == 3 and r.current:
                occurred = _at(-1, 22, 40)
                incidents[r.id] = self.add(
                    Incident(
                        id=self.nid(),
                        org_id=self.org_id,
                        house_id=r.house.id,
                        resident_id=r.id,
                        incident_type=IncidentType.CURFEW_VIOLATION,
                        severity=IncidentSeverity.LOW,
                        status=IncidentStatus.OPEN,
                        occurred_at=occurred,
                        reported_at=occurred + timedelta(minutes=30),
                        reported_by_user_id=hm.id,
                        location="front door",
                        follow_up_due_date=_day(2),
                        description=self.p(
                            f"{r.person.full} came in 40 minutes late; the night-shift bus broke down."
                        ),
                    )
                )
            elif kind == 4 and r.current:
                occurred = _at(-8, 16)
                incidents[r.id] = self.add(
                    Incident(
                        id=self.nid(),
                        org_id=self.org_id,
                        house_id=r.house.id,
                        resident_id=r.id,
                        incident_type=IncidentType.CONFLICT,
                        severity=IncidentSeverity.MEDIUM,
                        status=IncidentStatus.RESOLVED,
                        occurred_at=occurred,
                        reported_at=occurred + timedelta(hours=2),
                        reported_by_user_id=hm.id,
                        location="kitchen",
                        police_involved=True,
                        resolved_at=occurred + timedelta(days=1),
                        resolved_by_user_id=hm.id,
                        description=self.p(
                            f"Shouting match between {r.person.first} and a housemate over kitchen chores; "
                            f"a neighbour called the police."
                        ),
                        police_report_number=self.p(f"WPD-26-{self.rng.randint(100000, 999999)}"),
                        resolution_notes=self.p(f"Mediated house meeting; {r.person.first} apologised."),
                    )
                )
        self.flush()

        # Per-resident daily routines.
        for r in current:
            assert r.move_in is not None and r.admission is not None
            kind = r.i
            hc = chores[r.house.id]
            for k, (chore, due, status) in enumerate(
                [
                    (hc[0], _day(-1), ChoreStatus.VERIFIED if kind != 4 else ChoreStatus.MISSED),
                    (hc[1], _day(-1), ChoreStatus.COMPLETED if kind != 2 else ChoreStatus.EXCUSED),
                    (hc[2], _day(1), ChoreStatus.ASSIGNED),
                ]
            ):
                done = status in (ChoreStatus.COMPLETED, ChoreStatus.VERIFIED)
                note = None
                if status is ChoreStatus.MISSED:
                    note = self.p(f"{r.person.first} missed the kitchen clean, second time this month.")
                elif status is ChoreStatus.EXCUSED:
                    note = self.p(f"Excused: {r.person.first} had a court appearance that morning.")
                self.add(
                    ChoreAssignment(
                        id=self.nid(),
                        org_id=self.org_id,
                        chore_id=chore.id,
                        resident_id=r.id,
                        due_date=due,
                        status=status,
                        completed_at=_on(due, 18) if done else None,
                        verified_by_user_id=hm.id if status is ChoreStatus.VERIFIED else None,
                        verified_at=_on(due, 20) if status is ChoreStatus.VERIFIED else None,
                        photo_file_id=self.misc_file.id if k == 0 and kind == 1 else None,
                        notes=note,
                    )
                )
            late = kind == 3
            self.add(
                MeetingAttendance(
                    id=self.nid(),
                    org_id=self.org_id,
                    meeting_id=meetings[r.house.id].id,
                    resident_id=r.id,
                    attended_at=_at(-3, 19, 15 if late else 0),
                    status=AttendanceStatus.LATE if late else AttendanceStatus.PRESENT,
                    verified_by_user_id=hm.id,
                    verified_at=_at(-3, 20, 30),
                    notes=self.p(f"{r.person.first} arrived late from work; stayed for the full check-in.")
                    if late
                    else None,
                )
            )
            self.add(
                MeetingAttendance(
                    id=self.nid(),
                    org_id=self.org_id,
                    meeting_id=outside.id,
                    resident_id=r.id,
                    attended_at=_at(-2, 12),
                    status=AttendanceStatus.PRESENT,
                )
            )
            self.add(
                MeetingAttendance(
                    id=self.nid(),
                    org_id=self.org_id,
                    resident_id=r.id,
                    kind=MeetingKind.NA,
                    external_meeting_name="Tuesday night candlelight group",
                    attended_at=_at(-5, 20),
                    status=AttendanceStatus.PRESENT,
                    proof_file_id=None,
                    notes=self.p(f"{r.person.first} brought a signed attendance slip from the chairperson."),
                )
            )
            if kind == 4:
                self.add(
                    MeetingRequirement(
                        id=self.nid(),
                        org_id=self.org_id,
                        resident_id=r.id,
                        required_count=90,
                        period_days=90,
                        effective_from_date=r.move_in,
                        effective_until_date=r.move_in + timedelta(days=89),
                        reason=self.p(
                            f"Recovery court order: {r.person.first} must attend 90 meetings in 90 days"
                        ),
                    )
                )
            for d in (-2, -1):
                night = _day(d)
                cstatus = CheckInStatus.ON_TIME
                if d == -1 and kind == 3:
                    cstatus = CheckInStatus.LATE
                if d == -1 and r.status is ResidentStatus.ON_PASS:
                    cstatus = CheckInStatus.EXCUSED
                due = _on(night, 22)
                self.add(
                    CurfewCheckIn(
                        id=self.nid(),
                        org_id=self.org_id,
                        resident_id=r.id,
                        house_id=r.house.id,
                        curfew_config_id=curfew_default.id,
                        curfew_date=night,
                        due_at=due,
                        checked_in_at=None
                        if cstatus is CheckInStatus.EXCUSED
                        else due + timedelta(minutes=40 if cstatus is CheckInStatus.LATE else -25),
                        status=cstatus,
                        method="kiosk",
                        verified_by_user_id=hm.id,
                        pass_id=passes[r.id].id
                        if cstatus is CheckInStatus.EXCUSED and r.id in passes
                        else None,
                        incident_id=incidents[r.id].id
                        if cstatus is CheckInStatus.LATE and r.id in incidents
                        else None,
                        location={
                            "lat": 35.6 + self.rng.random() / 10,
                            "lng": -82.6 + self.rng.random() / 10,
                            "accuracy_m": 12,
                        },
                        excuse_reason=self.p(f"{r.person.first} is on an approved overnight pass with family")
                        if cstatus is CheckInStatus.EXCUSED
                        else None,
                    )
                )
            for d in (-3, -2, -1):
                day = _day(d)
                self.add(
                    DailyCheckIn(
                        id=self.nid(),
                        org_id=self.org_id,
                        resident_id=r.id,
                        house_id=r.house.id,
                        check_in_date=day,
                        checked_in_at=_on(day, 8, self.rng.randint(0, 50)),
                        status=CheckInStatus.ON_TIME,
                        method="app",
                        reviewed_by_user_id=hm.id if d < -1 else None,
                        reviewed_at=_on(day, 12) if d < -1 else None,
                        location={
                            "lat": 35.6 + self.rng.random() / 10,
                            "lng": -82.6 + self.rng.random() / 10,
                        },
                        responses={
                            "sober_today": True,
                            "plans": self.p(
                                f"{r.person.first}: work shift 9 to 5, then noon meeting tomorrow (day {d})"
                            ),
                        },
                        notes=self.p(
                            f"{r.person.first} feels steady today; talked to sponsor last night (day {d})"
                        )
                        if d == -1
                        else None,
                    )
                )
            for d in (-2, -1):
                day = _day(d)
                follow = kind == 2 and d == -1
                self.add(
                    WellnessCheckIn(
                        id=self.nid(),
                        org_id=self.org_id,
                        resident_id=r.id,
                        house_id=r.house.id,
                        check_in_date=day,
                        submitted_at=_on(day, 21),
                        submitted_by_user_id=self.users[UserRole.RESIDENT].id
                        if r is self.residents[0]
                        else None,
                        follow_up_requested=follow,
                        reviewed_by_user_id=self.users[UserRole.PEER_SUPPORT].id if follow else None,
                        reviewed_at=_on(day, 22) if follow else None,
                        mood_rating=self.rng.randint(3, 9),
                        craving_rating=self.rng.randint(0, 6),
                        stress_rating=self.rng.randint(2, 8),
                        sleep_rating=self.rng.randint(3, 9),
                        responses={
                            "triggers": self.p(
                                f"{r.person.first}: payday and driving past the old neighbourhood"
                            ),
                            "gratitude": "my sponsor and a steady job",
                            "medication_taken": r.substance in ("fentanyl", "oxycodone", "heroin"),
                        },
                        notes=self.p(
                            f"{r.person.first} wrote: rough night, cravings after a call from an ex (day {d})"
                        )
                        if follow
                        else None,
                        staff_notes=self.p(
                            f"Peer support met {r.person.first} the same evening; safety plan reviewed."
                        )
                        if follow
                        else None,
                    )
                )
            self.add(
                ClinicalAssessment(
                    id=self.nid(),
                    org_id=self.org_id,
                    resident_id=r.id,
                    admission_id=r.admission.id,
                    instrument="PHQ-9",
                    instrument_version="2001",
                    administered_at=_on(r.move_in, 17),
                    administered_by_user_id=self.case_manager.id,
                    completed_at=_on(r.move_in, 17, 20),
                    next_due_date=_day(self.rng.randint(5, 40)),
                    consent_id=r.consent.id if r.consent else None,
                    score=self.rng.randint(4, 19),
                    subscale_scores={},
                    severity=self.pick(["mild", "moderate", "moderately severe"]),
                    answers={f"q{i}": self.rng.randint(0, 3) for i in range(1, 10)},
                    clinician_notes=self.p(
                        f"{r.person.first} reports low mood since leaving treatment; refer to a counselor."
                    ),
                )
            )
            if kind == 1:
                self.add(
                    ClinicalAssessment(
                        id=self.nid(),
                        org_id=self.org_id,
                        resident_id=r.id,
                        admission_id=r.admission.id,
                        instrument="BAM",
                        administered_at=_at(-10, 14),
                        completed_at=_at(-10, 14, 30),
                        consent_id=r.consent.id if r.consent else None,
                        file_id=self.id_scans[r.id].id,
                        score=self.rng.randint(5, 30),
                        subscale_scores={"use": 1, "risk": 9, "protective": 18},
                        external_clinician=self.p("Helena Marchetti-Voss, LCSW, Blue Ridge IOP"),
                        clinician_notes=self.p(
                            f"BAM for {r.person.first}: protective factors strong, risk moderate."
                        ),
                    )
                )

        # Maintenance, vehicles, tasks.
        for h, house in enumerate(self.houses):
            self.add(
                MaintenanceRequest(
                    id=self.nid(),
                    org_id=self.org_id,
                    house_id=house.id,
                    category="plumbing",
                    title="Leaking kitchen faucet",
                    description="Drip under the sink; cabinet floor is wet.",
                    priority=Priority.NORMAL,
                    status=MaintenanceStatus.RESOLVED,
                    reported_by_user_id=hm.id,
                    reported_at=_at(-12, 9),
                    assigned_to_user_id=self.users[UserRole.PROPERTY_MANAGER].id,
                    vendor_name="Ridgeline Plumbing Co.",
                    scheduled_for=_at(-10, 10),
                    resolved_at=_at(-10, 12),
                    entry_permitted=True,
                    estimated_cost_cents=18000,
                    actual_cost_cents=16500,
                )
            )
            if h % 2 == 0:
                damager = next((r for r in current if r.house is house), None)
                self.add(
                    MaintenanceRequest(
                        id=self.nid(),
                        org_id=self.org_id,
                        house_id=house.id,
                        room_id=self.house_rooms[house.id][1].id,
                        category="structural",
                        title="Broken window latch",
                        priority=Priority.HIGH,
                        status=MaintenanceStatus.SCHEDULED,
                        reported_by_user_id=hm.id,
                        reported_at=_at(-2, 18),
                        assigned_to_user_id=self.users[UserRole.PROPERTY_MANAGER].id,
                        scheduled_for=_at(2, 10),
                        estimated_cost_cents=9000,
                        chargeback_resident_id=damager.id if damager else None,
                        photo_file_id=self.misc_file.id,
                        internal_notes=self.p(
                            f"{damager.person.first} forced the latch after being locked out past curfew."
                        )
                        if damager
                        else None,
                    )
                )
        for r in current:
            if r.i != 1:
                continue
            self.add(
                Vehicle(
                    id=self.nid(),
                    org_id=self.org_id,
                    resident_id=r.id,
                    house_id=r.house.id,
                    make="Honda",
                    model="Civic",
                    year=2014,
                    color="silver",
                    parking_spot="Driveway 2",
                    registration_expires_date=_day(120),
                    insurance_expires_date=_day(60),
                    license_plate=self.p(f"PKR-{self.rng.randint(1000, 9999)}"),
                    license_plate_state="NC",
                    vin=self.p(f"2HGFB2F5{self.rng.randint(10**8, 10**9 - 1)}"),
                    insurance_policy_number=self.p(f"POL-{self.rng.randint(10**7, 10**8 - 1)}"),
                    notes=self.p(f"{r.person.first} uses the car for the early bakery shift."),
                )
            )
        self.add(
            Vehicle(
                id=self.nid(),
                org_id=self.org_id,
                house_id=self.houses[0].id,
                is_org_owned=True,
                make="Ford",
                model="Transit 350",
                year=2022,
                color="white",
                parking_spot="Side lot",
                registration_expires_date=_day(200),
                license_plate=self.p(f"RCV-{self.rng.randint(1000, 9999)}"),
                license_plate_state="NC",
            )
        )
        for r, inc in ((self._res(rid), inc) for rid, inc in incidents.items()):
            done = inc.status in (IncidentStatus.CLOSED, IncidentStatus.RESOLVED)
            self.add(
                Task(
                    id=self.nid(),
                    org_id=self.org_id,
                    assigned_to_user_id=self.case_manager.id,
                    resident_id=r.id,
                    house_id=r.house.id,
                    related_entity_type="incidents",
                    related_entity_id=inc.id,
                    status=TaskStatus.DONE if done else TaskStatus.OPEN,
                    priority=Priority.HIGH,
                    due_at=inc.occurred_at + timedelta(days=2),
                    completed_at=inc.occurred_at + timedelta(days=1) if done else None,
                    completed_by_user_id=self.case_manager.id if done else None,
                    source="incident_follow_up",
                    title=self.p(
                        f"Follow up with {r.person.full} after the {inc.incident_type.value} report",
                    ),
                    description=self.p(
                        f"Review the incident with {r.person.first} and update the recovery plan."
                    ),
                )
            )
        self.add(
            Task(
                id=self.nid(),
                org_id=self.org_id,
                assigned_to_user_id=self.users[UserRole.COMPLIANCE_OFFICER].id,
                status=TaskStatus.IN_PROGRESS,
                priority=Priority.NORMAL,
                due_at=_at(10, 17),
                title="Annual HIPAA and Part 2 staff training",
                description="Schedule the refresher and collect attestations from every staff member.",
            )
        )
        self.flush()

    def _res(self, rid: uuid.UUID) -> _Res:
        return next(r for r in self.residents if r.id == rid)

    # --- compliance -----------------------------------------------------------------------------------

    def compliance(self) -> None:
        co = self.users[UserRole.COMPLIANCE_OFFICER]
        current = [r for r in self.residents if r.current]
        vendor_contact = self.person()
        lab_contact = self.person()
        hosting = self.add(
            BaaRecord(
                id=self.nid(),
                org_id=self.org_id,
                vendor_name="Nimbus Cloud Hosting LLC",
                services_description="Managed database and object storage hosting",
                is_qso=False,
                status=BaaStatus.ACTIVE,
                signed_date=_day(-300),
                effective_date=_day(-300),
                expires_date=_day(430),
                contact_name=vendor_contact.full,
                contact_email=self.email_for(vendor_contact),
            )
        )
        self.add(
            BaaRecord(
                id=self.nid(),
                org_id=self.org_id,
                vendor_name="Piedmont Toxicology Laboratories",
                services_description="Urine drug testing and confirmation",
                is_qso=True,
                status=BaaStatus.ACTIVE,
                signed_date=_day(-500),
                effective_date=_day(-500),
                expires_date=_day(230),
                contact_name=lab_contact.full,
                contact_email=self.email_for(lab_contact),
            )
        )
        self.add(
            BaaRecord(
                id=self.nid(),
                org_id=self.org_id,
                vendor_name="Paperless Fax Relay Inc.",
                services_description="Fax to email gateway (retired)",
                status=BaaStatus.TERMINATED,
                signed_date=_day(-900),
                effective_date=_day(-900),
                expires_date=_day(-100),
                terminated_date=_day(-120),
            )
        )
        self.flush()
        discovered = _at(-12, 10)
        affected = current[:2]
        self.add(
            BreachIncident(
                id=self.nid(),
                org_id=self.org_id,
                occurred_at=discovered - timedelta(days=3),
                discovered_at=discovered,
                reported_by_user_id=co.id,
                status=BreachStatus.RISK_ASSESSED,
                risk_level=BreachRiskLevel.MODERATE,
                baa_record_id=hosting.id,
                involves_part2=True,
                description=self.p(
                    "A storage link to two residents' intake packets was shared with an unauthorised "
                    f"recipient; packets named {' and '.join(r.person.full for r in affected)}."
                ),
                phi_involved=self.p(
                    "Names, dates of birth, substance use history and insurance member numbers"
                ),
                root_cause=self.p(
                    "Pre-signed link lifetime was set to 30 days instead of 15 minutes by a vendor script"
                ),
                mitigation=self.p(
                    "Link revoked, object keys rotated, vendor script fixed and access logs reviewed"
                ),
                affected_count=len(affected),
                affected_resident_ids=[str(r.id) for r in affected],
                notification_deadline_at=discovered + timedelta(days=50),
            )
        )
        requester = current[0]
        self.add(
            DisclosureAccountingRequest(
                id=self.nid(),
                org_id=self.org_id,
                resident_id=requester.id,
                received_by_user_id=co.id,
                requested_at=_at(-20, 11),
                due_at=_at(40, 11),
                status=RequestStatus.FULFILLED,
                period_start_date=_day(-365 * 6),
                period_end_date=_day(-20),
                fulfilled_at=_at(-5, 15),
                response_file_id=self.id_scans[requester.id].id,
                notes=self.p(
                    f"{requester.person.first} asked in person for every disclosure to the court or family."
                ),
            )
        )
        if len(current) > 1:
            other = current[1]
            self.add(
                DisclosureAccountingRequest(
                    id=self.nid(),
                    org_id=self.org_id,
                    resident_id=other.id,
                    received_by_user_id=co.id,
                    requested_at=_at(-3, 11),
                    due_at=_at(57, 11),
                    status=RequestStatus.RECEIVED,
                    period_start_date=_day(-365),
                    period_end_date=_day(-3),
                )
            )
        for k, r in enumerate(current[:3]):
            requested = _at(-10 - k, 10)
            if k == 0:
                self.add(
                    DataAccessRequest(
                        id=self.nid(),
                        org_id=self.org_id,
                        request_type=DataAccessRequestType.ACCESS,
                        resident_id=r.id,
                        received_by_user_id=co.id,
                        requested_at=requested,
                        due_at=requested + timedelta(days=30),
                        extended_due_at=requested + timedelta(days=55),
                        status=RequestStatus.IN_PROGRESS,
                        details=self.p(
                            f"{r.person.first} wants copies of all drug screen results since move-in."
                        ),
                    )
                )
            elif k == 1:
                self.add(
                    DataAccessRequest(
                        id=self.nid(),
                        org_id=self.org_id,
                        request_type=DataAccessRequestType.AMENDMENT,
                        resident_id=r.id,
                        received_by_user_id=co.id,
                        requested_at=requested,
                        due_at=requested + timedelta(days=60),
                        status=RequestStatus.DENIED,
                        details=self.p(
                            f"{r.person.first} asks to remove the conflict incident from the record."
                        ),
                        denial_reason=self.p(
                            "The incident report is accurate and complete; statement of disagreement offered."
                        ),
                    )
                )
            else:
                self.add(
                    DataAccessRequest(
                        id=self.nid(),
                        org_id=self.org_id,
                        request_type=DataAccessRequestType.CONFIDENTIAL_COMMUNICATION,
                        resident_id=r.id,
                        received_by_user_id=co.id,
                        requested_at=requested,
                        due_at=requested + timedelta(days=20),
                        status=RequestStatus.FULFILLED,
                        fulfilled_at=requested + timedelta(days=2),
                        details=self.p(
                            f"{r.person.first} asks that mail go to a PO box, not the family home."
                        ),
                    )
                )
        occurred = _at(-4, 2, 30)
        self.add(
            BreakGlassEvent(
                id=self.nid(),
                org_id=self.org_id,
                user_id=self.users[UserRole.PEER_SUPPORT].id,
                resident_id=current[-1].id,
                reason=self.p(
                    f"Suspected overdose: {current[-1].person.first} unresponsive; EMS asked for medications."
                ),
                occurred_at=occurred,
                expires_at=occurred + timedelta(hours=4),
                created_at=occurred,
                reviewed_by_user_id=co.id,
                reviewed_at=occurred + timedelta(days=1),
                review_outcome=BreakGlassReviewOutcome.JUSTIFIED,
                review_notes=self.p(
                    "Access limited to the medication list and emergency contact; appropriate."
                ),
            )
        )
        self.flush()

    # --- messaging --------------------------------------------------------------------------------------

    def messaging(self) -> None:
        staff = [u for role, u in self.users.items() if role is not UserRole.RESIDENT]
        res_user = self.users[UserRole.RESIDENT]
        first = self.residents[0]
        cm = self.case_manager
        convs: list[tuple[Conversation, list[User], list[tuple[User, str]]]] = []
        staff_msgs: list[tuple[User, str]] = [
            (cm, self.p(f"{r.person.first} has a clinic appointment Thursday; can someone drive?"))
            for r in [r for r in self.residents if r.current][:3]
        ]
        staff_msgs.append((self.house_manager, self.p("I can take the van; will log mileage afterwards.")))
        staff_conv = self.add(
            Conversation(
                id=self.nid(),
                org_id=self.org_id,
                conversation_type=ConversationType.STAFF,
                subject="Weekly case review",
                last_message_at=_at(-2, 8 + len(staff_msgs)),
            )
        )
        convs.append((staff_conv, staff, staff_msgs))
        for house in self.houses:
            conv = self.add(
                Conversation(
                    id=self.nid(),
                    org_id=self.org_id,
                    conversation_type=ConversationType.HOUSE,
                    house_id=house.id,
                    subject=f"{house.name} announcements",
                    last_message_at=_at(-2, 9),
                )
            )
            members = [self.house_manager]
            if first.house is house:
                members.append(res_user)
            convs.append(
                (
                    conv,
                    members,
                    [
                        (
                            self.house_manager,
                            self.p(f"Reminder for {house.name}: inspection Saturday at 10, rooms ready."),
                        )
                    ],
                )
            )
        direct = self.add(
            Conversation(
                id=self.nid(),
                org_id=self.org_id,
                conversation_type=ConversationType.DIRECT,
                subject=self.p(f"{first.person.first}'s court date"),
                last_message_at=_at(-2, 11),
            )
        )
        convs.append(
            (
                direct,
                [cm, res_user],
                [
                    (
                        cm,
                        self.p(
                            f"Hi {first.person.first}, your progress letter for the judge is ready to sign."
                        ),
                    ),
                    (res_user, self.p("Thank you! Can I pick it up after my shift at the bakery?")),
                    (cm, self.p("Yes, I am in the office until five. Bring your attendance slips too.")),
                ],
            )
        )
        self.flush()
        for conv, members, msgs in convs:
            joined = _at(-30, 9)
            for u in members:
                self.add(
                    ConversationMember(
                        id=self.nid(),
                        org_id=self.org_id,
                        conversation_id=conv.id,
                        user_id=u.id,
                        joined_at=joined,
                        last_read_at=_at(-1, 20),
                    )
                )
            for k, (sender, body) in enumerate(msgs):
                sent = _at(-2, 9 + k)
                self.add(
                    Message(
                        id=self.nid(),
                        org_id=self.org_id,
                        conversation_id=conv.id,
                        sender_user_id=sender.id,
                        body=body,
                        channel=MessageChannel.IN_APP,
                        sent_at=sent,
                        edited_at=sent + timedelta(minutes=3) if k == 1 else None,
                        file_upload_id=self.misc_file.id if conv is staff_conv and k == 0 else None,
                    )
                )
        # A member who left the staff thread.
        self.add(
            ConversationMember(
                id=self.nid(),
                org_id=self.org_id,
                conversation_id=direct.id,
                user_id=self.users[UserRole.PEER_SUPPORT].id,
                joined_at=_at(-30, 9),
                left_at=_at(-20, 9),
            )
        )
        anns = [
            Announcement(
                id=self.nid(),
                org_id=self.org_id,
                audience=AnnouncementAudience.ORG,
                title="Holiday office hours",
                body=self.p(
                    "The office closes at noon on Thanksgiving Eve; the on-call line stays open all night."
                ),
                publish_at=_at(-5, 8),
                expires_at=_at(30, 8),
                priority=Priority.NORMAL,
            ),
            Announcement(
                id=self.nid(),
                org_id=self.org_id,
                audience=AnnouncementAudience.HOUSE,
                house_id=self.houses[0].id,
                title="Fire drill this week",
                body=self.p(
                    f"Fire drill Wednesday evening; {first.person.first} is this month's safety captain for "
                    f"{self.houses[0].name}."
                ),
                publish_at=_at(-2, 8),
                expires_at=_at(5, 8),
                priority=Priority.HIGH,
            ),
            Announcement(
                id=self.nid(),
                org_id=self.org_id,
                audience=AnnouncementAudience.PROPERTY,
                property_id=self.properties[0].id,
                title="Driveway resurfacing",
                body=self.p("Contractors resurface the shared driveway Monday; park on the street from 7am."),
                publish_at=_at(-1, 8),
                priority=Priority.LOW,
            ),
            Announcement(
                id=self.nid(),
                org_id=self.org_id,
                audience=AnnouncementAudience.RESIDENTS,
                title="Alumni dinner",
                body=self.p(
                    "Alumni dinner on the 15th: three graduates will share their stories of recovery."
                ),
                publish_at=_at(-3, 8),
            ),
        ]
        for a in anns:
            self.add(a)
        self.flush()
        for a in anns:
            for u in [self.users[UserRole.ORG_OWNER], self.house_manager, res_user]:
                self.add(
                    AnnouncementRead(
                        id=self.nid(),
                        org_id=self.org_id,
                        announcement_id=a.id,
                        user_id=u.id,
                        read_at=a.publish_at + timedelta(hours=2),
                    )
                )

    # --- platform: keys, webhooks, integrations, jobs, sessions ----------------------------------------

    def platform(self) -> None:
        key = secrets.token_hex(24)
        self.add(
            ApiKey(
                id=self.nid(),
                org_id=self.org_id,
                name="Accounting export",
                key_prefix=key[:8],
                key_hash=hashlib.sha256(key.encode()).digest(),
                scopes=["billing:read", "property:read"],
                last_used_at=_at(-1, 6),
                expires_at=_at(365, 0),
            )
        )
        hooks = [
            self.add(
                Webhook(
                    id=self.nid(),
                    org_id=self.org_id,
                    url=f"https://hooks.example.com/recoveryos/{self.slug}/billing",
                    description="Accounting system",
                    event_types=["payment.succeeded", "invoice.issued"],
                    secret=secrets.token_urlsafe(32),
                    last_success_at=_at(-1, 10),
                )
            ),
            self.add(
                Webhook(
                    id=self.nid(),
                    org_id=self.org_id,
                    url=f"https://crm.example.org/webhooks/{self.slug}",
                    description="Referral CRM",
                    event_types=["resident.admitted"],
                    secret=secrets.token_urlsafe(32),
                    failure_count=2,
                )
            ),
        ]
        self.flush()
        for k, hook in enumerate(hooks):
            ok = k == 0
            self.add(
                WebhookDelivery(
                    id=self.nid(),
                    org_id=self.org_id,
                    webhook_id=hook.id,
                    event_id=self.nid(),
                    event_type="payment.succeeded" if ok else "resident.admitted",
                    payload={
                        "event": "payment.succeeded" if ok else "resident.admitted",
                        "org_id": str(self.org_id),
                    },
                    status=WebhookDeliveryStatus.DELIVERED if ok else WebhookDeliveryStatus.FAILED,
                    attempt=1 if ok else 2,
                    last_attempt_at=_at(-1, 10),
                    next_attempt_at=None if ok else _at(0, 10),
                    response_status=200 if ok else 503,
                    delivered_at=_at(-1, 10) if ok else None,
                )
            )
        self.add(
            IntegrationConfig(
                id=self.nid(),
                org_id=self.org_id,
                provider=IntegrationProvider.STRIPE,
                config={"account_id": f"acct_demo{self.seed_value}", "mode": "test"},
                credentials={"api_key": "sk_test_" + secrets.token_hex(12)},
                is_enabled=True,
            )
        )
        self.add(
            IntegrationConfig(
                id=self.nid(),
                org_id=self.org_id,
                provider=IntegrationProvider.TWILIO,
                config={"from_number": "+18285550100"},
                credentials={
                    "account_sid": "AC" + secrets.token_hex(16),
                    "auth_token": secrets.token_hex(16),
                },
                is_enabled=False,
            )
        )
        for role, user in self.users.items():
            events = (
                ["payment.due"]
                if role is UserRole.RESIDENT
                else ["incident.reported", "announcement.published"]
            )
            for ev in events:
                self.add(
                    NotificationPreference(
                        id=self.nid(),
                        org_id=self.org_id,
                        user_id=user.id,
                        channel=MessageChannel.EMAIL,
                        event_type=ev,
                        enabled=True,
                    )
                )
            self.add(
                NotificationPreference(
                    id=self.nid(),
                    org_id=self.org_id,
                    user_id=user.id,
                    channel=MessageChannel.SMS,
                    event_type="announcement.published",
                    enabled=role is UserRole.HOUSE_MANAGER,
                )
            )
        for job, cron in [
            ("rent_invoicing", "0 6 * * 1"),
            ("consent_expiry", "0 2 * * *"),
            ("dunning", "0 9 * * *"),
        ]:
            self.add(
                ScheduledJob(
                    id=self.nid(),
                    org_id=self.org_id,
                    job_type=job,
                    temporal_schedule_id=f"{job}-{self.org_id}",
                    cron=cron,
                    status=JobStatus.SCHEDULED,
                    last_run_at=_at(-1, 6),
                    next_run_at=_at(1, 6),
                    payload={"org_id": str(self.org_id)},
                )
            )
        now = datetime.now(UTC)
        for role in (UserRole.ORG_OWNER, UserRole.HOUSE_MANAGER):
            self.add(
                UserSession(
                    id=self.nid(),
                    org_id=self.org_id,
                    user_id=self.users[role].id,
                    token_hash=hashlib.sha256(secrets.token_urlsafe(32).encode()).digest(),
                    expires_at=now + timedelta(hours=12),
                    ip_address=self.p(f"203.0.113.{self.rng.randint(2, 250)}"),
                    user_agent="RecoveryOS demo seed",
                )
            )

    # --- driver -------------------------------------------------------------------------------------------

    _password_hash: str

    def run(self, password_hash: str) -> None:
        self._password_hash = password_hash
        self._screening_leads = []
        self.org()
        self.staff(password_hash)
        self.places()
        self.rates_and_payers()
        self.residents_()
        self.leads()
        self.admissions()
        self.lifecycle()
        self.documents()
        self.signature_events_()
        self.consents()
        self.billing()
        self.operations()
        self.compliance()
        self.messaging()
        self.platform()
        self.flush()


def seed_org(
    org_id: uuid.UUID,
    *,
    scale: int = 1,
    seed_value: int = 42,
    name: str | None = None,
    slug: str | None = None,
) -> SeedResult:
    """Create one fully populated demo organisation with id `org_id`."""
    if scale < 1:
        raise ValueError("scale must be at least 1")
    started = monotonic_clock.monotonic()
    slug = slug or f"demo-{org_id.hex[:8]}"
    name = name or f"Blue Heron Recovery Residences ({slug})"
    password = demo_password(seed_value)
    password_hash = hash_password(password)
    with tenant_session(org_id, actor_type="system") as s:
        seeder = _Seeder(s, org_id, scale=scale, seed_value=seed_value, name=name, slug=slug)
        seeder.run(password_hash)
    counts = dict(seeder.counts)
    counts["organizations"] = 1
    with tenant_session(org_id, actor_type="system") as s:
        counts[AuditLog.__tablename__] = int(s.execute(text("SELECT count(*) FROM audit_logs")).scalar_one())
    users = {role: (u.id, seeder.emails[role]) for role, u in seeder.users.items()}
    return SeedResult(
        org_id=org_id,
        users=users,
        password=password,
        phi=list(seeder.phi),
        counts=dict(sorted(counts.items())),
        seconds=monotonic_clock.monotonic() - started,
    )


def _print_summary(result: SeedResult, name: str, slug: str) -> None:
    print(f"Seeded demo organisation {name!r} (slug {slug}, id {result.org_id}) in {result.seconds:.1f}s")
    print()
    width = max(len(t) for t in ROLE_TITLES.values())
    print(f"  {'role':<20} {'title':<{width}}  email")
    print(f"  {'-' * 20} {'-' * width}  {'-' * 40}")
    for role in UserRole:
        _uid, email = result.users[role]
        print(f"  {role.value:<20} {ROLE_TITLES[role]:<{width}}  {email}")
    print()
    print(f"  password for every user: {result.password}")
    print()
    tenant_tables = [t.name for t in models.metadata.sorted_tables if "org_id" in t.c]
    covered = sum(1 for t in tenant_tables if result.counts.get(t, 0) > 0)
    total = sum(result.counts.values())
    print(
        f"  {total} rows in {len([c for c in result.counts.values() if c])} tables "
        f"({covered}/{len(tenant_tables)} tenant tables + organizations):"
    )
    items = [f"{t} {n}" for t, n in sorted(result.counts.items())]
    col = max(len(i) for i in items) + 2
    per_line = max(1, 100 // col)
    for k in range(0, len(items), per_line):
        print("    " + "".join(i.ljust(col) for i in items[k : k + per_line]).rstrip())


def seed(scale: int, seed_value: int) -> int:
    """`recoveryos seed --scale N --seed S`: create the demo org once; idempotent by org id."""
    settings = get_settings()
    if settings.environment == "production":
        print("refusing to seed demo data: RECOVERYOS_ENVIRONMENT is production")
        return 2
    if scale < 1:
        print("--scale must be at least 1")
        return 2
    org_id = demo_org_id(seed_value)
    slug = f"demo-{seed_value}"
    name = f"Demo Recovery Residences (seed {seed_value})"
    with tenant_session(org_id, actor_type="system") as s:
        existing = s.get(Organization, org_id)
        existing_slug = existing.slug if existing is not None else None
    if existing_slug is not None:
        print(
            f"demo organisation for seed {seed_value} is already seeded (slug {existing_slug}, id {org_id}); "
            f"users are <role>@{existing_slug}.example.com, password {demo_password(seed_value)}"
        )
        return 0
    result = seed_org(org_id, scale=scale, seed_value=seed_value, name=name, slug=slug)
    _print_summary(result, name, slug)
    return 0
