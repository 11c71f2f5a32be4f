"""Disclosures over real HTTP: one under a covering consent writes one row and a package PDF
whose text carries the 2024 §2.32 statement word for word; every refusal is a 409 naming its
reason with nothing written; bad input is a 422 naming the field; another org's or another
house's resident is a 404."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from pypdf import PdfReader

from core.contracts.consent import NOTICE_TEXTS, ConsentKind, NoticeStatement, RecipientKind
from core.db import tenant_session
from core.enums import ConsentStatus, UserRole
from core.events import EventType
from models.compliance import Consent
from services.events import events_about
from tests.consent.builders import (
    PROVIDER,
    disclosure_body,
    disclosure_count,
    make_consent,
    revoke,
    tpo_consent,
)
from tests.documents.factories import make_document, make_resident
from tests.factories import OrgFactory, SampleOrg

STAFF = UserRole.CASE_MANAGER


def pdf_text(data: bytes) -> str:
    """The PDF's text with its line breaks undone, as a reader would quote it."""
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).split())


@pytest.fixture(scope="module")
def org(orgs: OrgFactory) -> SampleOrg:
    return orgs.create((STAFF,))


def _disclose(http: httpx.Client, resident: uuid.UUID, **fields: Any) -> httpx.Response:
    return http.post(f"/v1/residents/{resident}/disclosures", json=disclosure_body(**fields))


def test_a_disclosure_under_a_covering_consent_writes_one_row_and_a_package_with_the_2024_statement(
    stack: str, org: SampleOrg
) -> None:
    resident = make_resident(org.org_id, "Tamsin", "Oyelaran-Whitby")
    consent = make_consent(org.org_id, resident)
    with httpx.Client(base_url=stack, headers=org.headers(STAFF), timeout=60) as http:
        # The recipient as staff typed it: case and spacing differ from the consent's.
        made = _disclose(http, resident, recipient="  blue ridge   INTENSIVE outpatient program ")
        assert made.status_code == 201, made.text
        assert made.headers["cache-control"] == "no-store"
        d = made.json()
        assert (d["consent_id"], d["notice_statement"], d["notice_version"]) == (
            str(consent),
            "statement_1",
            "2024",
        )
        assert d["redisclosure_notice_included"] is True and d["consent_scope_copy"] == "copy_of_consent"
        assert disclosure_count(org.org_id, resident) == 1

        pdf = http.get(d["package_url"])
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
        assert pdf.headers["cache-control"] == "no-store"
        text = pdf_text(pdf.content)
        assert NOTICE_TEXTS[NoticeStatement.STATEMENT_1] in text
        assert "Drug test results, 2026-11-01 to 2026-11-30" in text
        assert "Copy of the consent" in text and "Tamsin Oyelaran-Whitby" in text

        # Statement 2, and the consent's scope explained rather than copied.
        short = _disclose(
            http, resident, notice_statement="statement_2", consent_scope_copy="scope_explanation"
        )
        assert short.status_code == 201, short.text
        text = pdf_text(http.get(short.json()["package_url"]).content)
        assert NOTICE_TEXTS[NoticeStatement.STATEMENT_2] in text
        assert "may revoke it in writing at any time" in text
        assert disclosure_count(org.org_id, resident) == 2

        listed = http.get(f"/v1/residents/{resident}/disclosures")
        assert [x["id"] for x in listed.json()] == [d["id"], short.json()["id"]]
        assert listed.headers["cache-control"] == "no-store"
        assert http.get(f"/v1/residents/{resident}/disclosures/{d['id']}").json()["id"] == d["id"]
    with tenant_session(org.org_id, actor_type="test") as s:
        assert events_about(s, uuid.UUID(d["id"])) == [EventType.DISCLOSURE_RECORDED]


def test_the_package_copies_the_signed_consent_form_when_the_consent_has_one(
    stack: str, org: SampleOrg
) -> None:
    resident = make_resident(org.org_id, "Oriel", "Vantongeren")
    document = make_document(org.org_id, resident, "Part 2 consent form")
    make_consent(org.org_id, resident, document_id=document)
    with httpx.Client(base_url=stack, headers=org.headers(STAFF), timeout=60) as http:
        made = _disclose(http, resident)
        assert made.status_code == 201, made.text
        text = pdf_text(http.get(made.json()["package_url"]).content)
    assert "Consent for the disclosure of substance use disorder records (42 CFR Part 2)" in text
    assert "I, Oriel Vantongeren, authorise" in text


def test_a_repeated_idempotency_key_answers_with_the_first_disclosure(stack: str, org: SampleOrg) -> None:
    resident = make_resident(org.org_id)
    make_consent(org.org_id, resident)
    key = {"Idempotency-Key": f"disclose-{resident}"}
    with httpx.Client(base_url=stack, headers=org.headers(STAFF), timeout=60) as http:
        first = http.post(f"/v1/residents/{resident}/disclosures", json=disclosure_body(), headers=key)
        again = http.post(f"/v1/residents/{resident}/disclosures", json=disclosure_body(), headers=key)
        other = http.post(
            f"/v1/residents/{resident}/disclosures", json=disclosure_body(method="fax"), headers=key
        )
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert other.status_code == 422 and other.json()["field"] == "Idempotency-Key"
    assert disclosure_count(org.org_id, resident) == 1


def _expired(org_id: uuid.UUID, resident: uuid.UUID) -> None:
    # Past its date but not yet marked by the lifecycle: expired all the same.
    make_consent(org_id, resident, expires_at=datetime.now(UTC) - timedelta(minutes=1))


def _restricted(org_id: uuid.UUID, resident: uuid.UUID) -> None:
    from models.part2 import DisclosureRestriction

    make_consent(org_id, resident)
    now = datetime.now(UTC)
    with tenant_session(org_id, actor_type="test") as s:
        s.add(
            DisclosureRestriction(
                org_id=org_id,
                resident_id=resident,
                requested_at=now,
                recipient=PROVIDER.upper(),
                status="granted",
                decided_at=now,
            )
        )


REFUSALS: list[tuple[str, Any, dict[str, Any], str]] = [
    ("no_consent", lambda o, r: None, {}, "consent_id"),
    (
        "not_signed",
        lambda o, r: make_consent(o, r, status=ConsentStatus.PENDING, signed_at=None),
        {},
        "consent_id",
    ),
    ("expired", _expired, {}, "consent_id"),
    ("expired", lambda o, r: make_consent(o, r, status=ConsentStatus.EXPIRED), {}, "consent_id"),
    ("revoked", lambda o, r: revoke(o, make_consent(o, r)), {}, "consent_id"),
    ("recipient_not_covered", make_consent, {"recipient": "Blue Ridge Outpatient"}, "recipient"),
    (
        "information_not_covered",
        make_consent,
        {"information_classes": ["drug_tests", "medications"]},
        "information_classes",
    ),
    ("purpose_not_covered", make_consent, {"purpose": "employment"}, "purpose"),
    ("restricted", _restricted, {}, "restriction"),
    # Counseling notes only under a counseling-notes consent, even a TPO one naming everything.
    (
        "information_not_covered",
        tpo_consent,
        {"information_classes": ["counseling_notes"]},
        "information_classes",
    ),
    # Records for proceedings against the patient only under a legal-proceedings consent.
    ("purpose_not_covered", tpo_consent, {"purpose": "legal_proceedings"}, "purpose"),
    (
        "recipient_not_covered",
        tpo_consent,
        {"recipient_class": "family", "recipient": "Dana Whitby"},
        "recipient",
    ),
]


@pytest.mark.parametrize(
    ("reason", "given", "change", "field"), REFUSALS, ids=[f"{r[0]}-{n}" for n, r in enumerate(REFUSALS)]
)
def test_a_disclosure_that_no_consent_covers_is_refused_naming_why_and_nothing_is_written(
    stack: str, org: SampleOrg, reason: str, given: Any, change: dict[str, Any], field: str
) -> None:
    resident = make_resident(org.org_id)
    given(org.org_id, resident)
    with httpx.Client(base_url=stack, headers=org.headers(STAFF), timeout=60) as http:
        refused = _disclose(http, resident, **change)
    assert refused.status_code == 409, refused.text
    problem = refused.json()
    assert reason in problem["detail"] and problem["field"] == field
    assert refused.headers["cache-control"] == "no-store"
    assert disclosure_count(org.org_id, resident) == 0


def test_the_refusal_is_the_closest_consents_revoked_rather_than_another_consents_recipient(
    stack: str, org: SampleOrg
) -> None:
    resident = make_resident(org.org_id)
    revoke(org.org_id, make_consent(org.org_id, resident))
    make_consent(org.org_id, resident, recipient_name="Dr. Other", recipient_organization="Elsewhere Clinic")
    with httpx.Client(base_url=stack, headers=org.headers(STAFF), timeout=60) as http:
        refused = _disclose(http, resident)
        # Naming a consent asks that consent only.
        named = _disclose(http, resident, consent_id=str(uuid.uuid4()))
    assert refused.status_code == 409 and "revoked" in refused.json()["detail"]
    assert named.status_code == 409 and "no_consent" in named.json()["detail"]
    assert disclosure_count(org.org_id, resident) == 0


def test_tpo_and_intermediary_consents_cover_what_they_say(stack: str, org: SampleOrg) -> None:
    resident = make_resident(org.org_id)
    tpo = tpo_consent(org.org_id, resident)
    hie = make_consent(
        org.org_id,
        resident,
        kind=ConsentKind.SPECIFIC_PURPOSE,
        recipient_kind=RecipientKind.INTERMEDIARY,
        recipient_name="Carolina Health Information Exchange",
        recipient_organization=None,
        treating_providers_only=True,
        purposes=["care_coordination"],
    )
    with httpx.Client(base_url=stack, headers=org.headers(STAFF), timeout=60) as http:
        paid = _disclose(
            http, resident, recipient="Acme Health Plan", recipient_class="health_plan", purpose="payment"
        )
        through = _disclose(
            http,
            resident,
            recipient="Dr. Wen Calloway",
            intermediary="carolina health  information exchange",
            purpose="care_coordination",
        )
        not_a_provider = _disclose(
            http,
            resident,
            recipient="Dana Whitby",
            recipient_class="family",
            intermediary="Carolina Health Information Exchange",
            purpose="care_coordination",
        )
    assert paid.status_code == 201 and paid.json()["consent_id"] == str(tpo)
    assert through.status_code == 201 and through.json()["consent_id"] == str(hie)
    assert not_a_provider.status_code == 409 and "recipient_not_covered" in not_a_provider.json()["detail"]
    assert disclosure_count(org.org_id, resident) == 2


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"recipient": None}, "recipient"),
        ({"recipient": "   "}, "recipient"),
        ({"recipient_class": "neighbour"}, "recipient_class"),
        ({"information_classes": ["horoscope"]}, "information_classes.0"),
        ({"information_classes": []}, "information_classes"),
        ({"description": None}, "description"),
        ({"purpose": "curiosity"}, "purpose"),
        ({"method": "carrier_pigeon"}, "method"),
        # Only the 2024 texts exist: the pre-2024 notice cannot be chosen.
        ({"notice_statement": "pre_2024"}, "notice_statement"),
        ({"consent_id": "not-a-uuid"}, "consent_id"),
    ],
)
def test_bad_input_is_a_422_naming_the_field_and_nothing_is_written(
    stack: str, org: SampleOrg, change: dict[str, Any], field: str
) -> None:
    resident = make_resident(org.org_id)
    make_consent(org.org_id, resident)
    body = {k: v for k, v in disclosure_body(**change).items() if v is not None}
    with httpx.Client(base_url=stack, headers=org.headers(STAFF), timeout=60) as http:
        bad = http.post(f"/v1/residents/{resident}/disclosures", json=body)
    assert bad.status_code == 422, bad.text
    assert bad.json()["field"] == field
    assert disclosure_count(org.org_id, resident) == 0


def test_another_orgs_resident_is_a_404_and_nothing_is_written(
    stack: str, orgs: OrgFactory, org: SampleOrg
) -> None:
    theirs = orgs.create((STAFF,))
    resident = make_resident(theirs.org_id)
    make_consent(theirs.org_id, resident)
    with httpx.Client(base_url=stack, headers=org.headers(STAFF), timeout=60) as http:
        made = _disclose(http, resident)
        listed = http.get(f"/v1/residents/{resident}/disclosures")
    assert (made.status_code, made.json()["field"]) == (404, "resident_id")
    assert listed.status_code == 404
    assert disclosure_count(theirs.org_id) == 0
    with httpx.Client(base_url=stack, headers=theirs.headers(STAFF), timeout=60) as http:
        mine = _disclose(http, resident)
        assert mine.status_code == 201
    with httpx.Client(base_url=stack, headers=org.headers(STAFF), timeout=60) as http:
        package = http.get(f"/v1/residents/{resident}/disclosures/{mine.json()['id']}/package.pdf")
        assert package.status_code == 404


def test_another_houses_resident_is_a_404_for_a_house_scoped_consent_manager(
    stack: str, orgs: OrgFactory
) -> None:
    from tests.factories import add_user
    from tests.scope.world import build_side

    org = orgs.create((STAFF,))
    alder, beech = build_side(org.org_id, "Alder"), build_side(org.org_id, "Beech")
    with tenant_session(org.org_id, actor_type="test") as s:
        user = add_user(
            s,
            STAFF,
            house_id=alder.house_id,
            org_id=org.org_id,
            email=f"scoped.{org.org_id.hex[:8]}@example.test",
            first_name="Scoped",
            last_name="Casemanager",
            password_hash=_password_hash(),
        )
        assert user.email is not None
        scoped = SampleOrg(org.org_id, org.slug, {STAFF: user.id}, {STAFF: user.email})
    for side in (alder, beech):
        make_consent(org.org_id, side.active)
    with httpx.Client(base_url=stack, headers=scoped.headers(STAFF), timeout=60) as http:
        own = _disclose(http, alder.active)
        other = _disclose(http, beech.active)
    assert own.status_code == 201, own.text
    assert (other.status_code, other.json()["field"]) == (404, "resident_id")
    assert disclosure_count(org.org_id, beech.active) == 0


def _password_hash() -> str:
    from core.passwords import hash_password
    from tests.factories import PASSWORD

    return hash_password(PASSWORD)


def test_a_consent_revoked_after_disclosures_keeps_them_and_refuses_the_next(
    stack: str, org: SampleOrg
) -> None:
    resident = make_resident(org.org_id)
    consent = make_consent(org.org_id, resident)
    with httpx.Client(base_url=stack, headers=org.headers(STAFF), timeout=60) as http:
        assert _disclose(http, resident).status_code == 201
        revoke(org.org_id, consent)
        refused = _disclose(http, resident)
        assert refused.status_code == 409 and "revoked" in refused.json()["detail"]
        # Disclosures made in reliance on it stay recorded.
        assert len(http.get(f"/v1/residents/{resident}/disclosures").json()) == 1
    with tenant_session(org.org_id, actor_type="test") as s:
        c = s.get(Consent, consent)
        assert c is not None and c.status is ConsentStatus.REVOKED


def test_counseling_notes_and_legal_proceedings_each_go_only_under_a_consent_of_their_own(
    stack: str, org: SampleOrg
) -> None:
    resident = make_resident(org.org_id)
    tpo_consent(org.org_id, resident, recipient_classes=["treating_provider", "criminal_justice"])
    notes = make_consent(
        org.org_id, resident, kind=ConsentKind.COUNSELING_NOTES, information_classes=["counseling_notes"]
    )
    court = make_consent(
        org.org_id,
        resident,
        kind=ConsentKind.LEGAL_PROCEEDINGS,
        recipient_name="Clerk of Court",
        recipient_organization="Buncombe County District Court",
        purposes=["legal_proceedings"],
    )
    with httpx.Client(base_url=stack, headers=org.headers(STAFF), timeout=60) as http:
        noted = _disclose(http, resident, information_classes=["counseling_notes"])
        mixed = _disclose(http, resident, information_classes=["counseling_notes", "drug_tests"])
        filed = _disclose(
            http,
            resident,
            recipient="buncombe county district court",
            recipient_class="criminal_justice",
            purpose="legal_proceedings",
        )
    assert noted.status_code == 201 and noted.json()["consent_id"] == str(notes)
    assert mixed.status_code == 409 and "information_not_covered" in mixed.json()["detail"]
    assert filed.status_code == 201 and filed.json()["consent_id"] == str(court)
    assert disclosure_count(org.org_id, resident) == 2
