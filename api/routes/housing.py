"""Setting up places over HTTP: properties, houses, rooms and beds, each listed, read, created
(with an optional Idempotency-Key), changed and soft-deleted.

Reads need `property:read`, writes `property:write`. Every call runs in the caller's tenant
transaction, so PostgreSQL shows a scoped caller only their houses (and their rooms and beds)
and another org's id is a 404. New properties and houses need an org-wide role: a house or
property scope covers only the houses it already names. Writes are audited by the tenant
session (one event per row changed, field names only)."""

# No `from __future__ import annotations`: the routes are built per kind below and FastAPI
# reads their parameter types at run time.

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Response, status
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth import Principal
from api.deps import TenantDep, require
from api.errors import problem_responses, replayed_response
from api.fields import NUMBER, Int, Trimmed
from api.pages import Limit, Offset, PageOut
from api.processes import IdempotencyKeyHeader
from core.enums import BedStatus, HouseGender, NarrLevel, PropertyType
from core.errors import NotFound
from core.permissions import Perm
from core.scope import ScopeKind
from models.users import User
from services import housing_setup as places
from services import idempotency
from services.housing_setup import BED, HOUSE, PROPERTY, ROOM, Kind
from services.paging import page

router = APIRouter(tags=["setup: places"])

Reader = Annotated[Principal, Depends(require(Perm.PROPERTY_READ))]
Writer = Annotated[Principal, Depends(require(Perm.PROPERTY_WRITE))]
Name = Annotated[str, Trimmed(200)]
Short = Annotated[str, Trimmed(100)]
StateCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
Phone = Annotated[str, Trimmed(40, min_length=3)]
Cents = Annotated[int, Field(ge=0, le=100_000_000), NUMBER]


# Occupied and reserved are what placements make a bed; staff only take one in or out of service.
def _settable(v: BedStatus) -> BedStatus:
    if v not in (BedStatus.AVAILABLE, BedStatus.OUT_OF_SERVICE):
        raise ValueError("only available or out_of_service can be set; placements set the rest")
    return v


SettableBedStatus = Annotated[
    BedStatus, AfterValidator(_settable), Field(description="available or out_of_service")
]


def _example(example: dict[str, Any]) -> ConfigDict:
    """Unknown fields refused, and the example the API docs show."""
    return ConfigDict(extra="forbid", json_schema_extra={"examples": [example]})


class RowOut(BaseModel):
    """A place as stored: each field read from the row's attribute of the same name."""

    model_config = ConfigDict(from_attributes=True)


# --- properties --------------------------------------------------------------------------------

PROPERTY_EXAMPLE: dict[str, Any] = {
    "name": "Maple Street",
    "property_type": "single_family",
    "address_line1": "12 Maple St",
    "city": "Austin",
    "state": "TX",
    "postal_code": "78701",
}


class PropertyIn(BaseModel):
    model_config = _example(PROPERTY_EXAMPLE)
    name: Name = Field(description="unique among the org's live properties")
    property_type: PropertyType
    address_line1: Name
    address_line2: Name | None = None
    city: Short
    state: StateCode = Field(description="two-letter state code")
    postal_code: Annotated[str, StringConstraints(pattern=r"^[0-9]{5}(-[0-9]{4})?$")]
    certification_body: Short | None = Field(None, description="e.g. the state NARR affiliate")
    certified_until: datetime | None = None


class PropertyPatch(BaseModel):
    model_config = _example({"name": "Maple Street North"})
    name: Name | None = None
    property_type: PropertyType | None = None
    address_line1: Name | None = None
    address_line2: Name | None = None
    city: Short | None = None
    state: StateCode | None = None
    postal_code: Annotated[str, StringConstraints(pattern=r"^[0-9]{5}(-[0-9]{4})?$")] | None = None
    certification_body: Short | None = None
    certified_until: datetime | None = None


class PropertyOut(RowOut):
    id: uuid.UUID
    name: str
    property_type: PropertyType
    address_line1: str
    address_line2: str | None
    city: str
    state: str
    postal_code: str
    certification_body: str | None
    certified_until: datetime | None


# --- houses ------------------------------------------------------------------------------------


class HouseIn(BaseModel):
    model_config = _example(
        {
            "property_id": "7d4f4d43-52a4-4c43-9a55-1f0b4e0c2a11",
            "name": "Serenity House",
            "gender": "women",
            "narr_level": "level_2",
            "capacity": 8,
        }
    )
    property_id: uuid.UUID = Field(description="the property the house is on")
    name: Name = Field(description="unique among the property's live houses")
    gender: HouseGender
    narr_level: NarrLevel = NarrLevel.LEVEL_2
    capacity: Int = Field(ge=0, le=1000, description="licensed number of residents")
    house_manager_id: uuid.UUID | None = Field(None, description="a user of the org")
    phone: Phone | None = Field(None, description="the house's own phone")


class HousePatch(BaseModel):
    model_config = _example({"capacity": 10})
    property_id: uuid.UUID | None = None
    name: Name | None = None
    gender: HouseGender | None = None
    narr_level: NarrLevel | None = None
    capacity: Annotated[int, Field(ge=0, le=1000), NUMBER] | None = None
    house_manager_id: uuid.UUID | None = None
    phone: Phone | None = None


class HouseOut(RowOut):
    id: uuid.UUID
    property_id: uuid.UUID
    name: str
    gender: HouseGender
    narr_level: NarrLevel
    capacity: int
    house_manager_id: uuid.UUID | None
    phone: str | None


# --- rooms -------------------------------------------------------------------------------------


class RoomIn(BaseModel):
    model_config = _example(
        {"house_id": "0b1d1c9e-2f7a-4a8e-8a57-0c5f7e1d2b33", "name": "Room 1", "floor": 1}
    )
    house_id: uuid.UUID = Field(description="the house the room is in")
    name: Short = Field(description="unique among the house's live rooms")
    floor: Annotated[int, Field(ge=-5, le=200), NUMBER] | None = None


class RoomPatch(BaseModel):
    model_config = _example({"name": "Room 1A"})
    house_id: uuid.UUID | None = None
    name: Short | None = None
    floor: Annotated[int, Field(ge=-5, le=200), NUMBER] | None = None


class RoomOut(RowOut):
    id: uuid.UUID
    house_id: uuid.UUID
    name: str
    floor: int | None


# --- beds --------------------------------------------------------------------------------------


class BedIn(BaseModel):
    model_config = _example(
        {"room_id": "5a0c7b4e-9d6f-4b8e-a1c2-3d4e5f607182", "label": "1A", "weekly_rate_cents": 22500}
    )
    room_id: uuid.UUID = Field(description="the room the bed is in")
    label: Short = Field(description="unique among the room's live beds")
    status: SettableBedStatus = BedStatus.AVAILABLE
    weekly_rate_cents: Cents | None = Field(None, description="the bed's default weekly rent")


class BedPatch(BaseModel):
    model_config = _example({"status": "out_of_service"})
    room_id: uuid.UUID | None = None
    label: Short | None = None
    status: SettableBedStatus | None = None
    weekly_rate_cents: Cents | None = None


class BedOut(RowOut):
    id: uuid.UUID
    room_id: uuid.UUID
    label: str
    status: BedStatus
    weekly_rate_cents: int | None


class RemovedOut(BaseModel):
    """What a soft delete took with it (the place itself included)."""

    model_config = ConfigDict(from_attributes=True)
    houses: int
    rooms: int
    beds: int


# --- the routes, one set per kind ----------------------------------------------------------------

# Columns a PATCH may clear by sending null; every other field ignores null (means "unchanged").
_NULLABLE = {"address_line2", "certification_body", "certified_until", "house_manager_id", "phone", "floor"}


def _check_manager(s: Session, values: dict[str, Any]) -> None:
    # The foreign key alone would accept another org's user: foreign keys bypass row security.
    manager = values.get("house_manager_id")
    if manager is not None and s.scalar(select(User.id).where(User.id == manager)) is None:
        raise NotFound("user not found", field="house_manager_id")


def _create(
    s: Session, kind: Kind, out: type[RowOut], body: BaseModel, key: str | None, user_id: uuid.UUID | None
) -> tuple[Any, bool]:
    place_id, replayed = uuid.uuid4(), False
    if key is not None:
        digest = idempotency.request_digest(body.model_dump(mode="json"))
        place_id, replayed = idempotency.claim(s, f"setup-{kind.name}", key, digest, place_id, user_id)
    if replayed:
        return out.model_validate(places.get(s, kind, place_id)), True
    values = body.model_dump()
    _check_manager(s, values)
    return out.model_validate(places.create(s, kind, place_id, values)), False


def _update(s: Session, kind: Kind, out: type[RowOut], place_id: uuid.UUID, body: BaseModel) -> Any:
    changes = {
        k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None or k in _NULLABLE
    }
    _check_manager(s, changes)
    return out.model_validate(places.update(s, kind, place_id, changes, datetime.now(UTC).date()))


def _list(
    s: Session, kind: Kind, out: type[RowOut], parent_id: uuid.UUID | None, limit: int, offset: int
) -> Any:
    if parent_id is not None and kind.parent is not None:
        places.get(s, kind.parent, parent_id, field=kind.parent_column)
    return PageOut.of(page(s, places.listing(kind, parent_id), limit, offset), out.model_validate)


def _delete(s: Session, kind: Kind, place_id: uuid.UUID) -> RemovedOut:
    removed = places.delete(s, kind, place_id, datetime.now(UTC).date())
    return RemovedOut.model_validate(removed)


def _org_wide_to_create(kind: Kind) -> Callable[[Principal], None]:
    def check(p: Principal) -> None:
        if kind in (PROPERTY, HOUSE) and p.scope.kind is not ScopeKind.ORG:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                f"creating a {kind.name} needs a role that is not limited to houses",
            )

    return check


def _routes(
    kind: Kind, plural: str, body_in: type[BaseModel], patch: type[BaseModel], out: type[RowOut], what: str
) -> None:
    base = f"/v1/{plural}"
    item = f"{base}/{{{kind.id_field}}}"
    PlaceId = Annotated[uuid.UUID, Path(alias=kind.id_field, description=f"the {kind.name}'s id")]
    must_be_org_wide = _org_wide_to_create(kind)

    if kind.parent is None:

        async def list_places(_: Reader, db: TenantDep, limit: Limit = 50, offset: Offset = 0) -> Any:
            return await db.run(_list, kind, out, None, limit, offset)

    else:
        ParentId = Annotated[
            uuid.UUID | None, Query(alias=kind.parent_column, description=f"only this {kind.parent.name}'s")
        ]

        async def list_places(  # type: ignore[misc]
            _: Reader, db: TenantDep, parent: ParentId = None, limit: Limit = 50, offset: Offset = 0
        ) -> Any:
            return await db.run(_list, kind, out, parent, limit, offset)

    async def create_place(
        body: body_in,  # type: ignore[valid-type]
        p: Writer,
        db: TenantDep,
        response: Response,
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Any:
        must_be_org_wide(p)
        made, replayed = await db.run(_create, kind, out, body, idempotency_key, p.user_id)
        if replayed:
            response.status_code = 200
        return made

    async def read_place(place_id: PlaceId, _: Reader, db: TenantDep) -> Any:
        return await db.run(lambda s: out.model_validate(places.get(s, kind, place_id)))

    async def change_place(place_id: PlaceId, body: patch, _: Writer, db: TenantDep) -> Any:  # type: ignore[valid-type]
        return await db.run(_update, kind, out, place_id, body)

    async def delete_place(place_id: PlaceId, _: Writer, db: TenantDep) -> RemovedOut:
        return await db.run(_delete, kind, place_id)

    name = kind.name
    parent_note = f" (optionally of one {kind.parent.name}, `{kind.parent_column}`)" if kind.parent else ""
    router.add_api_route(
        base,
        list_places,
        name=f"list_{plural}",
        methods=["GET"],
        response_model=PageOut[out],  # type: ignore[valid-type]
        summary=f"List {plural}",
        description=f"The {plural}{parent_note} the caller may see, by {kind.unique_column}, paged.",
        responses=problem_responses(403, 404, 422),
    )
    router.add_api_route(
        base,
        create_place,
        name=f"create_{name}",
        methods=["POST"],
        status_code=201,
        response_model=out,
        summary=f"Create a {name}",
        description=(
            f"Create {what}. 201 with the new {name}; 200 with the same {name} when this "
            f"`Idempotency-Key` already created it; 404 naming the parent when it is not visible; "
            f"409 naming `{kind.unique_column}` when a live sibling has it."
        ),
        responses={**replayed_response(out), **problem_responses(403, 404, 409, 422)},
    )
    router.add_api_route(
        item,
        read_place,
        name=f"read_{name}",
        methods=["GET"],
        response_model=out,
        summary=f"Read a {name}",
        description=f"One {name}; 404 when it is deleted, outside the caller's scope or another org's.",
        responses=problem_responses(403, 404),
    )
    router.add_api_route(
        item,
        change_place,
        name=f"change_{name}",
        methods=["PATCH"],
        response_model=out,
        summary=f"Change a {name}",
        description=(
            "Change the fields sent (null clears an optional field, and is ignored for a required "
            "one). Moving it names a new parent that must be visible (404 otherwise). Moving a "
            "place, or taking a bed out of service, while a bed it concerns has a current or "
            "future stay is 409 naming `bed_id`."
        ),
        responses=problem_responses(403, 404, 409, 422),
    )
    router.add_api_route(
        item,
        delete_place,
        name=f"delete_{name}",
        methods=["DELETE"],
        response_model=RemovedOut,
        summary=f"Delete a {name}",
        description=(
            f"Soft-delete the {name} and everything under it (kept for the record, hidden from "
            "every list). 409 naming `bed_id` when a bed under it has a current or future stay; "
            "nothing is deleted then."
        ),
        responses=problem_responses(403, 404, 409),
    )


_routes(PROPERTY, "properties", PropertyIn, PropertyPatch, PropertyOut, "a property (a site with an address)")
_routes(HOUSE, "houses", HouseIn, HousePatch, HouseOut, "a house on a property")
_routes(ROOM, "rooms", RoomIn, RoomPatch, RoomOut, "a room in a house")
_routes(BED, "beds", BedIn, BedPatch, BedOut, "a bed in a room")
