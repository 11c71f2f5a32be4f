"""Breach response's data and its clocks: what a reported incident is, the obligations it owes
(each with a due time and the rule that sets it), law-enforcement delays, and the per-state rule
table. Pure functions of dates and counts, so the workflow recomputes them deterministically
whenever something changes (a decision, a notice sent, a delay) and the tests read them as the
law's arithmetic.

State clocks are data, not code: `STATE_RULES` is one row per rule with its citation, and the
effective deadline is the earliest row that applies to the affected residents' states. The
README's "State clocks" table is generated from it (`state_rules_markdown`, kept in step by a
test). Sources are in /work/shared/REGULATORY.md §2; rows marked [U] there (whether a state's
30-day clock binds a HIPAA covered entity that complies with HITECH) are applied anyway, on
purpose: the earlier clock is the safe reading until counsel says otherwise.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

# 45 CFR 164.404(b): individuals, no later than 60 calendar days after discovery.
FEDERAL_DAYS = 60
# 45 CFR 164.408(b): 500 or more affected in total -> HHS contemporaneously with the notices.
HHS_IMMEDIATE_AT = 500
# 45 CFR 164.406(a): MORE than 500 residents of one state -> prominent media outlets there.
MEDIA_MORE_THAN = 500
# 45 CFR 164.404(d)(2)(ii): 10 or more unreachable -> substitute notice (web or media) + toll-free.
SUBSTITUTE_AT = 10
SUBSTITUTE_POSTING_DAYS = 90
# 45 CFR 164.412(b): an oral law-enforcement statement delays at most 30 days.
ORAL_DELAY_MAX_DAYS = 30
# 45 CFR 164.530(j)(2): documentation (a not-notifiable conclusion included) kept six years.
RETAIN_YEARS = 6


class Kind(StrEnum):
    """What an obligation is; an event names it (the obligation's key is finer: `media-CA`)."""

    ASSESSMENT = "assessment"
    INDIVIDUALS = "individuals"
    HHS = "hhs"
    HHS_ANNUAL_LOG = "hhs_annual_log"
    MEDIA = "media"
    SUBSTITUTE = "substitute"
    REGULATOR = "regulator"
    BUSINESS_ASSOCIATE = "business_associate"


class Anchor(StrEnum):
    """What a state rule's clock runs from."""

    DISCOVERY = "discovery"
    INDIVIDUAL_NOTICE = "individual_notice"
    HHS_NOTICE = "hhs_notice"


class DelayKind(StrEnum):
    WRITTEN = "written"
    ORAL = "oral"


class Decision(StrEnum):
    NOTIFIABLE = "notifiable"
    NOT_NOTIFIABLE = "not_notifiable"


IN_FORCE = date(2000, 1, 1)  # a rule older than any breach RecoveryOS will record


@dataclass(frozen=True)
class StateRule:
    state: str
    # Who is told: "individuals" (the affected residents) or a named regulator.
    audience: str
    days: int
    anchor: Anchor
    citation: str
    # Applies when MORE than this many residents of the state are affected (0: any).
    more_than: int = 0
    business_days: bool = False
    # Applies to breaches discovered on or after this day.
    effective_from: date = IN_FORCE

    @property
    def key(self) -> str:
        slug = "individuals" if self.audience == "individuals" else "regulator"
        return f"{self.state}-{slug}"


STATE_RULES: tuple[StateRule, ...] = (
    StateRule(
        "CA",
        "individuals",
        30,
        Anchor.DISCOVERY,
        "Cal. Civ. Code §1798.82(a) as amended by SB 446 (2025)",
        effective_from=date(2026, 1, 1),
    ),
    StateRule(
        "CA",
        "California Attorney General (sample notice)",
        15,
        Anchor.INDIVIDUAL_NOTICE,
        "Cal. Civ. Code §1798.82(f) as amended by SB 446 (2025)",
        more_than=500,
        effective_from=date(2026, 1, 1),
    ),
    StateRule(
        "NY",
        "individuals",
        30,
        Anchor.DISCOVERY,
        "N.Y. Gen. Bus. Law §899-aa(2) as amended by S2659B (2024)",
        effective_from=date(2024, 12, 21),
    ),
    StateRule(
        "NY",
        "New York Attorney General",
        5,
        Anchor.HHS_NOTICE,
        "N.Y. Gen. Bus. Law §899-aa(9) (HIPAA covered entities: within 5 business days of notifying HHS)",
        business_days=True,
        effective_from=date(2024, 12, 21),
    ),
    StateRule("CO", "individuals", 30, Anchor.DISCOVERY, "Colo. Rev. Stat. §6-1-716(2)(a)"),
    StateRule("FL", "individuals", 30, Anchor.DISCOVERY, "Fla. Stat. §501.171(4)(a)"),
    StateRule(
        "FL",
        "Florida Department of Legal Affairs",
        30,
        Anchor.DISCOVERY,
        "Fla. Stat. §501.171(3)(a) (500 or more Floridians)",
        more_than=499,
    ),
    StateRule("WA", "individuals", 30, Anchor.DISCOVERY, "Rev. Code Wash. §19.255.010(8)"),
    StateRule(
        "PA",
        "Pennsylvania Attorney General",
        0,
        Anchor.INDIVIDUAL_NOTICE,
        "73 P.S. §2303 as amended by Act 33 of 2024 (concurrently, more than 500 Pennsylvanians)",
        more_than=500,
        effective_from=date(2024, 9, 26),
    ),
)


def state_rules_markdown() -> str:
    """The README's "State clocks" table."""
    lines = [
        "| State | Who is told | Within | After | When | Effective | Rule |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in STATE_RULES:
        within = f"{r.days} {'business ' if r.business_days else ''}days" if r.days else "at the same time"
        when = f"{r.more_than + 1} or more residents" if r.more_than else "any resident"
        effective = "in force" if r.effective_from == IN_FORCE else f"from {r.effective_from}"
        frm = {
            Anchor.DISCOVERY: "discovery",
            Anchor.INDIVIDUAL_NOTICE: "the notices to residents",
            Anchor.HHS_NOTICE: "the notice to HHS",
        }[r.anchor]
        lines.append(f"| {r.state} | {r.audience} | {within} | {frm} | {when} | {effective} | {r.citation} |")
    return "\n".join(lines)


@dataclass(frozen=True)
class Facts:
    """What the clocks need to know about an incident: no names, counts only."""

    discovered_at: datetime
    affected: int
    by_state: dict[str, int] = field(default_factory=dict)
    unreachable: int = 0
    # A business associate's breach: when its report is owed (its BAA's terms, at most 60 days).
    ba_report_due_at: datetime | None = None


@dataclass(frozen=True)
class Delay:
    """A law-enforcement delay (45 CFR 164.412): the clocks stand still from `start` to `end`."""

    kind: DelayKind
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Obligation:
    key: str
    kind: Kind
    title: str
    due_at: datetime
    citation: str
    done_at: datetime | None = None


def add_business_days(at: datetime, days: int) -> datetime:
    out = at
    while days > 0:
        out += timedelta(days=1)
        if out.weekday() < 5:
            days -= 1
    return out


def annual_log_due(discovered_at: datetime) -> datetime:
    """45 CFR 164.408(c): no later than 60 days after the end of the calendar year of discovery
    (the end of 1 March, or of 29 February in a leap year)."""
    return datetime(discovered_at.year + 1, 1, 1, tzinfo=UTC) + timedelta(days=FEDERAL_DAYS)


def add_delay(delays: Sequence[Delay], new: Delay) -> list[Delay]:
    """A written statement that follows an oral one still running replaces it, keeping its start
    (the oral delay's 30 days are no longer the limit); any other delay is added."""
    out = list(delays)
    if new.kind is DelayKind.WRITTEN:
        for i, d in enumerate(out):
            if d.kind is DelayKind.ORAL and d.start <= new.start < d.end:
                out[i] = Delay(DelayKind.WRITTEN, d.start, max(new.end, new.start))
                return out
    out.append(new)
    return out


def oral_delay(start: datetime, days: int) -> Delay:
    return Delay(DelayKind.ORAL, start, start + timedelta(days=min(days, ORAL_DELAY_MAX_DAYS)))


def paused(delays: Sequence[Delay]) -> timedelta:
    """How long the clocks stood still: the union of the delays' spans."""
    total, reach = timedelta(0), None
    for d in sorted(delays, key=lambda d: d.start):
        start = d.start if reach is None else max(d.start, reach)
        if d.end > start:
            total += d.end - start
            reach = d.end
    return total


def _applies(rule: StateRule, facts: Facts) -> bool:
    return facts.by_state.get(rule.state, 0) > rule.more_than and (
        facts.discovered_at.date() >= rule.effective_from
    )


def individuals_due(facts: Facts) -> tuple[datetime, str]:
    """The effective deadline for the residents' notices: the earliest of the federal 60 days and
    every state rule that applies to the affected residents' states, with the rule that set it."""
    best = (facts.discovered_at + timedelta(days=FEDERAL_DAYS), "45 CFR 164.404(b)")
    for rule in STATE_RULES:
        if rule.audience == "individuals" and rule.anchor is Anchor.DISCOVERY and _applies(rule, facts):
            due = facts.discovered_at + timedelta(days=rule.days)
            if due < best[0]:
                best = (due, rule.citation)
    return best


def plan(
    facts: Facts,
    decision: Decision | None,
    done: Mapping[str, datetime],
    delays: Sequence[Delay] = (),
) -> list[Obligation]:
    """Every obligation the incident owes now, with its due time (moved by the law-enforcement
    delays) and when it was met. Before the decision, the decision itself is owed by the
    residents' deadline: the clocks run from discovery, not from the assessment."""
    shift = paused(delays)
    first, first_rule = individuals_due(facts)
    first += shift
    out: list[Obligation] = []

    def owe(key: str, kind: Kind, title: str, due: datetime, citation: str) -> None:
        out.append(Obligation(key, kind, title, due, citation, done.get(key)))

    if decision is None or "assessment" in done:
        owe(
            "assessment",
            Kind.ASSESSMENT,
            "Four-factor risk assessment and decision by the privacy officer",
            first,
            "45 CFR 164.402(2)",
        )
    if decision is Decision.NOTIFIABLE:
        owe("individuals", Kind.INDIVIDUALS, "Notice letters to each affected person", first, first_rule)
        if facts.affected >= HHS_IMMEDIATE_AT:
            owe("hhs", Kind.HHS, "Report to HHS (500 or more affected)", first, "45 CFR 164.408(b)")
        else:
            owe(
                "hhs_annual_log",
                Kind.HHS_ANNUAL_LOG,
                f"Breach log report to HHS for {facts.discovered_at.year}",
                annual_log_due(facts.discovered_at),
                "45 CFR 164.408(c)",
            )
        federal = facts.discovered_at + timedelta(days=FEDERAL_DAYS) + shift
        for state, n in sorted(facts.by_state.items()):
            if n > MEDIA_MORE_THAN:
                owe(f"media-{state}", Kind.MEDIA, f"Media notice in {state}", federal, "45 CFR 164.406(b)")
        if facts.unreachable >= SUBSTITUTE_AT:
            owe(
                "substitute",
                Kind.SUBSTITUTE,
                f"Substitute notice: web posting or major media for {SUBSTITUTE_POSTING_DAYS} days, "
                f"and a toll-free number for {SUBSTITUTE_POSTING_DAYS} days",
                first,
                "45 CFR 164.404(d)(2)(ii)",
            )
        for rule in STATE_RULES:
            if rule.audience == "individuals" or not _applies(rule, facts):
                continue
            base = {
                Anchor.DISCOVERY: facts.discovered_at + shift,
                Anchor.INDIVIDUAL_NOTICE: done.get("individuals"),
                Anchor.HHS_NOTICE: done.get("hhs") or done.get("hhs_annual_log"),
            }[rule.anchor]
            if base is None:
                continue  # owed once what it follows has happened
            due = add_business_days(base, rule.days) if rule.business_days else base + timedelta(rule.days)
            owe(rule.key, Kind.REGULATOR, f"Notice to the {rule.audience}", due, rule.citation)
    if facts.ba_report_due_at is not None:
        owe(
            "business_associate",
            Kind.BUSINESS_ASSOCIATE,
            "The business associate's report naming each affected person",
            facts.ba_report_due_at,
            "45 CFR 164.410(b) and the business associate agreement",
        )
    return out


def open_obligations(obligations: Sequence[Obligation]) -> list[Obligation]:
    return [o for o in obligations if o.done_at is None]


def letter_key(incident_id: uuid.UUID, resident_id: uuid.UUID) -> uuid.UUID:
    """A resident's notice letter's file id: the same letter on every retry."""
    return uuid.uuid5(incident_id, f"breach-letter/{resident_id}")


def report_key(incident_id: uuid.UUID) -> uuid.UUID:
    return uuid.uuid5(incident_id, "breach-closing-report")


def letter_file(org_id: uuid.UUID, incident_id: uuid.UUID, resident_id: uuid.UUID) -> str:
    """The letter's object key: opaque, as every file's (`<org_id>/<uuid>`), never a name."""
    return f"{org_id}/{letter_key(incident_id, resident_id)}"


def report_file(org_id: uuid.UUID, incident_id: uuid.UUID) -> str:
    return f"{org_id}/{report_key(incident_id)}"


@dataclass(frozen=True)
class NewIncident:
    """A reported incident as the reporter describes it. PHI (the description, who was affected):
    it reaches the workflow only in its (encrypted) input and is stored by the first activity."""

    discovered_at: datetime
    description: str
    occurred_at: datetime | None = None
    phi_involved: str | None = None
    involves_part2: bool = False
    # Residents on record whose information was involved: each gets a letter.
    affected_resident_ids: list[uuid.UUID] = field(default_factory=list)
    # People affected who are not residents on record (applicants on paper, a vendor's list):
    # counted per state for the clocks, notified outside RecoveryOS.
    others_by_state: dict[str, int] = field(default_factory=dict)
    others_unreachable: int = 0
    baa_record_id: uuid.UUID | None = None
    ba_discovered_at: datetime | None = None


@dataclass(frozen=True)
class NoticeContent:
    """What the letters say beyond the incident's own description (164.404(c)(1)(C) and (E))."""

    steps_to_take: str
    what_we_are_doing: str
    toll_free_phone: str
    email: str
    postal_address: str
    website: str | None = None


@dataclass(frozen=True)
class Assessment:
    """The privacy officer's four-factor risk assessment (164.402(2)) and decision."""

    nature_and_extent: str
    unauthorized_person: str
    acquired_or_viewed: str
    mitigation: str
    safe_harbour: bool
    decision: Decision
    reasons: str
    risk_level: str = "moderate"
    notice: NoticeContent | None = None
