"""Staff send a document for signature over real HTTP; the signer uses the cookie-less signing
page (plain HTTP here, a real browser in test_browser.py); staff download the results."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx

from core.enums import UserRole
from services.signing.links import make_token, read_token
from tests.documents.factories import make_resident
from tests.factories import OrgFactory
from tests.signing.flows import STAFF, send_for_signature


def test_a_document_is_sent_signed_on_the_page_and_its_pdf_and_certificate_download(
    stack: str, orgs: OrgFactory
) -> None:
    org = orgs.create((STAFF,))
    with httpx.Client(base_url=stack, headers=org.headers(STAFF), timeout=60) as http:
        doc_id, path = send_for_signature(http, org)
        again = http.post(
            f"/v1/documents/{doc_id}/signature-request",
            json={"signers": [{"role": "resident", "resident_id": str(uuid.uuid4())}]},
            headers={"Idempotency-Key": f"send-{doc_id}"},
        )
        assert again.status_code == 422  # the same key with another body
        status = http.get(f"/v1/documents/{doc_id}/signature-request").json()
        assert status["status"] == "pending_signature" and status["signers"][0]["status"] == "pending"

    with httpx.Client(base_url=stack, timeout=60, headers={"User-Agent": "signer-phone/1.0"}) as page:
        opened = page.get(path)
        assert opened.status_code == 200, opened.text
        assert opened.headers["cache-control"] == "no-store"
        assert "frame-ancestors 'none'" in opened.headers["content-security-policy"]
        assert opened.headers["referrer-policy"] == "same-origin"
        assert "set-cookie" not in opened.headers
        assert "ESIGN" in opened.text and "Marisol Quintero-Baptiste" in opened.text
        foreign = page.post(
            path + "/consent", data={"esign_consent": "yes"}, headers={"Origin": "https://evil.example"}
        )
        assert foreign.status_code == 403
        opaque = page.post(path + "/consent", data={"esign_consent": "yes"}, headers={"Origin": "null"})
        assert opaque.status_code == 403
        consented = page.post(path + "/consent", data={"esign_consent": "yes"}, headers={"Origin": stack})
        assert consented.status_code == 303
        unread = page.post(
            path, data={"mode": "typed", "typed_signature": "Marisol Q"}, headers={"Origin": stack}
        )
        assert unread.status_code == 422 and "read the whole document" in unread.text
        signed = page.post(
            path,
            data={"read_confirmed": "yes", "mode": "typed", "typed_signature": "Marisol Quintero-Baptiste"},
            headers={"Origin": stack},
        )
        assert signed.status_code == 200, signed.text
        assert "you have signed" in signed.text
        # The same link, once used: the resident downloads their signed copy from it.
        second = page.get(path)
        assert second.status_code == 200 and "already been used to sign" in second.text
        assert f'href="{path}/signed.pdf"' in second.text
        copy = page.get(path + "/signed.pdf")
        assert copy.status_code == 200 and copy.content.startswith(b"%PDF-")
        assert copy.headers["cache-control"] == "no-store"

    with httpx.Client(base_url=stack, headers=org.headers(STAFF), timeout=60) as http:
        assert http.get(f"/v1/documents/{doc_id}/signature-request").json()["status"] == "signed"
        doc = http.get(f"/v1/documents/{doc_id}").json()
        assert doc["status"] == "signed" and [v["version_no"] for v in doc["versions"]] == [1, 2]
        # The residency agreement's retention runs from signing: seven years.
        assert doc["retention_until_date"][:4] == str(datetime.now(UTC).year + 7)
        pdf = http.get(f"/v1/documents/{doc_id}/signed.pdf")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
        assert copy.content == pdf.content  # the resident's copy is the signed document itself
        assert pdf.headers["cache-control"] == "no-store"
        cert = http.get(f"/v1/documents/{doc_id}/certificate.pdf")
        assert cert.status_code == 200 and cert.content.startswith(b"%PDF-")
        trail = http.get(f"/v1/documents/{doc_id}/certificate")
        assert trail.headers["cache-control"] == "no-store"
        assert doc["signed_sha256"] in trail.text and doc["versions"][0]["content_sha256"] in trail.text
        assert "signer-phone/1.0" in trail.text
        assert all(e in trail.text for e in ("sent", "viewed", "consented", "signed", "completed"))

        matched = http.post("/v1/documents/verify", files={"file": ("x.pdf", pdf.content, "application/pdf")})
        assert matched.status_code == 200
        assert matched.json() == {
            "sha256": doc["signed_sha256"],
            "matches": True,
            "document_id": doc_id,
            "version_no": 2,
        }
        altered = pdf.content.replace(b"Residency", b"Residencz", 1)
        other = http.post("/v1/documents/verify", files={"file": ("x.pdf", altered, "application/pdf")})
        assert other.json()["matches"] is False
        not_pdf = http.post("/v1/documents/verify", files={"file": ("x.pdf", b"hello", "application/pdf")})
        assert not_pdf.status_code == 422

        listed = http.get(f"/v1/residents/{doc['resident_id']}/documents")
        assert [(d["id"], d["status"]) for d in listed.json()] == [(doc_id, "signed")]
        assert listed.headers["cache-control"] == "no-store"
        assert [d["id"] for d in http.get("/v1/documents", params={"status": "signed"}).json()] == [doc_id]
        assert http.get("/v1/documents", params={"status": "nonsense"}).status_code == 422


def test_a_tampered_or_foreign_token_is_refused_without_a_lookup(stack: str, orgs: OrgFactory) -> None:
    a, b = orgs.create((STAFF,)), orgs.create((STAFF,))
    with httpx.Client(base_url=stack, headers=a.headers(STAFF), timeout=60) as http:
        _, path = send_for_signature(http, a)
    token = path.rsplit("/", 1)[1]
    flipped = token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:]
    relabelled = b.org_id.hex + token[32:]  # org B's id with A's MAC
    with httpx.Client(base_url=stack, timeout=30) as page:
        for bad in (flipped, relabelled, "not-a-token"):
            r = page.get(f"/sign/{bad}")
            assert r.status_code == 400 and "not valid" in r.text
            assert r.headers["cache-control"] == "no-store"


def test_an_expired_link_is_refused(stack: str, orgs: OrgFactory) -> None:
    org = orgs.create((STAFF,))
    with httpx.Client(base_url=stack, headers=org.headers(STAFF), timeout=60) as http:
        _, path = send_for_signature(http, org)
    link = read_token(path.rsplit("/", 1)[1], datetime.now(UTC))
    stale = make_token(
        link.org_id, link.document_id, link.signature_id, datetime.now(UTC) - timedelta(minutes=1)
    )
    with httpx.Client(base_url=stack, timeout=30) as page:
        r = page.get(f"/sign/{stale}")
        assert r.status_code == 410 and "expired" in r.text


def test_staff_void_a_request_and_its_link_stops_working(stack: str, orgs: OrgFactory) -> None:
    org = orgs.create((STAFF,))
    with httpx.Client(base_url=stack, headers=org.headers(STAFF), timeout=60) as http:
        doc_id, path = send_for_signature(http, org, witness=True)
        voided = http.post(f"/v1/documents/{doc_id}/signature-request/void")
        assert voided.status_code == 200, voided.text
        assert voided.json()["status"] == "voided"
        assert http.post(f"/v1/documents/{doc_id}/signature-request/void").status_code == 409
        assert http.get(f"/v1/documents/{doc_id}/signed.pdf").status_code == 404
    with httpx.Client(base_url=stack, timeout=30) as page:
        r = page.get(path)
        assert r.status_code == 410 and "closed" in r.text and "voided" in r.text


def test_bad_requests_are_4xx_naming_the_field(stack: str, orgs: OrgFactory) -> None:
    org = orgs.create((STAFF, UserRole.BILLING_SPECIALIST))
    with httpx.Client(base_url=stack, headers=org.headers(STAFF), timeout=60) as http:
        no_template = http.post(
            "/v1/documents",
            json={"template_id": str(uuid.uuid4()), "resident_id": str(make_resident(org.org_id))},
        )
        assert no_template.status_code == 404 and no_template.json()["field"] == "template_id"
        bad_id = http.post("/v1/documents", json={"template_id": "nope", "resident_id": str(uuid.uuid4())})
        assert bad_id.status_code == 422
        assert [e["field"] for e in bad_id.json()["errors"]] == ["template_id"]
        unknown_doc = http.post(
            f"/v1/documents/{uuid.uuid4()}/signature-request",
            json={"signers": [{"role": "resident", "resident_id": str(uuid.uuid4())}]},
        )
        assert unknown_doc.status_code == 404
        no_signers = http.post(f"/v1/documents/{uuid.uuid4()}/signature-request", json={"signers": []})
        assert no_signers.status_code == 422 and no_signers.json()["errors"][0]["field"] == "signers"
    billing = org.headers(UserRole.BILLING_SPECIALIST)
    with httpx.Client(base_url=stack, headers=billing, timeout=30) as http:
        assert http.get("/v1/document-templates").status_code == 403


def test_a_link_scanners_get_is_not_the_resident_viewing_the_document(stack: str, orgs: OrgFactory) -> None:
    """E-mail and SMS clients fetch links to scan or preview them: those GETs record nothing; the
    resident's first interaction (the consent step) records the view, then the consent."""
    org = orgs.create((STAFF,))
    with httpx.Client(base_url=stack, headers=org.headers(STAFF), timeout=60) as http:
        doc_id, path = send_for_signature(http, org)
        with httpx.Client(base_url=stack, timeout=60) as scanner:
            for agent in (
                "Mozilla/5.0 (compatible; SafeLinks)",
                "WhatsApp/2.23",
                "Slackbot-LinkExpanding 1.0",
            ):
                assert scanner.get(path, headers={"User-Agent": agent}).status_code == 200
        trail = http.get(f"/v1/documents/{doc_id}/certificate").text
        assert "viewed" not in trail and "consented" not in trail
        with httpx.Client(base_url=stack, timeout=60, headers={"User-Agent": "signer-phone/1.0"}) as page:
            consented = page.post(path + "/consent", data={"esign_consent": "yes"}, headers={"Origin": stack})
            assert consented.status_code == 303
        trail = http.get(f"/v1/documents/{doc_id}/certificate").text
        assert "viewed" in trail and "consented" in trail and "signer-phone/1.0" in trail
        assert "SafeLinks" not in trail and "WhatsApp" not in trail
