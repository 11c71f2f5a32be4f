"""The resident pages' sign-in links go to a recording notifier for the tests."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI

from api.routes.resident.signin import sign_in_notifier
from core.db import tenant_session
from core.notify import RecordingNotifier
from models.users import User


@pytest.fixture(scope="module")
def outbox(api_app: FastAPI) -> Iterator[RecordingNotifier]:
    notifier = RecordingNotifier()
    api_app.dependency_overrides[sign_in_notifier] = lambda: notifier
    try:
        yield notifier
    finally:
        api_app.dependency_overrides.pop(sign_in_notifier, None)


def email_of(org_id: uuid.UUID, user_id: uuid.UUID) -> str:
    with tenant_session(org_id, actor_type="test") as s:
        user = s.get(User, user_id)
        assert user is not None and user.email is not None
        return user.email


LINK = re.compile(r"https?://\S+/me/link/(\S+)")


def ask_for_link(http: httpx.Client, outbox: RecordingNotifier, email: str) -> str:
    """Asks for a sign-in link on the page and returns its path, as the e-mail carries it."""
    before = len(outbox.emails())
    r = http.post(
        "/me/sign-in/link",
        data={"email": email, "channel": "email"},
        headers={"Origin": str(http.base_url).rstrip("/")},
    )
    assert r.status_code == 200 and 'id="link-sent"' in r.text
    mails = outbox.emails()[before:]
    assert [m.to for m in mails] == [(email,)]
    m = LINK.search(mails[0].body)
    assert m is not None
    return f"/me/link/{m.group(1)}"
