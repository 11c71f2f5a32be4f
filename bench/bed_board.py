"""bench/bed_board: the live bed board of one org with 2,000 beds, over HTTP.

Starts an embedded PostgreSQL (the same wheel as the tests, with btree_gist), migrates it, seeds
a demo org (for a user who may read the board) and tops its beds up to BEDS across 8 more
properties, houses of ten two-bed rooms, with a realistic mix: most beds occupied (a few with
the next person already booked for the day the current one leaves), some reserved, some offered
to the waitlist, some out of service, the rest free; behind each bed 0-3 earlier stays, so the
"since when" and "who is next" lookups have history to search. Then prints, p50/p99:

- `GET /v1/beds/board` through the real route, served by uvicorn on a local port (auth, the
  tenant transaction, the read audit, 470 KiB of JSON), as an org-wide reader: the board comes
  from PostgreSQL's copy (migration 0013) whenever nothing on it changed since it was built.
  This is the figure the p99 < 50 ms target is checked against;
- the same request each time right after a committed change to a bed (what every admission,
  transfer or discharge does), so every read rebuilds the board and stores it again;
- a house manager's board (their house only): always built live, under the scope policies;
- the service function alone from the copy, after a change, and the live statement alone
  (`services.housing.bed_board`), with the SQL statements each takes (asserted: one read);
- a bare `SELECT * FROM beds` of the same org as the owner, and the HTTP/bare ratio of the
  p50s, which says more than milliseconds on a shared box.

    .venv/bin/python -m bench.bed_board [--beds 2000] [--requests 500]
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import statistics
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any

import registry
from bench.checks import same_work
from bench.stack import start_postgres

P99_TARGET_MS = 50.0
PROPERTIES = 8
ROOMS_PER_HOUSE = 10
BEDS_PER_ROOM = 2


def _reader() -> tuple[uuid.UUID, uuid.UUID, str, str]:
    """A seeded demo org, its billing specialist (an org-wide reader of the board with no MFA step)
    and the session tokens of that user and of the house manager (scoped to one house)."""
    from api.auth import login
    from core.enums import UserRole
    from seed import seed_org

    result = seed_org(uuid.uuid4(), registry.seed_story(), seed_value=11, slug="board-bench")
    tokens = []
    for role in (UserRole.BILLING_SPECIALIST, UserRole.HOUSE_MANAGER):
        _, email = result.users[role]
        got = login(email, result.password, request_id="bench", source_ip="127.0.0.1", user_agent="bench")
        assert got is not None and not got.mfa_pending
        tokens.append(got.token)
    return result.org_id, result.users[UserRole.BILLING_SPECIALIST][0], tokens[0], tokens[1]


class _Rows:
    """Bulk rows for one org, with stays that never overlap on a bed."""

    def __init__(self, org_id: uuid.UUID, today: date, rng: random.Random) -> None:
        from core.fieldcrypt import field_cipher

        self.org_id, self.today, self.rng, self.cipher = org_id, today, rng, field_cipher()
        self.residents: list[dict[str, Any]] = []
        self.admissions: list[dict[str, Any]] = []
        self.stays: list[dict[str, Any]] = []
        self.waitlist: list[dict[str, Any]] = []

    def resident(self, status: Any) -> uuid.UUID:
        from core.crypto import field_aad

        rid = uuid.uuid4()
        first, last = self.rng.choice(FIRST), self.rng.choice(LAST)
        self.residents.append(
            {
                "id": rid,
                "org_id": self.org_id,
                "first_name_ct": self.cipher.encrypt(
                    first.encode(), field_aad("residents", "first_name", rid)
                ),
                "last_name_ct": self.cipher.encrypt(last.encode(), field_aad("residents", "last_name", rid)),
                "status": status,
            }
        )
        return rid

    def stay(
        self, house_id: uuid.UUID, bed_id: uuid.UUID, start: date, end: date | None, status: Any
    ) -> None:
        from sqlalchemy.dialects.postgresql import Range

        from core.enums import AdmissionStatus, ResidentStatus

        resident_status = {
            AdmissionStatus.ACTIVE: ResidentStatus.ACTIVE,
            AdmissionStatus.PENDING: ResidentStatus.ADMITTED,
            AdmissionStatus.COMPLETED: ResidentStatus.DISCHARGED,
        }[status]
        rid = self.resident(resident_status)
        aid = uuid.uuid4()
        at = datetime.combine(start, dtime(12), UTC)
        self.admissions.append(
            {
                "id": aid,
                "org_id": self.org_id,
                "resident_id": rid,
                "house_id": house_id,
                "bed_id": bed_id,
                "status": status,
                "scheduled_move_in_date": start,
                "admitted_at": None if status is AdmissionStatus.PENDING else at,
                "ended_at": datetime.combine(end, dtime(12), UTC) if end and end <= self.today else None,
                "weekly_rate_cents": 22_500,
            }
        )
        self.stays.append(
            {
                "id": uuid.uuid4(),
                "org_id": self.org_id,
                "bed_id": bed_id,
                "resident_id": rid,
                "admission_id": aid,
                "during": Range(start, end, bounds="[)"),
            }
        )

    def history(self, house_id: uuid.UUID, bed_id: uuid.UUID, until: date) -> None:
        """0-3 earlier stays on the bed, each ended before the next began."""
        from core.enums import AdmissionStatus

        end = until
        for _ in range(self.rng.randint(0, 3)):
            end -= timedelta(days=self.rng.randint(0, 20))
            start = end - timedelta(days=self.rng.randint(20, 200))
            self.stay(house_id, bed_id, start, end, AdmissionStatus.COMPLETED)
            end = start


NAME = ("residents",)
FIRST = ["Avery", "Jordan", "Rowan", "Casey", "Morgan", "Riley", "Quinn", "Harper", "Emerson", "Sage"]
LAST = ["Okafor", "Lindqvist", "Moreau", "Tanaka", "Castillo", "Novak", "Brennan", "Haddad", "Ivers"]


def _seed_beds(org_id: uuid.UUID, beds: int, today: date) -> Counter[str]:
    from sqlalchemy import func, insert, select, text

    from core.db import owner_engine, tenant_session
    from core.enums import (
        AdmissionStatus,
        BedStatus,
        HouseGender,
        Priority,
        PropertyType,
        WaitlistStatus,
    )
    from models.orgs import Bed, House, Property, Room
    from models.resident_tracking import BedOccupancy, WaitlistEntry
    from models.residents import Admission, Resident

    rng = random.Random(2000)
    rows = _Rows(org_id, today, rng)
    mix: Counter[str] = Counter()
    with tenant_session(org_id, actor_type="bench") as s:
        have = int(s.scalar(select(func.count()).select_from(Bed)) or 0)
        todo = beds - have
        per_house = ROOMS_PER_HOUSE * BEDS_PER_ROOM
        n_houses = -(-todo // per_house)
        props = [
            {
                "id": uuid.uuid4(),
                "org_id": org_id,
                "name": f"Bench property {p + 1}",
                "property_type": PropertyType.MULTI_FAMILY,
                "address_line1": f"{100 + p} Board St",
                "city": "Austin",
                "state": "TX",
                "postal_code": "78701",
            }
            for p in range(PROPERTIES)
        ]
        houses: list[dict[str, Any]] = []
        rooms: list[dict[str, Any]] = []
        bed_rows: list[dict[str, Any]] = []
        for h in range(n_houses):
            hid = uuid.uuid4()
            houses.append(
                {
                    "id": hid,
                    "org_id": org_id,
                    "property_id": props[h % PROPERTIES]["id"],
                    "name": f"House {h + 1:03d}",
                    "gender": rng.choice([HouseGender.MEN, HouseGender.WOMEN, HouseGender.COED]),
                    "capacity": per_house,
                }
            )
            for r in range(ROOMS_PER_HOUSE):
                rmid = uuid.uuid4()
                rooms.append({"id": rmid, "org_id": org_id, "house_id": hid, "name": f"Room {r + 1:02d}"})
                for b in range(BEDS_PER_ROOM):
                    if len(bed_rows) < todo:
                        bed_rows.append(
                            {
                                "id": uuid.uuid4(),
                                "org_id": org_id,
                                "room_id": rmid,
                                "label": f"{r + 1}{'AB'[b]}",
                            }
                        )
        house_of_room = {r["id"]: r["house_id"] for r in rooms}
        for bed in bed_rows:
            bid, hid = bed["id"], house_of_room[bed["room_id"]]
            roll = rng.random()
            if roll < 0.03:
                mix["out_of_service"] += 1
                bed["status"] = BedStatus.OUT_OF_SERVICE
                rows.history(hid, bid, today - timedelta(days=rng.randint(1, 60)))
            elif roll < 0.75:
                mix["occupied"] += 1
                start = today - timedelta(days=rng.randint(0, 300))
                if rng.random() < 0.07:
                    # Leaving on a known day, and the next person already booked from it.
                    leaves = today + timedelta(days=rng.randint(1, 21))
                    rows.stay(hid, bid, start, leaves, AdmissionStatus.ACTIVE)
                    rows.stay(hid, bid, leaves, None, AdmissionStatus.PENDING)
                else:
                    rows.stay(hid, bid, start, None, AdmissionStatus.ACTIVE)
                rows.history(hid, bid, start)
            elif roll < 0.83:
                mix["reserved"] += 1
                rows.stay(hid, bid, today + timedelta(days=rng.randint(1, 30)), None, AdmissionStatus.PENDING)
                rows.history(hid, bid, today - timedelta(days=rng.randint(0, 30)))
            elif roll < 0.87:
                mix["offered"] += 1
                rows.history(hid, bid, today - timedelta(days=rng.randint(0, 3)))
                rows.waitlist.append(_entry(rows, hid, WaitlistStatus.OFFERED, bid, Priority.HIGH))
            else:
                mix["free"] += 1
                rows.history(hid, bid, today - timedelta(days=rng.randint(0, 90)))
        for _ in range(len(bed_rows) // 10):  # people still waiting, for the offers' lookups
            rows.waitlist.append(
                _entry(rows, rng.choice(houses)["id"], WaitlistStatus.WAITING, None, Priority.NORMAL)
            )
        for model, data in (
            (Property, props),
            (House, houses),
            (Room, rooms),
            (Bed, bed_rows),
            (Resident, rows.residents),
            (Admission, rows.admissions),
            (BedOccupancy, rows.stays),
            (WaitlistEntry, rows.waitlist),
        ):
            for page in range(0, len(data), 2000):
                s.execute(insert(model), data[page : page + 2000])
        mix["seeded beds"] = have
        mix["stays"] = len(rows.stays)
        mix["waitlist entries"] = len(rows.waitlist)
        mix["residents"] = len(rows.residents)
    with owner_engine().begin() as c:
        c.execute(text("ANALYZE"))
    return mix


def _entry(
    rows: _Rows, house_id: uuid.UUID, status: Any, bed_id: uuid.UUID | None, priority: Any
) -> dict[str, Any]:
    from core.enums import ResidentStatus

    now = datetime.combine(rows.today, dtime(9), UTC)
    return {
        "id": uuid.uuid4(),
        "org_id": rows.org_id,
        "resident_id": rows.resident(ResidentStatus.WAITLISTED),
        "house_id": house_id,
        "status": status,
        "priority": priority,
        "added_at": now - timedelta(days=rows.rng.randint(1, 60)),
        "offered_bed_id": bed_id,
        "offered_at": now if bed_id else None,
        "offer_expires_at": now + timedelta(hours=48) if bed_id else None,
    }


class Statements:
    """Counts the SQL statements every engine of this process sends: in all, and per thread."""

    def __init__(self) -> None:
        from sqlalchemy import event
        from sqlalchemy.engine import Engine

        self.local = threading.local()
        self.total = 0
        event.listen(Engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        self.total += 1
        self.local.n = self.mine() + 1
        if not statement.lstrip().upper().startswith("SET "):
            # A planner setting (SET LOCAL) is sent but reads nothing.
            self.local.reads = self.reads() + 1
            self.local.last = (statement, params)

    def mine(self) -> int:
        return int(getattr(self.local, "n", 0))

    def reads(self) -> int:
        return int(getattr(self.local, "reads", 0))


def _time(fn: Callable[[], object], n: int, warm: int = 30) -> list[float]:
    for _ in range(warm):
        fn()
    xs = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        xs.append((time.perf_counter() - t) * 1000)
    return xs


def _pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p))]


def _line(name: str, xs: list[float]) -> str:
    return f"{name:<44} p50 {_pct(xs, 0.5):7.2f} ms   p99 {_pct(xs, 0.99):7.2f} ms   ({len(xs)} runs)"


@contextmanager
def _api() -> Iterator[str]:
    from api.app import create_app
    from tests.harness import api_server

    logging.getLogger("recoveryos").setLevel(logging.ERROR)  # "temporal not reachable yet"
    with api_server(create_app()) as base:
        yield base


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--beds", type=int, default=2000)
    ap.add_argument("--requests", type=int, default=500)
    args = ap.parse_args()
    state = Path(tempfile.mkdtemp(prefix="recoveryos-bench-"))
    # Nothing listens at TEMPORAL_ADDRESS: the board needs no Temporal, and the API only retries.
    pg: Any = start_postgres(state, [], RECOVERYOS_LOG_LEVEL="ERROR", TEMPORAL_ADDRESS="127.0.0.1:9")
    try:
        _run(args.beds, args.requests)
    finally:
        from core.db import dispose_engines

        dispose_engines()
        pg.cleanup()


def _run(beds: int, requests: int) -> None:
    import httpx
    from sqlalchemy import text

    from core.db import owner_engine, tenant_session
    from services import bed_board, housing

    org_id, user_id, token, manager_token = _reader()
    today = datetime.now(UTC).date()
    t = time.perf_counter()
    mix = _seed_beds(org_id, beds, today)
    print(f"seeded in {time.perf_counter() - t:.1f} s: " + ", ".join(f"{k} {v}" for k, v in mix.items()))

    counter = Statements()
    eng = owner_engine()
    with eng.connect() as c:
        some_bed = c.execute(text("SELECT id FROM beds WHERE org_id = :o LIMIT 1"), {"o": org_id}).scalar()

    def change() -> None:
        # What any admission, transfer or discharge does to the board: a committed change to a
        # watched table, which raises the org's board version (migration 0013).
        with tenant_session(org_id, actor_type="bench") as s:
            s.execute(text("UPDATE beds SET label = label WHERE id = :b"), {"b": some_bed})

    def beds_in(body: bytes) -> int:
        return sum(len(h["beds"]) for h in json.loads(body)["houses"])

    reads: dict[str, list[int]] = {"copy": [], "rebuild": [], "live": []}

    def serve(kind: str) -> bytes:
        with tenant_session(org_id, user_id, request_id="bench", source_ip="127.0.0.1") as s:
            before = counter.reads()
            body = bed_board.board_json(s, today)
            reads[kind].append(counter.reads() - before)
        return body

    def copy() -> None:
        serve("copy")

    def rebuild() -> None:
        change()
        serve("rebuild")

    def live() -> int:
        with tenant_session(org_id, user_id, request_id="bench", source_ip="127.0.0.1") as s:
            before = counter.reads()
            board = housing.bed_board(s, today)
            reads["live"].append(counter.reads() - before)
        return sum(len(h.beds) for h in board.houses)

    assert beds_in(serve("copy")) == beds  # builds the copy
    reads["copy"].clear()
    svc_copy = _time(copy, requests)
    svc_rebuild = _time(rebuild, max(20, requests // 5), warm=3)
    svc_live = _time(live, max(20, requests // 5), warm=3)
    # Each board read from the copy is one statement (the copy at the current version, with the
    # version check in it); a rebuild adds the live board's one statement and the writes.
    assert set(reads["copy"]) == {1}, reads["copy"]
    assert set(reads["live"]) == {1}, reads["live"]

    def bare() -> int:
        with eng.connect() as c:
            return len(c.execute(text("SELECT * FROM beds WHERE org_id = :o"), {"o": org_id}).all())

    raw = _time(bare, requests)

    with _api() as base, httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as http:

        def get() -> None:
            r = http.get("/v1/beds/board")
            assert r.status_code == 200, r.text

        over_http = _time(get, requests)
        same_work(
            "beds",
            {
                "seeded": beds,
                "board from the copy": beds_in(serve("copy")),
                "live board": live(),
                "bare SELECT": bare(),
                "HTTP": beds_in(http.get("/v1/beds/board").content),
            },
        )

        def changed_then_get() -> None:
            change()
            get()

        http_rebuild = _time(changed_then_get, max(20, requests // 5), warm=3)

        mine = {"Authorization": f"Bearer {manager_token}"}

        def manager_get() -> None:
            r = http.get("/v1/beds/board", headers=mine)
            assert r.status_code == 200, r.text
            assert len(r.json()["houses"]) == 1

        http_manager = _time(manager_get, requests)
        before = counter.total
        get()
        http_statements = counter.total - before
        size = len(http.get("/v1/beds/board").content)

    print(f"bed board of {beds} beds (one org, today; reader: org-wide billing specialist):")
    print(_line("GET /v1/beds/board over HTTP (uvicorn)", over_http) + f"   {size / 1024:.0f} KiB")
    print(_line("  the same, each after a change (rebuild)", http_rebuild))
    print(_line("  a house manager's board (one house, live)", http_manager))
    print(_line("services.bed_board.board_json, from the copy", svc_copy))
    print(_line("  the same, each after a change (rebuild)", svc_rebuild))
    print(_line("  the live board alone (housing.bed_board)", svc_live))
    print(_line("bare SELECT * FROM beds (owner, no RLS)", raw))
    print(
        f"SQL statements: board read {reads['copy'][0]} from the copy, "
        f"{sorted(set(reads['rebuild']))} on a rebuild (check, live read, writes of the copy); "
        f"whole HTTP request {http_statements} "
        "(session resolution, set_config, the read, the read-audit insert)"
    )
    ratio = statistics.median(over_http) / statistics.median(raw)
    print(f"HTTP board/bare SELECT p50 ratio: {ratio:.1f}x")
    worst = _pct(over_http, 0.99)
    verdict = "met" if worst < P99_TARGET_MS else "MISSED"
    print(f"target p99 < {P99_TARGET_MS:.0f} ms over HTTP: {verdict} (p99 {worst:.2f} ms)")


if __name__ == "__main__":
    main()
