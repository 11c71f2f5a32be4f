"""Bases of the seed's factories for rows about one resident.

A `plan` is anything with an `id` and a `house` (the seed's Plan): the row is about its resident,
and for a PlanRowFactory also at its resident's house.
"""

from __future__ import annotations

from typing import TypeVar

import factory

from models.base import Base

T = TypeVar("T", bound=Base)


class ResidentRowFactory(factory.Factory[T]):
    class Meta:
        abstract = True

    class Params:
        plan = None

    resident_id = factory.SelfAttribute("plan.id")


class PlanRowFactory(ResidentRowFactory[T]):
    class Meta:
        abstract = True

    house_id = factory.SelfAttribute("plan.house.id")
