"""The bookkeeper's export of the known org (tests/reports/builders.py): QuickBooks Online and
Xero CSV in their import columns, mapped through the org's chart-of-accounts mapping, and a
beancount ledger that `bean-check` accepts, its closing balances asserted against ours."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from pathlib import Path

import httpx

from core.enums import UserRole
from tests.reports.builders import Known

SPECIALIST = UserRole.BILLING_SPECIALIST
FEB = {"from": "2026-02-01", "to": "2026-02-28"}


def _client(stack: str, known: Known) -> httpx.Client:
    return httpx.Client(base_url=stack, headers=known.org.headers(SPECIALIST), timeout=120)


def test_qbo_and_xero_csv_carry_februarys_journals_balanced_under_the_mapped_names(
    stack: str, known: Known
) -> None:
    with _client(stack, known) as http:
        put = http.put(
            "/v1/reports/account-mappings",
            json={
                "accounts": [
                    {"code": "1100", "qbo_account": "Accounts Receivable (A/R)", "xero_account_code": "610"}
                ]
            },
        )
        assert put.status_code == 200, put.text
        mapped = {m["code"]: m for m in put.json()}
        assert mapped["1100"]["qbo_account"] == "Accounts Receivable (A/R)"
        assert (
            mapped["4000"]["qbo_account"] == "Rent revenue" and mapped["4000"]["xero_account_code"] == "4000"
        )
        qbo = http.get("/v1/reports/journals", params={**FEB, "format": "qbo"})
        xero = http.get("/v1/reports/journals", params={**FEB, "format": "xero"})
        unknown = http.put(
            "/v1/reports/account-mappings", json={"accounts": [{"code": "9999", "qbo_account": "X"}]}
        )
        bad = http.put(
            "/v1/reports/account-mappings",
            json={"accounts": [{"code": "1100", "beancount_account": "receivable"}]},
        )
    assert (unknown.status_code, unknown.json()["field"]) == (404, "code")
    assert (bad.status_code, bad.json()["field"]) == (422, "beancount_account")
    rows = list(csv.DictReader(io.StringIO(qbo.text)))
    assert list(rows[0]) == [
        "JournalNo",
        "JournalDate",
        "AccountName",
        "Debits",
        "Credits",
        "Description",
        "Name",
    ]
    # February: invoice B issued, 400 by ACH, the late fee, the write-off of D.
    assert len({r["JournalNo"] for r in rows}) == 4
    for no in {r["JournalNo"] for r in rows}:
        lines = [r for r in rows if r["JournalNo"] == no]
        assert sum(float(r["Debits"] or 0) for r in lines) == sum(float(r["Credits"] or 0) for r in lines)
    receivable = [r for r in rows if r["AccountName"] == "Accounts Receivable (A/R)"]
    assert receivable and all(r["Name"].startswith("R-") for r in receivable)
    assert {r["JournalDate"] for r in rows} == {"02/01/2026", "02/10/2026", "02/15/2026", "02/20/2026"}
    assert "Test" not in qbo.text  # references, never names
    xrows = list(csv.DictReader(io.StringIO(xero.text)))
    assert list(xrows[0]) == ["Narration", "Date", "Description", "AccountCode", "TaxRate", "Amount"]
    assert sum(float(r["Amount"]) for r in xrows) == 0
    assert {r["AccountCode"] for r in xrows} >= {"610", "4000", "4300", "6200", "1010"}
    assert {r["Date"] for r in xrows} == {"01/02/2026", "10/02/2026", "15/02/2026", "20/02/2026"}


def test_the_beancount_ledger_passes_bean_check_with_balances_equal_to_the_trial_balance(
    stack: str, known: Known, tmp_path: Path
) -> None:
    with _client(stack, known) as http:
        got = http.get("/v1/reports/journals", params={**FEB, "format": "beancount"})
        tb = http.get("/v1/reports/trial-balance", params={"as_of": "2026-02-28", "limit": 200}).json()
    assert got.status_code == 200, got.text
    ledger = tmp_path / "feb.beancount"
    ledger.write_text(got.text)
    check = subprocess.run(
        [str(Path(sys.executable).with_name("bean-check")), str(ledger)], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr
    # The closing assertions bean-check just proved are the trial balance's figures.
    receivable = next(r for r in tb["items"] if r["code"] == "1100")["balance_cents"]
    assert (
        f"2026-03-01 balance Assets:AccountsReceivable  {receivable // 100}.{receivable % 100:02d} USD"
        in got.text
    )
    assert "Opening balances" in got.text
    # A broken ledger is refused: bean-check is really checking.
    ledger.write_text(
        got.text.replace(
            "2026-03-01 balance Assets:AccountsReceivable",
            "2026-03-01 balance Assets:AccountsReceivable  1.00 USD ;",
            1,
        )
    )
    assert (
        subprocess.run(
            [str(Path(sys.executable).with_name("bean-check")), str(ledger)], capture_output=True
        ).returncode
        != 0
    )
