"""`cover(session, resident_id, request)` as other families call it (webhooks, the access
policy): in their own tenant transaction, it returns the covering consent or raises `Refused`
(a 409 `Conflict` with `.refusal` and `.field`), and writes nothing."""

from __future__ import annotations

import uuid

import pytest

from core.contracts.consent import InformationClass, Purpose, RecipientClass, RecipientKind, Refusal
from core.db import tenant_session
from core.enums import ConsentStatus
from core.errors import Conflict
from services.consent.coverage import DisclosureRequest, Refused, cover
from tests.consent.builders import make_consent
from tests.documents.factories import make_resident
from tests.factories import OrgFactory, SampleOrg

HIE = "Piedmont Health Information Exchange"


@pytest.fixture(scope="module")
def org(orgs: OrgFactory) -> SampleOrg:
    return orgs.create(())


def _ask(recipient: str, **fields: object) -> DisclosureRequest:
    values: dict[str, object] = {
        "recipient_class": RecipientClass.TREATING_PROVIDER,
        "information_classes": frozenset({InformationClass.DRUG_TESTS}),
        "purpose": Purpose.CARE_COORDINATION,
        "recipient": recipient,
    }
    values.update(fields)
    return DisclosureRequest(**values)  # type: ignore[arg-type]


def _cover(org: SampleOrg, resident: uuid.UUID, req: DisclosureRequest) -> uuid.UUID:
    with tenant_session(org.org_id, actor_type="test") as s:
        return cover(s, resident, req).id


def _refusal(org: SampleOrg, resident: uuid.UUID, req: DisclosureRequest) -> Refusal:
    with pytest.raises(Refused) as refused:
        _cover(org, resident, req)
    assert isinstance(refused.value, Conflict) and refused.value.status == 409
    assert refused.value.refusal.value in refused.value.message
    return refused.value.refusal


def test_an_intermediary_consent_covers_its_named_participants_only(org: SampleOrg) -> None:
    resident = make_resident(org.org_id)
    consent = make_consent(
        org.org_id,
        resident,
        recipient_kind=RecipientKind.INTERMEDIARY,
        recipient_name=HIE,
        recipient_organization=None,
        intermediary_participants="Mercy Family Practice; Dr. Ruth Abernethy\nEastside Pharmacy",
    )
    assert _cover(org, resident, _ask(HIE.lower())) == consent
    assert _cover(org, resident, _ask("dr. ruth  abernethy", intermediary=HIE)) == consent
    assert (
        _refusal(org, resident, _ask("Dr. Somebody Else", intermediary=HIE)) is Refusal.RECIPIENT_NOT_COVERED
    )
    assert _refusal(org, resident, _ask("Mercy Family Practice")) is Refusal.RECIPIENT_NOT_COVERED


def test_the_refusal_reported_is_the_closest_consents(org: SampleOrg) -> None:
    resident = make_resident(org.org_id)
    pending = make_consent(org.org_id, resident, status=ConsentStatus.PENDING, signed_at=None)
    make_consent(org.org_id, resident, recipient_name="Someone", recipient_organization="Elsewhere")
    provider = "Blue Ridge Intensive Outpatient Program"
    # The other consent only fails on its recipient; the pending one covers all but its signature.
    assert _refusal(org, resident, _ask(provider)) is Refusal.NOT_SIGNED
    assert _refusal(org, resident, _ask(provider, purpose=Purpose.EMPLOYMENT)) is Refusal.PURPOSE_NOT_COVERED
    assert _refusal(org, resident, _ask("Nobody")) is Refusal.RECIPIENT_NOT_COVERED
    # Asking for one consent judges that one only.
    assert _refusal(org, resident, _ask("Someone", consent_id=pending)) is Refusal.RECIPIENT_NOT_COVERED
    assert _refusal(org, resident, _ask(provider, consent_id=uuid.uuid4())) is Refusal.NO_CONSENT
    # Another resident's consents cover nothing of this one's.
    assert _refusal(org, make_resident(org.org_id), _ask(provider)) is Refusal.NO_CONSENT
