"""OpenAPI's `webhooks` section: what we POST to a registered endpoint, one entry per event type
of the outbox's catalogue, each with an example payload. Documentation only: these are the
receivers' routes, not ours (api/app.py mounts this router on `app.webhooks`).

Every delivery carries the Standard Webhooks headers `webhook-id` (the event id: dedupe by
it), `webhook-timestamp` and `webhook-signature`; the body is the payload below.
"""

# No `from __future__ import annotations`: the handlers are built per type below and FastAPI
# reads their parameter types at run time.

from typing import Any

from fastapi import APIRouter, Header
from pydantic import BaseModel, ConfigDict, Field

from core.events import EventType
from services.webhooks import payloads

router = APIRouter(tags=["webhooks (sent to you)"])

SIGNATURE_HEADERS = (
    "Headers: `webhook-id` (the event id; the same on every attempt and replay, so dedupe by "
    "it), `webhook-timestamp` (Unix seconds of this attempt), `webhook-signature` "
    '(`v1,<base64 HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<body>">`, keyed with the '
    "base64-decoded part of your `whsec_` secret; during a secret rotation two signatures, "
    "space-separated). Answer 2xx within 15 s; anything else is retried, and 410 Gone disables "
    "the endpoint."
)


class WebhookPayload(BaseModel):
    id: str = Field(description="the event id (also the `webhook-id` header)")
    type: EventType
    timestamp: str = Field(description="when the event happened (ISO 8601, UTC)")
    data: dict[str, str] = Field(description="ids and enum values only: read the rest through the API")


def _entry(type_: EventType, description: str, example: dict[str, Any]) -> None:
    name = "".join(part.title() for part in type_.value.replace("_", ".").split(".")) + "Payload"
    model = type(
        name,
        (WebhookPayload,),
        {
            "__doc__": description,
            "__module__": __name__,
            "model_config": ConfigDict(json_schema_extra={"examples": [example]}),
        },
    )

    async def receive(body: Any, webhook_id: Any = None) -> None:
        """Sent to your endpoint."""

    receive.__annotations__ = {
        "body": model,
        "webhook_id": str | None,
        "return": None,
    }
    receive.__defaults__ = (Header(None, alias="webhook-id"),)
    router.post(
        type_.value,
        summary=type_.value,
        description=f"{description}\n\n{SIGNATURE_HEADERS}",
        operation_id="webhook_" + type_.value.replace(".", "_"),
        status_code=204,
    )(receive)


for _type, _description, _example in payloads.catalogue():
    _entry(_type, _description, _example)
