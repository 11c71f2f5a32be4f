"""The suite fails on an asyncio error nobody retrieved, even when every test passed."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_a_run_whose_tests_pass_fails_when_a_future_error_was_never_retrieved(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    pytester.makepyfile(
        test_leaky="""
        import asyncio

        def test_passes_but_leaves_an_error_behind():
            loop = asyncio.new_event_loop()
            fut = loop.create_future()
            fut.set_exception(RuntimeError("nobody looked"))
            loop.close()

        def test_clean():
            assert True
        """
    )
    result = pytester.runpytest_subprocess("-p", "tests.unretrieved", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        ["*asyncio errors nobody retrieved*", "*Future exception was never retrieved*"]
    )


def test_a_clean_run_passes(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    pytester.makepyfile(test_clean="def test_clean():\n    assert True\n")
    result = pytester.runpytest_subprocess("-p", "tests.unretrieved", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.OK
