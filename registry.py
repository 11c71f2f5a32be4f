"""Every process family in one list: its workflows, its activity class and its router.

Adding a family is one line here; the worker, the API and the test fixtures read this list.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter

from activities.admission import AdmissionActivities
from activities.audit import AuditActivities
from activities.base import Deps, TenantActivities
from activities.billing.dunning import DunningActivities
from activities.billing.payments import CardPaymentActivities
from activities.billing.reconciliation import ReconciliationActivities
from activities.billing.refunds import RefundActivities
from activities.billing.rent_run import RentRunActivities
from activities.billing.settlement import SettlementActivities
from activities.intake import IntakeActivities
from activities.signing import SigningActivities
from api.routes import admission as admission_routes
from api.routes import billing as billing_routes
from api.routes import documents as documents_routes
from api.routes import housing as housing_routes
from api.routes import intake as intake_routes
from api.routes import signing as signing_routes
from api.routes import users as users_routes
from core.process import Daily
from workflows.admission import AdmissionWorkflow, BedOfferWorkflow
from workflows.audit import AuditAnchorWorkflow
from workflows.billing.dunning import SWEEP_SCHEDULE, DunningSweepWorkflow, DunningWorkflow, WriteOffWorkflow
from workflows.billing.payments import CardPaymentWorkflow
from workflows.billing.reconciliation import DAILY_SCHEDULE, ReconciliationWorkflow
from workflows.billing.refunds import CardRefundWorkflow
from workflows.billing.rent_run import RENT_RUN_SCHEDULE, RentRunWorkflow
from workflows.billing.settlement import DischargeSettlementWorkflow
from workflows.intake import IntakeWorkflow
from workflows.signing import SignatureRequestWorkflow


@dataclass(frozen=True)
class Family:
    name: str
    workflows: Sequence[type]
    activities: Sequence[type[TenantActivities]]
    router: APIRouter | None = None
    # Modules of recording scenarios (each a `SCENARIOS` dict) for tests/test_replay.py, which
    # writes a scenario's history beside its module. Named, not imported: the worker and the
    # API never load the tests.
    histories: Sequence[str] = ()
    # Per-org daily Schedules; `recoveryos schedules sync` creates them for every org.
    schedules: Sequence[Daily] = ()


FAMILIES: list[Family] = [
    Family("audit", [AuditAnchorWorkflow], [AuditActivities], histories=["tests.audit.histories"]),
    Family(
        "intake",
        [IntakeWorkflow],
        [IntakeActivities],
        intake_routes.router,
        histories=["tests.intake.histories"],
    ),
    Family(
        "admission",
        [AdmissionWorkflow, BedOfferWorkflow],
        [AdmissionActivities],
        admission_routes.router,
        histories=["tests.admission.histories"],
    ),
    Family("housing", [], [], housing_routes.router),
    Family("users", [], [], users_routes.router),
    Family("documents", [], [], documents_routes.router),
    Family(
        "signing",
        [SignatureRequestWorkflow],
        [SigningActivities],
        signing_routes.router,
        histories=["tests.signing.histories"],
    ),
    Family(
        "billing",
        [
            RentRunWorkflow,
            CardPaymentWorkflow,
            CardRefundWorkflow,
            DischargeSettlementWorkflow,
            DunningSweepWorkflow,
            DunningWorkflow,
            WriteOffWorkflow,
            ReconciliationWorkflow,
        ],
        [
            RentRunActivities,
            CardPaymentActivities,
            RefundActivities,
            SettlementActivities,
            DunningActivities,
            ReconciliationActivities,
        ],
        billing_routes.router,
        histories=["tests.billing.histories", "tests.dunning.histories", "tests.reconciliation.histories"],
        schedules=[RENT_RUN_SCHEDULE, SWEEP_SCHEDULE, DAILY_SCHEDULE],
    ),
]


def workflows() -> list[type]:
    return [wf for f in FAMILIES for wf in f.workflows]


def activities(deps: Deps) -> list[Callable[..., Any]]:
    """Every activity, bound to instances built once with the worker's dependencies."""
    return [m for f in FAMILIES for cls in f.activities for m in cls(deps).methods()]


def routers() -> list[APIRouter]:
    return [f.router for f in FAMILIES if f.router is not None]


def schedules() -> list[Daily]:
    return [d for f in FAMILIES for d in f.schedules]
