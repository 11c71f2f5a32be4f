"""The pure rules of house safety: the random drug-test draw an auditor can recompute, whether a
positive is explained by a recorded prescription, which incidents a state wants reported and by
when. No I/O: activities, services and tests call these with what they read.

The draw (NJARR 4.10 "random, no more than 2 samples a week"; REGULATORY.md §5): for a house and
a day, every eligible resident gets an HMAC-SHA256 score from the org's draw key over the house,
the date, the sorted list of eligible residents and the resident; a resident is drawn when the
score's first 64 bits fall under the configured rate, unless their weekly cap is reached. With
the key, the record's inputs give back the same list; without it, residents cannot predict it.
"""

import hashlib
import hmac
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import holidays

from core.enums import DrugTestResult, IncidentSeverity, IncidentType, PassType, Priority

BASIS_POINTS = 10_000
_SPACE = 2**64


@dataclass(frozen=True)
class DrawInputs:
    """Everything a day's draw depends on besides the key: what its record keeps."""

    house_id: uuid.UUID
    draw_date: date
    eligible: tuple[uuid.UUID, ...]
    rate_bp: int
    weekly_cap: int
    # Tests already counted this week (collected, or drawn on an earlier day), per resident.
    weekly_counts: Mapping[str, int]


def draw_message(inp: DrawInputs) -> str:
    ordered = ",".join(sorted(str(r) for r in inp.eligible))
    return f"{inp.house_id}|{inp.draw_date.isoformat()}|{ordered}"


def score(key: bytes, inp: DrawInputs, resident_id: uuid.UUID | str) -> int:
    mac = hmac.new(key, f"{draw_message(inp)}|{resident_id}".encode(), hashlib.sha256).digest()
    return int.from_bytes(mac[:8], "big")


def draw(key: bytes, inp: DrawInputs) -> list[uuid.UUID]:
    """The residents drawn, in id order. Each with probability rate_bp / 10 000, independently."""
    threshold = inp.rate_bp * _SPACE // BASIS_POINTS
    out = []
    for r in sorted(inp.eligible, key=str):
        if inp.weekly_counts.get(str(r), 0) >= inp.weekly_cap:
            continue
        if score(key, inp, r) < threshold:
            out.append(r)
    return out


def key_fingerprint(key: bytes) -> str:
    """Names the key a draw used (to recompute with the right one after a rotation), revealing
    nothing of it."""
    return hmac.new(key, b"recoveryos drug-test draw key id", hashlib.sha256).hexdigest()[:16]


def week_start(d: date) -> date:
    """Monday of `d`'s week: the weekly cap counts Monday to Sunday."""
    return d - timedelta(days=d.weekday())


# --- prescriptions ---------------------------------------------------------------------------

# What a lab reports for a medication, besides its own name: the drug class screens and the
# metabolites it shows up as. A medication explains a positive for any of these.
ANALYTES: dict[str, frozenset[str]] = {
    "buprenorphine": frozenset({"buprenorphine", "norbuprenorphine", "bup"}),
    "naloxone": frozenset({"naloxone"}),
    "methadone": frozenset({"methadone", "eddp", "mtd"}),
    "naltrexone": frozenset({"naltrexone", "6-beta-naltrexol"}),
    "oxycodone": frozenset({"oxycodone", "oxymorphone", "oxy"}),
    "hydrocodone": frozenset({"hydrocodone", "hydromorphone", "opiates"}),
    "codeine": frozenset({"codeine", "morphine", "opiates"}),
    "morphine": frozenset({"morphine", "opiates"}),
    "alprazolam": frozenset({"alprazolam", "benzodiazepines", "bzo"}),
    "clonazepam": frozenset({"clonazepam", "benzodiazepines", "bzo"}),
    "lorazepam": frozenset({"lorazepam", "benzodiazepines", "bzo"}),
    "diazepam": frozenset({"diazepam", "nordiazepam", "benzodiazepines", "bzo"}),
    "amphetamine": frozenset({"amphetamine", "amphetamines", "amp"}),
    "methylphenidate": frozenset({"methylphenidate", "ritalinic acid"}),
    "gabapentin": frozenset({"gabapentin"}),
    "dronabinol": frozenset({"thc", "cannabinoids"}),
}
_WORD = re.compile(r"[a-z0-9-]+")


def _norm(name: str) -> str:
    return " ".join(_WORD.findall(name.lower()))


def explained_by(substance: str, medications: Iterable[Mapping[str, object] | str]) -> bool:
    """Whether a recorded prescription (a resident's `medications` entry, {"name": ...} or a
    name) explains a positive for `substance`: a medication for opioid use disorder taken as
    prescribed is not a recurrence of use."""
    found = _norm(substance)
    for med in medications:
        name = med if isinstance(med, str) else str(med.get("name") or "")
        for word in _WORD.findall(name.lower().replace("/", " ")):
            if found == word or found in ANALYTES.get(word, frozenset()):
                return True
    return False


def unexplained(detected: Sequence[Mapping[str, object] | str], medications: Sequence[object]) -> list[str]:
    """The substances detected that no recorded prescription explains."""
    meds = [m for m in medications if isinstance(m, (str, dict))]
    names = [d if isinstance(d, str) else str(d.get("substance") or d.get("name") or "") for d in detected]
    return [n for n in names if n and not explained_by(n, meds)]


# --- state incident reports ------------------------------------------------------------------


@dataclass(frozen=True)
class IncidentFacts:
    incident_type: IncidentType
    severity: IncidentSeverity
    police_involved: bool
    ems_involved: bool


@dataclass(frozen=True)
class StateIncidentRule:
    state: str
    business_days: int
    citation: str
    # Warn this many business days before the due day.
    warn_business_days: int = 1


# 28 Pa. Code §717.31(c): a written report to the Department (DDAP) within 3 business days of
# an assault; a death or serious injury; a closure or relocation for more than a day; a police,
# fire or ambulance response; an outbreak. (REGULATORY.md §5; source pacodeandbulletin.gov
# .../chapter717/s717.31.html.) Use of illicit drugs on the premises needs documentation and a
# plan of correction under §717.31(a)-(b), not a report: a recurrence alone starts no clock.
STATE_INCIDENT_RULES: dict[str, StateIncidentRule] = {
    "PA": StateIncidentRule(
        "PA", 3, "28 Pa. Code §717.31 (unusual incidents: report within 3 business days)"
    ),
}
# The state's zone: a report is due by the end of the due business day there.
STATE_ZONES: dict[str, str] = {"PA": "America/New_York"}


def reportable(facts: IncidentFacts) -> bool:
    """§717.31(c)'s list, as our incident fields can say it: a police, fire or ambulance
    response; an overdose or other medical emergency (serious injury); an assault (a conflict
    recorded high or critical); anything critical (a death, a closure)."""
    if facts.police_involved or facts.ems_involved:
        return True
    if facts.incident_type is IncidentType.OVERDOSE or facts.severity is IncidentSeverity.CRITICAL:
        return True
    serious = facts.severity in (IncidentSeverity.HIGH, IncidentSeverity.CRITICAL)
    return serious and facts.incident_type in (IncidentType.CONFLICT, IncidentType.MEDICAL)


def add_business_days(state: str, start: date, days: int) -> date:
    """`days` business days after `start`: weekends and the state's public holidays skipped."""
    off = holidays.country_holidays("US", subdiv=state, years=range(start.year, start.year + 2))
    out = start
    while days > 0:
        out += timedelta(days=1)
        if out.weekday() < 5 and out not in off:
            days -= 1
    return out


def report_due(state: str, occurred_at: datetime) -> tuple[datetime, datetime] | None:
    """When a reportable incident's report is due (end of the due business day in the state's
    zone) and when to warn that it nears; None where the state asks for no report."""
    rule = STATE_INCIDENT_RULES.get(state)
    if rule is None:
        return None
    zone = ZoneInfo(STATE_ZONES.get(state, "UTC"))
    local = occurred_at.astimezone(zone).date()
    due_day = add_business_days(state, local, rule.business_days)
    warn_day = add_business_days(state, local, rule.business_days - rule.warn_business_days)
    end = time(23, 59, 59)
    return (
        datetime.combine(due_day, end, tzinfo=zone).astimezone(occurred_at.tzinfo),
        datetime.combine(warn_day, time(9, 0), tzinfo=zone).astimezone(occurred_at.tzinfo),
    )


# --- messages the processes carry (here, not in services/: a workflow names only what it may
# import, and its sandbox must resolve every type of its inputs and activity results) ---------


@dataclass(frozen=True)
class PassRequest:
    resident_id: uuid.UUID
    pass_type: PassType
    departs_at: datetime
    returns_at: datetime
    destination: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class FollowUp:
    title: str
    due_in_hours: int
    priority: Priority = Priority.NORMAL


@dataclass(frozen=True)
class NewIncident:
    house_id: uuid.UUID | None
    resident_id: uuid.UUID | None
    incident_type: IncidentType
    severity: IncidentSeverity
    occurred_at: datetime
    description: str
    involved_resident_ids: list[uuid.UUID] = field(default_factory=list)
    actions_taken: str | None = None
    location: str | None = None
    police_involved: bool = False
    ems_involved: bool = False
    naloxone_administered: bool = False
    drug_test_id: uuid.UUID | None = None
    follow_ups: list[FollowUp] = field(default_factory=list)


@dataclass(frozen=True)
class Result:
    result: DrugTestResult
    resulted_at: datetime
    # [{"substance": "buprenorphine", "level": "120 ng/mL"}] or names.
    substances: list[Any] = field(default_factory=list)
    lab: dict[str, Any] = field(default_factory=dict)
    notes: str | None = None
    lab_file_id: uuid.UUID | None = None
    # Chain of custody as the form has it: collector, specimen id, lab, seal intact, times
    # (stored inside the encrypted lab details, never anywhere in plaintext).
    custody: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Assessed:
    """What a result means for the house: a recurrence of use or not, and how many substances
    a recorded prescription explained. Counts only: the substances stay in the encrypted row."""

    test_id: uuid.UUID
    resident_id: uuid.UUID
    house_id: uuid.UUID | None
    result: DrugTestResult
    recurrence: bool
    explained: int
    unexplained: int
    collected_at: datetime


@dataclass(frozen=True)
class Due:
    resident_id: uuid.UUID
    house_id: uuid.UUID
    due_at: datetime
    # Curfew plus the configuration's grace: when a resident not in is missing.
    closes_at: datetime
    config_id: uuid.UUID
