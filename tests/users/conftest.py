"""The users tests send invitations over real SMTP to the dunning tests' local sink (aiosmtpd)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI

from api.routes.users import invitation_notifier
from tests.dunning.conftest import SmtpSink, smtp_notifier, smtp_sink

__all__ = ["smtp_sink"]


@pytest.fixture
def mailed(api_app: FastAPI, smtp_sink: SmtpSink) -> Iterator[SmtpSink]:
    """The API's invitations go to `smtp_sink` for the test."""
    api_app.dependency_overrides[invitation_notifier] = lambda: smtp_notifier(smtp_sink)
    try:
        yield smtp_sink
    finally:
        api_app.dependency_overrides.pop(invitation_notifier, None)
