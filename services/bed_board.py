"""The bed board as the API sends it: JSON, from PostgreSQL's copy when nothing changed since it
was built, otherwise built live (`services.housing.bed_board`) and kept for the next reader.

Why a copy: a 2,000-bed board joins every bed to its stays, offers and occupants and decrypts
about 1,500 names, tens of milliseconds however it is written, yet it only changes when a bed,
stay, offer or occupant's name does. Migration 0013 counts those changes per org in the
writers' own transactions; a copy is used only if it was built at the current count, so a
reader never sees a board older than the last committed change. The copy lives in PostgreSQL,
shared by every API replica, one encrypted fragment per house.

Only org-wide sessions use it (the database refuses the rest): a scoped reader's board, and any
board filtered by status, is built live under the scope policies. Reading the copy is audited as
reading the names it shows, exactly as building it is.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from pydantic_core import to_json
from sqlalchemy import Row, delete, func, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from core.crypto import DecryptionError, field_aad
from core.fieldcrypt import field_cipher
from core.scope import ORG_WIDE, Scope, ScopeKind
from models.base import note_phi_read_group
from models.bed_board import BedBoardSnapshot, BedBoardSnapshotHouse
from services.housing import ALL, Board, BoardFilter, BoardHouse, bed_board

log = logging.getLogger("recoveryos.bed_board")

NAME_FIELDS = ("first_name", "last_name")

# One statement: the org's change count, whether the day's copy was built at it, and the copy's
# houses that match the filters. The LEFT JOINs return one row even when there is no copy.
_READ = """
SELECT v.version, s.version AS built, h.house_id, h.property_id, h.vacant,
       h.occupant_ids::text[] AS occupant_ids, h.payload
  FROM (SELECT (SELECT app_current_org()) AS org_id) o
  LEFT JOIN bed_board_versions v ON v.org_id = o.org_id
  LEFT JOIN bed_board_snapshots s
         ON s.org_id = o.org_id AND s.on_date = :on AND s.version = coalesce(v.version, 0)
  LEFT JOIN bed_board_snapshot_houses h
         ON s.version IS NOT NULL AND h.org_id = o.org_id AND h.on_date = :on AND h.version = s.version
        AND (CAST(:property_id AS uuid) IS NULL OR h.property_id = :property_id)
        AND (CAST(:house_id AS uuid) IS NULL OR h.house_id = :house_id)
        AND (CAST(:gender AS house_gender) IS NULL OR h.gender = :gender)
 ORDER BY h.position
"""


def board_json(session: Session, on: date, only: BoardFilter = ALL) -> bytes:
    """The board of `on` as the JSON of `api.routes.admission.bed_board.BoardOut`."""
    scope: Scope = session.info.get("scope", ORG_WIDE)
    if only.status is not None or scope.kind is not ScopeKind.ORG:
        board = bed_board(session, on, only)
        return _document(on, [(h.property_id, h.vacant, _fragment(h)) for h in board.houses])
    gender = only.gender and only.gender.value
    params = {"on": on, "property_id": only.property_id, "house_id": only.house_id, "gender": gender}
    rows = session.execute(text(_READ), params).all()
    version, built = int(rows[0].version or 0), rows[0].built
    if built is not None:
        try:
            return _from_copy(session, on, rows)
        except DecryptionError:
            # A key since retired, or a row altered or moved behind our back: build it again.
            log.warning("bed board copy did not decrypt; rebuilding it", extra={"on": on.isoformat()})
    board = bed_board(session, on)
    fragments = {h.house_id: _fragment(h) for h in board.houses}
    _keep(session, on, version, board, fragments)
    wanted = [(h.property_id, h.vacant, fragments[h.house_id]) for h in board.houses if only.admits(h)]
    return _document(on, wanted)


def _from_copy(session: Session, on: date, rows: Sequence[Row[Any]]) -> bytes:
    cipher = field_cipher()
    parts: list[tuple[uuid.UUID, int, bytes]] = []
    shown: list[str] = []
    for r in rows:
        if r.house_id is None:
            continue  # the copy exists, but no house of it matches the filters
        parts.append((r.property_id, r.vacant, cipher.decrypt(r.payload, _aad(on, r.house_id))))
        shown += r.occupant_ids
    note_phi_read_group(session, "residents", shown, NAME_FIELDS)
    return _document(on, parts)


def _keep(session: Session, on: date, version: int, board: Board, fragments: dict[uuid.UUID, bytes]) -> None:
    """Store the day's board at `version`. Two replicas building at once both write; the later
    version wins each row, and a reader only ever takes rows of the version it checked."""
    cipher = field_cipher()
    houses = [
        {
            "org_id": session.info["actor"]["org_id"],
            "on_date": on,
            "house_id": h.house_id,
            "version": version,
            "position": i,
            "property_id": h.property_id,
            "gender": h.gender,
            "vacant": h.vacant,
            "occupant_ids": [b.resident_id for b in h.beds if b.occupant is not None and b.resident_id],
            "payload": cipher.encrypt(fragments[h.house_id], _aad(on, h.house_id)),
        }
        for i, h in enumerate(board.houses)
    ]
    org_id = session.info["actor"]["org_id"]
    head = insert(BedBoardSnapshot).values(org_id=org_id, on_date=on, version=version)
    session.execute(
        head.on_conflict_do_update(
            index_elements=["org_id", "on_date"],
            set_={"version": head.excluded.version, "built_at": head.excluded.built_at},
            where=BedBoardSnapshot.version <= head.excluded.version,
        )
    )
    if houses:
        rows = insert(BedBoardSnapshotHouse)
        keep = ("version", "position", "property_id", "gender", "vacant", "occupant_ids", "payload")
        session.execute(
            rows.on_conflict_do_update(
                index_elements=["org_id", "on_date", "house_id"],
                set_={**{c: rows.excluded[c] for c in keep}, "built_at": rows.excluded.built_at},
                where=BedBoardSnapshotHouse.version <= rows.excluded.version,
            ),
            houses,
        )
    # Copies are rebuilt on demand: keep a week's worth, not a year's.
    old = func.now() - timedelta(days=7)
    session.execute(delete(BedBoardSnapshotHouse).where(BedBoardSnapshotHouse.built_at < old))
    session.execute(delete(BedBoardSnapshot).where(BedBoardSnapshot.built_at < old))


def _fragment(house: BoardHouse) -> bytes:
    return to_json(
        {
            "house_id": house.house_id,
            "name": house.name,
            "property_id": house.property_id,
            "vacant": house.vacant,
            "beds": house.beds,
        }
    )


def _document(on: date, houses: list[tuple[uuid.UUID, int, bytes]]) -> bytes:
    vacancies: dict[uuid.UUID, int] = {}
    for property_id, vacant, _ in houses:
        vacancies[property_id] = vacancies.get(property_id, 0) + vacant
    head = to_json({"on": on, "vacancies_by_property": vacancies})
    return head[:-1] + b',"houses":[' + b",".join(part for _, _, part in houses) + b"]}"


def _aad(on: date, house_id: uuid.UUID) -> bytes:
    return field_aad("bed_board_snapshot_houses", "payload", f"{on.isoformat()}/{house_id}")
