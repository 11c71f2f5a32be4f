"""Files, document templates, documents, versions and signatures."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from core.enums import (
    DocumentStatus,
    DocumentType,
    SignatureStatus,
)
from models.documents import Document, DocumentTemplate, RetentionPolicy, Signature
from models.documents_extended import DocumentVersion
from seed.context import Plan, SeedContext, day_at, day_of, on_day, sha
from seed.factories.documents import DocumentFactory

TEMPLATES = [
    # (name, type, version, active, signers)
    ("Residency agreement", DocumentType.RESIDENCY_AGREEMENT, 1, False, ["resident", "house_manager"]),
    ("Residency agreement", DocumentType.RESIDENCY_AGREEMENT, 2, True, ["resident", "house_manager"]),
    ("House rules", DocumentType.HOUSE_RULES, 1, True, ["resident"]),
    ("Part 2 consent to disclose", DocumentType.CONSENT_FORM, 1, True, ["resident"]),
    ("Payment agreement", DocumentType.PAYMENT_AGREEMENT, 1, True, ["resident", "billing_specialist"]),
]
RETENTION = [
    # (type, years, legal basis, counted from)
    (
        DocumentType.RESIDENCY_AGREEMENT,
        7,
        "State licensing rule: resident records 7 years after discharge",
        "discharge",
    ),
    (DocumentType.CONSENT_FORM, 6, "45 CFR 164.316(b)(2) and 42 CFR 2.31: 6 years", "expired"),
    (DocumentType.DISCHARGE_SUMMARY, 7, "State licensing rule: 7 years", "created"),
    (DocumentType.INCIDENT_REPORT, 7, "Insurance carrier requirement: 7 years", "created"),
    (DocumentType.HOUSE_RULES, 3, "Operational policy", "signed"),
]
# A document, its text, and the resident it is for (None: org-wide).
Written = tuple[Document, str, Plan | None]


def documents(ctx: SeedContext) -> None:
    _files(ctx)
    templates = _templates(ctx)
    for dtype, years, basis, frm in RETENTION:
        ctx.new(RetentionPolicy, document_type=dtype, retain_years=years, retain_from=frm, legal_basis=basis)
    ctx.flush()
    docs = _resident_documents(ctx, templates)
    docs += _house_rules(ctx, templates["House rules"])
    ctx.flush()
    ip = f"198.51.100.{ctx.rng.randint(2, 250)}"
    ctx.p(ip)
    for doc, body, dr in docs:
        ctx.new(
            DocumentVersion,
            document_id=doc.id,
            version_no=1,
            content=body,
            content_sha256=sha(body),
            file_upload_id=ctx.signed_pdfs[dr.id].id
            if dr is not None and doc.document_type is DocumentType.RESIDENCY_AGREEMENT
            else None,
            change_summary=ctx.p(f"Generated from template for {dr.person.full}") if dr is not None else None,
        )
        if dr is not None:
            _signatures(ctx, doc, body, dr, ip)
    ctx.flush()


def _files(ctx: SeedContext) -> None:
    """Everyone's ID scan, current residents' signed agreements, a damage photo."""

    def slug_of(r: Plan) -> str:
        return f"{r.person.first}_{r.person.last}".lower().replace("-", "_")

    ctx.id_scans = {}
    ctx.signed_pdfs = {}
    for r in ctx.residents:
        ctx.id_scans[r.id] = ctx.file(f"{slug_of(r)}_state_id_scan.pdf", "application/pdf", r)
        if r.current:
            ctx.signed_pdfs[r.id] = ctx.file(
                f"{slug_of(r)}_residency_agreement_signed.pdf", "application/pdf", r, part2=True
            )
    ctx.misc_file = ctx.file("kitchen_window_damage_photo.jpg", "image/jpeg", None)
    ctx.flush()


def _templates(ctx: SeedContext) -> dict[str, DocumentTemplate]:
    """The templates of `TEMPLATES`; returns the active ones by name."""
    active: dict[str, DocumentTemplate] = {}
    for name, dtype, version, is_active, signers in TEMPLATES:
        t = ctx.new(
            DocumentTemplate,
            name=name,
            document_type=dtype,
            description=f"{name}, version {version}",
            body_template=(
                f"{name}\n\nThis agreement is between {{{{ org.name }}}} and "
                "{{ resident.first_name }} {{ resident.last_name }}, effective {{ date }}."
            ),
            version=version,
            is_active=is_active,
            required_signers=signers,
            is_part2=dtype is not DocumentType.HOUSE_RULES,
        )
        if is_active:
            active[name] = t
    return active


def _resident_documents(ctx: SeedContext, templates: dict[str, DocumentTemplate]) -> list[Written]:
    """Each current resident's signed residency agreement and Part 2 consent."""
    ctx.consent_signatures = {}
    ctx.consent_docs = {}
    docs: list[Written] = []

    def signed(r: Plan, template: str, title: str, body: str, **more: Any) -> Document:
        doc = ctx.new(
            DocumentFactory.build,
            template=templates[template],
            resident_id=r.id,
            status=DocumentStatus.SIGNED,
            title=title,
            content=body,
            content_sha256=sha(body),
            **more,
        )
        docs.append((doc, body, r))
        return doc

    for r in ctx.residents:
        if not r.current:
            continue
        assert r.move_in is not None
        signed_at = on_day(r.move_in, 16)
        body = ctx.p(
            f"Residency agreement between {ctx.name} and {r.person.full} for {r.house.name}, "
            f"weekly rent ${r.weekly_rate / 100:.2f}, move-in {r.move_in.isoformat()}."
        )
        signed(
            r,
            "Residency agreement",
            "Residency agreement",
            body,
            file_upload_id=ctx.signed_pdfs[r.id].id,
            completed_at=signed_at + timedelta(hours=1),
            retention_until_date=day_of(7 * 365),
        )
        consent_body = ctx.p(
            f"I, {r.person.full}, authorize {ctx.name} to disclose attendance and drug screen results "
            f"to my treatment provider. Expires one year from signing."
        )
        ctx.consent_docs[r.id] = signed(
            r,
            "Part 2 consent to disclose",
            "Consent to disclose (42 CFR Part 2)",
            consent_body,
            completed_at=signed_at,
            expires_at=signed_at + timedelta(days=365),
        )
    return docs


def _house_rules(ctx: SeedContext, template: DocumentTemplate) -> list[Written]:
    """A pending house-rules acknowledgement and an org-wide draft."""
    pending_res = next(r for r in ctx.residents if r.current)
    rules_body = ctx.p(
        f"House rules acknowledgement for {pending_res.person.full}: curfew, chores, meetings, "
        f"random screening, visitors on weekends only."
    )
    pending_doc = ctx.new(
        DocumentFactory.build,
        template=template,
        resident_id=pending_res.id,
        status=DocumentStatus.PENDING_SIGNATURE,
        title="House rules acknowledgement",
        content=rules_body,
        expires_at=day_at(7, 17),
        is_part2=False,
    )
    posted = "House rules (posted copy): quiet hours 10pm to 7am; chores by Sunday evening."
    org_doc = ctx.new(
        Document,
        document_type=DocumentType.HOUSE_RULES,
        status=DocumentStatus.DRAFT,
        title="House rules (posted copy)",
        content=posted,
        is_part2=False,
    )
    return [(pending_doc, rules_body, pending_res), (org_doc, posted, None)]


def _signatures(ctx: SeedContext, doc: Document, body: str, dr: Plan, ip: str) -> None:
    """A signed document: the resident's signature (and the house manager's countersignature
    on an agreement); a pending one: the resident has opened the signing link."""
    if doc.status is not DocumentStatus.SIGNED:
        ctx.new(
            Signature,
            document_id=doc.id,
            signer_resident_id=dr.id,
            signer_role="resident",
            signer_name=dr.person.full,
            status=SignatureStatus.VIEWED,
            signing_token_hash=sha(secrets.token_urlsafe(32)),
            token_expires_at=day_at(7, 17),
            viewed_at=day_at(-1, 19),
        )
        return
    assert dr.move_in is not None
    signed_at = on_day(dr.move_in, 16)
    sig = ctx.new(
        Signature,
        document_id=doc.id,
        signer_resident_id=dr.id,
        signer_role="resident",
        signer_name=dr.person.full,
        signer_email=ctx.email_for(dr.person),
        status=SignatureStatus.SIGNED,
        signing_order=1,
        viewed_at=signed_at - timedelta(minutes=10),
        esign_consent_at=signed_at - timedelta(minutes=5),
        signed_at=signed_at,
        typed_signature=dr.person.full,
        ip_address=ip,
        user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X)",
        signed_content_sha256=sha(body),
    )
    if doc.document_type is DocumentType.CONSENT_FORM:
        ctx.consent_signatures[dr.id] = sig
        return
    ctx.new(
        Signature,
        document_id=doc.id,
        signer_user_id=ctx.house_manager.id,
        signer_role="house_manager",
        status=SignatureStatus.SIGNED,
        signing_order=2,
        signed_at=signed_at + timedelta(minutes=30),
        signed_content_sha256=sha(body),
    )


def signature_events(ctx: SeedContext) -> None:
    """A "signed" event per seeded signature and "completed" per signed document, written by
    the signing service as the SignatureRequest workflow writes them."""
    from sqlalchemy import select

    from core.contracts.signing import Evidence
    from services.signing.trail import record_event

    ctx.flush()
    signed = ctx.s.scalars(
        select(Signature).where(Signature.status == SignatureStatus.SIGNED).order_by(Signature.signed_at)
    ).all()
    for sig in signed:
        doc = ctx.s.get(Document, sig.document_id)
        assert doc is not None and sig.signed_at is not None
        ev = Evidence(sig.ip_address, sig.user_agent)
        record_event(ctx.s, doc, "signed", f"{sig.id}:signed", sig.signed_at, sig=sig, evidence=ev)
        ctx.counts["signature_events"] = ctx.counts.get("signature_events", 0) + 1
    for doc_id in sorted({sig.document_id for sig in signed}):
        doc = ctx.s.get(Document, doc_id)
        assert doc is not None
        record_event(ctx.s, doc, "completed", "completed", doc.completed_at or day_at(0))
        ctx.counts["signature_events"] += 1
