"""Conversations and announcements over the API, for staff and for residents' own sessions.

Staff (resident:read) start conversations with residents and colleagues and see who has read
what; residents (self:service) read and answer the conversations they are in and read their
house's announcements. Which rows a caller sees is decided by PostgreSQL (migration 0028), so an
id outside the caller's reach is the same 404 as an unknown one. A new message starts the
`MessageNotification` workflow after commit: the recipients get a notice with no content.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, Response, UploadFile
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from api.auth import Principal
from api.deps import FilesDep, TenantDep, attachment, require, require_any
from api.errors import problem_responses
from core.config import get_settings
from core.enums import AnnouncementAudience, Priority
from core.permissions import Perm
from core.process import Actor
from models.messaging import Announcement, Conversation, ConversationMember, Message
from models.messaging_extended import AnnouncementRead
from services import messaging
from services.messaging import Recipients
from workflows.messaging import MESSAGING, MessageNotificationInput, MessageNotificationWorkflow

log = logging.getLogger("recoveryos.messaging")
router = APIRouter(tags=["messaging"])

Staff = Annotated[Principal, Depends(require(Perm.RESIDENT_READ))]
Author = Annotated[Principal, Depends(require(Perm.OPERATIONS_WRITE))]
Member = Annotated[Principal, Depends(require_any(Perm.RESIDENT_READ, Perm.SELF_SERVICE))]


class ConversationIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "member_user_ids": ["0b7a4f5e-2c1d-4e8f-9a3b-5c6d7e8f9a0b"],
                    "subject": "Your letter",
                    "body": "Your letter is ready. Can you come by the office today?",
                }
            ]
        },
    )
    member_user_ids: list[uuid.UUID] = Field(min_length=1, max_length=messaging.MAX_MEMBERS)
    subject: str | None = Field(default=None, max_length=200)
    body: str = Field(min_length=1, max_length=messaging.MAX_BODY, description="the first message")


class MessageIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"body": "Thank you, I will come at five."}]}
    )
    body: str = Field(min_length=1, max_length=messaging.MAX_BODY)
    file_upload_id: uuid.UUID | None = Field(default=None, description="from POST /v1/message-attachments")


class MessageOut(BaseModel):
    id: uuid.UUID
    sender_user_id: uuid.UUID
    body: str
    sent_at: datetime
    has_attachment: bool

    @classmethod
    def of(cls, m: Message) -> MessageOut:
        return cls(
            id=m.id,
            sender_user_id=m.sender_user_id,
            body=m.body or "",
            sent_at=m.sent_at,
            has_attachment=m.file_upload_id is not None,
        )


class MemberOut(BaseModel):
    user_id: uuid.UUID
    last_read_at: datetime | None = Field(description="when they last read the conversation (read state)")


class ConversationOut(BaseModel):
    id: uuid.UUID
    conversation_type: str
    subject: str | None
    house_id: uuid.UUID | None
    last_message_at: datetime | None
    unread: int = 0

    @classmethod
    def of(cls, c: Conversation, unread: int = 0) -> ConversationOut:
        return cls(
            id=c.id,
            conversation_type=c.conversation_type.value,
            subject=c.subject,
            house_id=c.house_id,
            last_message_at=c.last_message_at,
            unread=unread,
        )


class ThreadOut(ConversationOut):
    members: list[MemberOut]
    messages: list[MessageOut]


class AnnouncementIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "audience": "house",
                    "house_id": "3f2b8c1a-6d4e-4f7a-8b9c-0d1e2f3a4b5c",
                    "title": "Fire drill Wednesday",
                    "body": "We practise the fire drill on Wednesday at 7 in the evening.",
                    "priority": "normal",
                }
            ]
        },
    )
    audience: AnnouncementAudience
    title: str = Field(min_length=1, max_length=200, description="plain text, listed unencrypted: no PHI")
    body: str = Field(min_length=1, max_length=messaging.MAX_BODY)
    house_id: uuid.UUID | None = None
    property_id: uuid.UUID | None = None
    priority: Priority = Priority.NORMAL


class AnnouncementOut(BaseModel):
    id: uuid.UUID
    audience: AnnouncementAudience
    title: str
    body: str
    house_id: uuid.UUID | None
    property_id: uuid.UUID | None
    publish_at: datetime
    priority: Priority
    read: bool = False

    @classmethod
    def of(cls, a: Announcement, read: bool = False) -> AnnouncementOut:
        return cls(
            id=a.id,
            audience=a.audience,
            title=a.title,
            body=a.body or "",
            house_id=a.house_id,
            property_id=a.property_id,
            publish_at=a.publish_at,
            priority=a.priority,
            read=read,
        )


class ReceiptOut(BaseModel):
    user_id: uuid.UUID
    read_at: datetime

    @classmethod
    def of(cls, r: AnnouncementRead) -> ReceiptOut:
        return cls(user_id=r.user_id, read_at=r.read_at)


class AttachmentOut(BaseModel):
    file_upload_id: uuid.UUID


async def notify_recipients(request: Request, p: Principal, got: Recipients) -> None:
    """Start the message's notification workflow (after commit). The message is kept whatever
    happens here: a workflow engine that is down loses a notice, never a message."""
    client: Client | None = request.app.state.temporal
    if client is None or not got.user_ids:
        return
    inp = MessageNotificationInput(
        Actor(p.org_id, p.user_id, p.request_id), got.message_id, got.user_ids, got.house_id
    )
    try:
        await client.start_workflow(
            MessageNotificationWorkflow.run,
            inp,
            id=MESSAGING.id(p.org_id, got.message_id),
            task_queue=get_settings().task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
    except WorkflowAlreadyStartedError:
        pass
    except RPCError:
        log.warning("message notification not started", extra={"message_id": str(got.message_id)})


def _thread(s: Session, conversation_id: uuid.UUID) -> ThreadOut:
    conv = messaging.get(s, conversation_id)
    members: list[ConversationMember] = messaging.members(s, conversation_id)
    return ThreadOut(
        **ConversationOut.of(conv).model_dump(),
        members=[MemberOut(user_id=m.user_id, last_read_at=m.last_read_at) for m in members],
        messages=[MessageOut.of(m) for m in messaging.messages(s, conversation_id)],
    )


@router.post(
    "/v1/conversations", status_code=201, response_model=ThreadOut, responses=problem_responses(403, 404, 422)
)
async def start_conversation(request: Request, body: ConversationIn, p: Staff, db: TenantDep) -> ThreadOut:
    """A one-to-one or small group conversation with residents and colleagues, and its first
    message. A resident outside the caller's houses is a 404."""

    def run(s: Session) -> tuple[ThreadOut, Recipients]:
        conv, got = messaging.start(s, p.person, body.member_user_ids, body.subject, body.body)
        return _thread(s, conv.id), got

    out, got = await db.run(run)
    await notify_recipients(request, p, got)
    return out


@router.get("/v1/conversations", response_model=list[ConversationOut])
async def my_conversations(p: Member, db: TenantDep) -> list[ConversationOut]:
    """The conversations the caller is in, newest first, with their unread counts."""

    def run(s: Session) -> list[ConversationOut]:
        return [ConversationOut.of(r.conversation, r.unread) for r in messaging.inbox(s, p.person)]

    return await db.run(run)


@router.get(
    "/v1/conversations/{conversation_id}", response_model=ThreadOut, responses=problem_responses(403, 404)
)
async def conversation(conversation_id: uuid.UUID, p: Member, db: TenantDep) -> ThreadOut:
    """The messages and, per member, when they last read it (staff's read state)."""
    return await db.run(_thread, conversation_id)


@router.post(
    "/v1/conversations/{conversation_id}/messages",
    status_code=201,
    response_model=MessageOut,
    responses=problem_responses(403, 404, 422),
)
async def write(
    request: Request, conversation_id: uuid.UUID, body: MessageIn, p: Member, db: TenantDep
) -> MessageOut:
    """A message in a conversation the caller can see; the others are notified (no content)."""

    def run(s: Session) -> tuple[MessageOut, Recipients]:
        got = messaging.post(s, conversation_id, p.person, body.body, body.file_upload_id)
        msg = s.get(Message, got.message_id)
        assert msg is not None
        return MessageOut.of(msg), got

    out, got = await db.run(run)
    await notify_recipients(request, p, got)
    return out


@router.post(
    "/v1/conversations/{conversation_id}/read", status_code=204, responses=problem_responses(403, 404)
)
async def read_conversation(conversation_id: uuid.UUID, p: Member, db: TenantDep) -> Response:
    """The caller has read the conversation up to now."""
    await db.run(messaging.mark_read, conversation_id, p.person)
    return Response(status_code=204)


@router.post(
    "/v1/message-attachments",
    status_code=201,
    response_model=AttachmentOut,
    responses=problem_responses(403, 422),
)
async def upload_attachment(
    p: Member,
    db: TenantDep,
    store: FilesDep,
    file: Annotated[UploadFile, File(description="PDF, PNG or JPEG, at most 5 MB")],
    filename: Annotated[str | None, Form(max_length=200)] = None,
) -> AttachmentOut:
    """A file to attach to the next message (`file_upload_id`), encrypted in the file store."""
    data = await file.read(messaging.MAX_ATTACHMENT_BYTES + 1)
    fid = uuid.uuid4()
    name = filename or file.filename or "attachment"
    media_type = file.content_type or ""
    messaging.check_attachment(data, media_type)
    # Stored before the transaction that records it: no network call inside a transaction.
    await store.aput(messaging.attachment_key(p.org_id, fid), data, media_type)

    def run(s: Session) -> uuid.UUID:
        return messaging.record_attachment(s, store.bucket, fid, data, media_type, name, p.person).id

    return AttachmentOut(file_upload_id=await db.run(run))


@router.get("/v1/messages/{message_id}/attachment", responses=problem_responses(403, 404))
async def download_attachment(message_id: uuid.UUID, p: Member, db: TenantDep, store: FilesDep) -> Response:
    """A message's attachment, for those who can read the message."""

    def run(s: Session) -> tuple[str, bytes, str]:
        f = messaging.attachment_of(s, message_id)
        return f.storage_key, f.sha256, f.content_type

    key, digest, media_type = await db.run(run)
    data = await store.aget(key, digest)
    return attachment(data, media_type, f"attachment-{message_id.hex[:8]}")


@router.post(
    "/v1/announcements",
    status_code=201,
    response_model=AnnouncementOut,
    responses=problem_responses(403, 404, 422),
)
async def publish(body: AnnouncementIn, p: Author, db: TenantDep) -> AnnouncementOut:
    """An announcement to the org, the residents, the staff, a property or a house (house-scoped
    staff: only their own)."""

    def run(s: Session) -> AnnouncementOut:
        a = messaging.announce(
            s, p.person, body.audience, body.title, body.body, body.house_id, body.property_id, body.priority
        )
        return AnnouncementOut.of(a)

    return await db.run(run)


@router.get("/v1/announcements", response_model=list[AnnouncementOut])
async def announcements(p: Member, db: TenantDep) -> list[AnnouncementOut]:
    """The announcements the caller can see, newest first, with whether they have read each."""

    def run(s: Session) -> list[AnnouncementOut]:
        return [AnnouncementOut.of(a, r) for a, r in messaging.announcements(s, datetime.now(UTC), p.person)]

    return await db.run(run)


@router.post(
    "/v1/announcements/{announcement_id}/read", status_code=204, responses=problem_responses(403, 404)
)
async def read_announcement(announcement_id: uuid.UUID, p: Member, db: TenantDep) -> Response:
    """The caller's read receipt (kept once: the first read's time)."""
    await db.run(messaging.mark_announcement_read, announcement_id, p.person)
    return Response(status_code=204)


@router.get(
    "/v1/announcements/{announcement_id}/reads",
    response_model=list[ReceiptOut],
    responses=problem_responses(403, 404),
)
async def announcement_reads(announcement_id: uuid.UUID, p: Staff, db: TenantDep) -> list[ReceiptOut]:
    """Who has read an announcement, and when."""

    def run(s: Session) -> list[ReceiptOut]:
        return [ReceiptOut.of(r) for r in messaging.receipts(s, announcement_id)]

    return await db.run(run)
