"""The role matrix in the README is the one the API enforces."""

import re
import uuid
from pathlib import Path

import httpx
import pytest

from core.enums import UserRole
from core.permissions import ROLE_PERMISSIONS, Perm, role_table_markdown
from tests.factories import OrgFactory, SampleOrg


def test_readme_role_table_matches_the_enforced_permissions() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    assert role_table_markdown() in readme


def test_there_are_nine_roles_and_only_residents_have_self_service() -> None:
    assert len(UserRole) == 9 and set(ROLE_PERMISSIONS) == set(UserRole)
    assert [r for r, p in ROLE_PERMISSIONS.items() if Perm.SELF_SERVICE in p] == [UserRole.RESIDENT]
    assert ROLE_PERMISSIONS[UserRole.RESIDENT] == {Perm.SELF_SERVICE}


# --- the role matrix of the journey's and the leads' routes, enforced over HTTP ---------------

# Each route of the admission and intake routers and the permissions that admit a caller (any
# one of them). Reads by a scoped role are then narrowed by the database (tests/scope/).
JOURNEY_MATRIX: dict[tuple[str, str], frozenset[Perm]] = {
    ("POST", "/v1/admissions"): frozenset({Perm.ADMISSION_MANAGE}),
    ("GET", "/v1/admissions/{admission_id}"): frozenset({Perm.RESIDENT_READ}),
    ("GET", "/v1/admissions/{admission_id}/journey"): frozenset({Perm.RESIDENT_READ}),
    **{
        ("POST", f"/v1/admissions/{{admission_id}}/{action}"): frozenset({Perm.ADMISSION_MANAGE})
        for action in ("bed", "waitlist", "offer", "transfer", "discharge", "unaccounted")
    },
    ("GET", "/v1/waitlist"): frozenset({Perm.RESIDENT_READ}),
    ("POST", "/v1/waitlist/{entry_id}/priority"): frozenset({Perm.ADMISSION_MANAGE}),
    ("POST", "/v1/waitlist/{entry_id}/removal"): frozenset({Perm.ADMISSION_MANAGE}),
    ("GET", "/v1/beds/board"): frozenset({Perm.PROPERTY_READ}),
    ("GET", "/v1/residents"): frozenset({Perm.RESIDENT_READ, Perm.SELF_SERVICE}),
    ("GET", "/v1/residents/{resident_id}"): frozenset({Perm.RESIDENT_READ, Perm.SELF_SERVICE}),
    ("GET", "/v1/transfers"): frozenset({Perm.RESIDENT_READ}),
    ("GET", "/v1/discharges"): frozenset({Perm.RESIDENT_READ}),
    ("POST", "/v1/leads"): frozenset({Perm.LEAD_WRITE}),
    ("GET", "/v1/leads"): frozenset({Perm.LEAD_READ}),
    ("GET", "/v1/leads/{lead_id}"): frozenset({Perm.LEAD_READ}),
    ("POST", "/v1/leads/{lead_id}/decision"): frozenset({Perm.LEAD_WRITE}),
    ("GET", "/v1/leads/{lead_id}/intake"): frozenset({Perm.LEAD_READ}),
}


def _journey_routes() -> set[tuple[str, str]]:
    from fastapi.routing import APIRoute

    from api.routes import admission, intake

    return {
        (m, r.path)
        for router in (admission.router, intake.router)
        for r in router.routes
        if isinstance(r, APIRoute)
        for m in r.methods or ()
    }


def test_the_matrix_names_every_route_of_the_journey_and_leads() -> None:
    assert set(JOURNEY_MATRIX) == _journey_routes()


@pytest.fixture(scope="module")
def every_role(orgs: OrgFactory) -> SampleOrg:
    return orgs.create()


def _wrong_answers(
    stack: str, org: SampleOrg, role: UserRole, matrix: dict[tuple[str, str], frozenset[Perm]]
) -> list[str]:
    """Each route of the matrix, called by `role` with unknown ids and an empty body: 403 exactly
    when the role holds none of the route's permissions, and never 401 or 500."""
    granted = ROLE_PERMISSIONS[role]
    wrong: list[str] = []
    with httpx.Client(base_url=stack, headers=org.headers(role), timeout=60) as http:
        for (method, path), perms in matrix.items():
            url = re.sub(r"\{[a-z_]+\}", str(uuid.uuid4()), path)
            r = http.request(method, url, json={} if method in ("POST", "PUT") else None)
            allowed = bool(granted & perms)
            if (r.status_code == 403) == allowed or r.status_code in (401, 500):
                wrong.append(f"{method} {path}: {r.status_code}")
    return wrong


# --- the role matrix of the dunning routes, enforced over HTTP --------------------------------

DUNNING_MATRIX: dict[tuple[str, str], frozenset[Perm]] = {
    ("PUT", "/v1/dunning/config"): frozenset({Perm.BILLING_WRITE}),
    ("GET", "/v1/dunning/configs"): frozenset({Perm.BILLING_READ}),
    ("GET", "/v1/dunning/invoices/{invoice_id}/actions"): frozenset({Perm.BILLING_READ}),
    ("POST", "/v1/dunning/invoices/{invoice_id}/start"): frozenset({Perm.BILLING_WRITE}),
    ("POST", "/v1/dunning/invoices/{invoice_id}/write-off"): frozenset({Perm.BILLING_WRITE}),
}


def test_the_dunning_matrix_names_every_dunning_route() -> None:
    from fastapi.routing import APIRoute

    from api.routes.billing import dunning

    routes = {(m, r.path) for r in dunning.router.routes if isinstance(r, APIRoute) for m in r.methods or ()}
    assert set(DUNNING_MATRIX) == routes


# --- the role matrix of the setup routes (places, users, money reads), enforced over HTTP ------

P_READ, P_WRITE = Perm.PROPERTY_READ, Perm.PROPERTY_WRITE
_PLACES = {"properties": "property_id", "houses": "house_id", "rooms": "room_id", "beds": "bed_id"}
SETUP_MATRIX: dict[tuple[str, str], frozenset[Perm]] = {
    **{
        (m, f"/v1/{plural}"): frozenset({p})
        for plural in _PLACES
        for m, p in (("GET", P_READ), ("POST", P_WRITE))
    },
    **{
        (m, f"/v1/{plural}/{{{param}}}"): frozenset({p})
        for plural, param in _PLACES.items()
        for m, p in (("GET", P_READ), ("PATCH", P_WRITE), ("DELETE", P_WRITE))
    },
    ("GET", "/v1/users"): frozenset({Perm.USERS_MANAGE}),
    ("POST", "/v1/users"): frozenset({Perm.USERS_MANAGE}),
    ("GET", "/v1/users/{user_id}"): frozenset({Perm.USERS_MANAGE}),
    ("PUT", "/v1/users/{user_id}/roles"): frozenset({Perm.USERS_MANAGE}),
    ("POST", "/v1/users/{user_id}/invitation"): frozenset({Perm.USERS_MANAGE}),
    ("POST", "/v1/users/{user_id}/deactivation"): frozenset({Perm.USERS_MANAGE}),
    ("POST", "/v1/users/{user_id}/reactivation"): frozenset({Perm.USERS_MANAGE}),
    ("GET", "/v1/billing/invoices"): frozenset({Perm.BILLING_READ}),
    ("GET", "/v1/billing/residents/{resident_id}/balance"): frozenset({Perm.BILLING_READ}),
    ("GET", "/v1/billing/residents/{resident_id}/statement"): frozenset({Perm.BILLING_READ}),
}
# The invited person's link is its own credential: no session, so no role to check.
SETUP_UNAUTHENTICATED = {("GET", "/v1/auth/invitations/{token}"), ("POST", "/v1/auth/invitations/{token}")}


def test_the_setup_matrix_names_every_route_of_places_users_and_money_reads() -> None:
    from fastapi.routing import APIRoute

    from api.routes import housing, users
    from api.routes.billing import reads as billing_reads

    routes = {
        (m, r.path)
        for router in (housing.router, users.router, billing_reads.router)
        for r in router.routes
        if isinstance(r, APIRoute)
        for m in r.methods or ()
    }
    assert set(SETUP_MATRIX) == routes - SETUP_UNAUTHENTICATED


# --- the role matrix of the breach routes, enforced over HTTP ---------------------------------

BREACH = "/v1/breaches/{incident_id}"
BREACH_MATRIX: dict[tuple[str, str], frozenset[Perm]] = {
    (method, path): frozenset({Perm.COMPLIANCE_MANAGE})
    for method, path in (
        ("POST", "/v1/breaches"),
        ("GET", "/v1/breaches"),
        ("GET", BREACH),
        ("POST", BREACH + "/assessment"),
        ("POST", BREACH + "/completions"),
        ("POST", BREACH + "/law-enforcement-delay"),
        ("POST", BREACH + "/close"),
        ("GET", BREACH + "/letters"),
        ("GET", BREACH + "/letters/{resident_id}.pdf"),
        ("GET", BREACH + "/report.pdf"),
    )
}


def test_the_breach_matrix_names_every_breach_route() -> None:
    from fastapi.routing import APIRoute

    from api.routes import breach

    routes = {(m, r.path) for r in breach.router.routes if isinstance(r, APIRoute) for m in r.methods or ()}
    assert set(BREACH_MATRIX) == routes


# --- the role matrix of the access-request routes, enforced over HTTP --------------------------

ACCESS = "/v1/access-requests/{request_id}"
AMEND = "/v1/amendment-requests/{request_id}"
RIGHTS_MATRIX: dict[tuple[str, str], frozenset[Perm]] = {
    (method, path): frozenset({Perm.COMPLIANCE_MANAGE})
    for method, path in (
        ("POST", "/v1/residents/{resident_id}/access-requests"),
        ("GET", ACCESS),
        ("POST", ACCESS + "/extension"),
        ("POST", ACCESS + "/fulfilment"),
        ("POST", ACCESS + "/denial"),
        ("GET", ACCESS + "/denial-letter.pdf"),
        ("POST", "/v1/residents/{resident_id}/amendment-requests"),
        ("GET", AMEND),
        ("POST", AMEND + "/extension"),
        ("POST", AMEND + "/acceptance"),
        ("POST", AMEND + "/denial"),
        ("POST", AMEND + "/disagreement"),
        ("GET", AMEND + "/denial-letter.pdf"),
    )
}
# The resident's download link authorises itself (a signed token), like a signing link.
RIGHTS_BY_LINK = {("GET", "/v1/records/{token}.json"), ("GET", "/v1/records/{token}.pdf")}


def test_the_rights_matrix_names_every_access_request_route() -> None:
    from fastapi.routing import APIRoute

    from api.routes import rights

    routes = {(m, r.path) for r in rights.router.routes if isinstance(r, APIRoute) for m in r.methods or ()}
    assert set(RIGHTS_MATRIX) == routes - RIGHTS_BY_LINK


# --- the role matrix of the retention routes, enforced over HTTP ------------------------------

RUN = "/v1/retention/runs/{run_id}"
RETENTION_MATRIX: dict[tuple[str, str], frozenset[Perm]] = {
    (method, path): frozenset({Perm.COMPLIANCE_MANAGE})
    for method, path in (
        ("GET", "/v1/retention/policies"),
        ("PUT", "/v1/retention/policies/{record_type}"),
        ("GET", "/v1/retention/holds"),
        ("POST", "/v1/retention/holds"),
        ("POST", "/v1/retention/holds/{hold_id}/lift"),
        ("POST", "/v1/retention/runs"),
        ("GET", "/v1/retention/runs"),
        ("GET", RUN),
        ("POST", RUN + "/confirm"),
        ("POST", RUN + "/decline"),
        ("GET", RUN + "/certificate.pdf"),
    )
}


def test_the_retention_matrix_names_every_retention_route() -> None:
    from fastapi.routing import APIRoute

    from api.routes import retention as module

    routes = {(m, r.path) for r in module.router.routes if isinstance(r, APIRoute) for m in r.methods or ()}
    assert set(RETENTION_MATRIX) == routes


# --- the role matrix of disclosures, their accounting and restrictions (42 CFR Part 2) --------

R = "/v1/residents/{resident_id}"
DISCLOSURE_MATRIX: dict[tuple[str, str], frozenset[Perm]] = {
    (m, R + path): frozenset({Perm.CONSENT_MANAGE})
    for m, path in (
        ("POST", "/disclosures"),
        ("GET", "/disclosures"),
        ("GET", "/disclosures/{disclosure_id}"),
        ("GET", "/disclosures/{disclosure_id}/package.pdf"),
        ("POST", "/restrictions"),
        ("GET", "/restrictions"),
        ("POST", "/restrictions/{restriction_id}/decision"),
        ("POST", "/restrictions/{restriction_id}/termination"),
        ("GET", "/disclosures/accounting.csv"),
        ("GET", "/disclosures/accounting.pdf"),
        ("POST", "/accounting-requests"),
        ("GET", "/accounting-requests"),
    )
} | {
    (m, "/v1/accounting-requests/{accounting_request_id}" + path): frozenset({Perm.CONSENT_MANAGE})
    for m, path in (("GET", ""), ("POST", "/extension"), ("POST", "/fulfilment"), ("GET", "/accounting.pdf"))
}


def test_the_disclosure_matrix_names_every_disclosure_accounting_and_restriction_route() -> None:
    from fastapi.routing import APIRoute

    from api.routes.consent import accounting, disclosures, restrictions

    routes = {
        (m, r.path)
        for router in (accounting.router, disclosures.router, restrictions.router)
        for r in router.routes
        if isinstance(r, APIRoute)
        for m in r.methods or ()
    }
    assert set(DISCLOSURE_MATRIX) == routes


# --- the role matrix of the webhook and API key routes, enforced over HTTP -------------------------------

I_MANAGE = frozenset({Perm.INTEGRATIONS_MANAGE})
WEBHOOK_MATRIX: dict[tuple[str, str], frozenset[Perm]] = {
    ("GET", "/v1/webhooks/event-types"): I_MANAGE,
    ("POST", "/v1/webhooks"): I_MANAGE,
    ("GET", "/v1/webhooks"): I_MANAGE,
    ("GET", "/v1/webhooks/{webhook_id}"): I_MANAGE,
    ("PATCH", "/v1/webhooks/{webhook_id}"): I_MANAGE,
    ("DELETE", "/v1/webhooks/{webhook_id}"): I_MANAGE,
    ("POST", "/v1/webhooks/{webhook_id}/secret/rotation"): I_MANAGE,
    ("GET", "/v1/webhooks/{webhook_id}/deliveries"): I_MANAGE,
    ("POST", "/v1/webhooks/{webhook_id}/replay"): I_MANAGE,
    ("POST", "/v1/api-keys"): I_MANAGE,
    ("GET", "/v1/api-keys"): I_MANAGE,
    ("GET", "/v1/api-keys/{api_key_id}"): I_MANAGE,
    ("DELETE", "/v1/api-keys/{api_key_id}"): I_MANAGE,
    # A referral partner's own endpoints: its API key only, never a person (staff use /v1/webhooks).
    ("POST", "/v1/availability/webhooks"): frozenset(),
    ("GET", "/v1/availability/webhooks"): frozenset(),
    ("DELETE", "/v1/availability/webhooks/{webhook_id}"): frozenset(),
}


def test_the_webhook_matrix_names_every_webhook_and_api_key_route() -> None:
    from fastapi.routing import APIRoute

    from api.routes import api_keys, webhooks

    routes = {
        (m, r.path)
        for router in (webhooks.router, api_keys.router)
        for r in router.routes
        if isinstance(r, APIRoute)
        for m in r.methods or ()
    }
    assert set(WEBHOOK_MATRIX) == routes


# --- everyone's own notification settings (never a 403), and the open-bed counts -------------

ME_MATRIX: dict[tuple[str, str], frozenset[Perm]] = {
    ("GET", "/v1/me/notification-preferences"): frozenset(Perm),
    ("PUT", "/v1/me/notification-preferences"): frozenset(Perm),
    # Referral partners' open-bed counts, which staff may read too.
    ("GET", "/v1/availability"): frozenset({Perm.AVAILABILITY_READ}),
}


def test_the_me_matrix_names_every_notification_and_partner_route() -> None:
    from fastapi.routing import APIRoute

    from api.routes import notifications, partners

    mine = [*notifications.router.routes, *partners.router.routes]
    routes = {(m, r.path) for r in mine if isinstance(r, APIRoute) for m in r.methods or ()}
    assert set(ME_MATRIX) == routes


# --- the role matrix of messaging: staff and residents in conversations, announcements --------

MEMBER = frozenset({Perm.RESIDENT_READ, Perm.SELF_SERVICE})
MESSAGING_MATRIX: dict[tuple[str, str], frozenset[Perm]] = {
    ("POST", "/v1/conversations"): frozenset({Perm.RESIDENT_READ}),
    ("GET", "/v1/conversations"): MEMBER,
    ("GET", "/v1/conversations/{conversation_id}"): MEMBER,
    ("POST", "/v1/conversations/{conversation_id}/messages"): MEMBER,
    ("POST", "/v1/conversations/{conversation_id}/read"): MEMBER,
    ("POST", "/v1/message-attachments"): MEMBER,
    ("GET", "/v1/messages/{message_id}/attachment"): MEMBER,
    ("POST", "/v1/announcements"): frozenset({Perm.OPERATIONS_WRITE}),
    ("GET", "/v1/announcements"): MEMBER,
    ("POST", "/v1/announcements/{announcement_id}/read"): MEMBER,
    ("GET", "/v1/announcements/{announcement_id}/reads"): frozenset({Perm.RESIDENT_READ}),
}


def test_the_messaging_matrix_names_every_messaging_route() -> None:
    from fastapi.routing import APIRoute

    from api.routes import messaging

    routes = {
        (m, r.path) for r in messaging.router.routes if isinstance(r, APIRoute) for m in r.methods or ()
    }
    assert set(MESSAGING_MATRIX) == routes


# --- the role matrix of house operations' chore and meeting routes, enforced over HTTP --------

_HOUSE = "/v1/houses/{house_id}"
ROUTINES_MATRIX: dict[tuple[str, str], frozenset[Perm]] = {
    ("GET", f"{_HOUSE}/chore-templates"): frozenset({Perm.RESIDENT_READ}),
    ("POST", f"{_HOUSE}/chore-templates"): frozenset({Perm.OPERATIONS_WRITE}),
    ("GET", f"{_HOUSE}/chores"): frozenset({Perm.RESIDENT_READ}),
    ("POST", f"{_HOUSE}/chores"): frozenset({Perm.OPERATIONS_WRITE}),
    ("POST", f"{_HOUSE}/chore-weeks"): frozenset({Perm.OPERATIONS_WRITE}),
    ("GET", f"{_HOUSE}/chore-assignments"): frozenset({Perm.RESIDENT_READ}),
    ("POST", f"{_HOUSE}/chore-assignments/{{assignment_id}}/verification"): frozenset(
        {Perm.OPERATIONS_WRITE}
    ),
    ("GET", f"{_HOUSE}/chore-misses"): frozenset({Perm.RESIDENT_READ}),
    ("GET", "/v1/meeting-types"): frozenset({Perm.RESIDENT_READ}),
    ("POST", f"{_HOUSE}/meetings"): frozenset({Perm.OPERATIONS_WRITE}),
    ("GET", f"{_HOUSE}/meetings"): frozenset({Perm.RESIDENT_READ}),
    ("POST", f"{_HOUSE}/meetings/{{meeting_id}}/attendance"): frozenset({Perm.OPERATIONS_WRITE}),
    ("POST", "/v1/residents/{resident_id}/attendance"): frozenset({Perm.OPERATIONS_WRITE, Perm.SELF_SERVICE}),
    ("GET", f"{_HOUSE}/attendance"): frozenset({Perm.RESIDENT_READ}),
    ("POST", f"{_HOUSE}/attendance/{{attendance_id}}/verification"): frozenset({Perm.OPERATIONS_WRITE}),
    ("GET", f"{_HOUSE}/meeting-progress"): frozenset({Perm.RESIDENT_READ}),
    ("POST", f"{_HOUSE}/meeting-checks"): frozenset({Perm.OPERATIONS_WRITE}),
    ("GET", f"{_HOUSE}/shortfalls"): frozenset({Perm.RESIDENT_READ}),
    ("POST", f"{_HOUSE}/meeting-requirements"): frozenset({Perm.OPERATIONS_WRITE}),
    ("GET", f"{_HOUSE}/meeting-requirements"): frozenset({Perm.RESIDENT_READ}),
    ("POST", f"{_HOUSE}/maintenance-requests"): frozenset({Perm.OPERATIONS_WRITE}),
    ("GET", f"{_HOUSE}/maintenance-requests"): frozenset({Perm.PROPERTY_READ}),
    ("POST", f"{_HOUSE}/maintenance-requests/{{maintenance_id}}/assignment"): frozenset(
        {Perm.OPERATIONS_WRITE}
    ),
    ("POST", f"{_HOUSE}/maintenance-requests/{{maintenance_id}}/status"): frozenset({Perm.OPERATIONS_WRITE}),
    ("POST", f"{_HOUSE}/vehicles"): frozenset({Perm.OPERATIONS_WRITE}),
    ("GET", f"{_HOUSE}/vehicles"): frozenset({Perm.RESIDENT_READ}),
    ("GET", f"{_HOUSE}/vehicle-reminders"): frozenset({Perm.RESIDENT_READ}),
    ("POST", "/v1/residents/{resident_id}/daily-check-ins"): frozenset(
        {Perm.OPERATIONS_WRITE, Perm.SELF_SERVICE}
    ),
    ("GET", f"{_HOUSE}/daily-check-ins"): frozenset({Perm.RESIDENT_READ}),
    ("POST", "/v1/residents/{resident_id}/wellness-check-ins"): frozenset(
        {Perm.OPERATIONS_WRITE, Perm.SELF_SERVICE}
    ),
    ("GET", "/v1/residents/{resident_id}/wellness-check-ins"): frozenset(
        {Perm.RESIDENT_READ, Perm.SELF_SERVICE}
    ),
    ("GET", f"{_HOUSE}/wellness-follow-ups"): frozenset({Perm.RESIDENT_READ}),
    ("POST", f"{_HOUSE}/wellness-check-ins/{{check_in_id}}/review"): frozenset({Perm.OPERATIONS_WRITE}),
    ("POST", "/v1/residents/{resident_id}/assessments"): frozenset({Perm.CLINICAL_READ}),
    ("GET", "/v1/residents/{resident_id}/assessments"): frozenset({Perm.RESIDENT_READ, Perm.SELF_SERVICE}),
    ("GET", f"{_HOUSE}/assessments-due"): frozenset({Perm.RESIDENT_READ}),
}


def test_the_routines_matrix_names_every_chore_and_meeting_route() -> None:
    from fastapi.routing import APIRoute

    from api.routes.operations import assessments, checkins, chores, maintenance, meetings, vehicles

    parts = (chores, meetings, maintenance, vehicles, checkins, assessments)
    mine = [r for part in parts for r in part.router.routes]
    routes = {(m, r.path) for r in mine if isinstance(r, APIRoute) for m in r.methods or ()}
    assert set(ROUTINES_MATRIX) == routes


# --- the role matrix of the reports, enforced over HTTP -----------------------------------------

REPORTS_MATRIX: dict[tuple[str, str], frozenset[Perm]] = {
    ("GET", f"/v1/reports/{name}"): frozenset({Perm.REPORTS_READ})
    for name in (
        "rent-roll",
        "ar-aging",
        "deposits-held",
        "collections",
        "write-offs",
        "trial-balance",
        "occupancy",
        "length-of-stay",
        "admissions-discharges",
        "waitlist",
        "referral-sources",
        "journals",
        "account-mappings",
        "outcomes",
    )
}
REPORTS_MATRIX[("PUT", "/v1/reports/account-mappings")] = frozenset({Perm.BILLING_WRITE})
REPORTS_MATRIX[("PUT", "/v1/residents/{resident_id}/follow-up-consent")] = frozenset({Perm.RESIDENT_WRITE})
# The survey page: its link authorises it, no role does.
REPORTS_BY_LINK = {("GET", "/follow-up/{token}"), ("POST", "/follow-up/{token}")}


def test_the_reports_matrix_names_every_report_route() -> None:
    from fastapi.routing import APIRoute

    from api.routes import reports

    routes = {(m, r.path) for r in reports.router.routes if isinstance(r, APIRoute) for m in r.methods or ()}
    assert set(REPORTS_MATRIX) | REPORTS_BY_LINK == routes


# --- house safety: passes, curfew, drug tests and incidents -----------------------------------

OPS = frozenset({Perm.OPERATIONS_WRITE})
DRAWS = frozenset({Perm.OPERATIONS_WRITE, Perm.COMPLIANCE_MANAGE})
SAFETY_MATRIX: dict[tuple[str, str], frozenset[Perm]] = {
    ("GET", "/v1/operations/passes"): OPS,
    ("POST", "/v1/operations/passes"): OPS,
    ("GET", "/v1/operations/passes/{pass_id}"): OPS,
    ("POST", "/v1/operations/passes/{pass_id}/decision"): OPS,
    ("POST", "/v1/operations/passes/{pass_id}/departure"): OPS,
    ("POST", "/v1/operations/passes/{pass_id}/return"): OPS,
    ("GET", "/v1/operations/curfew-configs"): OPS,
    ("POST", "/v1/operations/curfew-configs"): OPS,
    ("GET", "/v1/operations/curfew-check-ins"): OPS,
    ("POST", "/v1/operations/curfew-check-ins"): OPS,
    ("GET", "/v1/operations/drug-test-draws"): DRAWS,
    ("GET", "/v1/operations/drug-test-draws/{draw_id}"): DRAWS,
    ("GET", "/v1/operations/drug-test-draws/{draw_id}/verification"): DRAWS,
    ("GET", "/v1/operations/drug-tests"): OPS,
    ("POST", "/v1/operations/drug-tests"): OPS,
    ("POST", "/v1/operations/drug-tests/{test_id}/result"): OPS,
    # A test's custody details and its lab file (issue 23, lab files).
    ("GET", "/v1/operations/drug-tests/{test_id}"): OPS,
    ("GET", "/v1/operations/drug-tests/{test_id}/lab-report"): OPS,
    # A house's random-draw settings: read by whoever reads draws, changed by operations staff.
    ("GET", "/v1/houses/{house_id}/random-drug-testing"): DRAWS,
    ("PUT", "/v1/houses/{house_id}/random-drug-testing"): OPS,
    ("GET", "/v1/operations/incidents"): OPS,
    ("POST", "/v1/operations/incidents"): OPS,
    ("GET", "/v1/operations/incidents/{incident_id}"): OPS,
    ("POST", "/v1/operations/incidents/{incident_id}/state-report"): OPS,
}


def test_the_safety_matrix_names_every_pass_curfew_drug_test_and_incident_route() -> None:
    from fastapi.routing import APIRoute

    from api.routes.operations import curfew, drug_tests, incidents, passes

    mine = [*passes.router.routes, *curfew.router.routes, *drug_tests.router.routes, *incidents.router.routes]
    routes = {(m, r.path) for r in mine if isinstance(r, APIRoute) for m in r.methods or ()}
    assert set(SAFETY_MATRIX) == routes


# --- documents and signing, Part 2 consent and its records, billing and reconciliation ---------

DOC = frozenset({Perm.DOCUMENT_MANAGE})
DOCUMENTS_MATRIX: dict[tuple[str, str], frozenset[Perm]] = {
    ("GET", "/v1/document-templates"): DOC,
    ("POST", "/v1/document-templates/defaults"): DOC,
    ("GET", "/v1/documents"): DOC,
    ("POST", "/v1/documents"): DOC,
    ("POST", "/v1/documents/files"): DOC,
    ("POST", "/v1/documents/verify"): DOC,
    ("GET", "/v1/documents/{document_id}"): DOC,
    ("GET", "/v1/documents/{document_id}/certificate"): DOC,
    ("GET", "/v1/documents/{document_id}/certificate.pdf"): DOC,
    ("GET", "/v1/documents/{document_id}/signed.pdf"): DOC,
    ("GET", "/v1/documents/{document_id}/signature-request"): DOC,
    ("POST", "/v1/documents/{document_id}/signature-request"): DOC,
    ("GET", "/v1/documents/{document_id}/signature-request/link"): DOC,
    ("POST", "/v1/documents/{document_id}/signature-request/void"): DOC,
    ("GET", "/v1/residents/{resident_id}/documents"): DOC,
}
# Paths that take POST only: the other methods answer 405 before anyone is asked who they are.
DOCUMENTS_POST_ONLY = {
    (m, p) for p in ("/v1/documents/files", "/v1/documents/verify") for m in ("GET", "PUT", "PATCH", "DELETE")
}

CONSENT = frozenset({Perm.CONSENT_MANAGE})
CLINICAL = frozenset({Perm.CLINICAL_READ})
MINE = frozenset({Perm.RESIDENT_READ, Perm.SELF_SERVICE})
PART2_MATRIX: dict[tuple[str, str], frozenset[Perm]] = {
    ("GET", "/v1/residents/{resident_id}/consents"): CONSENT,
    ("POST", "/v1/residents/{resident_id}/consents"): CONSENT,
    ("GET", "/v1/consents/{consent_id}"): CONSENT,
    ("POST", "/v1/consents/{consent_id}/expiry-event"): CONSENT,
    ("POST", "/v1/consents/{consent_id}/revocation"): CONSENT,
    ("GET", "/v1/residents/{resident_id}/care-team"): CONSENT,
    ("POST", "/v1/residents/{resident_id}/care-team"): CONSENT,
    ("DELETE", "/v1/residents/{resident_id}/care-team/{user_id}"): CONSENT,
    ("GET", "/v1/residents/{resident_id}/counseling-notes"): CLINICAL,
    ("POST", "/v1/residents/{resident_id}/counseling-notes"): CLINICAL,
    ("GET", "/v1/residents/{resident_id}/counseling-notes/{note_id}"): CLINICAL,
    ("POST", "/v1/residents/{resident_id}/break-glass"): frozenset(
        {Perm.CLINICAL_READ, Perm.OPERATIONS_WRITE}
    ),
    ("GET", "/v1/break-glass"): frozenset({Perm.COMPLIANCE_MANAGE}),
    ("GET", "/v1/break-glass/{event_id}"): frozenset({Perm.COMPLIANCE_MANAGE}),
    ("POST", "/v1/break-glass/{event_id}/review"): frozenset({Perm.COMPLIANCE_MANAGE}),
    ("POST", "/v1/residents/{resident_id}/patient-notice"): frozenset(
        {Perm.ADMISSION_MANAGE, Perm.CONSENT_MANAGE}
    ),
    ("GET", "/v1/residents/{resident_id}/patient-notices"): MINE,
    ("GET", "/v1/residents/{resident_id}/record"): MINE,
}

B_READ, B_WRITE = frozenset({Perm.BILLING_READ}), frozenset({Perm.BILLING_WRITE})
BILLING_MATRIX: dict[tuple[str, str], frozenset[Perm]] = {
    ("POST", "/v1/billing/rates"): B_WRITE,
    ("GET", "/v1/billing/invoices/{invoice_id}"): B_READ,
    ("POST", "/v1/billing/payments"): B_WRITE,
    ("GET", "/v1/billing/payments/{payment_id}"): B_READ,
    ("POST", "/v1/billing/payments/{payment_id}/refunds"): B_WRITE,
    ("POST", "/v1/billing/card-payments"): B_WRITE,
    ("POST", "/v1/billing/card-refunds"): B_WRITE,
    ("POST", "/v1/billing/deposits"): B_WRITE,
    ("GET", "/v1/billing/residents/{resident_id}/deposit"): B_READ,
    ("POST", "/v1/billing/residents/{resident_id}/deposit/settlement"): B_WRITE,
    ("GET", "/v1/billing/residents/{resident_id}/payers"): B_READ,
    ("POST", "/v1/billing/residents/{resident_id}/payers"): B_WRITE,
    ("GET", "/v1/reconciliation/records"): B_READ,
    ("GET", "/v1/reconciliation/records/{record_id}"): B_READ,
    ("POST", "/v1/reconciliation/runs"): B_WRITE,
}
# The resident's payment page answers to its link; Stripe's webhook to its signature.
BILLING_BY_LINK = {
    ("GET", "/v1/billing/pay/assets/pay.js"),
    ("GET", "/v1/billing/pay/{token}"),
    ("POST", "/v1/billing/pay/{token}"),
    ("POST", "/v1/billing/pay/{token}/intent"),
    ("POST", "/v1/billing/pay/{token}/return"),
    ("POST", "/v1/billing/stripe/webhook"),
}


# --- every matrix, enforced over HTTP for every role --------------------------------------------

MATRICES: dict[str, dict[tuple[str, str], frozenset[Perm]]] = {
    "journey": JOURNEY_MATRIX,
    "dunning": DUNNING_MATRIX,
    "setup": SETUP_MATRIX,
    "breach": BREACH_MATRIX,
    "rights": RIGHTS_MATRIX,
    "retention": RETENTION_MATRIX,
    "disclosure": DISCLOSURE_MATRIX,
    "webhook": WEBHOOK_MATRIX,
    "me": ME_MATRIX,
    "messaging": MESSAGING_MATRIX,
    "routines": ROUTINES_MATRIX,
    "reports": REPORTS_MATRIX,
    "safety": SAFETY_MATRIX,
    "documents": DOCUMENTS_MATRIX,
    "part2": PART2_MATRIX,
    "billing": BILLING_MATRIX,
}
# Routes no role decides: a link, a signature or an invitation authorises them.
NO_ROLE = SETUP_UNAUTHENTICATED | RIGHTS_BY_LINK | REPORTS_BY_LINK | BILLING_BY_LINK | DOCUMENTS_POST_ONLY


def test_every_api_route_is_in_a_role_matrix_or_answers_to_a_link() -> None:
    """A new route joins a matrix (and so the test below) or says why no role decides it."""
    from fastapi.routing import APIRoute

    import registry

    routes = {
        (m, r.path)
        for router in registry.routers()
        for r in router.routes
        if isinstance(r, APIRoute) and r.path.startswith("/v1/")
        for m in r.methods or ()
    }
    listed = {route for matrix in MATRICES.values() for route in matrix}
    assert sorted(routes - listed - NO_ROLE) == []
    assert sorted(r for r in (listed | NO_ROLE) - routes if r[1].startswith("/v1/")) == []


@pytest.mark.parametrize(
    ("matrix", "role"), [(m, r) for m in MATRICES for r in UserRole], ids=lambda v: getattr(v, "value", v)
)
def test_each_role_reaches_exactly_the_routes_its_permissions_allow(
    stack: str, every_role: SampleOrg, matrix: str, role: UserRole
) -> None:
    assert _wrong_answers(stack, every_role, role, MATRICES[matrix]) == []
