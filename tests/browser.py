"""Headless Chromium for the page tests: Debian's /usr/bin/chromium driven by Playwright, or a
skip that says how to install it (`make browser`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium() -> Iterator[Any]:
    """The body of a `browser` fixture: one launched Chromium, closed afterwards."""
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield b
        finally:
            b.close()


def phone(width: int, height: int) -> dict[str, Any]:
    """A new_context() for a phone of this CSS size: touch, mobile viewport, 2x pixels."""
    return {
        "viewport": {"width": width, "height": height},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
    }


def screenshot_dir(factory: pytest.TempPathFactory, name: str) -> Path:
    """`<pytest basetemp>/<name>/`, created; its path is printed (seen with -s)."""
    out = factory.getbasetemp() / name
    out.mkdir(exist_ok=True)
    print(f"\n{name}: {out}")
    return out
