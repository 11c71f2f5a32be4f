"""The law's arithmetic, as `core/contracts/breach.py` computes it: which obligations an incident
owes and when, from discovery, the affected residents' states and the law-enforcement delays."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from core.contracts.breach import (
    STATE_RULES,
    Decision,
    Delay,
    DelayKind,
    Facts,
    add_delay,
    annual_log_due,
    oral_delay,
    paused,
    plan,
    state_rules_markdown,
)

FOUND = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
N = Decision.NOTIFIABLE


def _due(facts: Facts, done: dict[str, datetime] | None = None, delays: list[Delay] | None = None) -> dict:
    return {o.key: o.due_at for o in plan(facts, N, done or {}, delays or [])}


def test_without_a_state_rule_the_residents_are_owed_notice_60_days_after_discovery() -> None:
    due = _due(Facts(FOUND, 3, {"PA": 3}))
    assert due["individuals"] == FOUND + timedelta(days=60)
    # Before the decision, the decision itself is owed by then: the clocks run from discovery.
    undecided = plan(Facts(FOUND, 3, {"PA": 3}), None, {})
    assert [(o.key, o.due_at) for o in undecided] == [("assessment", FOUND + timedelta(days=60))]


def test_a_30_day_state_clock_wins_when_one_affected_resident_lives_there() -> None:
    obligations = plan(Facts(FOUND, 4, {"PA": 3, "CA": 1}), N, {})
    first = next(o for o in obligations if o.key == "individuals")
    assert first.due_at == FOUND + timedelta(days=30)
    assert "1798.82" in first.citation


def test_a_state_rule_applies_only_from_its_effective_date() -> None:
    before = datetime(2025, 12, 30, tzinfo=UTC)  # California's 30 days start in 2026
    assert _due(Facts(before, 1, {"CA": 1}))["individuals"] == before + timedelta(days=60)


def test_hhs_is_owed_at_once_from_500_in_total_and_the_media_only_above_500_in_one_state() -> None:
    at_500 = _due(Facts(FOUND, 500, {"TX": 500}))
    assert at_500["hhs"] == at_500["individuals"] and "hhs_annual_log" not in at_500
    assert "media-TX" not in at_500  # media needs MORE than 500 in the state
    at_501 = _due(Facts(FOUND, 501, {"TX": 501}))
    assert at_501["media-TX"] == FOUND + timedelta(days=60)
    spread = _due(Facts(FOUND, 900, {"TX": 450, "OK": 450}))
    assert "hhs" in spread and not [k for k in spread if k.startswith("media")]


def test_under_500_the_incident_joins_the_annual_log_due_60_days_after_the_year_ends() -> None:
    due = _due(Facts(FOUND, 499, {"TX": 499}))
    assert "hhs" not in due
    assert due["hhs_annual_log"] == annual_log_due(FOUND) == datetime(2027, 3, 2, tzinfo=UTC)


def test_ten_or_more_unreachable_owe_a_substitute_notice() -> None:
    assert "substitute" not in _due(Facts(FOUND, 20, {"TX": 20}, unreachable=9))
    assert "substitute" in _due(Facts(FOUND, 20, {"TX": 20}, unreachable=10))


def test_regulators_follow_what_they_are_anchored_to() -> None:
    ny = Facts(FOUND, 2, {"NY": 2})
    assert "NY-regulator" not in _due(ny)  # owed once HHS has been told
    told = FOUND + timedelta(days=3)  # a Thursday
    assert _due(ny, {"hhs_annual_log": told})["NY-regulator"] == told + timedelta(days=7)  # 5 business days
    ca = Facts(FOUND, 600, {"CA": 600})
    mailed = FOUND + timedelta(days=20)
    assert _due(ca, {"individuals": mailed})["CA-regulator"] == mailed + timedelta(days=15)


def test_a_written_delay_stops_the_clocks_for_its_period() -> None:
    d = Delay(DelayKind.WRITTEN, FOUND + timedelta(days=10), FOUND + timedelta(days=55))
    assert _due(Facts(FOUND, 3, {"PA": 3}), delays=[d])["individuals"] == FOUND + timedelta(days=105)


def test_an_oral_delay_lasts_at_most_30_days_unless_a_written_one_follows() -> None:
    oral = oral_delay(FOUND + timedelta(days=5), 45)
    assert oral.end - oral.start == timedelta(days=30)
    written = Delay(DelayKind.WRITTEN, FOUND + timedelta(days=20), FOUND + timedelta(days=80))
    both = add_delay([oral], written)
    assert both == [Delay(DelayKind.WRITTEN, oral.start, written.end)]
    assert paused(both) == timedelta(days=75)
    # A written statement after the oral delay ran out is a delay of its own.
    later = Delay(DelayKind.WRITTEN, FOUND + timedelta(days=40), FOUND + timedelta(days=50))
    assert paused(add_delay([oral], later)) == timedelta(days=40)


def test_the_business_associates_report_is_tracked_whatever_the_decision() -> None:
    due = FOUND + timedelta(days=30)
    for decision in (None, Decision.NOT_NOTIFIABLE, N):
        keys = [o.key for o in plan(Facts(FOUND, 1, {"PA": 1}, ba_report_due_at=due), decision, {})]
        assert "business_associate" in keys


def test_every_state_rule_cites_its_law_and_the_readme_shows_the_table() -> None:
    assert all(r.citation and len(r.state) == 2 for r in STATE_RULES)
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert state_rules_markdown() in readme
