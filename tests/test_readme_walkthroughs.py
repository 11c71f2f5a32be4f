"""The README's walk-throughs, run as written against the live test stack with the demo org of
seed 42, a real Chromium doing what the reader does in a browser (tests/walkthrough.py says
what "as written" allows). A README that no longer works fails here."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser import chromium, phone, screenshot_dir
from tests.walkthrough import Block, Shell, Walkthrough, sections, walkthroughs

browser = pytest.fixture(scope="module", name="browser")(chromium)
PHONE = phone(390, 844)
SEED = 42


@pytest.fixture(scope="module")
def demo(stack: str, localstripe: str) -> str:
    """The demo org of seed 42, seeded through the command the README tells a reader to run."""
    from cli.seed import seed

    assert seed(scale=1, seed_value=SEED) == 0
    return stack


@pytest.fixture
def shell(tmp_path: Path, demo: str) -> Iterator[Shell]:
    yield Shell(tmp_path, demo)


def _walkthrough(title_start: str) -> Walkthrough:
    found = [w for title, w in walkthroughs().items() if title.startswith(title_start)]
    assert len(found) == 1, f"README has no single walk-through titled {title_start!r}"
    return found[0]


def _sign_as_the_resident(page: Any, url: str, shots: Path) -> None:
    """What the README asks of the reader on the phone: consent, read to the end, type, sign."""
    from playwright.sync_api import expect

    page.goto(url)
    page.check("#esign_consent")
    page.click("#consent-button")
    page.locator("#document-end").scroll_into_view_if_needed()
    expect(page.locator("#read_confirmed")).to_be_enabled()
    page.check("#read_confirmed")
    page.fill("#typed_signature", "Reader Of The Readme")
    page.screenshot(path=shots / "readme-adopted.png", full_page=True)
    page.click("#sign-button")
    page.wait_for_selector("#done")


def _wait_signed(shell: Shell) -> None:
    """A reader takes seconds to come back to the terminal; the workflow records the signature
    in that time. Wait for it with the walk-through's own variables, as the next line reads it."""
    shell.run(
        Block(
            "for _ in $(seq 150); do\n"
            '  STATUS=$(curl -s -H "$H" $API/v1/documents/$DOC/signature-request | jq -r .status)\n'
            '  [ "$STATUS" = signed ] && break\n'
            "  sleep 0.2\n"
            "done"
        )
    )


def test_the_readme_names_its_walk_throughs_and_each_has_commands() -> None:
    found = walkthroughs()
    assert found, "the README has no walk-through"
    for title, w in found.items():
        assert w.blocks, f"walk-through {title!r} has no bash block"


def test_sending_the_residency_agreement_and_signing_it_works_as_written(
    shell: Shell, browser: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    w = _walkthrough("send a resident the residency agreement")
    assert len(w.blocks) == 2
    printed = shell.run(w.blocks[0]).strip().splitlines()
    link = printed[-1]
    assert "/sign/" in link
    context = browser.new_context(**PHONE)
    page = context.new_page()
    # The printed link names the configured public URL; the test's API listens elsewhere.
    _sign_as_the_resident(
        page,
        shell.api + "/sign/" + link.rsplit("/", 1)[1],
        screenshot_dir(tmp_path_factory, "readme-signing"),
    )
    context.close()
    _wait_signed(shell)
    shell.run(w.blocks[1])
    assert (shell.workdir / "signed.pdf").read_bytes().startswith(b"%PDF-")
    assert (shell.workdir / "certificate.pdf").read_bytes().startswith(b"%PDF-")


def _pay_by_card(page: Any, link: str, shots: Path) -> None:
    """What the README asks of the reader on the payment page."""
    page.goto(link)
    page.fill("#card_number", "4242 4242 4242 4242")
    page.fill("#card_exp", "12/34")
    page.fill("#card_cvc", "123")
    page.screenshot(path=shots / "readme-card.png", full_page=True)
    page.click("#pay-button")
    page.wait_for_selector("#receipt", timeout=60_000)


def test_the_first_hour_sign_in_set_up_admit_and_take_a_card_payment_works_as_written(
    shell: Shell, browser: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    w = _walkthrough("the first hour")
    (shell.workdir / ".venv").symlink_to(Path(sys.prefix))  # "from the repository's folder"
    signed_in, house, admitted, billed, paid, outsider = w.blocks
    shell.run(signed_in)
    shell.run(house)
    shell.run(admitted)
    before_lines = shell.run(billed).strip().splitlines()
    before, link = int(before_lines[-2]), before_lines[-1]
    context = browser.new_context(**PHONE)
    _pay_by_card(
        context.new_page(),
        shell.api + "/v1/billing/pay/" + link.rsplit("/", 1)[1],
        screenshot_dir(tmp_path_factory, "readme-payment"),
    )
    context.close()
    after = int(shell.run(paid).strip().splitlines()[-1])
    assert after < before, (before, after)
    answers = shell.run(outsider).strip().splitlines()
    assert len(answers) == 6 and all(a.startswith("404 ") for a in answers), answers


def test_reporting_a_breach_then_a_resident_asking_for_their_records_works_as_written(shell: Shell) -> None:
    """The two walk-throughs in one shell: the second continues the first (one sign-in: a TOTP
    code is good once)."""
    (shell.workdir / ".venv").symlink_to(Path(sys.prefix))  # "from the repository's folder"
    reported, decided, closed = _walkthrough("report a breach").blocks
    printed = shell.run(reported)
    assert "assessment" in printed and "164.402(2)" in printed
    shell.run(decided)
    assert (shell.workdir / "letter.pdf").read_bytes().startswith(b"%PDF-")
    shell.run(closed)
    assert (shell.workdir / "closing-report.pdf").read_bytes().startswith(b"%PDF-")
    (asked,) = _walkthrough("a resident asks for a copy of their records").blocks
    shell.run(asked)
    assert (shell.workdir / "my-records.pdf").read_bytes().startswith(b"%PDF-")


def _wait_consent(shell: Shell, status: str) -> None:
    """The lifecycle writes the status a moment after the signature request ends."""
    shell.run(
        Block(
            "for _ in $(seq 150); do\n"
            f'  [ "$(curl -s -H "$H" $API/v1/consents/$C | jq -r .status)" = {status} ] && break\n'
            "  sleep 0.2\n"
            "done"
        )
    )


def test_a_part2_consent_signed_disclosed_under_and_revoked_works_as_written(
    shell: Shell, browser: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    w = _walkthrough("a Part 2 consent")
    (shell.workdir / ".venv").symlink_to(Path(sys.prefix))  # "from the repository's folder"
    recorded, disclosed, refused = w.blocks
    shots = screenshot_dir(tmp_path_factory, "readme-consent")
    context = browser.new_context(**PHONE)
    form = shell.run(recorded).strip().splitlines()[-1]
    _sign_as_the_resident(context.new_page(), shell.api + "/sign/" + form.rsplit("/", 1)[1], shots)
    _wait_consent(shell, "active")
    revocation = shell.run(disclosed).strip().splitlines()[-1]
    assert (shell.workdir / "package.pdf").read_bytes().startswith(b"%PDF-")
    _sign_as_the_resident(context.new_page(), shell.api + "/sign/" + revocation.rsplit("/", 1)[1], shots)
    context.close()
    _wait_consent(shell, "revoked")
    shell.run(refused)
    assert (shell.workdir / "accounting.pdf").read_bytes().startswith(b"%PDF-")


def test_disclosing_under_a_consent_and_exporting_the_accounting_works_as_written(shell: Shell) -> None:
    w = _walkthrough("Disclosures and the accounting")
    (shell.workdir / ".venv").symlink_to(Path(sys.prefix))  # "from the repository's folder"
    for block in w.blocks:
        shell.run(block)
    assert (shell.workdir / "package.pdf").read_bytes().startswith(b"%PDF-")
    assert (shell.workdir / "accounting.pdf").read_bytes().startswith(b"%PDF-")
    assert (shell.workdir / "resident-accounting.pdf").read_bytes().startswith(b"%PDF-")


def test_the_demo_residents_pages_work_as_written_and_on_a_phone(
    shell: Shell, browser: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The README's resident walk-through in a shell, then the same demo resident's home page in
    Chromium at 390×844: announcement, message, statement, a document to sign."""
    signed_in, answered, receipt = _walkthrough("the demo resident's pages").blocks
    printed = shell.run(signed_in).strip().splitlines()
    assert printed[1].startswith("$") and printed[-1]  # the balance, then the announcement's text
    shell.run(answered)
    assert (shell.workdir / "statement.pdf").read_bytes().startswith(b"%PDF-")
    shell.run(receipt)
    shots = screenshot_dir(tmp_path_factory, "readme-resident")
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(f"{shell.api}/me/sign-in")
    page.fill("#email", "resident@demo-42.example.com")
    page.fill("#password", "recovery-demo-42")
    page.click("text=Sign in >> nth=-1")
    page.wait_for_selector("#balance")
    page.screenshot(path=shots / "home.png", full_page=True)
    for section in ("#messages", "#announcements", "#to-sign"):
        assert page.locator(section).count() == 1, section
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()


# --- house operations: chores and meetings ----------------------------------------------------


def test_a_week_of_a_houses_chores_and_meetings_works_as_written(shell: Shell) -> None:
    for block in _walkthrough("a week of a house's routines").blocks:
        shell.run(block)


def _on_port(block: Block, port: int) -> Block:
    """The walk-through's receiver port (9000) becomes the one the test stack may call."""
    return Block(block.code.replace("9000", str(port)))


def test_signed_webhooks_to_a_ten_line_receiver_off_and_on_and_a_partner_reading_open_beds_work_as_written(
    shell: Shell,
) -> None:
    from tests.conftest import WEBHOOK_RECEIVER_PORT

    (shell.workdir / ".venv").symlink_to(Path(sys.prefix))  # "from the repository's folder"
    shell.run(_walkthrough("the first hour").blocks[0])  # "the owner signed in as in the first"
    w = _walkthrough("receive signed webhooks")
    (receiver,) = w.python
    (shell.workdir / "receiver.py").write_text(receiver)
    registered, off_and_on = (_on_port(b, WEBHOOK_RECEIVER_PORT) for b in w.blocks)
    try:
        shell.run(registered)
        shell.run(off_and_on)
    finally:
        shell.run(Block("kill $RECEIVER 2>/dev/null || true"))
    log = (shell.workdir / "receiver.log").read_text()
    # What the receiver printed: deliveries whose signature verified (Ana's lead, then Ben's
    # after the retries), between http.server's access lines; no traceback.
    printed = [line.split()[1] for line in log.splitlines() if not line.startswith("127.0.0.1 - -")]
    assert printed == ["lead.created.v1", "lead.created.v1"], log
    partner = sections()["Referral partners: open beds"].blocks[0]
    houses = [line for line in shell.run(partner).splitlines() if line.startswith("{")]
    assert houses and all('"open_beds":' in h and '"gender":"men"' in h for h in houses), houses
