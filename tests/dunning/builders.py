"""An org with a house, a house manager, and residents with e-mail addresses whose rent
invoices fall due on a chosen day; the dunning config set through the service."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select, update

from core.db import tenant_session
from core.enums import BillingFrequency, UserRole
from core.passwords import hash_password
from models.payments import Invoice
from models.residents import Resident
from services.billing import dunning_config, rates, rent
from services.billing.dunning_config import DEFAULT_STEPS, NewConfig, steps_of
from services.billing.rates import NewRate
from tests.billing.builders import HouseIds, admit, make_house
from tests.factories import OrgFactory, SampleOrg, add_user

RENT = 90_000


@dataclass(frozen=True)
class Billed:
    org: SampleOrg
    house: HouseIds
    resident_ids: list[uuid.UUID]
    invoice_ids: list[uuid.UUID]
    resident_emails: list[str]
    manager_email: str


def billed_org(orgs: OrgFactory, due: date, **kw: Any) -> Billed:
    """`billed_in` a new org with a billing specialist, a house manager and a property manager."""
    org = orgs.create((UserRole.BILLING_SPECIALIST, UserRole.HOUSE_MANAGER, UserRole.PROPERTY_MANAGER))
    return Billed(org, *billed_in(org.org_id, due, **kw))


def billed_in(
    org_id: uuid.UUID,
    due: date,
    residents: int = 1,
    house_name: str = "Maple House",
    steps: list[dict[str, Any]] | None = None,
    late_fee_cents: int = 2500,
    late_fee_cap_cents: int | None = 7500,
) -> tuple[HouseIds, list[uuid.UUID], list[uuid.UUID], list[str], str]:
    """`residents` residents, each with one open rent invoice of `RENT` cents due on `due`; a
    house manager assigned to the house; the org's default dunning config (`DEFAULT_STEPS`
    unless `steps` is given; steps=[] sets none). Returns (house, residents, invoices, resident
    e-mails, manager e-mail)."""
    house = make_house(org_id, beds=residents, name=house_name)
    with tenant_session(org_id, actor_type="test") as s:
        rates.create_rate(
            s,
            uuid.uuid4(),
            NewRate("Rent", RENT, BillingFrequency.MONTHLY, date(2020, 1, 1), house_id=house.house_id),
        )
    rids = admit(org_id, house, [(date(2024, 1, 1), None)] * residents)
    tag = uuid.uuid4().hex[:8]
    emails = [f"resident{n}.{tag}@example.test" for n in range(residents)]
    manager = f"manager.{tag}@example.test"
    with tenant_session(org_id, actor_type="test") as s:
        for rid, addr in zip(rids, emails, strict=True):
            r = s.get(Resident, rid)
            assert r is not None
            r.email = addr
        add_user(
            s,
            UserRole.HOUSE_MANAGER,
            house_id=house.house_id,
            org_id=org_id,
            email=manager,
            first_name="Hana",
            last_name="Keeper",
            password_hash=hash_password("x" * 12),
        )
    with tenant_session(org_id, actor_type="test") as s:
        rent.issue_rent_batch(s, due, None, 100)
    with tenant_session(org_id, actor_type="test") as s:
        # The rent run makes an invoice due on its run day or its period's first day: pin it.
        invoice_ids = [s.scalars(select(Invoice.id).where(Invoice.resident_id == rid)).one() for rid in rids]
        s.execute(
            update(Invoice)
            .where(Invoice.id.in_(invoice_ids))
            .values(due_date=due, issued_date=min(due, date.today()))
        )
    if steps != []:
        configure(org_id, steps or DEFAULT_STEPS, late_fee_cents, late_fee_cap_cents)
    return house, rids, invoice_ids, emails, manager


def configure(
    org_id: uuid.UUID,
    steps: list[dict[str, Any]],
    late_fee_cents: int = 2500,
    late_fee_cap_cents: int | None = 7500,
) -> None:
    with tenant_session(org_id, actor_type="test") as s:
        dunning_config.configure(
            s,
            uuid.uuid4(),
            NewConfig("Standard collections", steps_of(steps), None, 0, late_fee_cents, late_fee_cap_cents),
        )
