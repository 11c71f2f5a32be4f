"""Intake rows of the demo seed."""

from __future__ import annotations

import factory

from models.residents import Admission


class AdmissionFactory(factory.Factory[Admission]):
    """An admission of the resident of `plan` (the seed's Plan) to their house at their weekly
    rate, with the standard $500 deposit."""

    class Meta:
        model = Admission

    class Params:
        plan = None

    resident_id = factory.SelfAttribute("plan.id")
    house_id = factory.SelfAttribute("plan.house.id")
    weekly_rate_cents = factory.SelfAttribute("plan.weekly_rate")
    deposit_cents = 50000
