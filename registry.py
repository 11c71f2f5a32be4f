"""Every process family in one list: its workflows, activity classes, router, daily Schedules,
seed story and replay scenarios.

Adding a family is one entry here; the worker, the API, `schedules sync`, the seed and the
replay tests read this list.
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
from activities.breach import BreachActivities
from activities.consent.accounting import AccountingActivities
from activities.consent.break_glass import BreakGlassActivities
from activities.consent.lifecycle import ConsentActivities
from activities.consent.notice import NoticeActivities
from activities.intake import IntakeActivities
from activities.notifications import NotificationActivities
from activities.operations.chores import ChoreActivities
from activities.operations.curfew import CurfewActivities
from activities.operations.drug_tests import DrugTestActivities
from activities.operations.incidents import IncidentActivities
from activities.operations.meetings import MeetingActivities
from activities.operations.passes import PassActivities
from activities.operations.upkeep import UpkeepActivities
from activities.outcomes import OutcomeActivities
from activities.retention import RetentionActivities
from activities.rights import RightsActivities
from activities.signing import SigningActivities
from activities.webhooks import WebhookActivities
from api.routes import admission as admission_routes
from api.routes import api_keys as api_keys_routes
from api.routes import billing as billing_routes
from api.routes import breach as breach_routes
from api.routes import consent as consent_routes
from api.routes import documents as documents_routes
from api.routes import housing as housing_routes
from api.routes import intake as intake_routes
from api.routes import messaging as messaging_routes
from api.routes import notifications as notifications_routes
from api.routes import operations as operations_routes
from api.routes import partners as partners_routes
from api.routes import reports as reports_routes
from api.routes import resident as resident_pages_routes
from api.routes import retention as retention_routes
from api.routes import rights as rights_routes
from api.routes import signing as signing_routes
from api.routes import users as users_routes
from api.routes import webhooks as webhooks_routes
from core.process import Daily, Weekly
from seed import billing as seed_billing
from seed import compliance as seed_compliance
from seed import documents as seed_documents
from seed import intake as seed_intake
from seed import integrations as seed_integrations
from seed import messaging as seed_messaging
from seed import operations as seed_operations
from seed import orgs as seed_orgs
from seed import reports as seed_reports
from seed import resident_pages as seed_resident_pages
from seed import residents as seed_residents
from seed import retention as seed_retention
from seed.story import Stage, Step, ordered
from workflows.admission.bed_offer import BedOfferWorkflow
from workflows.admission.journey import AdmissionWorkflow
from workflows.audit import AuditAnchorWorkflow
from workflows.billing.dunning import SWEEP_SCHEDULE, DunningSweepWorkflow, DunningWorkflow, WriteOffWorkflow
from workflows.billing.payments import CardPaymentWorkflow
from workflows.billing.reconciliation import DAILY_SCHEDULE, ReconciliationWorkflow
from workflows.billing.refunds import CardRefundWorkflow
from workflows.billing.rent_run import RENT_RUN_SCHEDULE, RentRunWorkflow
from workflows.billing.settlement import DischargeSettlementWorkflow
from workflows.breach import BreachResponseWorkflow
from workflows.consent.accounting import AccountingRequestWorkflow
from workflows.consent.break_glass import BreakGlassReviewWorkflow
from workflows.consent.end_of_treatment import ConsentEndOfTreatmentWorkflow
from workflows.consent.lifecycle import ConsentLifecycleWorkflow
from workflows.consent.notice import PatientNoticeWorkflow
from workflows.intake import IntakeWorkflow
from workflows.messaging import MessageNotificationWorkflow
from workflows.operations.chores import CHORE_WEEK_SCHEDULE, ChoreWeekWorkflow
from workflows.operations.curfew import CURFEW_SCHEDULE, CurfewNightWorkflow
from workflows.operations.drug_tests import DRAW_SCHEDULE, DrugTestDrawWorkflow, DrugTestResultWorkflow
from workflows.operations.incidents import AbsenceWorkflow, IncidentWorkflow
from workflows.operations.meetings import MEETING_CHECK_SCHEDULE, MeetingCheckWorkflow
from workflows.operations.passes import PassWorkflow
from workflows.operations.upkeep import UPKEEP_CHECK_SCHEDULE, UpkeepCheckWorkflow
from workflows.outcomes import FollowUpWorkflow
from workflows.retention import DAILY_SCHEDULE as RETENTION_SCHEDULE
from workflows.retention import RetentionDailyWorkflow, RetentionRunWorkflow
from workflows.rights import AccessRequestWorkflow, AmendmentRequestWorkflow
from workflows.signing import SignatureRequestWorkflow
from workflows.webhooks import WebhookEndpointWorkflow


@dataclass(frozen=True)
class Family:
    name: str
    workflows: Sequence[type] = ()
    activities: Sequence[type[TenantActivities]] = ()
    router: APIRouter | None = None
    # Modules of recording scenarios (each a `SCENARIOS` dict) for tests/test_replay.py, which
    # writes a scenario's history beside its module. Named, not imported: the worker and the
    # API never load the tests.
    histories: Sequence[str] = ()
    # Per-org daily Schedules; `recoveryos schedules sync` creates them for every org.
    schedules: Sequence[Daily] = ()
    # Its part of the demo organisation (`recoveryos seed`), each step in its stage.
    seed: Sequence[Step] = ()
    # Per-house weekly Schedules; `recoveryos schedules sync` creates them for every house.
    weekly: Sequence[Weekly] = ()


FAMILIES: list[Family] = [
    Family("audit", [AuditAnchorWorkflow], [AuditActivities], histories=["tests.audit.histories"]),
    Family(
        "intake",
        [IntakeWorkflow],
        [IntakeActivities],
        intake_routes.router,
        histories=["tests.intake.histories"],
        seed=[Step(Stage.INQUIRIES, seed_intake.leads)],
    ),
    Family(
        "admission",
        [AdmissionWorkflow, BedOfferWorkflow],
        [AdmissionActivities],
        admission_routes.router,
        histories=["tests.admission.histories"],
        seed=[
            Step(Stage.PEOPLE, seed_residents.residents),
            Step(Stage.JOURNEYS, seed_intake.admissions),
            Step(Stage.JOURNEYS, seed_intake.bed_occupancies),
            Step(Stage.JOURNEYS, seed_residents.lifecycle),
        ],
    ),
    Family("housing", router=housing_routes.router, seed=[Step(Stage.PLACES, seed_orgs.places)]),
    Family(
        "users",
        router=users_routes.router,
        seed=[
            Step(Stage.ORGANISATION, seed_orgs.organisation),
            Step(Stage.ORGANISATION, seed_orgs.staff),
            Step(Stage.LAST, seed_orgs.invitation),
        ],
    ),
    Family("documents", router=documents_routes.router, seed=[Step(Stage.RECORDS, seed_documents.documents)]),
    Family(
        "signing",
        [SignatureRequestWorkflow],
        [SigningActivities],
        signing_routes.router,
        histories=["tests.signing.histories"],
        seed=[Step(Stage.RECORDS, seed_documents.signature_events)],
    ),
    # 42 CFR Part 2: consents, disclosures, access bases, break-glass, the patient notice.
    Family(
        "consent",
        [
            ConsentLifecycleWorkflow,
            ConsentEndOfTreatmentWorkflow,
            AccountingRequestWorkflow,
            BreakGlassReviewWorkflow,
            PatientNoticeWorkflow,
        ],
        [ConsentActivities, AccountingActivities, BreakGlassActivities, NoticeActivities],
        consent_routes.router,
        histories=["tests.consent.histories", "tests.consent.access_histories"],
        seed=[
            Step(Stage.RECORDS, seed_compliance.consents),
            Step(Stage.RECORDS, seed_compliance.part2_records),
        ],
    ),
    # Retention and destruction: policies per record type, legal holds, the daily dry run and
    # the destruction a named person confirms (and the compliance tables' demo rows).
    Family(
        "retention",
        [RetentionRunWorkflow, RetentionDailyWorkflow],
        [RetentionActivities],
        retention_routes.router,
        histories=["tests.retention.histories"],
        schedules=[RETENTION_SCHEDULE],
        seed=[
            Step(Stage.DAILY_LIFE, seed_compliance.compliance),
            Step(Stage.DAILY_LIFE, seed_retention.retention),
        ],
    ),
    Family(
        "breach",
        [BreachResponseWorkflow],
        [BreachActivities],
        breach_routes.router,
        histories=["tests.breach.histories"],
    ),
    Family(
        "rights",
        [AccessRequestWorkflow, AmendmentRequestWorkflow],
        [RightsActivities],
        rights_routes.router,
        histories=["tests.rights.histories"],
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
        seed=[Step(Stage.TERMS, seed_billing.rates_and_payers), Step(Stage.RECORDS, seed_billing.billing)],
    ),
    # House operations: chores, meetings, passes and curfew, drug tests, incidents, upkeep.
    Family(
        "operations",
        [
            # Chores and meetings; upkeep (vehicles' insurance).
            ChoreWeekWorkflow,
            MeetingCheckWorkflow,
            UpkeepCheckWorkflow,
            # Passes, curfew, drug tests and incidents.
            PassWorkflow,
            CurfewNightWorkflow,
            AbsenceWorkflow,
            IncidentWorkflow,
            DrugTestDrawWorkflow,
            DrugTestResultWorkflow,
        ],
        [
            # Chores and meetings; upkeep (vehicles' insurance).
            ChoreActivities,
            MeetingActivities,
            UpkeepActivities,
            # Passes, curfew, drug tests and incidents.
            PassActivities,
            CurfewActivities,
            IncidentActivities,
            DrugTestActivities,
        ],
        operations_routes.router,
        histories=["tests.operations.histories", "tests.operations.safety_histories"],
        schedules=[
            # Passes, curfew, drug tests and incidents.
            CURFEW_SCHEDULE,
            DRAW_SCHEDULE,
        ],
        seed=[Step(Stage.DAILY_LIFE, seed_operations.operations)],
        weekly=[CHORE_WEEK_SCHEDULE, MEETING_CHECK_SCHEDULE, UPKEEP_CHECK_SCHEDULE],
    ),
    # Conversations and announcements; a new message notifies its recipients (no content).
    Family(
        "messaging",
        [MessageNotificationWorkflow],
        [],
        messaging_routes.router,
        histories=["tests.messaging.histories"],
        seed=[Step(Stage.DAILY_LIFE, seed_messaging.messaging)],
    ),
    # The resident's own pages: sign-in (password or one-time link), balance, statements,
    # documents to sign, messages and announcements.
    Family(
        "resident_pages",
        router=resident_pages_routes.router,
        seed=[Step(Stage.DAILY_LIFE, seed_resident_pages.sign_in_links)],
    ),
    # API keys for integrators' systems; provider settings are still tables only.
    # E-mail and texts to users from fixed templates, by their preferences (no workflow of its
    # own: the families that notify call its activity).
    Family("notifications", activities=[NotificationActivities], router=notifications_routes.router),
    # Referral partners' reads with their API key: open beds per house, counts only.
    Family("partners", router=partners_routes.router),
    Family(
        "integrations",
        router=api_keys_routes.router,
        seed=[Step(Stage.DAILY_LIFE, seed_integrations.platform)],
    ),
    # The outbox delivered to integrators' endpoints, signed per Standard Webhooks.
    Family(
        "webhooks",
        [WebhookEndpointWorkflow],
        [WebhookActivities],
        webhooks_routes.router,
        histories=["tests.webhooks.histories"],
    ),
    # Operator reports read from what the processes wrote: money from the ledger, beds and
    # stays, follow-up outcomes; CSV, PDF with charts, and the bookkeeper's journal export.
    Family(
        "reports",
        [FollowUpWorkflow],
        [OutcomeActivities],
        reports_routes.router,
        histories=["tests.reports.histories"],
        seed=[
            Step(Stage.DAILY_LIFE, seed_reports.account_mappings),
            Step(Stage.DAILY_LIFE, seed_reports.follow_up),
        ],
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


def weekly_schedules() -> list[Weekly]:
    return [w for f in FAMILIES for w in f.weekly]


def seed_story() -> list[Step]:
    """Every family's seed steps, stage by stage (seed/story.py)."""
    return ordered(step for f in FAMILIES for step in f.seed)
