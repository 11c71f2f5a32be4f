"""Benchmarks check themselves: a bench whose sides did different work, or none, exits 1
instead of printing a ratio; one bench runs end to end at a tiny scale."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from bench.checks import same_work


def test_a_side_that_did_nothing_fails_the_bench_instead_of_giving_a_ratio(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_:
        same_work("invoices issued", {"temporal": 0, "raw sql": 0})
    assert exit_.value.code == 1
    assert "invoices issued are all empty" in capsys.readouterr().err


def test_sides_that_did_different_work_fail_the_bench(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        same_work("invoices issued", {"temporal": 10_000, "raw sql": 0})
    assert exit_.value.code == 1
    assert "temporal 10000, raw sql 0" in capsys.readouterr().err
    same_work("trial balances", {"balanced books": 0, "temporal": 0}, zero_is_work=True)


def _own_stack_env() -> dict[str, str]:
    """A bench starts its own embedded PostgreSQL, Temporal dev server and worker: nothing of
    the test session's."""
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("RECOVERYOS_") and k not in ("DATABASE_URL", "TEMPORAL_ADDRESS")
    }


def test_the_invoicing_bench_at_a_tiny_scale_compares_two_sides_that_wrote_the_same_invoices() -> None:
    env = _own_stack_env()
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.invoicing",
            "--residents",
            "30",
            "--batch",
            "10",
            "--batches-per-run",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "raw sql:  30 invoices" in run.stdout and "temporal: 30 invoices" in run.stdout
    assert re.search(r"^ratio=\d+\.\d\d$", run.stdout, re.MULTILINE), run.stdout


def test_the_webhooks_bench_at_a_tiny_scale_delivers_every_event_to_both_receivers() -> None:
    env = _own_stack_env()  # and its own receivers; no timing asserted
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.webhooks",
            "--events",
            "20",
            "--rate",
            "50",
            "--writers",
            "1",
            "--timeout",
            "120",
        ],
        capture_output=True,
        text=True,
        timeout=400,
        env=env,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    for line in ("endpoint A: 20 delivered", "endpoint B: 20 delivered", "endpoint A (B down): 20 delivered"):
        assert line in run.stdout, run.stdout
    assert "endpoint B: 0 of them delivered while down" in run.stdout
    assert "endpoint B back: 20 delivered" in run.stdout
    assert re.search(r"receiver ceiling \(fed directly\): [\d,]+ requests/s", run.stdout), run.stdout
    verdict = r"on every healthy receiver: (met|not met) \(slowest [\d,]+ events/s, worst p99 [\d.]+ s\)"
    assert re.search(verdict, run.stdout), run.stdout


def test_the_reports_bench_at_a_tiny_scale_prints_api_and_sql_times_and_ties() -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("RECOVERYOS_") and k not in ("DATABASE_URL", "TEMPORAL_ADDRESS")
    }
    run = subprocess.run(
        [sys.executable, "-m", "bench.reports", "--beds", "20", "--months", "3", "--runs", "5"],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert re.search(r"^rent-roll .*ms .*ms .*ms .*ms  yes\s+20$", run.stdout, re.MULTILINE), run.stdout
    assert re.search(r"^ar-aging .*  yes", run.stdout, re.MULTILINE), run.stdout
    assert "worst API p99" in run.stdout
