"""The bed board kept between changes (migration 0013): a per-org version raised by every change
a board shows, and each day's board as encrypted per-house fragments tagged with that version.
Caches, not records: no audit columns, and the app may delete them."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, ForeignKey, LargeBinary, func
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.orm import Mapped, mapped_column

from core.enums import HouseGender
from models.base import Base, pg_enum

CACHE_TABLES = ("bed_board_versions", "bed_board_snapshots", "bed_board_snapshot_houses")


def _org() -> Mapped[uuid.UUID]:
    return mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True)


class BedBoardVersion(Base):
    __tablename__ = "bed_board_versions"

    org_id: Mapped[uuid.UUID] = _org()
    version: Mapped[int] = mapped_column(BigInteger, server_default="1")


class BedBoardSnapshot(Base):
    __tablename__ = "bed_board_snapshots"

    org_id: Mapped[uuid.UUID] = _org()
    on_date: Mapped[date] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)
    built_at: Mapped[datetime] = mapped_column(server_default=func.now())


class BedBoardSnapshotHouse(Base):
    __tablename__ = "bed_board_snapshot_houses"

    org_id: Mapped[uuid.UUID] = _org()
    on_date: Mapped[date] = mapped_column(primary_key=True)
    house_id: Mapped[uuid.UUID] = mapped_column(PG_UUID(as_uuid=True), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)
    # Order of the house on the board (by property name, then house name).
    position: Mapped[int]
    property_id: Mapped[uuid.UUID] = mapped_column(PG_UUID(as_uuid=True))
    gender: Mapped[HouseGender] = mapped_column(pg_enum(HouseGender))
    vacant: Mapped[int]
    # Whose first name and initial the fragment shows: reading it is a read of their names.
    occupant_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(PG_UUID(as_uuid=True)))
    # AES-256-GCM of the house's board JSON, associated data binding org, day and house.
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    built_at: Mapped[datetime] = mapped_column(server_default=func.now())
