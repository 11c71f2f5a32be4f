"""Beds and stays on a house whose answers are worked out by hand.

Four beds in January 2026 (31 nights): B-0 taken all month (moved in 1 January, still there);
B-1 from the 10th to the 20th (10 nights, a planned discharge on completing the program); B-2
from 1 December to 5 January (4 January nights; discharged for a rule violation); B-3 out of
service. So 124 bed-days, 45 occupied, 31 out of service, 48 vacant, 45/93 = 48.4 %."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

import httpx
import pytest
from sqlalchemy import select, update

from core.db import tenant_session
from core.enums import BedStatus, DischargeReason, LeadSource, LeadStatus, UserRole, WaitlistStatus
from core.permissions import Perm
from models.orgs import Bed
from models.resident_tracking import Discharge, WaitlistEntry
from models.residents import Admission, Lead
from services import api_keys
from services.reports import occupancy
from services.reports.occupancy import Interval
from tests.billing.builders import HouseIds, admit, make_house
from tests.factories import OrgFactory, SampleOrg
from tests.reports.builders import stays


def _at(d: date) -> datetime:
    return datetime.combine(d, time(12), UTC)


@dataclass(frozen=True)
class Beds:
    org: SampleOrg
    house: HouseIds
    residents: list[uuid.UUID]


@pytest.fixture(scope="module")
def beds(orgs: OrgFactory) -> Beds:
    org = orgs.create((UserRole.PROPERTY_MANAGER, UserRole.EXECUTIVE_DIRECTOR))
    house = make_house(org.org_id, beds=4, name="Census House")
    ranges: list[tuple[date, date | None]] = [
        (date(2026, 1, 1), None),
        (date(2026, 1, 10), date(2026, 1, 20)),
        (date(2025, 12, 1), date(2026, 1, 5)),
    ]
    rids = admit(org.org_id, house, ranges)
    stays(org.org_id, house, rids, ranges)
    with tenant_session(org.org_id, actor_type="test") as s:
        s.execute(update(Bed).where(Bed.id == house.bed_ids[3]).values(status=BedStatus.OUT_OF_SERVICE))
        for rid, (kind, reason), out in zip(
            rids[1:],
            [
                ("planned", DischargeReason.COMPLETED_PROGRAM),
                ("administrative", DischargeReason.RULE_VIOLATION),
            ],
            [date(2026, 1, 20), date(2026, 1, 5)],
            strict=True,
        ):
            adm = s.scalars(select(Admission.id).where(Admission.resident_id == rid)).one()
            s.add(
                Discharge(
                    org_id=org.org_id,
                    resident_id=rid,
                    admission_id=adm,
                    house_id=house.house_id,
                    discharged_at=_at(out),
                    reason=reason,
                    kind=kind,
                )
            )
        s.add(
            WaitlistEntry(
                org_id=org.org_id,
                resident_id=rids[1],
                house_id=house.house_id,
                status=WaitlistStatus.PLACED,
                added_at=_at(date(2026, 1, 3)),
                placed_at=_at(date(2026, 1, 10)),
            )
        )
        key, _ = api_keys.create(s, "Harbor Clinic", [Perm.AVAILABILITY_READ], None, 60, None)
        for source, partner, converted in [
            (LeadSource.REFERRAL_TREATMENT, key.id, rids[1]),
            (LeadSource.REFERRAL_TREATMENT, key.id, None),
            (LeadSource.PHONE, None, None),
        ]:
            lead = Lead(
                org_id=org.org_id,
                source=source,
                referred_by_api_key_id=partner,
                converted_resident_id=converted,
                status=LeadStatus.CONVERTED if converted else LeadStatus.NEW,
                created_at=_at(date(2026, 1, 8)),
            )
            lead.first_name = "Lead"
            s.add(lead)
    return Beds(org, house, rids)


JAN = (date(2026, 1, 1), date(2026, 1, 31))


def test_a_month_counts_bed_days_occupied_nights_out_of_service_and_vacancy(beds: Beds) -> None:
    with tenant_session(beds.org.org_id, actor_type="test") as s:
        month = occupancy.census(s, *JAN, Interval.MONTH)
        days = occupancy.census(s, *JAN, Interval.DAY)
        weeks = occupancy.census(s, *JAN, Interval.WEEK)
    (row,) = month.rows
    assert (row["period"], row["bed_days"], row["occupied"], row["out_of_service"], row["vacancy_days"]) == (
        "2026-01-01",
        124,
        45,
        31,
        48,
    )
    assert row["occupancy_pct"] == 48.4 == month.totals["occupancy_pct"]
    by_day = {r["period"]: r["occupied"] for r in days.rows}
    assert (by_day["2026-01-04"], by_day["2026-01-05"], by_day["2026-01-10"], by_day["2026-01-20"]) == (
        2,
        1,
        2,
        1,
    )
    assert len(days.rows) == 31 and days.totals["occupied"] == 45
    # Weeks start on Monday: 29 December 2025 holds the 1st to the 4th.
    assert [r["period"] for r in weeks.rows][:2] == ["2025-12-29", "2026-01-05"]
    assert weeks.rows[0]["bed_days"] == 16 and weeks.totals["occupied"] == 45


def test_stays_that_ended_in_the_period_give_the_median_and_the_distribution(beds: Beds) -> None:
    with tenant_session(beds.org.org_id, actor_type="test") as s:
        los = occupancy.length_of_stay(s, *JAN)
    assert (los.totals["stays"], los.totals["median_days"]) == (2, 22.5)
    assert {r["length"]: r["stays"] for r in los.rows if r["stays"]} == {"7-29": 1, "30-89": 1}


def test_admissions_discharges_waitlist_and_referral_sources(beds: Beds) -> None:
    with tenant_session(beds.org.org_id, actor_type="test") as s:
        moves = occupancy.admissions_discharges(s, *JAN)
        wait = occupancy.waitlist(s, *JAN)
        refs = occupancy.referral_sources(s, *JAN)
    assert (moves.totals["admissions"], moves.totals["discharges"]) == (2, 2)
    assert sorted((r["kind"], r["reason"]) for r in moves.rows if r["event"] == "discharge") == [
        ("administrative", "rule_violation"),
        ("planned", "completed_program"),
    ]
    assert [(r["house"], r["placed"], r["median_days"]) for r in wait.rows] == [("Census House", 1, 7.0)]
    assert [(r["source"], r["partner"], r["leads"], r["converted"]) for r in refs.rows] == [
        ("referral_treatment", "Harbor Clinic", 2, 1),
        ("phone", "", 1, 0),
    ]


def test_occupancy_over_http_in_every_format(stack: str, beds: Beds) -> None:
    h = beds.org.headers(UserRole.PROPERTY_MANAGER)
    span = {"from": "2026-01-01", "to": "2026-01-31"}
    with httpx.Client(base_url=stack, headers=h, timeout=120) as http:
        js = http.get("/v1/reports/occupancy", params={**span, "interval": "month"})
        assert js.status_code == 200, js.text
        assert js.json()["items"][0]["vacancy_days"] == 48
        csv_text = http.get(
            "/v1/reports/occupancy", params={**span, "interval": "month", "format": "csv"}
        ).text
        assert "2026-01-01,Census House,124,45,31,48,48.4" in csv_text
        for path in ("length-of-stay", "admissions-discharges", "waitlist", "referral-sources"):
            pdf = http.get(f"/v1/reports/{path}", params={**span, "format": "pdf"})
            assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF"), path
        bad = http.get("/v1/reports/occupancy", params={**span, "interval": "year"})
        assert (bad.status_code, bad.json()["field"]) == (422, "interval")
