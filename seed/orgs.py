"""The organisation, its staff (one user per role) and its places: properties, houses, rooms, beds."""

from __future__ import annotations

from datetime import UTC, datetime

from core.enums import (
    BedStatus,
    HouseGender,
    NarrLevel,
    PropertyType,
    UserRole,
)
from core.permissions import SECOND_FACTOR_ROLES
from models.orgs import Bed, House, Organization, Property, Room
from models.users import User
from seed.context import SeedContext, day_at, demo_totp_secret
from seed.factories.people import TOWNS, RoleAssignmentFactory, UserFactory
from services import users as staff_users

PROPERTY_NAMES = ["Larkspur Commons", "Sassafras Ridge", "Bluebonnet Court", "Hemlock Hollow"]
HOUSE_NAMES = [("Cedar House", HouseGender.MEN), ("Willow House", HouseGender.WOMEN)]


def organisation(ctx: SeedContext) -> None:
    org = Organization(
        id=ctx.org_id,
        name=ctx.name,
        slug=ctx.slug,
        timezone="America/New_York",
        npi=None,
        settings={"demo": True, "seed": ctx.seed_value, "scale": ctx.scale},
    )
    ctx.add(org)
    ctx.flush()


def staff(ctx: SeedContext) -> None:
    for role in UserRole:
        if role is UserRole.RESIDENT:
            continue
        who = ctx.person()
        email = ctx.p(f"{role.value}@{ctx.slug}.example.com")
        user = ctx.new(
            UserFactory.build,
            email=email,
            person=who,
            password_hash=ctx.password_hash,
            mfa_enabled=role in SECOND_FACTOR_ROLES,
        )
        if role in SECOND_FACTOR_ROLES:
            # Enrolled with a printed demo secret: these roles cannot sign in without it.
            user.mfa_secret = ctx.p(demo_totp_secret(ctx.seed_value, role))
        ctx.users[role] = user
        ctx.emails[role] = email
    ctx.flush()


def places(ctx: SeedContext) -> None:
    """Per block of the plan one property with a men's and a women's house, three rooms each
    with two beds; the staff's role assignments, scoped to them."""
    for k in range(ctx.scale):
        ctx.properties.append(_property(ctx, k))
    ctx.flush()
    for prop in ctx.properties:
        for house_name, gender in HOUSE_NAMES:
            ctx.houses.append(
                ctx.add(
                    House(
                        id=ctx.nid(),
                        org_id=ctx.org_id,
                        property_id=prop.id,
                        name=house_name,
                        gender=gender,
                        narr_level=NarrLevel.LEVEL_2 if gender is HouseGender.MEN else NarrLevel.LEVEL_3,
                        capacity=6,
                        house_manager_id=ctx.house_manager.id,
                        phone=f"(828) 555-02{ctx.rng.randint(0, 99):02d}",
                    )
                )
            )
    ctx.flush()
    for house in ctx.houses:
        ctx.house_rooms[house.id] = [
            ctx.new(Room, house_id=house.id, name=f"Room {r}", floor=1 + r // 3) for r in range(1, 4)
        ]
    ctx.flush()
    for house in ctx.houses:
        ctx.house_beds[house.id] = [_bed(ctx, house, b) for b in range(6)]
    ctx.flush()
    _role_assignments(ctx)


def _property(ctx: SeedContext, k: int) -> Property:
    town, state, postal = TOWNS[k % len(TOWNS)]
    suffix = "" if k < len(PROPERTY_NAMES) else f" {k // len(PROPERTY_NAMES) + 1}"
    return ctx.new(
        Property,
        name=PROPERTY_NAMES[k % len(PROPERTY_NAMES)] + suffix,
        property_type=PropertyType.SINGLE_FAMILY if k % 2 == 0 else PropertyType.MULTI_FAMILY,
        address_line1=f"{140 + 12 * k} Larkspur Lane",
        city=town,
        state=state,
        postal_code=postal,
        certification_body="NC Alliance for Recovery Residences",
        certified_until=day_at(300 + k),
    )


def _bed(ctx: SeedContext, house: House, b: int) -> Bed:
    """Bed `b` of the house, as the plan uses it (see residents()): beds 0, 2, 4 hold current
    residents; bed 1 was vacated by a transfer; bed 3 was the discharged resident's; bed 5 is
    out of service in the men's house and reserved for a waitlist offer in the women's house."""
    status = BedStatus.AVAILABLE
    if b in (0, 2, 4):
        status = BedStatus.OCCUPIED
    elif b == 5:
        status = BedStatus.OUT_OF_SERVICE if house.gender is HouseGender.MEN else BedStatus.RESERVED
    return ctx.new(
        Bed,
        room_id=ctx.house_rooms[house.id][b // 2].id,
        label="A" if b % 2 == 0 else "B",
        status=status,
        weekly_rate_cents=22500 if b < 4 else 25000,
    )


def _role_assignments(ctx: SeedContext) -> None:
    """The property manager for every property; everyone else org-wide, the house manager for
    the first house."""
    for i, prop in enumerate(ctx.properties):
        pm = ctx.users[UserRole.PROPERTY_MANAGER]
        ctx.new(RoleAssignmentFactory.build, user=pm, role=UserRole.PROPERTY_MANAGER, property_id=prop.id)
        if i == 0:
            for role, user in ctx.users.items():
                if role is UserRole.PROPERTY_MANAGER:
                    continue
                ctx.new(
                    RoleAssignmentFactory.build,
                    user=user,
                    role=role,
                    house_id=ctx.houses[0].id if role is UserRole.HOUSE_MANAGER else None,
                )


def invitation(ctx: SeedContext) -> None:
    """A newcomer invited to the first house who has not chosen a password yet: a pending
    one-time link, made by the same service the API uses (its token is kept nowhere; staff
    re-send the invitation to use it). Last in the story, so the people drawn before it stay
    the same."""
    ctx.flush()
    who = ctx.person()
    user_id = ctx.nid()
    grant = staff_users.Grant(UserRole.PEER_SUPPORT, house_id=ctx.houses[0].id)
    data = staff_users.NewUser(f"newcomer@{ctx.slug}.example.com", who.first, who.last, [grant])
    staff_users.invite(ctx.s, user_id, data, ctx.users[UserRole.ORG_OWNER].id, datetime.now(UTC))
    user = ctx.s.get(User, user_id)
    assert user is not None
    ctx.track(user)
    ctx.count("role_assignments", 1)
    ctx.count("user_invitations", 1)
