"""Intake rows of the demo seed."""

from __future__ import annotations

import factory

from models.residents import Admission
from seed.factories.base import PlanRowFactory


class AdmissionFactory(PlanRowFactory[Admission]):
    """An admission of the resident of `plan` to their house at their weekly rate, with the
    standard $500 deposit."""

    class Meta:
        model = Admission

    weekly_rate_cents = factory.SelfAttribute("plan.weekly_rate")
    deposit_cents = 50000
