"""What dunning says and to whom: reminder and escalation e-mails, the resident and the house
managers as the notifier's recipients (services/notifications.py), and the wording guard. A
message names the house, the invoice, the amount and the pay link and nothing clinical (42 CFR
Part 2): `assert_no_part2_words` guards every message, and a house name that would say what
kind of place it is gives way to a neutral one (the word list: core/wording.py)."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.enums import UserRole, UserStatus

# Re-exported: dunning and its tests name them here.
from core.wording import PART2_WORDS as PART2_WORDS
from core.wording import neutral as neutral
from core.wording import part2_words_in as part2_words_in
from models.residents import Resident
from models.users import RoleAssignment, User
from services.billing.links import dollars
from services.notifications import Recipient


def assert_no_part2_words(text: str) -> None:
    found = part2_words_in(text)
    if found:
        raise ValueError(f"a dunning message may not contain {found}")


def resident_recipients(session: Session, resident_id: uuid.UUID) -> list[Recipient]:
    """The resident, at the address on their record (else their account's), with their
    account's preferences and phone when they have an account."""
    resident = session.get(Resident, resident_id)
    users = session.scalars(
        select(User)
        .where(User.resident_id == resident_id, User.deleted_at.is_(None), User.status == UserStatus.ACTIVE)
        .order_by(User.created_at, User.id)
    ).all()
    if resident is not None and resident.email:
        account = users[0] if users else None
        return [
            Recipient(account.id if account else None, resident.email, account.phone if account else None)
        ]
    return [Recipient(u.id, u.email, u.phone) for u in users if u.email or u.phone]


def house_manager_recipients(session: Session, house_id: uuid.UUID | None) -> list[Recipient]:
    """The house's own house managers, else the org-wide ones; each by their preferences."""
    return [Recipient(u.id, u.email, u.phone) for u in _house_managers(session, house_id)]


def _house_managers(session: Session, house_id: uuid.UUID | None) -> list[User]:
    """The house's own house managers with an e-mail address, else the org-wide ones."""
    for scope in ([house_id] if house_id else []) + [None]:
        target = RoleAssignment.house_id.is_(None) if scope is None else RoleAssignment.house_id == scope
        users = session.scalars(
            select(User)
            .join(RoleAssignment, RoleAssignment.user_id == User.id)
            .where(
                RoleAssignment.role == UserRole.HOUSE_MANAGER,
                RoleAssignment.deleted_at.is_(None),
                target,
                User.deleted_at.is_(None),
                User.status == UserStatus.ACTIVE,
            )
        ).all()
        found = sorted({u.id: u for u in users if u.email}.values(), key=lambda u: u.email or "")
        if found:
            return found
    return []


def reminder_text(
    house: str, number: str, owed_cents: int, due: date, pay_url: str, *, second: bool
) -> tuple[str, str]:
    subject = f"{'Second reminder' if second else 'Reminder'}: invoice {number} is past due"
    body = (
        f"Hello,\n\n"
        f"Invoice {number} for your housing at {house} was due on {due:%B %-d, %Y}. "
        f"{dollars(owed_cents)} is still outstanding.\n\n"
        f"You can pay securely online here:\n{pay_url}\n\n"
        f"If you have already paid, thank you, and please disregard this message. "
        f"If you have questions about this invoice, please speak with your house manager.\n\n"
        f"{house} billing\n"
    )
    return subject, body


def escalation_text(house: str, number: str, owed_cents: int, due: date, days: int) -> tuple[str, str]:
    subject = f"Past-due invoice {number} at {house}"
    body = (
        f"Hello,\n\n"
        f"Invoice {number} at {house} was due on {due:%B %-d, %Y} and is {days} days past due; "
        f"{dollars(owed_cents)} is outstanding. Reminders have gone out without a payment.\n\n"
        f"Please follow up with the resident in person, and sign in to see the invoice.\n\n"
        f"{house} billing\n"
    )
    return subject, body
