"""The dunning tests' local SMTP sink, reused: notifications e-mail it for real."""

from tests.dunning.conftest import smtp_sink  # noqa: F401 - the fixture, registered here
