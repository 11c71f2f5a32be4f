"""The proration rule (README, "Billing"): nights in a bed within the period, move-in day
counted and move-out day not, times the rate over the period's days, rounded half up."""

from __future__ import annotations

from datetime import date

import pytest

from core.enums import BillingFrequency
from services.billing.periods import Period, billed_days, period_containing, prorate

M, W, B = BillingFrequency.MONTHLY, BillingFrequency.WEEKLY, BillingFrequency.BIWEEKLY


@pytest.mark.parametrize(
    ("day", "freq", "period"),
    [
        (date(2026, 1, 31), M, Period(date(2026, 1, 1), date(2026, 1, 31))),
        (date(2026, 2, 14), M, Period(date(2026, 2, 1), date(2026, 2, 28))),
        (date(2028, 2, 29), M, Period(date(2028, 2, 1), date(2028, 2, 29))),
        (date(2026, 12, 31), M, Period(date(2026, 12, 1), date(2026, 12, 31))),
        (date(2026, 11, 25), W, Period(date(2026, 11, 23), date(2026, 11, 29))),  # a Wednesday
        (date(2026, 11, 23), W, Period(date(2026, 11, 23), date(2026, 11, 29))),  # a Monday
        (date(2026, 11, 29), W, Period(date(2026, 11, 23), date(2026, 11, 29))),  # a Sunday
        (date(2026, 12, 31), W, Period(date(2026, 12, 28), date(2027, 1, 3))),  # across the year
        (date(2024, 1, 14), B, Period(date(2024, 1, 1), date(2024, 1, 14))),
        (date(2024, 1, 15), B, Period(date(2024, 1, 15), date(2024, 1, 28))),
    ],
)
def test_the_period_containing_a_day_is_the_month_or_the_monday_week(
    day: date, freq: BillingFrequency, period: Period
) -> None:
    assert period_containing(day, freq) == period


def test_a_full_period_costs_exactly_the_rate_in_months_of_every_length() -> None:
    for day in (date(2026, 2, 1), date(2028, 2, 1), date(2026, 4, 1), date(2026, 1, 1)):
        p = period_containing(day, M)
        assert billed_days(p, date(2025, 6, 1), None) == p.days
        assert prorate(90_001, p.days, p) == 90_001


def test_move_in_mid_month_bills_the_remaining_nights_including_the_move_in_day() -> None:
    nov = period_containing(date(2026, 11, 1), M)
    assert billed_days(nov, date(2026, 11, 16), None) == 15
    assert prorate(90_000, 15, nov) == 45_000
    # Move in on the last day of a 31-day month: one night.
    dec = period_containing(date(2026, 12, 1), M)
    assert billed_days(dec, date(2026, 12, 31), None) == 1
    assert prorate(93_000, 1, dec) == 3_000


def test_move_out_day_is_not_billed() -> None:
    nov = period_containing(date(2026, 11, 1), M)
    assert billed_days(nov, date(2026, 10, 1), date(2026, 11, 10)) == 9
    assert billed_days(nov, date(2026, 11, 5), date(2026, 11, 10)) == 5
    assert billed_days(nov, date(2026, 10, 1), date(2026, 11, 1)) == 0
    assert billed_days(nov, date(2026, 10, 1), date(2026, 12, 1)) == 30


def test_leap_february_divides_by_29_and_common_february_by_28() -> None:
    leap, common = period_containing(date(2028, 2, 1), M), period_containing(date(2026, 2, 1), M)
    assert billed_days(leap, date(2028, 2, 29), None) == 1
    assert prorate(87_000, 1, leap) == 3_000
    assert prorate(84_000, 1, common) == 3_000
    assert prorate(87_000, 14, leap) == 42_000


def test_weekly_cycles_prorate_by_sevenths_rounding_half_up() -> None:
    week = period_containing(date(2026, 11, 25), W)
    assert billed_days(week, date(2026, 11, 25), None) == 5  # Wednesday to Sunday
    assert prorate(20_000, 5, week) == 14_286  # 14_285.71…
    assert prorate(7, 1, week) == 1
    assert prorate(3, 1, week) == 0  # 0.43 cents rounds down
    assert prorate(35, 1, Period(date(2026, 1, 1), date(2026, 1, 14))) == 3  # 2.5 rounds half up


def test_a_stay_outside_the_period_bills_nothing() -> None:
    nov = period_containing(date(2026, 11, 1), M)
    assert billed_days(nov, date(2026, 12, 2), None) == 0
    assert billed_days(nov, date(2026, 9, 1), date(2026, 10, 15)) == 0
