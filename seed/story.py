"""The order a demo organisation is told in. Each family names its seed steps in `registry.py`
(`Family(seed=[Step(Stage.RECORDS, documents.documents), ...])`); the story runs the stages in
turn and, within a stage, the families in registry order, so a new family adds its steps to its
own entry and never edits a list here."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import IntEnum

from seed.context import SeedContext


class Stage(IntEnum):
    ORGANISATION = 1  # the org and its staff
    PLACES = 2  # properties, houses, rooms, beds
    TERMS = 3  # rates and payers: what stays will be billed by
    PEOPLE = 4  # residents
    INQUIRIES = 5  # leads, some of them the residents' own
    JOURNEYS = 6  # admissions, beds held, moves and discharges
    RECORDS = 7  # documents, signatures, consents, invoices and payments
    DAILY_LIFE = 8  # house operations, compliance, messaging, integrations
    LAST = 9  # what refers to everything before it (a pending invitation)


@dataclass(frozen=True)
class Step:
    stage: Stage
    run: Callable[[SeedContext], None]


def ordered(steps: Iterable[Step]) -> list[Step]:
    """Stage by stage; steps of one stage keep the order they were given in."""
    return sorted(steps, key=lambda step: step.stage)
