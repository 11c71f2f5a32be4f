"""No caller can address another org's workflow: ids are built from the caller's org, so org B
naming org A's resource reaches a workflow id that does not exist, gets 404, and leaves A's
history untouched. Every route that reaches Temporal for an existing resource joins
WORKFLOW_ENDPOINTS; the guard test below fails when a new one has not."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute

import registry
from api.processes import processes
from core.enums import UserRole
from core.temporal import connect
from tests.consent.flows import family
from tests.factories import OrgFactory, SampleOrg


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # with {id} for the resource org A owns
    body: dict[str, Any] | None
    role: UserRole
    # Creates org A's resource through the API; returns (id, workflow id).
    make: Callable[[httpx.Client, SampleOrg], tuple[str, str]]
    param: str = "lead_id"  # the route's name for {id}
    own: str = "/v1/leads/{id}/intake"  # a read by which A's own caller still reaches it


def _lead(http: httpx.Client, org: SampleOrg) -> tuple[str, str]:
    r = http.post("/v1/leads", json={"first_name": "Aurelia", "last_name": "Castellanos"})
    assert r.status_code == 201, r.text
    return r.json()["id"], r.json()["workflow_id"]


def _admission(http: httpx.Client, org: SampleOrg) -> tuple[str, str]:
    from tests.admission.places import approved_lead, house

    layout = house(org.org_id, ["C-1"])
    r = http.post(
        "/v1/admissions",
        json={
            "lead_id": str(approved_lead(org.org_id)),
            "house_id": str(layout.house_id),
            "weekly_rate_cents": 20000,
        },
    )
    assert r.status_code == 201, r.text
    return r.json()["id"], r.json()["workflow_id"]


def _journey(method: str, action: str, body: dict[str, Any] | None) -> Endpoint:
    return Endpoint(
        method,
        f"/v1/admissions/{{id}}/{action}",
        body,
        UserRole.CASE_MANAGER,
        _admission,
        param="admission_id",
        own="/v1/admissions/{id}/journey",
    )


def _signature_request(http: httpx.Client, org: SampleOrg) -> tuple[str, str]:
    from tests.documents.factories import make_resident, template_id

    resident = make_resident(org.org_id)
    doc = http.post(
        "/v1/documents", json={"template_id": str(template_id(org.org_id)), "resident_id": str(resident)}
    )
    assert doc.status_code == 201, doc.text
    doc_id = doc.json()["id"]
    r = http.post(
        f"/v1/documents/{doc_id}/signature-request",
        json={"signers": [{"role": "resident", "resident_id": str(resident)}]},
    )
    assert r.status_code == 201, r.text
    return doc_id, r.json()["workflow_id"]


def _overdue_invoice(http: httpx.Client, org: SampleOrg) -> tuple[str, str]:
    """An overdue invoice whose ladder, started through the API, waits on a distant step."""
    from datetime import date, timedelta

    from tests.dunning.builders import billed_in

    far = [{"step": 1, "days_after_due": 3650, "action_type": "reminder_email"}]
    _, _, (invoice,), _, _ = billed_in(org.org_id, date.today() - timedelta(days=5), steps=far)
    r = http.post(f"/v1/dunning/invoices/{invoice}/start")
    assert r.status_code == 201, r.text
    return str(invoice), r.json()["workflow_id"]


def _dunning(path: str) -> Endpoint:
    own = "/v1/dunning/invoices/{id}/actions"
    return Endpoint("POST", path, None, UserRole.BILLING_SPECIALIST, _overdue_invoice, "invoice_id", own)


def _discharged_with_deposit(http: httpx.Client, org: SampleOrg) -> tuple[str, str]:
    from tests.billing.test_payers_and_deposits_api import discharged_with_deposit

    return discharged_with_deposit(http, org)


def _consent(http: httpx.Client, org: SampleOrg) -> tuple[str, str]:
    from tests.documents.factories import make_resident

    r = http.post(f"/v1/residents/{make_resident(org.org_id)}/consents", json=family())
    assert r.status_code == 201, r.text
    return r.json()["id"], r.json()["workflow_id"]


def _consenting_resident(http: httpx.Client, org: SampleOrg) -> tuple[str, str]:
    consent_id, wf_id = _consent(http, org)
    return http.get(f"/v1/consents/{consent_id}").json()["resident_id"], wf_id


def _consent_endpoint(action: str, body: dict[str, Any]) -> Endpoint:
    return Endpoint(
        "POST",
        f"/v1/consents/{{id}}/{action}",
        body,
        UserRole.CASE_MANAGER,
        _consent,
        "consent_id",
        "/v1/consents/{id}",
    )


def _breach(http: httpx.Client, org: SampleOrg) -> tuple[str, str]:
    from tests.breach.test_api import report

    incident, _, body = report(http, org)
    return incident, body["workflow_id"]


def _incident_assessment() -> dict[str, Any]:
    from tests.breach.flows import ASSESSMENT_JSON

    return {k: v for k, v in ASSESSMENT_JSON.items() if k != "notice"}


BREACH_ASSESSMENT = _incident_assessment()


def _incident(method: str, action: str, body: dict[str, Any] | None) -> Endpoint:
    own = "/v1/breaches/{id}"
    path = own + (f"/{action}" if action else "")
    return Endpoint(method, path, body, UserRole.COMPLIANCE_OFFICER, _breach, "incident_id", own)


def _access(http: httpx.Client, org: SampleOrg) -> tuple[str, str]:
    from tests.rights.test_api import ask

    request_id, body = ask(http, org)
    return request_id, body["workflow_id"]


def _access_request(method: str, action: str, body: dict[str, Any] | None) -> Endpoint:
    own = "/v1/access-requests/{id}"
    path = own + (f"/{action}" if action else "")
    return Endpoint(method, path, body, UserRole.COMPLIANCE_OFFICER, _access, "request_id", own)


def _access_resident(http: httpx.Client, org: SampleOrg) -> tuple[str, str]:
    from tests.breach.conftest import resident_in
    from tests.rights.test_api import ask

    resident = resident_in(org.org_id, "PA")
    _, body = ask(http, org, resident)
    return str(resident), body["workflow_id"]


def _amendment(http: httpx.Client, org: SampleOrg) -> tuple[str, str]:
    from tests.rights.test_api import amend

    request_id, body = amend(http, org)
    return request_id, body["workflow_id"]


def _amendment_request(method: str, action: str, body: dict[str, Any] | None) -> Endpoint:
    own = "/v1/amendment-requests/{id}"
    path = own + (f"/{action}" if action else "")
    return Endpoint(method, path, body, UserRole.COMPLIANCE_OFFICER, _amendment, "request_id", own)


def _amendment_resident(http: httpx.Client, org: SampleOrg) -> tuple[str, str]:
    from tests.breach.conftest import resident_in
    from tests.rights.test_api import amend

    resident = resident_in(org.org_id, "PA")
    _, body = amend(http, org, resident)
    return str(resident), body["workflow_id"]


def _accounting_request(http: httpx.Client, org: SampleOrg) -> tuple[str, str]:
    from tests.documents.factories import make_resident

    r = http.post(f"/v1/residents/{make_resident(org.org_id)}/accounting-requests", json={})
    assert r.status_code == 201, r.text
    return r.json()["id"], f"consent/{org.org_id}/{r.json()['id']}"


def _accounting_resident(http: httpx.Client, org: SampleOrg) -> tuple[str, str]:
    """A resident with a running accounting request: B asking for one for A's resident."""
    request_id, wf_id = _accounting_request(http, org)
    return http.get(f"/v1/accounting-requests/{request_id}").json()["resident_id"], wf_id


def _accounting(action: str, body: dict[str, Any] | None) -> Endpoint:
    return Endpoint(
        "POST",
        f"/v1/accounting-requests/{{id}}/{action}",
        body,
        UserRole.CASE_MANAGER,
        _accounting_request,
        "accounting_request_id",
        "/v1/accounting-requests/{id}",
    )


def _break_glass(http: httpx.Client, org: SampleOrg) -> tuple[str, str]:
    """An emergency access opened in org A; returns (resident, its review workflow)."""
    from tests.documents.factories import make_resident

    resident = make_resident(org.org_id)
    r = http.post(f"/v1/residents/{resident}/break-glass", json={"reason": "Found unresponsive"})
    assert r.status_code == 201, r.text
    return str(resident), r.json()["workflow_id"]


def _break_glass_event(http: httpx.Client, org: SampleOrg) -> tuple[str, str]:
    from tests.documents.factories import make_resident

    resident = make_resident(org.org_id)
    r = http.post(f"/v1/residents/{resident}/break-glass", json={"reason": "Found unresponsive"})
    assert r.status_code == 201, r.text
    return r.json()["id"], r.json()["workflow_id"]


def _patient_notice(http: httpx.Client, org: SampleOrg) -> tuple[str, str]:
    from tests.documents.factories import make_resident

    resident = make_resident(org.org_id)
    r = http.post(f"/v1/residents/{resident}/patient-notice")
    assert r.status_code == 201, r.text
    return str(resident), r.json()["workflow_id"]


def _stopped_webhook(http: httpx.Client, org: SampleOrg) -> tuple[str, str]:
    """A webhook endpoint whose workflow has ended (disabled), so its history stands still."""
    from tests.conftest import WEBHOOK_RECEIVER_PORT

    r = http.post(
        "/v1/webhooks",
        json={"url": f"http://127.0.0.1:{WEBHOOK_RECEIVER_PORT}/x", "event_types": ["lead.created.v1"]},
    )
    assert r.status_code == 201, r.text
    hook_id, wf_id = r.json()["id"], r.json()["workflow_id"]
    assert http.patch(f"/v1/webhooks/{hook_id}", json={"is_active": False}).status_code == 200

    asyncio.run(_until_closed(wf_id))
    return hook_id, wf_id


def _webhook(method: str, path: str, body: dict[str, Any] | None) -> Endpoint:
    own = "/v1/webhooks/{id}"
    return Endpoint(method, path, body, UserRole.ORG_OWNER, _stopped_webhook, "webhook_id", own)


SIGNERS = {"signers": [{"role": "resident", "resident_id": str(uuid.uuid4())}]}
SIGNING_OWN = "/v1/documents/{id}/signature-request"


def _today_run(http: httpx.Client, org: SampleOrg) -> tuple[str, str]:
    r = http.post("/v1/retention/runs")
    assert r.status_code == 201, r.text
    return r.json()["id"], r.json()["workflow_id"]


def _ops_pass(http: httpx.Client, org: SampleOrg) -> tuple[str, str]:
    from datetime import UTC, datetime, timedelta

    from tests.operations.places import living_resident, pa_house

    place = pa_house(org.org_id, None, ["P-1"])
    resident = living_resident(org.org_id, place.house_id)
    now = datetime.now(UTC)
    body = {
        "resident_id": str(resident),
        "pass_type": "day",
        "departs_at": now.isoformat(),
        "returns_at": (now + timedelta(hours=3)).isoformat(),
    }
    r = http.post("/v1/operations/passes", json=body)
    assert r.status_code == 201, r.text
    return r.json()["id"], r.json()["workflow_id"]


def _retention_run(action: str) -> Endpoint:
    own = "/v1/retention/runs/{id}"
    return Endpoint("POST", f"{own}/{action}", None, UserRole.COMPLIANCE_OFFICER, _today_run, "run_id", own)


async def _until_closed(wf_id: str) -> None:
    from temporalio.client import WorkflowExecutionStatus

    handle = (await connect()).get_workflow_handle(wf_id)
    for _ in range(300):
        if (await handle.describe()).status != WorkflowExecutionStatus.RUNNING:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the endpoint's workflow did not end")


# A week long past: its process rotates or checks, finds the week over and ends, so its history
# stands still while another org's caller knocks.
PAST_WEEK = {"week_start": str(date.today() - timedelta(days=date.today().weekday() + 28))}


def _house_week(action: str) -> Callable[[httpx.Client, SampleOrg], tuple[str, str]]:
    def make(http: httpx.Client, org: SampleOrg) -> tuple[str, str]:
        from tests.admission.places import house

        house_id = str(house(org.org_id, ["W-1"]).house_id)
        r = http.post(f"/v1/houses/{house_id}/{action}", json=PAST_WEEK)
        assert r.status_code == 201, r.text
        asyncio.run(_until_closed(r.json()["workflow_id"]))
        return house_id, r.json()["workflow_id"]

    return make


def _house_week_endpoint(action: str) -> Endpoint:
    own = "/v1/houses/{id}/chore-assignments"
    return Endpoint(
        "POST",
        f"/v1/houses/{{id}}/{action}",
        PAST_WEEK,
        UserRole.PROPERTY_MANAGER,
        _house_week(action),
        "house_id",
        own,
    )


def _ops_approved_pass(http: httpx.Client, org: SampleOrg) -> tuple[str, str]:
    pass_id, wf = _ops_pass(http, org)
    assert http.post(f"/v1/operations/passes/{pass_id}/decision", json={"approve": True}).status_code == 200
    return pass_id, wf


def _ops_incident(http: httpx.Client, org: SampleOrg) -> tuple[str, str]:
    from datetime import UTC, datetime

    from tests.operations.places import pa_house
    from workflows.operations import OPERATIONS

    place = pa_house(org.org_id, None, ["I-1"])
    body = {
        "house_id": str(place.house_id),
        "incident_type": "police",
        "severity": "medium",
        "occurred_at": datetime.now(UTC).isoformat(),
        "description": "Police called.",
        "police_involved": True,
    }
    r = http.post("/v1/operations/incidents", json=body)
    assert r.status_code == 201, r.text
    return r.json()["id"], OPERATIONS.id(org.org_id, r.json()["id"])


def _ops_resulted_test(http: httpx.Client, org: SampleOrg) -> tuple[str, str]:
    from datetime import UTC, datetime

    from tests.operations.places import living_resident, pa_house
    from workflows.operations import OPERATIONS

    place = pa_house(org.org_id, None, ["T-1"])
    resident = living_resident(org.org_id, place.house_id)
    now = datetime.now(UTC).isoformat()
    body = {"resident_id": str(resident), "test_type": "urine", "basis": "scheduled", "collected_at": now}
    r = http.post("/v1/operations/drug-tests", json=body)
    assert r.status_code == 201, r.text
    test_id = r.json()["id"]
    done = http.post(
        f"/v1/operations/drug-tests/{test_id}/result", json={"result": "negative", "resulted_at": now}
    )
    assert done.status_code == 200, done.text
    return test_id, OPERATIONS.id(org.org_id, test_id)


SAFETY = UserRole.EXECUTIVE_DIRECTOR
WORKFLOW_ENDPOINTS = [
    # House safety: passes, drug-test results, incidents.
    Endpoint(
        "POST",
        "/v1/operations/passes/{id}/decision",
        {"approve": True},
        SAFETY,
        _ops_pass,
        "pass_id",
        "/v1/operations/passes/{id}",
    ),
    Endpoint(
        "POST",
        "/v1/operations/passes/{id}/departure",
        None,
        SAFETY,
        _ops_approved_pass,
        "pass_id",
        "/v1/operations/passes/{id}",
    ),
    Endpoint(
        "POST",
        "/v1/operations/passes/{id}/return",
        None,
        SAFETY,
        _ops_approved_pass,
        "pass_id",
        "/v1/operations/passes/{id}",
    ),
    Endpoint(
        "POST",
        "/v1/operations/drug-tests/{id}/result",
        {"result": "negative", "resulted_at": "2026-12-06T10:00:00Z"},
        SAFETY,
        _ops_resulted_test,
        "test_id",
        "/v1/operations/drug-tests",
    ),
    Endpoint(
        "POST",
        "/v1/operations/incidents/{id}/state-report",
        None,
        SAFETY,
        _ops_incident,
        "incident_id",
        "/v1/operations/incidents/{id}",
    ),
    Endpoint(
        "POST",
        "/v1/residents/{id}/break-glass",
        {"reason": "Emergency"},
        UserRole.PEER_SUPPORT,
        _break_glass,
        "resident_id",
        "/v1/residents/{id}/record",
    ),
    Endpoint(
        "POST",
        "/v1/break-glass/{id}/review",
        {"outcome": "justified", "notes": "Reviewed"},
        UserRole.COMPLIANCE_OFFICER,
        _break_glass_event,
        "event_id",
        "/v1/break-glass/{id}",
    ),
    Endpoint(
        "POST",
        "/v1/residents/{id}/patient-notice",
        None,
        UserRole.CASE_MANAGER,
        _patient_notice,
        "resident_id",
        "/v1/residents/{id}/patient-notices",
    ),
    Endpoint("POST", "/v1/leads/{id}/decision", {"decision": "approve"}, UserRole.CASE_MANAGER, _lead),
    Endpoint("GET", "/v1/leads/{id}/intake", None, UserRole.CASE_MANAGER, _lead),
    _journey("GET", "journey", None),
    _journey("POST", "bed", {"bed_id": str(uuid.uuid4())}),
    _journey("POST", "waitlist", {}),
    _journey("POST", "offer", {"accept": True}),
    _journey("POST", "transfer", {"to_bed_id": str(uuid.uuid4())}),
    _journey("POST", "discharge", {"kind": "voluntary"}),
    _journey("POST", "unaccounted", {"since": "2026-11-20T21:00:00Z"}),
    Endpoint(
        "POST", SIGNING_OWN, SIGNERS, UserRole.HOUSE_MANAGER, _signature_request, "document_id", SIGNING_OWN
    ),
    Endpoint(
        "GET", SIGNING_OWN, None, UserRole.HOUSE_MANAGER, _signature_request, "document_id", SIGNING_OWN
    ),
    Endpoint(
        "POST",
        SIGNING_OWN + "/void",
        None,
        UserRole.HOUSE_MANAGER,
        _signature_request,
        "document_id",
        SIGNING_OWN,
    ),
    _consent_endpoint("revocation", {}),
    _consent_endpoint("expiry-event", {"event": "condition"}),
    Endpoint(
        "POST",
        "/v1/residents/{id}/consents",
        family(),
        UserRole.CASE_MANAGER,
        _consenting_resident,
        "resident_id",
        "/v1/residents/{id}/consents",
    ),
    _incident("GET", "", None),
    _incident("POST", "assessment", {**BREACH_ASSESSMENT, "decision": "not_notifiable"}),
    _incident("POST", "completions", {"obligation": "individuals"}),
    _incident("POST", "law-enforcement-delay", {"kind": "oral", "days": 5, "official": "Sgt. Example"}),
    _incident("POST", "close", None),
    _access_request("GET", "", None),
    _access_request("POST", "extension", {"reason": "Archived files"}),
    _access_request("POST", "fulfilment", None),
    _access_request(
        "POST",
        "denial",
        {"ground": "psychotherapy_notes", "explanation": "Notes", "contact": "Privacy officer"},
    ),
    Endpoint(
        "POST",
        "/v1/residents/{id}/access-requests",
        {},
        UserRole.COMPLIANCE_OFFICER,
        _access_resident,
        "resident_id",
        "/v1/residents/{id}",
    ),
    _amendment_request("GET", "", None),
    _amendment_request("POST", "extension", {"reason": "Waiting on the house log"}),
    _amendment_request("POST", "acceptance", None),
    _amendment_request(
        "POST",
        "denial",
        {"ground": "accurate_and_complete", "explanation": "Log", "contact": "Privacy officer"},
    ),
    _amendment_request("POST", "disagreement", {"statement": "I was not there"}),
    Endpoint(
        "POST",
        "/v1/residents/{id}/amendment-requests",
        {"details": "Correct it"},
        UserRole.COMPLIANCE_OFFICER,
        _amendment_resident,
        "resident_id",
        "/v1/residents/{id}",
    ),
    _dunning("/v1/dunning/invoices/{id}/start"),
    _dunning("/v1/dunning/invoices/{id}/write-off"),
    _webhook("PATCH", "/v1/webhooks/{id}", {"is_active": True}),
    _webhook("POST", "/v1/webhooks/{id}/replay", {"since": "2026-01-01T00:00:00Z"}),
    Endpoint(
        "POST",
        "/v1/billing/residents/{id}/deposit/settlement",
        {"deductions": [{"category": "damage", "amount_cents": 100, "reason": "Scratched door"}]},
        UserRole.BILLING_SPECIALIST,
        _discharged_with_deposit,
        "resident_id",
        "/v1/billing/residents/{id}/deposit",
    ),
    Endpoint(
        "POST",
        "/v1/residents/{id}/accounting-requests",
        {},
        UserRole.CASE_MANAGER,
        _accounting_resident,
        "resident_id",
        "/v1/residents/{id}/accounting-requests",
    ),
    _accounting("extension", {"reason": "Records are being retrieved."}),
    _accounting("fulfilment", None),
    # Retention (issue 21, part 4).
    _retention_run("confirm"),
    _retention_run("decline"),
    # House operations (issue 23): the house is the resource another org must not reach.
    _house_week_endpoint("chore-weeks"),
    _house_week_endpoint("meeting-checks"),
]


def _uses_processes(route: APIRoute) -> bool:
    stack = [route.dependant]
    while stack:
        dep = stack.pop()
        if dep.call is processes:
            return True
        stack.extend(dep.dependencies)
    return False


def test_every_route_that_reaches_a_workflow_is_in_the_cross_org_test() -> None:
    reaching = {
        (m, r.path)
        for router in registry.routers()
        for r in router.routes
        if isinstance(r, APIRoute) and _uses_processes(r) and "{" in r.path
        for m in r.methods or ()
    }
    listed = {(e.method, e.path.replace("{id}", "{" + e.param + "}")) for e in WORKFLOW_ENDPOINTS}
    assert reaching == listed


async def _history_length(workflow_id: str) -> int:
    client = await connect()
    return len((await client.get_workflow_handle(workflow_id).fetch_history()).events)


@pytest.mark.parametrize("endpoint", WORKFLOW_ENDPOINTS, ids=lambda e: f"{e.method} {e.path}")
def test_another_orgs_caller_gets_404_and_leaves_no_trace(
    stack: str, orgs: OrgFactory, endpoint: Endpoint
) -> None:
    a, b = orgs.create((endpoint.role,)), orgs.create((endpoint.role,))
    with httpx.Client(base_url=stack, headers=a.headers(endpoint.role), timeout=30) as http:
        resource_id, wf_id = endpoint.make(http, a)
    before = asyncio.run(_history_length(wf_id))
    with httpx.Client(base_url=stack, headers=b.headers(endpoint.role), timeout=30) as http:
        r = http.request(endpoint.method, endpoint.path.format(id=resource_id), json=endpoint.body)
        assert r.status_code == 404, r.text
        assert resource_id in r.json()["detail"] or "not found" in r.json()["detail"]
        # The same request for an id nobody has is indistinguishable.
        unknown = http.request(endpoint.method, endpoint.path.format(id=uuid.uuid4()), json=endpoint.body)
        assert unknown.status_code == 404
    assert asyncio.run(_history_length(wf_id)) == before
    with httpx.Client(base_url=stack, headers=a.headers(endpoint.role), timeout=30) as http:
        # A's own caller still reaches it.
        assert http.get(endpoint.own.format(id=resource_id)).status_code == 200
