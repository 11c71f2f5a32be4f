"""A pytest plugin that fails the run when asyncio reports an error nobody retrieved ("Future
exception was never retrieved", "Task exception was never retrieved") or a task destroyed
while pending: each is a failure some code path swallowed without handling. Loaded by
tests/conftest.py for the whole suite."""

from __future__ import annotations

import gc
import logging
import os

import pytest

_SIGNS = ("never retrieved", "was destroyed but it is pending")


class UnretrievedErrors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if any(sign in message for sign in _SIGNS):
            during = os.environ.get("PYTEST_CURRENT_TEST", "between tests")
            self.seen.append(f"{message.splitlines()[0]} {message.splitlines()[1:2]} (during {during})")


_HANDLER = UnretrievedErrors()


def pytest_configure(config: pytest.Config) -> None:
    logging.getLogger("asyncio").addHandler(_HANDLER)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # What the suite left unretrieved is reported when it is collected: collect it now, while
    # the run can still fail (after this, asyncio would only log it at interpreter exit).
    gc.collect()
    if not _HANDLER.seen:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_sep("=", "asyncio errors nobody retrieved", red=True)
        for line in _HANDLER.seen:
            reporter.write_line(line)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED
