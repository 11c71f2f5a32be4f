"""Runs the README's walk-throughs as written: each `### Walk-through: …` section's ```bash
blocks, in order, in one bash state (variables set by a block are there for the next), against
a live stack. The only change made to the text is the API's address, `http://localhost:8000`,
which becomes the test stack's (and, where a test says so, a local port the stack may call).
A section's ```python blocks are the files it asks the reader to save (`receiver.py`).

A trailing comment that starts with an arrow states what a line prints (`| jq .status  # →
"signed"`): the block's output must contain it. Blocks run under `set -euo pipefail`, so a
command that fails fails the walk-through, and so does a `jq` that finds nothing (`null`)
where the text expects an id.
"""

from __future__ import annotations

import re
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
LOCAL_API = "http://localhost:8000"
_ASSIGNED = re.compile(r"^\s*([A-Z][A-Z0-9_]*)=", re.MULTILINE)
_EXPECTS = re.compile(r"#\s*→\s*(.+?)\s*$")


@dataclass
class Block:
    code: str

    @property
    def expected(self) -> list[str]:
        return [m.group(1) for line in self.code.splitlines() if (m := _EXPECTS.search(line))]

    @property
    def assigned(self) -> list[str]:
        return _ASSIGNED.findall(self.code)


@dataclass
class Walkthrough:
    title: str
    blocks: list[Block] = field(default_factory=list)
    python: list[str] = field(default_factory=list)


def walkthroughs(text: str | None = None) -> dict[str, Walkthrough]:
    """Every `### Walk-through: <title>` section of the README by title, with its bash blocks."""
    return sections(text, "### Walk-through:")


def sections(text: str | None = None, heading: str = "### ") -> dict[str, Walkthrough]:
    """Every section whose heading starts with `heading`, by the rest of the heading, with its
    bash and python blocks."""
    text = README.read_text() if text is None else text
    found: dict[str, Walkthrough] = {}
    current: Walkthrough | None = None
    in_block: list[str] | None = None
    into: list[str] | None = None
    for line in text.splitlines():
        if in_block is not None:
            if line.startswith("```"):
                assert current is not None
                if into is None:
                    current.blocks.append(Block("\n".join(in_block)))
                else:
                    into.append("\n".join(in_block) + "\n")
                in_block = None
            else:
                in_block.append(line)
        elif line.startswith("#"):
            title = line.removeprefix(heading).strip() if line.startswith(heading) else None
            current = Walkthrough(title) if title else None
            if current is not None:
                found[current.title] = current
        elif line.startswith(("```bash", "```python")) and current is not None:
            in_block = []
            into = current.python if line.startswith("```python") else None
    return found


# The demo owner signs in with a TOTP code in several walk-throughs, and a code is good once
# (api/auth.py): a block that verifies one waits for a 30-second step no earlier block used.
_TOTP_STEP = 30
_last_totp_step = -1


def _fresh_totp_step() -> None:
    global _last_totp_step
    step = int(time.time()) // _TOTP_STEP
    if step <= _last_totp_step:
        time.sleep((_last_totp_step + 1) * _TOTP_STEP - time.time() + 0.5)
        step = int(time.time()) // _TOTP_STEP
    _last_totp_step = step


class Shell:
    """One reader following a walk-through in a terminal: variables persist between blocks."""

    def __init__(self, workdir: Path, api: str) -> None:
        self.workdir = workdir
        self.api = api
        self.state = workdir / ".walkthrough-state"
        self.names: set[str] = set()

    def run(self, block: Block, timeout: float = 120) -> str:
        self.names.update(block.assigned)
        if "mfa/verify" in block.code:
            _fresh_totp_step()
        save = "\n".join(f"declare -p {n} 2>/dev/null || true" for n in sorted(self.names))
        script = (
            "set -euo pipefail\n"
            f"[ -f {self.state} ] && source {self.state}\n"
            + block.code.replace(LOCAL_API, self.api)
            + f"\n{{\n{save}\n}} > {self.state}\n"
        )
        done = subprocess.run(
            ["bash", "-c", script], cwd=self.workdir, capture_output=True, text=True, timeout=timeout
        )
        out = done.stdout
        print(f"$ {block.code}\n{out}")  # what a reader would see (pytest -s shows it)
        assert done.returncode == 0, (
            f"walk-through block failed ({done.returncode}):\n{block.code}\n{out}\n{done.stderr}"
        )
        assert "null" not in out.split(), f"a step printed null:\n{block.code}\n{out}"
        for fragment in block.expected:
            assert fragment in out, f"expected {fragment!r} in the output of\n{block.code}\n---\n{out}"
        return out
