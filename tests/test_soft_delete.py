"""Soft deletes: deleted rows leave the default query path, stay in the database for the
record, and free their unique names for reuse."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select, text

from core.audit_sealer import seal_pending
from core.db import tenant_session
from core.enums import HouseGender, PropertyType, UserRole
from models.orgs import House, Property
from tests.factories import OrgFactory


def _property(org_id: uuid.UUID, user_id: uuid.UUID | None = None) -> uuid.UUID:
    with tenant_session(org_id, user_id, actor_type="test") as s:
        p = Property(
            org_id=org_id,
            name="Maple St",
            property_type=PropertyType.SINGLE_FAMILY,
            address_line1="1 Maple St",
            city="Austin",
            state="TX",
            postal_code="78701",
        )
        s.add(p)
    return p.id


def test_deleted_rows_are_hidden_from_default_queries_but_kept(orgs: OrgFactory) -> None:
    org = orgs.create((UserRole.PROPERTY_MANAGER,))
    prop = _property(org.org_id)
    with tenant_session(org.org_id, actor_type="test") as s:
        keep = House(org_id=org.org_id, property_id=prop, name="Serenity", gender=HouseGender.MEN, capacity=8)
        gone = House(org_id=org.org_id, property_id=prop, name="Harbor", gender=HouseGender.WOMEN, capacity=6)
        s.add_all([keep, gone])
    with tenant_session(org.org_id, org.users[UserRole.PROPERTY_MANAGER]) as s:
        h = s.get(House, gone.id)
        assert h is not None
        h.deleted_at = datetime.now(UTC)
    seal_pending(org.org_id)
    with tenant_session(org.org_id, actor_type="test") as s:
        assert [h.name for h in s.scalars(select(House))] == ["Serenity"]
        assert s.scalars(select(House).where(House.id == gone.id)).first() is None
        everything = s.scalars(select(House).execution_options(include_deleted=True)).all()
        assert {h.name for h in everything} == {"Serenity", "Harbor"}
        row = s.execute(text("SELECT updated_by, deleted_at FROM houses WHERE id = :i"), {"i": gone.id}).one()
        assert row.deleted_at is not None and row.updated_by == org.users[UserRole.PROPERTY_MANAGER]
        actions = (
            s.execute(text("SELECT action FROM audit_logs WHERE entity_id = :i ORDER BY seq"), {"i": gone.id})
            .scalars()
            .all()
        )
        assert actions == ["create", "delete"]


def test_a_deleted_name_can_be_reused_but_a_live_one_cannot(orgs: OrgFactory) -> None:
    import pytest
    from sqlalchemy.exc import IntegrityError

    org = orgs.create((UserRole.PROPERTY_MANAGER,))
    prop = _property(org.org_id)
    with tenant_session(org.org_id, actor_type="test") as s:
        s.add(
            House(
                org_id=org.org_id,
                property_id=prop,
                name="Phoenix",
                gender=HouseGender.COED,
                capacity=4,
                deleted_at=datetime.now(UTC),
            )
        )
    with tenant_session(org.org_id, actor_type="test") as s:
        s.add(House(org_id=org.org_id, property_id=prop, name="Phoenix", gender=HouseGender.COED, capacity=4))
    with pytest.raises(IntegrityError, match="uq_houses_property_name_live"), tenant_session(org.org_id) as s:
        s.add(House(org_id=org.org_id, property_id=prop, name="Phoenix", gender=HouseGender.MEN, capacity=2))


def test_audit_columns_are_kept_by_the_database(orgs: OrgFactory) -> None:
    org = orgs.create((UserRole.PROPERTY_MANAGER, UserRole.HOUSE_MANAGER))
    pm, hm = org.users[UserRole.PROPERTY_MANAGER], org.users[UserRole.HOUSE_MANAGER]
    prop = _property(org.org_id, pm)
    with tenant_session(org.org_id, hm) as s:
        s.execute(
            text(
                "UPDATE properties SET name = 'Oak Grove', created_by = NULL, created_at = now() - "
                "interval '1 year' WHERE id = :i"
            ),
            {"i": prop},
        )
    with tenant_session(org.org_id) as s:
        row = s.execute(
            text("SELECT created_by, updated_by, created_at, updated_at FROM properties WHERE id = :i"),
            {"i": prop},
        ).one()
    assert (row.created_by, row.updated_by) == (pm, hm)
    assert row.updated_at > row.created_at
