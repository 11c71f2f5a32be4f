"""`recoveryos dev` on a fresh directory: the whole stack comes up, refuses to start twice,
and stops every process it started on SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client

import registry
from tests.harness import free_port


@pytest.fixture
def tmp_path() -> Iterator[Path]:
    """The stack's state outside pytest's own temp root: as root, the embedded PostgreSQL runs
    as its own user and opens the folders above its data directory to it, and pytest closes
    its root again (0700) whenever another session starts."""
    path = Path(tempfile.mkdtemp(prefix="recoveryos-dev-test-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


BIN = Path(sys.executable).parent


def _clean_env() -> dict[str, str]:
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("RECOVERYOS_") and k not in ("DATABASE_URL", "TEMPORAL_ADDRESS")
    }


def _env(api: int, tport: int, ui: int) -> dict[str, str]:
    """Ports by environment only: the public URL and the codec origins must follow them."""
    env = _clean_env()
    env.update(
        RECOVERYOS_API_PORT=str(api),
        RECOVERYOS_TEMPORAL_PORT=str(tport),
        RECOVERYOS_TEMPORAL_UI_PORT=str(ui),
    )
    return env


async def _pollers(address: str) -> int:
    client = await Client.connect(address)
    resp = await client.workflow_service.describe_task_queue(
        DescribeTaskQueueRequest(
            namespace="default",
            task_queue=TaskQueue(name="recoveryos"),
            task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        )
    )
    return len(resp.pollers)


def _alive(pid: int) -> bool:
    # In a container without an init that reaps, a stopped daemon lingers as a zombie.
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _start(
    tmp_path: Path, env: dict[str, str], ignore_sigint: bool = False, flags: tuple[str, ...] = ()
) -> subprocess.Popen[bytes]:
    log = (tmp_path / "dev.log").open("wb")

    def child_setup() -> None:
        if ignore_sigint:  # what a shell does to a job it puts in the background
            signal.signal(signal.SIGINT, signal.SIG_IGN)

    return subprocess.Popen(
        [str(BIN / "recoveryos"), "dev", *flags],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        preexec_fn=child_setup,
    )


def _wait_ready(proc: subprocess.Popen[bytes], tmp_path: Path, api: int) -> httpx.Response:
    deadline = time.monotonic() + 120
    ready = None
    while time.monotonic() < deadline:
        assert proc.poll() is None, (tmp_path / "dev.log").read_text()[-3000:]
        try:
            ready = httpx.get(f"http://127.0.0.1:{api}/ready", timeout=5)
            if ready.status_code == 200:
                return ready
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError(ready.text if ready else "no answer from /ready")


def test_dev_runs_the_whole_stack_and_stops_it_all(tmp_path: Path) -> None:
    api, tport, ui = free_port(), free_port(), free_port()
    env = _env(api, tport, ui)
    proc = _start(tmp_path, env)
    try:
        ready = _wait_ready(proc, tmp_path, api)
        assert ready.json()["checks"]["postgres"]["migration"] == ready.json()["checks"]["postgres"]["head"]
        assert httpx.get(f"http://127.0.0.1:{ui}/", timeout=10).status_code == 200
        assert httpx.get(f"http://127.0.0.1:{api}/docs", timeout=10).status_code == 200
        deadline = time.monotonic() + 30
        while asyncio.run(_pollers(f"127.0.0.1:{tport}")) == 0:
            assert time.monotonic() < deadline, "the worker never polled its task queue"
            time.sleep(0.5)
        deadline = time.monotonic() + 20
        while "RecoveryOS is running" not in (out := (tmp_path / "dev.log").read_text()):
            assert time.monotonic() < deadline, out[-2000:]
            time.sleep(0.2)
        for url in (f"http://localhost:{api}", f"http://localhost:{ui}", f"http://localhost:{api}/login"):
            assert url in out
        _texts_reach_the_sms_stand_in(tmp_path, out)

        second = subprocess.run(
            [str(BIN / "recoveryos"), "dev"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode == 2
        assert f"port {api}" in second.stderr and "already in use" in second.stderr

        _seed_pay_and_schedule(tmp_path, tport)

        children = psutil.Process(proc.pid).children(recursive=True)
        postmaster = int((tmp_path / ".recoveryos/pgdata/postmaster.pid").read_text().split()[0])
        assert len(children) >= 4
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0
        log = (tmp_path / "dev.log").read_text()
        # The worker and the API stop before the Temporal server they dial.
        assert "dial error" not in log.lower(), log[-3000:]
        assert not (tmp_path / ".recoveryos/stack.json").exists()
        time.sleep(1)
        left = [c for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE]
        assert left == [], [c.cmdline() for c in left]
        assert not _alive(postmaster)
        assert (tmp_path / ".recoveryos/temporal.db").exists()
        assert (tmp_path / ".recoveryos/dev-keys.json").stat().st_mode & 0o077 == 0
    finally:
        if proc.poll() is None:
            proc.kill()


def _texts_reach_the_sms_stand_in(tmp_path: Path, banner: str) -> None:
    """The SMS stand-in runs beside the others, the banner names it, and the Twilio settings the
    stack hands its worker (and commands run beside it) send a text there through the SDK."""
    from core.sms import TwilioSms

    found = re.search(r"SMS +(http://127\.0\.0\.1:\d+)", banner)
    assert found, banner[-2000:]
    stack = json.loads((tmp_path / ".recoveryos/stack.json").read_text())["variables"]
    assert stack["RECOVERYOS_TWILIO_BASE_URL"] == found.group(1)
    sms = TwilioSms(
        stack["RECOVERYOS_TWILIO_ACCOUNT_SID"],
        stack["RECOVERYOS_TWILIO_AUTH_TOKEN"],
        stack["RECOVERYOS_TWILIO_FROM_NUMBER"],
        stack["RECOVERYOS_TWILIO_BASE_URL"],
    )
    assert sms.send("+15005550001", "You have a new message from Cedar House.").startswith("SM")
    listed = httpx.get(f"{found.group(1)}/messages", timeout=10).json()
    assert [m["to"] for m in listed] == ["+15005550001"]


async def _schedule_ids(address: str, org_id: str) -> set[str]:
    """The org's schedules as Temporal lists them. The list comes from its visibility store,
    which catches up a moment after a schedule is created: ask again for a few seconds."""
    client = await Client.connect(address)
    for _ in range(50):
        ids = {s.id async for s in await client.list_schedules()}
        if len({i for i in ids if f"/{org_id}/" in i}) >= 4:
            break
        await asyncio.sleep(0.2)
    return ids


def _seed_pay_and_schedule(tmp_path: Path, tport: int) -> None:
    """`recoveryos seed --state-dir` from another folder with no RECOVERYOS_* variable and no
    TEMPORAL_ADDRESS: it finds the running stack, gets its schedules, and the payment link it
    prints takes a test card through the stack's Stripe stand-in."""
    seeded = subprocess.run(
        [str(BIN / "recoveryos"), "seed", "--seed", "7", "--state-dir", str(tmp_path / ".recoveryos")],
        cwd="/",
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert seeded.returncode == 0, seeded.stdout[-3000:] + seeded.stderr[-3000:]
    assert f"schedules: {len(registry.schedules())} created" in seeded.stdout, seeded.stdout[-1500:]
    org = re.search(r"id ([0-9a-f-]{36})\)", seeded.stdout)
    assert org is not None
    ids = asyncio.run(_schedule_ids(f"127.0.0.1:{tport}", org.group(1)))
    for family in ("billing", "dunning", "reconciliation", "retention"):
        assert any(i.startswith(f"{family}/{org.group(1)}/") for i in ids), (family, ids)
    link = re.search(r"payment link \(open invoice [0-9a-f-]+\):\s+(\S+)", seeded.stdout)
    assert link is not None
    # localhost may resolve to ::1 first here; the API listens on 127.0.0.1 (a browser tries both).
    url = link.group(1).replace("//localhost:", "//127.0.0.1:")
    with httpx.Client(timeout=60) as http:
        page = http.get(url)
        assert page.status_code == 200 and 'name="attempt"' in page.text, page.text[-2000:]
        attempt = re.search(r'name="attempt" value="([0-9a-f-]+)"', page.text)
        assert attempt is not None
        card = {"attempt": attempt.group(1), "card_number": "4242424242424242", "card_exp": "12/34"}
        paid = http.post(url, data={**card, "card_cvc": "123"})
    assert paid.status_code == 200 and "We received" in paid.text, paid.text[-2000:]


def test_seed_on_a_database_never_migrated_says_so_in_one_line(database: str) -> None:
    from sqlalchemy.engine import make_url

    from tests.conftest import create_database

    url = create_database(database, "recoveryos_never_migrated")
    env = {**os.environ, "DATABASE_URL": url}
    env.pop("TEMPORAL_ADDRESS", None)
    got = subprocess.run(
        [str(BIN / "recoveryos"), "seed"], env=env, capture_output=True, text=True, timeout=120
    )
    assert got.returncode == 2
    assert got.stdout.strip().splitlines() == [
        "the database is not migrated: run `recoveryos migrate` (`recoveryos dev` migrates on start)"
    ]
    assert "Traceback" not in got.stderr
    assert (make_url(url).database or "").startswith("recoveryos_never_migrated")


def _all_parsers(parser: argparse.ArgumentParser, name: str = "recoveryos") -> Iterator[tuple[str, Any]]:
    yield name, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub, child in action.choices.items():
                yield from _all_parsers(child, f"{name} {sub}")


def test_every_command_has_a_description_and_every_flag_says_what_it_does() -> None:
    from cli.main import build_parser

    for name, parser in _all_parsers(build_parser()):
        assert parser.description, f"`{name}` has no description"
        for action in parser._actions:
            if action.option_strings and action.help != argparse.SUPPRESS:
                assert action.help, f"`{name} {action.option_strings[0]}` has no help"
    for command in (["seed"], ["audit", "verify"], ["schedules", "sync"], ["keys", "rotate"]):
        shown = subprocess.run(
            [str(BIN / "recoveryos"), *command, "--help"], capture_output=True, text=True, check=True
        )
        assert "--state-dir" in shown.stdout, command


def _banner(tmp_path: Path) -> str:
    deadline = time.monotonic() + 20
    while "RecoveryOS is running" not in (out := (tmp_path / "dev.log").read_text()):
        assert time.monotonic() < deadline, out[-2000:]
        time.sleep(0.2)
    return out


def _cors_allows(api: int, origin: str) -> bool:
    pre = httpx.options(
        f"http://127.0.0.1:{api}/codec/decode",
        headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
        timeout=10,
    )
    return pre.headers.get("access-control-allow-origin") == origin


def test_dev_flags_move_every_port_and_everything_derived_from_them(tmp_path: Path) -> None:
    api, tport, ui = free_port(), free_port(), free_port()
    state = tmp_path / "state"
    flags = ("--api-port", str(api), "--temporal-port", str(tport), "--ui-port", str(ui))
    # The environment names other ports: the flags win.
    proc = _start(tmp_path, _env(8000, 7233, 8233), flags=(*flags, "--state-dir", str(state)))
    try:
        _wait_ready(proc, tmp_path, api)
        out = _banner(tmp_path)
        settings = httpx.get(f"http://127.0.0.1:{ui}/api/v1/settings", timeout=10).json()
        assert settings["Codec"]["Endpoint"] == f"http://localhost:{api}/codec"
        assert _cors_allows(api, f"http://localhost:{ui}")
        # A UI page at 127.0.0.1 cannot send the localhost session cookie: not offered at all.
        assert not _cors_allows(api, f"http://127.0.0.1:{ui}")
        assert not _cors_allows(api, "http://localhost:8233")
        for text in (
            f"http://localhost:{api}/docs",
            f"http://localhost:{api}/login",
            f"open the UI at http://localhost:{ui}",
            f"enter http://localhost:{api}/codec",
            "Use my browser setting and ignore",
            "Include cross-origin credentials",
            f"127.0.0.1:{tport}",
        ):
            assert text in out, text
        assert ":8000" not in out and ":8233" not in out
        assert (state / "pgdata").is_dir() and not (tmp_path / ".recoveryos").exists()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)


def test_help_explains_the_dev_and_seed_commands() -> None:
    dev = subprocess.run(
        [str(BIN / "recoveryos"), "dev", "--help"], capture_output=True, text=True, check=True
    )
    for flag in ("--api-port", "--temporal-port", "--ui-port", "--state-dir", "RECOVERYOS_API_PORT"):
        assert flag in dev.stdout
    seed = subprocess.run(
        [str(BIN / "recoveryos"), "seed", "--help"], capture_output=True, text=True, check=True
    )
    for text in ("--scale", "--seed", "recoveryos seed --seed 43", "recovery-demo-S", "@demo-S.example.com"):
        assert text in seed.stdout, text


def test_ctrl_c_stops_everything_even_when_sigint_was_inherited_as_ignored(tmp_path: Path) -> None:
    api, tport, ui = free_port(), free_port(), free_port()
    proc = _start(tmp_path, _env(api, tport, ui), ignore_sigint=True)
    try:
        _wait_ready(proc, tmp_path, api)
        children = psutil.Process(proc.pid).children(recursive=True)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(60) == 0
        time.sleep(1)
        assert [c for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE] == []
        assert "stopped: api, worker, sms, stripe, temporal, postgres" in (tmp_path / "dev.log").read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
