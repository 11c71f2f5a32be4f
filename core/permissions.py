"""The nine roles of a sober-living operator and what each may do.

The README's role table is generated from ROLE_PERMISSIONS (tests keep them in step).
"""

from __future__ import annotations

from enum import StrEnum

from core.enums import UserRole


class Perm(StrEnum):
    ORG_MANAGE = "org:manage"
    USERS_MANAGE = "users:manage"
    PROPERTY_READ = "property:read"
    PROPERTY_WRITE = "property:write"
    LEAD_READ = "lead:read"
    LEAD_WRITE = "lead:write"
    RESIDENT_READ = "resident:read"
    RESIDENT_WRITE = "resident:write"
    ADMISSION_MANAGE = "admission:manage"
    OPERATIONS_WRITE = "operations:write"
    CLINICAL_READ = "clinical:read"
    BILLING_READ = "billing:read"
    BILLING_WRITE = "billing:write"
    DOCUMENT_MANAGE = "document:manage"
    CONSENT_MANAGE = "consent:manage"
    COMPLIANCE_MANAGE = "compliance:manage"
    AUDIT_READ = "audit:read"
    CODEC_DECODE = "codec:decode"
    # Webhook endpoints and API keys: what leaves the system for other systems.
    INTEGRATIONS_MANAGE = "integrations:manage"
    # Open beds per house as counts (no names): staff, and referral partners' keys.
    AVAILABILITY_READ = "availability:read"
    SELF_SERVICE = "self:service"
    # Operator reports: rent roll, aging, deposits, collections, occupancy, outcomes, the
    # accounting export (money and counts across houses; a house-scoped holder sees its own).
    REPORTS_READ = "reports:read"


P = Perm
ROLE_PERMISSIONS: dict[UserRole, frozenset[Perm]] = {
    UserRole.ORG_OWNER: frozenset(Perm) - {P.SELF_SERVICE},
    UserRole.EXECUTIVE_DIRECTOR: frozenset(Perm) - {P.SELF_SERVICE, P.ORG_MANAGE, P.CODEC_DECODE},
    UserRole.PROPERTY_MANAGER: frozenset(
        {
            P.PROPERTY_READ,
            P.PROPERTY_WRITE,
            P.LEAD_READ,
            P.LEAD_WRITE,
            P.RESIDENT_READ,
            P.ADMISSION_MANAGE,
            P.OPERATIONS_WRITE,
            P.BILLING_READ,
            P.DOCUMENT_MANAGE,
        }
    ),
    # A house manager runs intake and move-ins for their own house: the scope policies
    # (migration 0011) keep both permissions to the houses they are assigned.
    UserRole.HOUSE_MANAGER: frozenset(
        {
            P.PROPERTY_READ,
            P.LEAD_READ,
            P.LEAD_WRITE,
            P.RESIDENT_READ,
            P.ADMISSION_MANAGE,
            P.OPERATIONS_WRITE,
            P.DOCUMENT_MANAGE,
        }
    ),
    UserRole.CASE_MANAGER: frozenset(
        {
            P.PROPERTY_READ,
            P.LEAD_READ,
            P.LEAD_WRITE,
            P.RESIDENT_READ,
            P.RESIDENT_WRITE,
            P.ADMISSION_MANAGE,
            P.OPERATIONS_WRITE,
            P.CLINICAL_READ,
            P.DOCUMENT_MANAGE,
            P.CONSENT_MANAGE,
        }
    ),
    UserRole.PEER_SUPPORT: frozenset({P.PROPERTY_READ, P.RESIDENT_READ, P.OPERATIONS_WRITE}),
    UserRole.BILLING_SPECIALIST: frozenset(
        {P.PROPERTY_READ, P.RESIDENT_READ, P.BILLING_READ, P.BILLING_WRITE}
    ),
    UserRole.COMPLIANCE_OFFICER: frozenset(
        {
            P.PROPERTY_READ,
            P.RESIDENT_READ,
            P.CLINICAL_READ,
            P.CONSENT_MANAGE,
            P.COMPLIANCE_MANAGE,
            P.AUDIT_READ,
            P.CODEC_DECODE,
            P.LEAD_READ,
        }
    ),
    UserRole.RESIDENT: frozenset({P.SELF_SERVICE}),
}

# Whoever may see the houses may see how many beds are open in them.
for _role, _perms in list(ROLE_PERMISSIONS.items()):
    if P.PROPERTY_READ in _perms:
        ROLE_PERMISSIONS[_role] = _perms | {P.AVAILABILITY_READ}

# Reports: the operator's managers and the billing specialist (owner and director hold every
# permission already).
for _role in (UserRole.PROPERTY_MANAGER, UserRole.BILLING_SPECIALIST):
    ROLE_PERMISSIONS[_role] = ROLE_PERMISSIONS[_role] | {P.REPORTS_READ}

# Roles that can read Part 2 data must prove a second factor (README "Security").
SECOND_FACTOR_ROLES = frozenset(
    r for r, perms in ROLE_PERMISSIONS.items() if perms & {Perm.CLINICAL_READ, Perm.CONSENT_MANAGE}
)

ROLE_TITLES: dict[UserRole, str] = {
    UserRole.ORG_OWNER: "Operator / owner",
    UserRole.EXECUTIVE_DIRECTOR: "Executive director",
    UserRole.PROPERTY_MANAGER: "Property (regional) manager",
    UserRole.HOUSE_MANAGER: "House manager",
    UserRole.CASE_MANAGER: "Case manager / intake coordinator",
    UserRole.PEER_SUPPORT: "Peer recovery support specialist",
    UserRole.BILLING_SPECIALIST: "Billing specialist",
    UserRole.COMPLIANCE_OFFICER: "Privacy & compliance officer",
    UserRole.RESIDENT: "Resident",
}


def permissions_for(roles: set[UserRole]) -> frozenset[Perm]:
    out: set[Perm] = set()
    for r in roles:
        out |= ROLE_PERMISSIONS[r]
    return frozenset(out)


def role_table_markdown() -> str:
    """The README's role table; tests/test_permissions.py keeps the README in step with it."""
    lines = ["| Role | Who in a sober-living operator | May |", "|---|---|---|"]
    for role, perms in ROLE_PERMISSIONS.items():
        may = ", ".join(f"`{p.value}`" for p in Perm if p in perms)
        lines.append(f"| `{role.value}` | {ROLE_TITLES[role]} | {may} |")
    return "\n".join(lines)
