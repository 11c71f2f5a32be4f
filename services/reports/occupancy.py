"""Beds and stays: census by day, week or month per house, length of stay, admissions and
discharges by kind and reason, waitlist time to bed, and where leads came from.

Definitions (README "Reports"):
- a bed is *occupied* on a day when a stay (`bed_occupancies.during`, the bed board's own
  record) covers that night; a reservation is a stay, so it counts from its first night;
- a bed is *available* on a day when it is live; beds keep no history of their status, so a bed
  *out of service* today counts as out of service on every day of the period (and a bed in
  service today on every day). A stay in an out-of-service bed still counts as occupied;
- *vacancy days* are available bed-days less occupied and out-of-service ones; occupancy is
  occupied over (available less out of service);
- a week starts on Monday; a month on its first day;
- length of stay is from the day a stay began (`admitted_at`) to the day it ended (`ended_at`),
  for stays that ended in the period; cancelled admissions never began.
House-scoped callers see their own houses (row security decides); `house_id` narrows to one."""

from __future__ import annotations

import statistics
import uuid
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from services.reports.base import Chart, Column, Kind, Report, period, visible_houses


class Interval(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


def _houses(houses: list[uuid.UUID] | None, column: str) -> str:
    return "" if houses is None else f" AND {column} = ANY(:houses)"


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def census(
    session: Session, first: date, last: date, interval: Interval, house_id: uuid.UUID | None = None
) -> Report:
    period(first, last)
    houses = visible_houses(session, house_id)
    rows = session.execute(
        text(
            f"""
            WITH days AS (
              SELECT d::date AS day FROM generate_series(CAST(:first AS date), CAST(:last AS date),
                interval '1 day') d
            ), beds AS (
              SELECT b.id, h.id AS house_id, h.name AS house, b.status = 'out_of_service' AS oos
              FROM beds b
              JOIN rooms ro ON ro.id = b.room_id AND ro.deleted_at IS NULL
              JOIN houses h ON h.id = ro.house_id AND h.deleted_at IS NULL
              WHERE b.deleted_at IS NULL{_houses(houses, "h.id")}
            ), taken AS (
              SELECT DISTINCT days.day, o.bed_id FROM bed_occupancies o
              JOIN days ON o.during @> days.day
              WHERE o.bed_id IN (SELECT id FROM beds)
            )
            SELECT date_trunc(:unit, days.day)::date AS period, beds.house_id, beds.house,
              count(*) AS bed_days,
              count(taken.bed_id) AS occupied,
              count(*) FILTER (WHERE beds.oos AND taken.bed_id IS NULL) AS out_of_service
            FROM days CROSS JOIN beds
            LEFT JOIN taken ON taken.day = days.day AND taken.bed_id = beds.id
            GROUP BY 1, beds.house_id, beds.house
            ORDER BY 1, beds.house, beds.house_id
            """
        ),
        {"first": first, "last": last, "unit": interval.value, "houses": houses},
    ).all()
    out: list[dict[str, Any]] = []
    for r in rows:
        in_service = int(r.bed_days) - int(r.out_of_service)
        out.append(
            {
                "period": r.period.isoformat(),
                "house_id": str(r.house_id),
                "house": r.house,
                "bed_days": int(r.bed_days),
                "occupied": int(r.occupied),
                "out_of_service": int(r.out_of_service),
                "vacancy_days": in_service - int(r.occupied),
                "occupancy_pct": _pct(int(r.occupied), in_service),
            }
        )
    keys = ("bed_days", "occupied", "out_of_service", "vacancy_days")
    totals: dict[str, int | float | None] = {k: sum(r[k] for r in out) for k in keys}
    totals["occupancy_pct"] = _pct(
        int(totals["occupied"] or 0), int(totals["bed_days"] or 0) - int(totals["out_of_service"] or 0)
    )
    by_period: dict[str, list[int]] = {}
    for x in out:
        acc = by_period.setdefault(x["period"], [0, 0])
        acc[0] += x["occupied"]
        acc[1] += x["bed_days"] - x["out_of_service"]
    line = [{"period": p, "occupancy_pct": _pct(o, n)} for p, (o, n) in by_period.items()]
    return Report(
        "occupancy",
        "Occupancy and census",
        {"from": first.isoformat(), "to": last.isoformat(), "interval": interval.value},
        [
            Column("period", "Period", Kind.DATE),
            Column("house", "House"),
            Column("bed_days", "Bed-days", Kind.COUNT),
            Column("occupied", "Occupied", Kind.COUNT),
            Column("out_of_service", "Out of service", Kind.COUNT),
            Column("vacancy_days", "Vacancy days", Kind.COUNT),
            Column("occupancy_pct", "Occupancy %", Kind.PERCENT),
        ],
        out,
        totals,
        charts=[Chart("line", "Occupancy % over time", "period", ["occupancy_pct"], "%", line)],
        notes=[
            "Occupied: a stay covers the night. Out of service: the bed's status today.",
            "Occupancy % = occupied / (bed-days - out of service).",
        ],
    )


LOS_BUCKETS = (
    (0, 6, "under 7"),
    (7, 29, "7-29"),
    (30, 89, "30-89"),
    (90, 179, "90-179"),
    (180, 364, "180-364"),
)


def length_of_stay(session: Session, first: date, last: date, house_id: uuid.UUID | None = None) -> Report:
    period(first, last)
    houses = visible_houses(session, house_id)
    days = [
        int(d)
        for d in session.scalars(
            text(
                f"""
                SELECT (a.ended_at::date - a.admitted_at::date) FROM admissions a
                WHERE a.deleted_at IS NULL AND a.status <> 'cancelled' AND a.admitted_at IS NOT NULL
                  AND a.ended_at::date BETWEEN :first AND :last{_houses(houses, "a.house_id")}
                """
            ),
            {"first": first, "last": last, "houses": houses},
        )
    ]
    out: list[dict[str, Any]] = []
    for low, high, label in LOS_BUCKETS:
        out.append({"length": label, "stays": sum(1 for d in days if low <= d <= high)})
    out.append({"length": "365 and over", "stays": sum(1 for d in days if d >= 365)})
    totals: dict[str, int | float | None] = {
        "stays": len(days),
        "median_days": statistics.median(days) if days else None,
        "mean_days": round(statistics.fmean(days), 1) if days else None,
    }
    return Report(
        "length_of_stay",
        "Length of stay",
        {"from": first.isoformat(), "to": last.isoformat()},
        [Column("length", "Days"), Column("stays", "Stays ended", Kind.COUNT)],
        out,
        totals,
        charts=[Chart("bar", "Stays by length (days)", "length", ["stays"], "stays", out)],
        notes=["Stays that ended in the period, from the day they began to the day they ended."],
    )


def admissions_discharges(
    session: Session, first: date, last: date, house_id: uuid.UUID | None = None
) -> Report:
    period(first, last)
    houses = visible_houses(session, house_id)
    params = {"first": first, "last": last, "houses": houses}
    admitted = session.execute(
        text(
            f"""
            SELECT h.name AS house, count(*) AS n FROM admissions a JOIN houses h ON h.id = a.house_id
            WHERE a.deleted_at IS NULL AND a.status <> 'cancelled'
              AND a.admitted_at::date BETWEEN :first AND :last{_houses(houses, "a.house_id")}
            GROUP BY h.name ORDER BY h.name
            """
        ),
        params,
    ).all()
    discharged = session.execute(
        text(
            f"""
            SELECT h.name AS house, coalesce(d.kind, 'unrecorded') AS kind, d.reason::text AS reason,
                   count(*) AS n
            FROM discharges d JOIN houses h ON h.id = d.house_id
            WHERE d.deleted_at IS NULL
              AND d.discharged_at::date BETWEEN :first AND :last{_houses(houses, "d.house_id")}
            GROUP BY h.name, 2, d.reason ORDER BY h.name, 2, d.reason
            """
        ),
        params,
    ).all()
    out: list[dict[str, Any]] = [
        {"event": "admission", "house": r.house, "kind": "", "reason": "", "count": int(r.n)}
        for r in admitted
    ]
    out += [
        {"event": "discharge", "house": r.house, "kind": r.kind, "reason": r.reason, "count": int(r.n)}
        for r in discharged
    ]
    reasons: dict[str, int] = {}
    for r in discharged:
        reasons[r.reason] = reasons.get(r.reason, 0) + int(r.n)
    return Report(
        "admissions_discharges",
        "Admissions and discharges",
        {"from": first.isoformat(), "to": last.isoformat()},
        [
            Column("event", "Event"),
            Column("house", "House"),
            Column("kind", "Kind"),
            Column("reason", "Reason"),
            Column("count", "Count", Kind.COUNT),
        ],
        out,
        {
            "admissions": sum(r["count"] for r in out if r["event"] == "admission"),
            "discharges": sum(r["count"] for r in out if r["event"] == "discharge"),
        },
        charts=[
            Chart(
                "bar",
                "Discharges by reason",
                "reason",
                ["count"],
                "discharges",
                [{"reason": k, "count": v} for k, v in sorted(reasons.items())],
            )
        ],
    )


def waitlist(session: Session, first: date, last: date, house_id: uuid.UUID | None = None) -> Report:
    """Time from joining the waitlist to being placed in a bed, for entries placed in the period."""
    period(first, last)
    houses = visible_houses(session, house_id)
    rows = session.execute(
        text(
            f"""
            SELECT coalesce(h.name, '(any house)') AS house,
                   extract(epoch FROM w.placed_at - w.added_at) / 86400.0 AS days
            FROM waitlist_entries w LEFT JOIN houses h ON h.id = w.house_id
            WHERE w.deleted_at IS NULL AND w.placed_at IS NOT NULL
              AND w.placed_at::date BETWEEN :first AND :last{_houses(houses, "w.house_id")}
            """
        ),
        {"first": first, "last": last, "houses": houses},
    ).all()
    by_house: dict[str, list[float]] = {}
    for r in rows:
        by_house.setdefault(r.house, []).append(float(r.days))
    out = [
        {
            "house": h,
            "placed": len(ds),
            "median_days": round(statistics.median(ds), 1),
            "longest_days": round(max(ds), 1),
        }
        for h, ds in sorted(by_house.items())
    ]
    every = [float(r.days) for r in rows]
    return Report(
        "waitlist",
        "Waitlist time to bed",
        {"from": first.isoformat(), "to": last.isoformat()},
        [
            Column("house", "House"),
            Column("placed", "Placed", Kind.COUNT),
            Column("median_days", "Median days", Kind.DAYS),
            Column("longest_days", "Longest days", Kind.DAYS),
        ],
        out,
        {"placed": len(every), "median_days": round(statistics.median(every), 1) if every else None},
        charts=[Chart("bar", "Median days from waitlist to bed", "house", ["median_days"], "days", out)],
    )


def referral_sources(session: Session, first: date, last: date) -> Report:
    """Leads that came in during the period, by how they came and the referral partner whose
    key sent them, with how many became residents."""
    period(first, last)
    rows = session.execute(
        text(
            """
            SELECT l.source::text AS source, coalesce(k.name, '') AS partner, count(*) AS leads,
                   count(*) FILTER (WHERE l.converted_resident_id IS NOT NULL) AS converted
            FROM leads l LEFT JOIN api_keys k ON k.id = l.referred_by_api_key_id
            WHERE l.deleted_at IS NULL AND l.created_at::date BETWEEN :first AND :last
            GROUP BY 1, 2 ORDER BY count(*) DESC, 1, 2
            """
        ),
        {"first": first, "last": last},
    ).all()
    out = [
        {
            "source": r.source,
            "partner": r.partner,
            "leads": int(r.leads),
            "converted": int(r.converted),
            "conversion_pct": _pct(int(r.converted), int(r.leads)),
        }
        for r in rows
    ]
    by_source: dict[str, int] = {}
    for r in out:
        by_source[r["source"]] = by_source.get(r["source"], 0) + r["leads"]
    return Report(
        "referral_sources",
        "Referral sources",
        {"from": first.isoformat(), "to": last.isoformat()},
        [
            Column("source", "Source"),
            Column("partner", "Referral partner"),
            Column("leads", "Leads", Kind.COUNT),
            Column("converted", "Became residents", Kind.COUNT),
            Column("conversion_pct", "Conversion %", Kind.PERCENT),
        ],
        out,
        {"leads": sum(r["leads"] for r in out), "converted": sum(r["converted"] for r in out)},
        charts=[
            Chart(
                "bar",
                "Leads by source",
                "source",
                ["leads"],
                "leads",
                [{"source": k, "leads": v} for k, v in by_source.items()],
            )
        ],
    )
