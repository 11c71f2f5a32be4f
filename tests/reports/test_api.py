"""Reports over real HTTP: JSON paged, CSV and PDF holding the same figures (the PDF read back
with pypdf), and a property manager of another property seeing none of this house."""

from __future__ import annotations

import csv
import io
import uuid

import httpx
import pypdf
from sqlalchemy import select

from core.db import tenant_session
from core.enums import UserRole
from models.orgs import House
from services.reports.render import dollars
from tests.billing.builders import make_house
from tests.reports.builders import Known
from tests.scope.world import add_login

READER = UserRole.BILLING_SPECIALIST


def _get(stack: str, headers: dict[str, str], path: str, **params: str | int) -> httpx.Response:
    with httpx.Client(base_url=stack, headers=headers, timeout=120) as http:
        return http.get(path, params=params)


def _pdf_text(data: bytes) -> str:
    return "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages)


def test_the_rent_roll_pages_as_json_and_its_csv_and_pdf_hold_the_same_figures(
    stack: str, known: Known
) -> None:
    h = known.org.headers(READER)
    first = _get(stack, h, "/v1/reports/rent-roll", as_of="2026-02-10", limit=2)
    assert first.status_code == 200, first.text
    page = first.json()
    assert (len(page["items"]), page["next_offset"], page["totals"]["balance_cents"]) == (2, 2, 100_000)
    assert all(t["ties"] for t in page["ties"])
    rest = _get(stack, h, "/v1/reports/rent-roll", as_of="2026-02-10", limit=2, offset=2).json()
    rows = page["items"] + rest["items"]
    assert rest["next_offset"] is None and [r["bed"] for r in rows] == ["B-0", "B-1", "B-2"]
    assert rows[0]["resident_id"] == str(known.ana) and rows[0]["resident"] == "Test Resident"

    got = _get(stack, h, "/v1/reports/rent-roll", as_of="2026-02-10", format="csv")
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(got.text)))
    assert lines[0][:5] == ["House", "Room", "Bed", "Status", "Resident"]
    body = lines[1:4]
    assert [x[8] for x in body] == [dollars(r["balance_cents"]) for r in rows] == ["600.00", "400.00", "0.00"]
    assert ["total", "balance_cents", "1000.00"] in lines

    pdf = _get(stack, h, "/v1/reports/rent-roll", as_of="2026-02-10", format="pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    text = _pdf_text(pdf.content)
    assert "Rent roll" in text and "Test Resident" in text
    for r in rows:
        assert dollars(r["charges_cents"]) in text and dollars(r["balance_cents"]) in text
    assert "balance_cents: 1000.00" in text and "(ties)" in text
    # The chart is an image on the first page.
    assert pypdf.PdfReader(io.BytesIO(pdf.content)).pages[0].images


def test_aging_in_every_format_and_its_chart(stack: str, known: Known) -> None:
    h = known.org.headers(READER)
    js = _get(stack, h, "/v1/reports/ar-aging", as_of="2026-03-10").json()
    (row,) = js["items"]
    assert (row["d1_30"], row["d31_60"], row["total_cents"]) == (100_000, 62_500, 162_500)
    text = _pdf_text(_get(stack, h, "/v1/reports/ar-aging", as_of="2026-03-10", format="pdf").content)
    assert "1000.00" in text and "625.00" in text and "1625.00" in text
    lines = list(
        csv.reader(io.StringIO(_get(stack, h, "/v1/reports/ar-aging", as_of="2026-03-10", format="csv").text))
    )
    assert lines[1][1:] == ["0.00", "1000.00", "625.00", "0.00", "0.00", "1625.00"]
    assert ["total", "d31_60", "625.00"] in lines  # totals in dollars too, as JSON's in cents
    assert "d31_60: 625.00" in text
    by_house = _get(stack, h, "/v1/reports/ar-aging", as_of="2026-03-10", by="house").json()
    assert by_house["items"][0]["name"] == "Known House"
    assert _get(stack, h, "/v1/reports/ar-aging", by="bed").json()["field"] == "by"


def test_period_reports_refuse_a_backwards_period_naming_to(stack: str, known: Known) -> None:
    h = known.org.headers(READER)
    for path in ("/v1/reports/collections", "/v1/reports/write-offs"):
        ok = _get(stack, h, path, **{"from": "2026-01-01", "to": "2026-02-28"})
        assert ok.status_code == 200, ok.text
        bad = _get(stack, h, path, **{"from": "2026-02-01", "to": "2026-01-01"})
        assert (bad.status_code, bad.json()["field"]) == (422, "to")
    taken = _get(stack, h, "/v1/reports/collections", **{"from": "2026-01-01", "to": "2026-02-28"}).json()
    assert taken["totals"]["amount_cents"] == 190_000


def test_a_property_manager_of_another_property_sees_none_of_this_house(stack: str, known: Known) -> None:
    other = make_house(known.org.org_id, beds=1, name="Other House")
    with tenant_session(known.org.org_id, actor_type="test") as s:
        prop = s.scalar(select(House.property_id).where(House.id == other.house_id))
    _, token = add_login(known.org.org_id, UserRole.PROPERTY_MANAGER, property_id=prop)
    h = {"Authorization": f"Bearer {token}"}
    named = _get(stack, h, "/v1/reports/rent-roll", house_id=str(known.house.house_id))
    assert (named.status_code, named.json()["field"]) == (404, "house_id")
    mine = _get(stack, h, "/v1/reports/rent-roll", as_of="2026-02-10").json()
    assert [r["house"] for r in mine["items"]] == ["Other House"] and mine["ties"] == []
    aging = _get(stack, h, "/v1/reports/ar-aging", as_of="2026-03-10").json()
    assert aging["items"] == [] and aging["ties"] == []
    nobody = _get(stack, known.org.headers(READER), "/v1/reports/rent-roll", house_id=str(uuid.uuid4()))
    assert (nobody.status_code, nobody.json()["field"]) == (404, "house_id")
