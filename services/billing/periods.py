"""Billing periods and the proration rule: which period a day falls in for a billing frequency,
how many nights of a stay fall in a period, and what those nights cost."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from core.enums import BillingFrequency

# Biweekly cycles count from this Monday.
BIWEEKLY_ANCHOR = date(2024, 1, 1)


@dataclass(frozen=True)
class Period:
    """A billing period, both ends inclusive."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def period_containing(day: date, frequency: BillingFrequency) -> Period:
    """Monthly: the calendar month. Weekly: Monday to Sunday. Biweekly: two weeks counted
    from Monday 2024-01-01."""
    if frequency is BillingFrequency.MONTHLY:
        last = calendar.monthrange(day.year, day.month)[1]
        return Period(day.replace(day=1), day.replace(day=last))
    if frequency is BillingFrequency.WEEKLY:
        start = day - timedelta(days=day.weekday())
        return Period(start, start + timedelta(days=6))
    start = day - timedelta(days=(day - BIWEEKLY_ANCHOR).days % 14)
    return Period(start, start + timedelta(days=13))


def billed_days(period: Period, moved_in: date, moved_out: date | None) -> int:
    """Nights in a bed within the period: the move-in day counts, the move-out day does not."""
    first = max(period.start, moved_in)
    stop = (
        period.end + timedelta(days=1)
        if moved_out is None
        else min(period.end + timedelta(days=1), moved_out)
    )
    return max(0, (stop - first).days)


def prorate(amount_cents: int, days: int, period: Period) -> int:
    """`amount × days / days in the period`, rounded half up to the cent; a full period is
    exactly the rate."""
    if days >= period.days:
        return amount_cents
    num, den = amount_cents * days, period.days
    return (2 * num + den) // (2 * den)
