"""What every family module of the seed shares: the transaction, the id source, the plaintext
recorder, the anchor calendar and the plan of who lives where.

All randomness comes from one `random.Random(seed_value)` (row ids, choices) and from Faker
reseeded with the same value (people): the same seed gives the same plaintext values and, for
the same org id, the same row ids. Ids are the rng's draws mixed with the org id, so several
orgs seeded with one seed (tests) still get distinct primary keys. Dates are relative to a
fixed anchor day, except session expiry, which must lie in the future.
"""

from __future__ import annotations

import base64
import enum
import hashlib
import random
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

import models
from core import enums
from core.crypto import field_aad
from core.enums import FileScanStatus, HouseGender, InvoiceStatus, ResidentStatus, UserRole
from core.fieldcrypt import field_cipher
from models.base import ENCRYPTED_FIELDS, Base, EncryptedFieldInfo, _decode
from models.compliance import Consent
from models.documents import Document, Signature
from models.files import FileUpload
from models.operations import DrugTest
from models.orgs import Bed, House, Property, Room
from models.payment_extended import RateConfig
from models.payments import Invoice, LedgerAccount, PayerConfig, Payment
from models.residents import Admission, Lead
from models.users import User
from seed.factories import people
from seed.factories.people import Person

ANCHOR = date(2026, 11, 1)
LOCAL = ZoneInfo("America/New_York")
BUCKET = "recoveryos-demo"

M = TypeVar("M", bound=Base)
# Parents before children (use_alter foreign keys are left out of the sort; the seeder
# flushes those parents in an earlier stage).
_TABLE_ORDER = [t.name for t in models.metadata.sorted_tables]
_ENUM_LABELS = {
    str(member.value)
    for kind in vars(enums).values()
    if isinstance(kind, type) and issubclass(kind, enum.Enum)
    for member in kind
}
_ENCRYPTED: dict[str, list[EncryptedFieldInfo]] = {}
for _f in ENCRYPTED_FIELDS:
    _ENCRYPTED.setdefault(_f.table, []).append(_f)


def sha(value: str) -> bytes:
    return hashlib.sha256(value.encode()).digest()


def day_of(offset: int) -> date:
    return ANCHOR + timedelta(days=offset)


def day_at(offset_days: int, hour: int = 9, minute: int = 0) -> datetime:
    """A local (America/New_York) time `offset_days` from the anchor day."""
    return on_day(ANCHOR + timedelta(days=offset_days), hour, minute)


def on_day(d: date, hour: int, minute: int = 0) -> datetime:
    """Local wall time on day `d`, as UTC so that later `+ timedelta` is exact across DST
    (the anchor day is itself a DST change, and several checks count exact days)."""
    return datetime.combine(d, time(hour, minute), tzinfo=LOCAL).astimezone(UTC)


@dataclass
class Plan:
    """The plan for one resident, kept in plaintext so nothing is decrypted while seeding."""

    id: uuid.UUID
    n: int  # 1-based number across the org (resident_number)
    i: int  # position in its block of eight, see BLOCK
    person: Person
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


class SeedContext:
    def __init__(
        self,
        s: Session,
        org_id: uuid.UUID,
        *,
        scale: int,
        seed_value: int,
        name: str,
        slug: str,
        password_hash: str,
    ) -> None:
        self.s = s
        self.org_id = org_id
        self.scale = scale
        self.seed_value = seed_value
        self.name = name
        self.slug = slug
        self.password_hash = password_hash
        self.rng = random.Random(seed_value)
        people.reseed(seed_value)
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
        self.residents: list[Plan] = []
        self.files: list[FileUpload] = []
        self.rent_rates: dict[uuid.UUID, RateConfig] = {}
        self.accounts: dict[str, LedgerAccount] = {}
        self.screening_leads: list[tuple[int, Lead]] = []
        self.pending_lines: list[tuple[Invoice, list[Any]]] = []
        self.invoice_targets: list[tuple[Invoice, date, InvoiceStatus]] = []
        self.invoice_no = 0
        self.coc_no = 0
        self.court_payer: PayerConfig
        self.id_scans: dict[uuid.UUID, FileUpload] = {}
        self.signed_pdfs: dict[uuid.UUID, FileUpload] = {}
        self.misc_file: FileUpload
        self.consent_signatures: dict[uuid.UUID, Signature] = {}
        self.consent_docs: dict[uuid.UUID, Document] = {}

    # --- primitives -----------------------------------------------------------------------------

    def nid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128) ^ self.org_id.int, version=4)

    def add(self, obj: M) -> M:
        """Queue a row; `flush` inserts queued rows table by table in foreign-key order."""
        table: str = obj.__tablename__
        self._pending.setdefault(table, []).append(obj)
        self.track(obj)
        return obj

    def new(self, make: Callable[..., M], **fields: Any) -> M:
        """Queue a new row of this org made by `make` (a model, or a factory's `build`).

        Its id is drawn after `fields` are evaluated. A row whose fields draw from the rng draws
        its id first instead (`ctx.add(Model(id=ctx.nid(), ...))`), so that the draws keep the
        order in which the row reads.
        """
        return self.add(make(id=self.nid(), org_id=self.org_id, **fields))

    def track(self, obj: Base) -> None:
        """Count a row (written here or by a domain service) and record the plaintext of its
        encrypted fields for the whole-database leak scan."""
        table: str = obj.__tablename__
        self.counts[table] = self.counts.get(table, 0) + 1
        for info in _ENCRYPTED.get(table, ()):
            # Decrypted here rather than read through the descriptor, which would audit a
            # PHI read for rows already in the session.
            blob = getattr(obj, f"{info.field}_ct")
            if blob is not None:
                aad = field_aad(table, info.field, obj.id)
                self._record(info.field, _decode(field_cipher().decrypt(bytes(blob), aad), info.kind))

    def count(self, table: str, n: int) -> None:
        self.counts[table] = self.counts.get(table, 0) + n

    def _record(self, field: str, value: object) -> None:
        # Text, and dates of birth (other encrypted dates share the anchor calendar with
        # plaintext operational dates). Structured fields (JSON) also carry ids and category
        # words, so their PHI parts are recorded with p(); so are enum labels, which plaintext
        # columns hold by design.
        if isinstance(value, date) and field == "date_of_birth":
            self.p(value.isoformat())
        elif isinstance(value, str) and len(value) >= 4 and value not in _ENUM_LABELS:
            self.p(value)

    def flush(self) -> None:
        # Rows of one table keep their order; parents go first explicitly because the unit of
        # work does not order INSERTs across tables that have no relationship().
        for table in _TABLE_ORDER:
            rows = self._pending.pop(table, None)
            if rows:
                self.s.add_all(rows)
                self.s.flush()
        assert not self._pending, f"tables missing from the metadata order: {sorted(self._pending)}"

    def p(self, value: str) -> str:
        """Record a plaintext value that an encrypted field holds (for the plaintext scan)."""
        if value not in self._phi_seen:
            self._phi_seen.add(value)
            self.phi.append(value)
        return value

    def pick(self, items: Sequence[Any]) -> Any:
        return items[self.rng.randrange(len(items))]

    def person(self, gender: HouseGender | None = None) -> Person:
        if gender is None:
            gender = HouseGender.MEN if self.rng.random() < 0.5 else HouseGender.WOMEN
        for _ in range(25):
            cand = people.PersonFactory.build(gender=gender)
            if cand.full not in self._names_used:
                break
        self._names_used.add(cand.full)
        return cand

    def email_for(self, who: Person) -> str:
        return people.email(who)

    def phone(self) -> str:
        return people.phone()

    def address(self) -> dict[str, Any]:
        return people.address()

    def file(
        self, filename: str, content_type: str, resident: Plan | None, *, part2: bool = False
    ) -> FileUpload:
        fid = self.nid()
        f = self.add(
            FileUpload(
                id=fid,
                org_id=self.org_id,
                bucket=BUCKET,
                storage_key=f"{self.org_id}/{fid}",
                original_filename=filename,
                content_type=content_type,
                size_bytes=self.rng.randint(40_000, 2_500_000),
                sha256=sha(f"demo-file:{fid}"),
                scan_status=FileScanStatus.CLEAN,
                scanned_at=day_at(-self.rng.randint(1, 30), 12),
                uploaded_by_user_id=self.case_manager.id,
                resident_id=resident.id if resident else None,
                is_part2=part2,
            )
        )
        self.files.append(f)
        return f

    def plan_of(self, resident_id: uuid.UUID) -> Plan:
        return next(r for r in self.residents if r.id == resident_id)

    @property
    def house_manager(self) -> User:
        return self.users[UserRole.HOUSE_MANAGER]

    @property
    def case_manager(self) -> User:
        return self.users[UserRole.CASE_MANAGER]


def demo_totp_secret(seed_value: int, role: UserRole) -> str:
    """The demo TOTP secret of a seeded user who must give a second factor: derived from the
    seed like the demo password, so `recoveryos seed` can print it again (demo logins only;
    production refuses the seed)."""
    digest = hashlib.sha256(f"recoveryos-demo-totp|{seed_value}|{role.value}".encode()).digest()
    return base64.b32encode(digest[:20]).decode()
