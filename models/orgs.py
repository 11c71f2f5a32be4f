"""Tenant hierarchy: organizations → properties → houses → rooms → beds."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.enums import BedStatus, HouseGender, NarrLevel, OrgStatus, PropertyType
from models.base import AuditColumnsMixin, Base, IdMixin, SoftDeleteMixin, TenantMixin, pg_enum

if TYPE_CHECKING:
    from models.operations import Chore, CurfewConfig
    from models.operations_extended import MaintenanceRequest
    from models.payment_extended import RateConfig
    from models.residents import Resident
    from models.users import User

LIVE = text("deleted_at IS NULL")


class Organization(IdMixin, AuditColumnsMixin, SoftDeleteMixin, Base):
    """The tenant. Its own id is the org id that row-level security compares with."""

    __tablename__ = "organizations"

    name: Mapped[str]
    slug: Mapped[str]
    status: Mapped[OrgStatus] = mapped_column(pg_enum(OrgStatus), default=OrgStatus.ACTIVE)
    timezone: Mapped[str] = mapped_column(default="America/New_York")
    npi: Mapped[str | None]
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default=text("'{}'::jsonb"))

    properties: Mapped[list[Property]] = relationship(back_populates="organization")

    __table_args__ = (Index("uq_organizations_slug_live", "slug", unique=True, postgresql_where=LIVE),)


class Property(IdMixin, TenantMixin, AuditColumnsMixin, SoftDeleteMixin, Base):
    __tablename__ = "properties"

    name: Mapped[str]
    property_type: Mapped[PropertyType] = mapped_column(pg_enum(PropertyType))
    address_line1: Mapped[str]
    address_line2: Mapped[str | None]
    city: Mapped[str]
    state: Mapped[str]
    postal_code: Mapped[str]
    certification_body: Mapped[str | None]
    certified_until: Mapped[datetime | None]

    organization: Mapped[Organization] = relationship(back_populates="properties")
    houses: Mapped[list[House]] = relationship(back_populates="property")

    __table_args__ = (
        Index("ix_properties_org_live", "org_id", "name", postgresql_where=LIVE),
        CheckConstraint("char_length(state) = 2", name="state_code"),
    )


class House(IdMixin, TenantMixin, AuditColumnsMixin, SoftDeleteMixin, Base):
    __tablename__ = "houses"

    property_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("properties.id", ondelete="RESTRICT"))
    name: Mapped[str]
    gender: Mapped[HouseGender] = mapped_column(pg_enum(HouseGender))
    narr_level: Mapped[NarrLevel] = mapped_column(pg_enum(NarrLevel), default=NarrLevel.LEVEL_2)
    capacity: Mapped[int] = mapped_column(Integer)
    house_manager_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    phone: Mapped[str | None]

    # House safety (migration 0026): the random drug-test draw's daily rate (basis points) and
    # weekly cap per resident; what the house does on a recurrence of use (policy text, not
    # about anyone); how long after a missed curfew or an unreturned pass the emergency contact
    # is told.
    random_test_rate_bp: Mapped[int] = mapped_column(Integer, default=1000, server_default=text("1000"))
    random_test_weekly_cap: Mapped[int] = mapped_column(Integer, default=2, server_default=text("2"))
    recurrence_response_plan: Mapped[str | None]
    emergency_contact_delay_minutes: Mapped[int] = mapped_column(
        Integer, default=120, server_default=text("120")
    )
    # The draw's settings over time (migration 0030): whether the house draws at all; the first
    # draw day the current rate, cap and flag apply to; and the settings days before it use
    # ({"enabled", "rate_bp", "weekly_cap"}), so a change takes effect from the next day's draw.
    random_tests_enabled: Mapped[bool] = mapped_column(default=True, server_default=text("true"))
    random_test_settings_from: Mapped[date | None]
    random_test_settings_before: Mapped[dict[str, Any] | None]

    property: Mapped[Property] = relationship(back_populates="houses")
    rooms: Mapped[list[Room]] = relationship(back_populates="house")
    house_manager: Mapped[User | None] = relationship()
    chores: Mapped[list[Chore]] = relationship(back_populates="house")
    curfew_configs: Mapped[list[CurfewConfig]] = relationship(back_populates="house")
    maintenance_requests: Mapped[list[MaintenanceRequest]] = relationship(back_populates="house")
    rate_configs: Mapped[list[RateConfig]] = relationship(back_populates="house")
    # viewonly mirror of Resident.current_house (use_alter FK).
    current_residents: Mapped[list[Resident]] = relationship(
        viewonly=True, foreign_keys="Resident.current_house_id"
    )

    __table_args__ = (
        Index("ix_houses_org_property_live", "org_id", "property_id", postgresql_where=LIVE),
        Index("ix_houses_org_manager", "org_id", "house_manager_id", postgresql_where=LIVE),
        Index("uq_houses_property_name_live", "property_id", "name", unique=True, postgresql_where=LIVE),
        CheckConstraint("capacity >= 0", name="capacity_nonnegative"),
        CheckConstraint("random_test_rate_bp BETWEEN 0 AND 10000", name="random_test_rate_range"),
        CheckConstraint("random_test_weekly_cap BETWEEN 0 AND 7", name="random_test_cap_range"),
        CheckConstraint(
            "emergency_contact_delay_minutes BETWEEN 0 AND 10080", name="emergency_contact_delay_range"
        ),
    )


class Room(IdMixin, TenantMixin, AuditColumnsMixin, SoftDeleteMixin, Base):
    __tablename__ = "rooms"

    house_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("houses.id", ondelete="RESTRICT"))
    name: Mapped[str]
    floor: Mapped[int | None] = mapped_column(Integer)

    house: Mapped[House] = relationship(back_populates="rooms")
    beds: Mapped[list[Bed]] = relationship(back_populates="room")

    __table_args__ = (
        Index("ix_rooms_org_house_live", "org_id", "house_id", postgresql_where=LIVE),
        Index("uq_rooms_house_name_live", "house_id", "name", unique=True, postgresql_where=LIVE),
    )


class Bed(IdMixin, TenantMixin, AuditColumnsMixin, SoftDeleteMixin, Base):
    __tablename__ = "beds"

    room_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("rooms.id", ondelete="RESTRICT"))
    label: Mapped[str]
    status: Mapped[BedStatus] = mapped_column(pg_enum(BedStatus), default=BedStatus.AVAILABLE)
    weekly_rate_cents: Mapped[int | None]

    room: Mapped[Room] = relationship(back_populates="beds")

    __table_args__ = (
        Index("ix_beds_org_room_live", "org_id", "room_id", postgresql_where=LIVE),
        Index("ix_beds_org_status_live", "org_id", "status", postgresql_where=LIVE),
        Index("uq_beds_room_label_live", "room_id", "label", unique=True, postgresql_where=LIVE),
    )
