"""The README's reports walk-through, run as written against the live stack and the demo org
of seed 42 (tests/walkthrough.py says what "as written" allows)."""

from __future__ import annotations

import sys
from pathlib import Path

from tests.walkthrough import Shell, walkthroughs


def test_downloading_the_report_pdfs_and_a_month_of_journals_works_as_written(
    stack: str, tmp_path: Path
) -> None:
    from cli.seed import seed

    assert seed(scale=1, seed_value=42) == 0
    shell = Shell(tmp_path, stack)
    (shell.workdir / ".venv").symlink_to(Path(sys.prefix))  # "from the repository's folder"
    (w,) = [w for title, w in walkthroughs().items() if title.startswith("operator reports")]
    for block in w.blocks:
        shell.run(block)
    for name in ("rent-roll.pdf", "ar-aging.pdf", "occupancy.pdf"):
        assert (shell.workdir / name).read_bytes().startswith(b"%PDF-")
    assert "balance" in (shell.workdir / "journals.beancount").read_text()
