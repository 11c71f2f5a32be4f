"""House-operations rows of the demo seed: what residents do and what happens to them at a house."""

from __future__ import annotations

import factory

from core.enums import DrugTestType, MeetingKind
from models.operations import Chore, CurfewConfig, DailyCheckIn, DrugTest, Incident, Meeting, Pass
from models.operations_extended import ClinicalAssessment, CurfewCheckIn, WellnessCheckIn
from seed.factories.base import PlanRowFactory, ResidentRowFactory


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


class ClinicalAssessmentFactory(ResidentRowFactory[ClinicalAssessment]):
    """An assessment during the resident's admission, under their treatment consent if any."""

    class Meta:
        model = ClinicalAssessment

    admission_id = factory.SelfAttribute("plan.admission.id")
    consent_id = factory.LazyAttribute(lambda o: o.plan.consent.id if o.plan.consent else None)
