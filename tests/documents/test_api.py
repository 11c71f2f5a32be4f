"""Documents over real HTTP: templates, creation from a template, uploads with their checks,
another org's documents, and Cache-Control on everything that carries content."""

from __future__ import annotations

import hashlib
import uuid

import httpx

from core.enums import UserRole
from tests.documents.factories import make_resident
from tests.factories import OrgFactory

STAFF = UserRole.CASE_MANAGER
PDF = b"%PDF-1.4\n% scanned identification\n%%EOF\n"


def test_staff_install_templates_and_render_one_for_a_resident(stack: str, orgs: OrgFactory) -> None:
    org = orgs.create((STAFF,))
    resident = make_resident(org.org_id, "Ingeborg", "Salazar-Whitfield")
    with httpx.Client(base_url=stack, headers=org.headers(STAFF), timeout=30) as http:
        assert http.get("/v1/document-templates").json() == []
        installed = http.post("/v1/document-templates/defaults").json()
        assert http.post("/v1/document-templates/defaults").json() == installed  # idempotent
        names = {t["name"] for t in installed}
        assert {"Residency agreement", "House rules", "Financial agreement", "Part 2 consent form"} <= names
        assert "Release of information" in names
        consent = next(t for t in installed if t["name"] == "Part 2 consent form")
        made = http.post("/v1/documents", json={"template_id": consent["id"], "resident_id": str(resident)})
        assert made.status_code == 201, made.text
        assert made.headers["cache-control"] == "no-store"
        doc = made.json()
        assert "Ingeborg Salazar-Whitfield" in doc["content"] and doc["status"] == "draft"
        assert doc["versions"][0]["version_no"] == 1 and len(doc["versions"][0]["content_sha256"]) == 64
        listed = http.get(f"/v1/residents/{resident}/documents").json()
        assert [d["id"] for d in listed] == [doc["id"]] and "content" not in listed[0]
        assert http.get(f"/v1/documents/{doc['id']}/signed.pdf").status_code == 404


def test_another_orgs_documents_and_residents_are_not_found(stack: str, orgs: OrgFactory) -> None:
    a, b = orgs.create((STAFF,)), orgs.create((STAFF,))
    resident = make_resident(a.org_id)
    with httpx.Client(base_url=stack, headers=a.headers(STAFF), timeout=30) as http:
        template = http.post("/v1/document-templates/defaults").json()[0]["id"]
        doc = http.post("/v1/documents", json={"template_id": template, "resident_id": str(resident)}).json()
    with httpx.Client(base_url=stack, headers=b.headers(STAFF), timeout=30) as http:
        for path in (
            f"/v1/documents/{doc['id']}",
            f"/v1/documents/{doc['id']}/certificate",
            f"/v1/residents/{resident}/documents",
        ):
            assert http.get(path).status_code == 404, path
        theirs = http.post("/v1/documents", json={"template_id": template, "resident_id": str(resident)})
        assert theirs.status_code == 404


def test_an_upload_is_stored_with_its_digest_and_refused_when_its_checks_fail(
    stack: str, orgs: OrgFactory
) -> None:
    org = orgs.create((STAFF,))
    resident = make_resident(org.org_id)
    with httpx.Client(base_url=stack, headers=org.headers(STAFF), timeout=30) as http:
        digest = hashlib.sha256(PDF).hexdigest()
        ok = http.post(
            "/v1/documents/files",
            files={"file": ("jdoe_state_id.pdf", PDF, "application/pdf")},
            data={"resident_id": str(resident), "sha256": digest},
        )
        assert ok.status_code == 201, ok.text
        assert ok.json()["sha256"] == digest and ok.json()["size_bytes"] == len(PDF)
        refusals = {
            "content_type": http.post(
                "/v1/documents/files", files={"file": ("x.pdf", b"MZ\x90\x00binary", "application/pdf")}
            ),
            "sha256": http.post(
                "/v1/documents/files",
                files={"file": ("x.pdf", PDF, "application/pdf")},
                data={"sha256": "0" * 64},
            ),
            "resident_id": http.post(
                "/v1/documents/files",
                files={"file": ("x.pdf", PDF, "application/pdf")},
                data={"resident_id": str(uuid.uuid4())},
            ),
        }
        assert refusals["content_type"].status_code == 422
        assert refusals["content_type"].json()["field"] == "content_type"
        assert refusals["sha256"].status_code == 422 and refusals["sha256"].json()["field"] == "sha256"
        assert refusals["resident_id"].status_code == 404
        assert refusals["resident_id"].json()["field"] == "resident_id"
