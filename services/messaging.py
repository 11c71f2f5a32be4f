"""Conversations between staff and residents, and announcements to a house, a property or the
org: plain functions over the caller's tenant transaction, shared by the staff API, the
resident's pages and the seed.

Who sees what is the database's business (migration 0028): a resident's session sees the
conversations they are a current member of and the announcements of their own house; a house
manager's session sees their houses' conversations and those they belong to. These functions
therefore only ever read "what the caller can see"; an id outside it is a NotFound, the same
404 as an id that does not exist.

Bodies and subjects are encrypted at rest (models/messaging.py). Nothing here sends anything:
`post` returns whom to notify, and the route starts the notification workflow after commit.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from core.enums import AnnouncementAudience, ConversationType, MessageChannel, Priority, UserStatus
from core.errors import NotFound, Rejected
from core.events import EventType
from core.filestore import sha256
from core.scope import Scope, ScopeKind
from models.files import FileUpload
from models.messaging import Announcement, Conversation, ConversationMember, Message
from models.messaging_extended import AnnouncementRead
from models.orgs import House, Property
from models.residents import Resident
from models.users import User
from services.events import emit

MAX_BODY = 5000
# The audiences a house- or property-scoped author may address (their own places).
PLACES = (AnnouncementAudience.HOUSE, AnnouncementAudience.PROPERTY)
MAX_MEMBERS = 12  # "small groups": a house meeting's worth of people, not a mailing list
MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
# Declared type -> the first bytes its content must start with.
ATTACHMENT_TYPES: dict[str, bytes] = {
    "application/pdf": b"%PDF-",
    "image/png": b"\x89PNG\r\n\x1a\n",
    "image/jpeg": b"\xff\xd8\xff",
}


def _org(session: Session) -> uuid.UUID:
    org_id: uuid.UUID = session.info["actor"]["org_id"]
    return org_id


def _body(text: str, field: str = "body") -> str:
    text = (text or "").strip()
    if not text:
        raise Rejected("write a message first", field=field)
    if len(text) > MAX_BODY:
        raise Rejected(f"at most {MAX_BODY} characters", field=field)
    return text


# --- conversations ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Recipients:
    """Whom a new message notifies (ids only) and the house whose name the notice carries."""

    message_id: uuid.UUID
    conversation_id: uuid.UUID
    user_ids: list[uuid.UUID]
    house_id: uuid.UUID | None


def _member_users(session: Session, user_ids: list[uuid.UUID]) -> list[User]:
    users = []
    for uid in dict.fromkeys(user_ids):
        u = session.get(User, uid)
        if u is None or u.deleted_at is not None or u.status is not UserStatus.ACTIVE:
            raise NotFound("no such active user", field="member_user_ids")
        if u.resident_id is not None and session.get(Resident, u.resident_id) is None:
            # A resident outside the caller's houses: the same 404 as no such user.
            raise NotFound("no such active user", field="member_user_ids")
        users.append(u)
    return users


def start(
    session: Session,
    by: uuid.UUID,
    member_user_ids: list[uuid.UUID],
    subject: str | None,
    first_message: str,
    conversation_id: uuid.UUID | None = None,
) -> tuple[Conversation, Recipients]:
    """A one-to-one (one other member) or small group conversation started by staff, with its
        first message. It belongs to the house of the first resident in it, so house-scoped staff of
        that house see it; a staff-only conversation belongs to no house (its members see it), unless
    its author's role is limited to houses."""
    others = [u for u in _member_users(session, member_user_ids) if u.id != by]
    if not others:
        raise Rejected("name at least one other person", field="member_user_ids")
    if len(others) + 1 > MAX_MEMBERS:
        raise Rejected(f"at most {MAX_MEMBERS} people in a conversation", field="member_user_ids")
    body = _body(first_message, "body")
    if subject is not None and len(subject) > 200:
        raise Rejected("at most 200 characters", field="subject")
    house_id = None
    for u in others:
        if u.resident_id is not None:
            r = session.get(Resident, u.resident_id)
            house_id = r.current_house_id if r is not None else None
            if house_id is not None:
                break
    scope: Scope | None = session.info.get("scope")
    if house_id is None and scope is not None and scope.kind is ScopeKind.HOUSES:
        # A house-scoped author's staff-only conversation belongs to their (first) house: the
        # database lets them write only rows of their houses.
        if not scope.house_ids:
            raise Rejected("your role covers no house to talk in", field="member_user_ids")
        house_id = scope.house_ids[0]
    conv = Conversation(
        id=conversation_id or uuid.uuid4(),
        org_id=_org(session),
        conversation_type=ConversationType.DIRECT if len(others) == 1 else ConversationType.GROUP,
        subject=(subject or "").strip() or None,
        house_id=house_id,
    )
    session.add(conv)
    session.flush()
    now = datetime.now(UTC)
    for uid in [by, *(u.id for u in others)]:
        session.add(
            ConversationMember(
                org_id=conv.org_id, conversation_id=conv.id, user_id=uid, joined_at=now, last_read_at=None
            )
        )
    session.flush()
    return conv, post(session, conv.id, by, body)


def get(session: Session, conversation_id: uuid.UUID) -> Conversation:
    conv = session.get(Conversation, conversation_id)
    if conv is None or conv.deleted_at is not None:
        raise NotFound("conversation not found", field="conversation_id")
    return conv


def _membership(
    session: Session, conversation_id: uuid.UUID, user_id: uuid.UUID
) -> ConversationMember | None:
    return session.scalar(
        select(ConversationMember).where(
            ConversationMember.conversation_id == conversation_id,
            ConversationMember.user_id == user_id,
            ConversationMember.left_at.is_(None),
        )
    )


def post(
    session: Session,
    conversation_id: uuid.UUID,
    sender: uuid.UUID,
    body: str,
    file_upload_id: uuid.UUID | None = None,
    message_id: uuid.UUID | None = None,
) -> Recipients:
    """A message from `sender`. Staff who can see a conversation but are not in it join it by
    writing; a resident can only see (and so write to) conversations they are in."""
    conv = get(session, conversation_id)
    text = _body(body)
    now = datetime.now(UTC)
    me = _membership(session, conv.id, sender)
    if me is None:
        me = ConversationMember(org_id=conv.org_id, conversation_id=conv.id, user_id=sender, joined_at=now)
        session.add(me)
    if file_upload_id is not None and session.get(FileUpload, file_upload_id) is None:
        raise NotFound("attachment not found", field="file_upload_id")
    msg = Message(
        id=message_id or uuid.uuid4(),
        org_id=conv.org_id,
        conversation_id=conv.id,
        sender_user_id=sender,
        body=text,
        channel=MessageChannel.IN_APP,
        sent_at=now,
        file_upload_id=file_upload_id,
    )
    session.add(msg)
    conv.last_message_at = now
    me.last_read_at = now  # one's own message is read
    session.flush()
    # A resident's own event names them, so their session may write it (the outbox's scope).
    sender_user = session.get(User, sender)
    emit(
        session,
        EventType.MESSAGE_SENT,
        msg.id,
        resident_id=sender_user.resident_id if sender_user is not None else None,
        house_id=conv.house_id,
        conversation_id=conv.id,
    )
    recipients = list(
        session.scalars(
            select(ConversationMember.user_id).where(
                ConversationMember.conversation_id == conv.id,
                ConversationMember.left_at.is_(None),
                ConversationMember.user_id != sender,
            )
        )
    )
    return Recipients(msg.id, conv.id, sorted(recipients), conv.house_id)


@dataclass(frozen=True)
class Inbox:
    conversation: Conversation
    unread: int


def inbox(session: Session, user_id: uuid.UUID) -> list[Inbox]:
    """The conversations `user_id` is in, newest first, with how many messages they have not read."""
    unread = (
        select(func.count(Message.id))
        .where(
            Message.conversation_id == ConversationMember.conversation_id,
            Message.deleted_at.is_(None),
            Message.sender_user_id != user_id,
            Message.sent_at > func.coalesce(ConversationMember.last_read_at, ConversationMember.joined_at),
        )
        .scalar_subquery()
    )
    rows = session.execute(
        select(Conversation, unread)
        .join(ConversationMember, ConversationMember.conversation_id == Conversation.id)
        .where(
            ConversationMember.user_id == user_id,
            ConversationMember.left_at.is_(None),
            Conversation.deleted_at.is_(None),
        )
        .order_by(Conversation.last_message_at.desc().nulls_last(), Conversation.id)
    ).all()
    return [Inbox(c, int(n)) for c, n in rows]


def messages(session: Session, conversation_id: uuid.UUID) -> list[Message]:
    get(session, conversation_id)
    return list(
        session.scalars(
            select(Message)
            .where(Message.conversation_id == conversation_id, Message.deleted_at.is_(None))
            .order_by(Message.sent_at, Message.id)
        )
    )


def members(session: Session, conversation_id: uuid.UUID) -> list[ConversationMember]:
    """Current members with when each last read the conversation (staff's read state)."""
    get(session, conversation_id)
    return list(
        session.scalars(
            select(ConversationMember)
            .where(
                ConversationMember.conversation_id == conversation_id, ConversationMember.left_at.is_(None)
            )
            .order_by(ConversationMember.joined_at, ConversationMember.user_id)
        )
    )


def mark_read(session: Session, conversation_id: uuid.UUID, user_id: uuid.UUID) -> None:
    get(session, conversation_id)
    session.execute(
        update(ConversationMember)
        .where(
            ConversationMember.conversation_id == conversation_id,
            ConversationMember.user_id == user_id,
            ConversationMember.left_at.is_(None),
        )
        .values(last_read_at=func.now())
    )


def check_attachment(data: bytes, content_type: str) -> None:
    """Refuses an empty, too large or mislabelled file (before anything is stored)."""
    if not data:
        raise Rejected("the file is empty", field="file")
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise Rejected(f"the file is larger than {MAX_ATTACHMENT_BYTES} bytes", field="file")
    magic = ATTACHMENT_TYPES.get(content_type)
    if magic is None:
        raise Rejected(f"content type must be one of {', '.join(sorted(ATTACHMENT_TYPES))}", field="file")
    if not data.startswith(magic):
        raise Rejected(f"the file's content is not {content_type}", field="file")


def attachment_key(org_id: uuid.UUID, fid: uuid.UUID) -> str:
    return f"{org_id}/{fid}"


def record_attachment(
    session: Session,
    bucket: str,
    fid: uuid.UUID,
    data: bytes,
    content_type: str,
    filename: str,
    by: uuid.UUID,
) -> FileUpload:
    """The row of an attachment already written (encrypted) to the file store."""
    check_attachment(data, content_type)
    org_id = _org(session)
    f = FileUpload(
        id=fid,
        org_id=org_id,
        bucket=bucket,
        storage_key=attachment_key(org_id, fid),
        original_filename=(filename or "attachment")[:200],
        content_type=content_type,
        size_bytes=len(data),
        sha256=sha256(data),
        uploaded_by_user_id=by,
        is_part2=True,  # a message attachment is as protected as the message
    )
    session.add(f)
    session.flush()
    return f


def attachment_of(session: Session, message_id: uuid.UUID) -> FileUpload:
    msg = session.get(Message, message_id)
    f = session.get(FileUpload, msg.file_upload_id) if msg is not None and msg.file_upload_id else None
    if msg is None or msg.deleted_at is not None or f is None or f.deleted_at is not None:
        raise NotFound("attachment not found", field="message_id")
    return f


# --- announcements ---------------------------------------------------------------------------


def announce(
    session: Session,
    by: uuid.UUID,
    audience: AnnouncementAudience,
    title: str,
    body: str,
    house_id: uuid.UUID | None = None,
    property_id: uuid.UUID | None = None,
    priority: Priority = Priority.NORMAL,
    announcement_id: uuid.UUID | None = None,
) -> Announcement:
    """An announcement, published now. A house-scoped author may only address their houses or
    properties (another house or property is not found, as the database shows them none)."""
    title = (title or "").strip()
    if not 1 <= len(title) <= 200:
        raise Rejected("a title of 1 to 200 characters", field="title")
    text = _body(body)
    if audience is AnnouncementAudience.HOUSE and house_id is None:
        raise Rejected("name the house", field="house_id")
    if audience is AnnouncementAudience.PROPERTY and property_id is None:
        raise Rejected("name the property", field="property_id")
    if audience not in (AnnouncementAudience.HOUSE,) and house_id is not None:
        raise Rejected("a house only goes with the audience 'house'", field="house_id")
    if audience not in (AnnouncementAudience.PROPERTY,) and property_id is not None:
        raise Rejected("a property only goes with the audience 'property'", field="property_id")
    scope: Scope | None = session.info.get("scope")
    if scope is not None and scope.kind is ScopeKind.HOUSES and audience not in PLACES:
        raise Rejected("your role announces to its own houses and properties only", field="audience")
    if house_id is not None and session.get(House, house_id) is None:
        raise NotFound("house not found", field="house_id")
    if property_id is not None and session.get(Property, property_id) is None:
        raise NotFound("property not found", field="property_id")
    a = Announcement(
        id=announcement_id or uuid.uuid4(),
        org_id=_org(session),
        audience=audience,
        house_id=house_id,
        property_id=property_id,
        title=title,
        body=text,
        publish_at=datetime.now(UTC),
        priority=priority,
        created_by=by,
    )
    session.add(a)
    session.flush()
    emit(session, EventType.ANNOUNCEMENT_PUBLISHED, a.id, house_id=house_id, property_id=property_id)
    return a


def announcements(
    session: Session, now: datetime, user_id: uuid.UUID | None = None
) -> list[tuple[Announcement, bool]]:
    """The announcements the caller can see that are published and not expired, newest first,
    each with whether `user_id` has read it."""
    read = (
        select(AnnouncementRead.id)
        .where(AnnouncementRead.announcement_id == Announcement.id, AnnouncementRead.user_id == user_id)
        .exists()
    )
    rows = session.execute(
        select(Announcement, read)
        .where(
            Announcement.deleted_at.is_(None),
            Announcement.publish_at <= now,
            (Announcement.expires_at.is_(None)) | (Announcement.expires_at > now),
        )
        .order_by(Announcement.publish_at.desc(), Announcement.id)
    ).all()
    return [(a, bool(r)) for a, r in rows]


def get_announcement(session: Session, announcement_id: uuid.UUID) -> Announcement:
    a = session.get(Announcement, announcement_id)
    if a is None or a.deleted_at is not None:
        raise NotFound("announcement not found", field="announcement_id")
    return a


def mark_announcement_read(session: Session, announcement_id: uuid.UUID, user_id: uuid.UUID) -> None:
    """The reader's receipt, once (a second read keeps the first time)."""
    a = get_announcement(session, announcement_id)
    session.execute(
        insert(AnnouncementRead)
        .values(id=uuid.uuid4(), org_id=a.org_id, announcement_id=a.id, user_id=user_id)
        .on_conflict_do_nothing(constraint="uq_announcement_reads_announcement_user")
    )


def receipts(session: Session, announcement_id: uuid.UUID) -> list[AnnouncementRead]:
    get_announcement(session, announcement_id)
    return list(
        session.scalars(
            select(AnnouncementRead)
            .where(AnnouncementRead.announcement_id == announcement_id)
            .order_by(AnnouncementRead.read_at, AnnouncementRead.user_id)
        )
    )
