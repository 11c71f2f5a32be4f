"""House-operations rows of the demo seed: what residents do and what happens to them at a house.

A `plan` is anything with an `id` and a `house` (the seed's Plan): its resident's row, at its
resident's house.
"""

from __future__ import annotations

from typing import TypeVar

import factory

from core.enums import DrugTestType, MeetingKind
from models.base import Base
from models.operations import Chore, CurfewConfig, DailyCheckIn, DrugTest, Incident, Meeting, Pass
from models.operations_extended import CurfewCheckIn, MaintenanceRequest, Vehicle, WellnessCheckIn

T = TypeVar("T", bound=Base)

LAB = "Piedmont Toxicology"


class PlanRowFactory(factory.Factory[T]):
    """A row about one resident at their house."""

    class Meta:
        abstract = True

    class Params:
        plan = None

    resident_id = factory.SelfAttribute("plan.id")
    house_id = factory.SelfAttribute("plan.house.id")


class ChoreFactory(factory.Factory[Chore]):
    """A house's chore made from a template (`template`), which gives its name, area and rhythm."""

    class Meta:
        model = Chore

    class Params:
        template = None

    template_id = factory.SelfAttribute("template.id")
    name = factory.SelfAttribute("template.name")
    area = factory.SelfAttribute("template.area")
    frequency = factory.SelfAttribute("template.frequency")
    points = factory.SelfAttribute("template.default_points")
    estimated_minutes = factory.SelfAttribute("template.estimated_minutes")


class CurfewConfigFactory(factory.Factory[CurfewConfig]):
    class Meta:
        model = CurfewConfig

    min_days_in_residence = 0


class HouseMeetingFactory(factory.Factory[Meeting]):
    """A house's weekly meeting in its living room, which every resident must attend."""

    class Meta:
        model = Meeting

    class Params:
        house = None

    house_id = factory.SelfAttribute("house.id")
    kind = MeetingKind.HOUSE_MEETING
    title = factory.LazyAttribute(lambda o: f"{o.house.name} weekly meeting")
    location = factory.LazyAttribute(lambda o: f"{o.house.name} living room")
    is_mandatory = True


class DrugTestFactory(PlanRowFactory[DrugTest]):
    """A urine test with its chain-of-custody form number `coc`."""

    class Meta:
        model = DrugTest

    class Params:
        coc = 0

    test_type = DrugTestType.URINE
    chain_of_custody_id = factory.LazyAttribute(lambda o: f"COC-{o.coc:06d}")


class PassFactory(PlanRowFactory[Pass]):
    class Meta:
        model = Pass


class IncidentFactory(PlanRowFactory[Incident]):
    class Meta:
        model = Incident


class CurfewCheckInFactory(PlanRowFactory[CurfewCheckIn]):
    class Meta:
        model = CurfewCheckIn

    method = "kiosk"


class DailyCheckInFactory(PlanRowFactory[DailyCheckIn]):
    class Meta:
        model = DailyCheckIn

    method = "app"


class WellnessCheckInFactory(PlanRowFactory[WellnessCheckIn]):
    class Meta:
        model = WellnessCheckIn


class VehicleFactory(factory.Factory[Vehicle]):
    class Meta:
        model = Vehicle

    license_plate_state = "NC"


class MaintenanceRequestFactory(factory.Factory[MaintenanceRequest]):
    """A repair at a house, reported by its house manager and given to the property manager."""

    class Meta:
        model = MaintenanceRequest
