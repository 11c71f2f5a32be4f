"""Which part of an org a tenant transaction sees: all of it, some houses, or one resident.

PostgreSQL enforces it (migration 0011): restrictive policies on residents, leads, admissions,
properties, houses, rooms, beds, bed stays, the waitlist, transfers, discharges, status
history, contacts and (for residents) invoices compare rows with the scope `set_tenant` writes
next to the org. A session's scope comes from its user's role assignments, resolved by the
same statement that resolves the session (`auth_resolve`); workflows, the seed and the CLI
act org-wide.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum


class ScopeKind(StrEnum):
    ORG = "org"
    HOUSES = "houses"
    RESIDENT = "resident"


@dataclass(frozen=True)
class Scope:
    kind: ScopeKind
    house_ids: tuple[uuid.UUID, ...] = ()
    property_ids: tuple[uuid.UUID, ...] = ()
    resident_id: uuid.UUID | None = None

    @classmethod
    def houses(cls, house_ids: tuple[uuid.UUID, ...], property_ids: tuple[uuid.UUID, ...] = ()) -> Scope:
        return cls(ScopeKind.HOUSES, tuple(house_ids), tuple(property_ids))

    @classmethod
    def resident(cls, resident_id: uuid.UUID | None) -> Scope:
        return cls(ScopeKind.RESIDENT, resident_id=resident_id)

    def settings(self) -> dict[str, str]:
        """The GUC values `set_tenant` writes (empty string: unset, which matches nothing)."""
        return {
            "scope": self.kind.value,
            "houses": _array(self.house_ids) if self.kind is ScopeKind.HOUSES else "",
            "properties": _array(self.property_ids) if self.kind is ScopeKind.HOUSES else "",
            "resident": str(self.resident_id) if self.kind is ScopeKind.RESIDENT and self.resident_id else "",
        }


def _array(ids: tuple[uuid.UUID, ...]) -> str:
    return "{" + ",".join(str(i) for i in ids) + "}"


ORG_WIDE = Scope(ScopeKind.ORG)
# What a principal holds before its scope is known: nothing of the scoped tables.
NOTHING = Scope(ScopeKind.HOUSES)
