"""No caller reaches another org's places, users or money: org B naming org A's property, house,
room, bed, user or resident gets the same 404 as for an id nobody has, and A's rows are left as
they were. Every route of the setup routers that names a resource joins CROSS_ORG; the guard
test below fails when a new one has not."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute

from api.routes import housing, users
from api.routes.billing import reads as billing_reads
from core.enums import UserRole
from tests.admission.places import house
from tests.dunning.builders import billed_in
from tests.factories import OrgFactory, SampleOrg

PLACES = UserRole.PROPERTY_MANAGER
OWNER = UserRole.ORG_OWNER
MONEY = UserRole.BILLING_SPECIALIST


@dataclass(frozen=True)
class Owned:
    """What org A holds, by the route parameter that names it."""

    ids: dict[str, str]


@dataclass(frozen=True)
class Reach:
    method: str
    path: str
    role: UserRole
    body: dict[str, Any] | None = None
    params: dict[str, str] | None = None


def _orgs_a_and_b(orgs: OrgFactory) -> tuple[SampleOrg, SampleOrg, Owned]:
    a, b = orgs.create((PLACES, OWNER, MONEY)), orgs.create((PLACES, OWNER, MONEY))
    layout = house(a.org_id, ["1"], name="Cross House")
    _, (resident,), _, _, _ = billed_in(a.org_id, date(2026, 1, 5), steps=[], house_name="Cross Billing")
    ids = {
        "property_id": str(layout.property_id),
        "house_id": str(layout.house_id),
        "bed_id": str(layout.beds["1"]),
        "user_id": str(a.users[PLACES]),
        "resident_id": str(resident),
    }
    return a, b, Owned(ids)


def _room_of(stack: str, a: SampleOrg, bed_id: str) -> str:
    with httpx.Client(base_url=stack, headers=a.headers(PLACES), timeout=60) as http:
        return str(http.get(f"/v1/beds/{bed_id}").json()["room_id"])


PERIOD = {"from": "2026-01-01", "to": "2026-01-31"}
CROSS_ORG: list[Reach] = [
    *(
        Reach(m, f"/v1/{plural}/{{{param}}}", PLACES, body)
        for plural, param in (
            ("properties", "property_id"),
            ("houses", "house_id"),
            ("rooms", "room_id"),
            ("beds", "bed_id"),
        )
        for m, body in (
            ("GET", None),
            ("PATCH", {"name" if param != "bed_id" else "label": "Taken"}),
            ("DELETE", None),
        )
    ),
    Reach("GET", "/v1/users/{user_id}", OWNER),
    Reach("PUT", "/v1/users/{user_id}/roles", OWNER, {"roles": [{"role": "peer_support"}]}),
    Reach("POST", "/v1/users/{user_id}/invitation", OWNER),
    Reach("POST", "/v1/users/{user_id}/deactivation", OWNER),
    Reach("POST", "/v1/users/{user_id}/reactivation", OWNER),
    Reach("GET", "/v1/billing/residents/{resident_id}/balance", MONEY),
    Reach("GET", "/v1/billing/residents/{resident_id}/statement", MONEY, params=PERIOD),
]


def test_every_setup_route_that_names_a_resource_is_in_the_cross_org_test() -> None:
    naming = {
        (m, r.path)
        for router in (housing.router, users.router, billing_reads.router)
        for r in router.routes
        if isinstance(r, APIRoute) and "{" in r.path and "{token}" not in r.path
        for m in r.methods or ()
    }
    assert naming == {(r.method, r.path) for r in CROSS_ORG}


@pytest.fixture(scope="module")
def world(stack: str, orgs: OrgFactory) -> tuple[SampleOrg, SampleOrg, Owned]:
    a, b, owned = _orgs_a_and_b(orgs)
    owned.ids["room_id"] = _room_of(stack, a, owned.ids["bed_id"])
    return a, b, owned


def _state(stack: str, a: SampleOrg, owned: Owned) -> list[Any]:
    """A's rows as A's own callers read them."""
    reads: list[tuple[UserRole, str]] = [
        *(
            (PLACES, f"/v1/{plural}/{owned.ids[param]}")
            for plural, param in (
                ("properties", "property_id"),
                ("houses", "house_id"),
                ("rooms", "room_id"),
                ("beds", "bed_id"),
            )
        ),
        (OWNER, f"/v1/users/{owned.ids['user_id']}"),
        (MONEY, f"/v1/billing/residents/{owned.ids['resident_id']}/balance"),
    ]
    out = []
    for role, path in reads:
        with httpx.Client(base_url=stack, headers=a.headers(role), timeout=60) as http:
            r = http.get(path)
            assert r.status_code == 200, (path, r.text)
            out.append(r.json())
    return out


@pytest.mark.parametrize("reach", CROSS_ORG, ids=lambda r: f"{r.method} {r.path}")
def test_another_orgs_caller_gets_404_and_changes_nothing(
    stack: str, world: tuple[SampleOrg, SampleOrg, Owned], reach: Reach
) -> None:
    a, b, owned = world
    before = _state(stack, a, owned)
    param = reach.path.split("{")[1].split("}")[0]
    with httpx.Client(base_url=stack, headers=b.headers(reach.role), timeout=60) as http:
        for target in (owned.ids[param], str(uuid.uuid4())):
            r = http.request(
                reach.method, reach.path.format(**{param: target}), json=reach.body, params=reach.params
            )
            assert (r.status_code, r.json().get("field")) == (404, param), r.text
    assert _state(stack, a, owned) == before


def test_another_orgs_lists_show_none_of_its_places_users_or_invoices(
    stack: str, world: tuple[SampleOrg, SampleOrg, Owned]
) -> None:
    _, b, owned = world
    lists: list[tuple[UserRole, str, dict[str, str]]] = [
        (PLACES, "/v1/properties", {}),
        (PLACES, "/v1/houses", {}),
        (PLACES, "/v1/rooms", {}),
        (PLACES, "/v1/beds", {}),
        (OWNER, "/v1/users", {}),
        (MONEY, "/v1/billing/invoices", {}),
        (MONEY, "/v1/billing/invoices", {"resident_id": owned.ids["resident_id"]}),
    ]
    theirs = set(owned.ids.values())
    for role, path, params in lists:
        with httpx.Client(base_url=stack, headers=b.headers(role), timeout=60) as http:
            r = http.get(path, params=params)
            assert r.status_code == 200, r.text
            seen = {i["id"] for i in r.json()["items"]} | {i.get("resident_id") for i in r.json()["items"]}
            assert not seen & theirs, path
    with httpx.Client(base_url=stack, headers=b.headers(PLACES), timeout=60) as http:
        r = http.get("/v1/houses", params={"property_id": owned.ids["property_id"]})
        assert (r.status_code, r.json()["field"]) == (404, "property_id")
        made = http.post("/v1/rooms", json={"house_id": owned.ids["house_id"], "name": "Sneaky"})
        assert (made.status_code, made.json()["field"]) == (404, "house_id")
