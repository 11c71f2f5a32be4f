"""Notifications to staff and residents by e-mail and text, from fixed templates that never
carry Part 2 information: no diagnosis, test, programme or treatment wording, no message
content, only that something is waiting and from which house ("You have a new message from
Cedar House. Sign in to read it."). A house name that would say what kind of place it is
becomes "your residence" (core/wording.py); tests check every template against the word list.

Who gets what is each user's `notification_preferences`: per channel and kind (or "*" for every
kind), quiet hours in the user's own time zone. Defaults: e-mail on, text off. A
non-essential kind (a new message, an announcement) goes only where the user left it on; an
essential one (a payment due, a document to sign) ignores opt-outs and goes by e-mail when the
user enabled nothing. During quiet hours nothing is sent: the plan says until when to wait.

`plan` / `plan_for` read (in a transaction); `deliver` sends, outside any, through the injected
notifier. Dunning's reminders and escalations go this way too (services/billing/dunning.py): their
e-mails carry the text dunning wrote (the invoice, the amount, the pay link, still no Part 2
wording), their texts the fixed template, and the recipients' preferences apply.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.enums import MessageChannel, UserStatus
from core.notify import Email, Notifier, Sms
from core.wording import neutral
from models.integrations import NotificationPreference
from models.orgs import House, Organization
from models.users import User

EVERY_KIND = "*"
FALLBACK_NAME = "your residence"


class Kind(StrEnum):
    MESSAGE_RECEIVED = "message.received"
    ANNOUNCEMENT = "announcement.published"
    PAYMENT_DUE = "payment.due"
    DOCUMENT_TO_SIGN = "document.to_sign"
    # House operations: a resident's weekly check fell short (to the house manager).
    WEEKLY_CHECK = "house.weekly_check"
    # Staff: a resident's payment is overdue (dunning's escalation to the house managers).
    PAYMENT_OVERDUE = "payment.overdue"
    # House safety: a pass overdue, a missed curfew, a recurrence, a state report due (staff).
    HOUSE_ATTENTION = "operations.attention"


@dataclass(frozen=True)
class Template:
    subject: str
    text: str  # "{house}" is the only placeholder
    essential: bool


TEMPLATES: dict[Kind, Template] = {
    Kind.MESSAGE_RECEIVED: Template(
        "You have a new message", "You have a new message from {house}. Sign in to read it.", False
    ),
    Kind.ANNOUNCEMENT: Template(
        "A new announcement", "{house} posted an announcement. Sign in to read it.", False
    ),
    Kind.PAYMENT_DUE: Template("A payment is due", "A payment to {house} is due. Sign in to see it.", True),
    Kind.DOCUMENT_TO_SIGN: Template(
        "A document to sign", "{house} sent you a document to sign. Sign in to see it.", True
    ),
    # House operations.
    Kind.WEEKLY_CHECK: Template(
        "A weekly check needs review",
        "A weekly check at {house} needs your review. Sign in to see it.",
        False,
    ),
    Kind.PAYMENT_OVERDUE: Template(
        "A payment is overdue", "A payment to {house} is overdue. Sign in to see it.", True
    ),
    Kind.HOUSE_ATTENTION: Template(
        "Something needs your attention",
        "Something at {house} needs your attention. Sign in to see it.",
        True,
    ),
}
CHANNELS = (MessageChannel.EMAIL, MessageChannel.SMS)
DEFAULT_ON = {MessageChannel.EMAIL: True, MessageChannel.SMS: False}


@dataclass(frozen=True)
class Outgoing:
    channel: MessageChannel
    to: str
    subject: str
    body: str
    # Stable per (key, channel): a retried send is recognisably the same message.
    message_id: str

    @property
    def ident(self) -> str:
        """This message among a plan's: what a retried activity skips once it went out."""
        return self.message_id if self.channel is MessageChannel.EMAIL else f"{self.message_id} {self.to}"


@dataclass(frozen=True)
class Recipient:
    """Someone to notify: a user, whose preferences apply, or an address with no account
    behind it (a resident who never signed up: e-mail only, as it is)."""

    user_id: uuid.UUID | None
    email: str | None
    phone: str | None = None


@dataclass(frozen=True)
class Written:
    """An e-mail its caller wrote (dunning's reminder: the invoice, the amount, the pay link),
    sent instead of the template's; a text keeps the template (short, no amounts)."""

    subject: str
    body: str
    message_id: str


@dataclass(frozen=True)
class Plan:
    messages: list[Outgoing]
    # Set when the user's quiet hours hold everything back: try again then.
    quiet_until: datetime | None = None


def render(kind: Kind, place: str | None) -> tuple[str, str]:
    t = TEMPLATES[kind]
    body = t.text.format(house=neutral(place, FALLBACK_NAME))
    return t.subject, body[:1].upper() + body[1:]


def quiet_until(row: NotificationPreference | None, at: datetime) -> datetime | None:
    """The end of the quiet hours `at` falls in (UTC), or None."""
    if row is None or row.quiet_start is None or row.quiet_end is None:
        return None
    try:
        zone = ZoneInfo(row.time_zone or "UTC")
    except ZoneInfoNotFoundError:
        zone = ZoneInfo("UTC")
    local = at.astimezone(zone)
    start, end, now = row.quiet_start, row.quiet_end, local.time()
    inside = start <= now < end if start <= end else (now >= start or now < end)
    if not inside:
        return None
    ends = datetime.combine(local.date(), end, tzinfo=zone)
    if ends <= local:
        ends = datetime.combine(local.date() + timedelta(days=1), end, tzinfo=zone)
    return ends.astimezone(UTC)


def plan(
    session: Session, user_id: uuid.UUID, kind: Kind, house_id: uuid.UUID | None, at: datetime, key: str
) -> Plan:
    """What to send `user_id` about `kind` now, by their preferences."""
    user = session.get(User, user_id)
    if user is None or user.deleted_at is not None or user.status != UserStatus.ACTIVE:
        return Plan([])
    return plan_for(session, [Recipient(user.id, user.email, user.phone)], kind, house_id, at, key)


def plan_for(
    session: Session,
    recipients: Sequence[Recipient],
    kind: Kind,
    house_id: uuid.UUID | None,
    at: datetime,
    key: str,
    written: Written | None = None,
) -> Plan:
    """What to send these recipients about `kind` now, each by their own preferences. While any
    of them is in quiet hours nothing is sent, and the plan says until when to wait (the latest
    end): one notice goes to all at once, so a retried send never repeats a part of it."""
    out: list[Outgoing] = []
    quiet: list[datetime] = []
    subject, body = render(kind, _place(session, house_id, session.info["actor"]["org_id"]))
    for r in recipients:
        rows = _rows(session, r.user_id) if r.user_id is not None else {}
        general = next((p for (_, k), p in sorted(rows.items()) if k == EVERY_KIND and p.quiet_start), None)
        until = quiet_until(general, at)
        if until is not None:
            quiet.append(until)
            continue
        for channel in _channels(rows, kind) if r.user_id is not None else [MessageChannel.EMAIL]:
            to = r.email if channel is MessageChannel.EMAIL else r.phone
            if not to:
                continue
            if channel is MessageChannel.EMAIL and written is not None:
                out.append(Outgoing(channel, to, written.subject, written.body, written.message_id))
            else:
                out.append(Outgoing(channel, to, subject, body, f"<notify-{key}-{channel.value}@recoveryos>"))
    if quiet:
        return Plan([], max(quiet))
    return Plan(out)


def _channels(
    rows: dict[tuple[MessageChannel, str], NotificationPreference], kind: Kind
) -> list[MessageChannel]:
    def enabled(channel: MessageChannel) -> bool:
        row = rows.get((channel, kind.value)) or rows.get((channel, EVERY_KIND))
        return row.enabled if row is not None else DEFAULT_ON[channel]

    channels = [c for c in CHANNELS if enabled(c)]
    if TEMPLATES[kind].essential and not channels:
        channels = [MessageChannel.EMAIL]
    return channels


def deliver(
    notifier: Notifier,
    messages: Sequence[Outgoing],
    done: Collection[str] = (),
    sent: Callable[[str], None] = lambda _ident: None,
) -> list[str]:
    """Send a plan's messages, outside any transaction: the e-mails of one Message-ID as one
    e-mail to all their addresses, each text on its own. Those in `done` (what an earlier try of
    the same activity already sent) are skipped; `sent` hears of each as it goes. Returns the
    Message-IDs of the e-mails sent now."""
    emails: dict[str, list[Outgoing]] = {}
    for m in messages:
        if m.channel is MessageChannel.EMAIL:
            emails.setdefault(m.message_id, []).append(m)
    out = []
    for message_id, group in emails.items():
        if message_id in done:
            continue
        first = group[0]
        to = tuple(sorted({m.to for m in group}))
        out.append(notifier.send_email(Email(to, first.subject, first.body, message_id)))
        sent(message_id)
    for m in messages:
        if m.channel is MessageChannel.SMS and m.ident not in done:
            notifier.send_sms(Sms(m.to, m.body))
            sent(m.ident)
    return out


def preferences(session: Session, user_id: uuid.UUID) -> list[NotificationPreference]:
    """The user's rows, by channel then kind."""
    return [r for _, r in sorted(_rows(session, user_id).items())]


def _rows(session: Session, user_id: uuid.UUID) -> dict[tuple[MessageChannel, str], NotificationPreference]:
    mine = select(NotificationPreference).where(NotificationPreference.user_id == user_id)
    return {(r.channel, r.event_type): r for r in session.scalars(mine)}


def _place(session: Session, house_id: uuid.UUID | None, org_id: uuid.UUID) -> str | None:
    house = session.get(House, house_id) if house_id else None
    if house is not None:
        return house.name
    org = session.get(Organization, org_id)
    return org.name if org is not None else None


@dataclass(frozen=True)
class Choice:
    channel: MessageChannel
    kind: str  # a Kind value or "*"
    enabled: bool


def set_preferences(
    session: Session,
    user_id: uuid.UUID,
    choices: list[Choice],
    time_zone: str | None,
    quiet: tuple[time, time] | None,
) -> list[NotificationPreference]:
    """Set the choices given (others stay); quiet hours and the time zone, on the "*" rows,
    are replaced."""
    existing = _rows(session, user_id)
    org_id = session.info["actor"]["org_id"]
    wanted = {(c.channel, c.kind): c.enabled for c in choices}
    for channel in CHANNELS:
        # Every channel keeps a "*" row (it carries the quiet hours): as it was, or the default.
        kept = existing.get((channel, EVERY_KIND))
        wanted.setdefault((channel, EVERY_KIND), kept.enabled if kept is not None else DEFAULT_ON[channel])
    out = []
    for (channel, kind), on in sorted(wanted.items()):
        row = existing.get((channel, kind))
        if row is None:
            row = NotificationPreference(
                id=uuid.uuid4(), org_id=org_id, user_id=user_id, channel=channel, event_type=kind
            )
            session.add(row)
        row.enabled = on
        if kind == EVERY_KIND:
            row.time_zone = time_zone
            row.quiet_start, row.quiet_end = quiet if quiet else (None, None)
        out.append(row)
    session.flush()
    return out
