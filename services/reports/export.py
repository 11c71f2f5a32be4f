"""The bookkeeper's export: a period's journals as a general-ledger CSV in the import formats of
QuickBooks Online and Xero, and as a beancount plain-text ledger, every account named through
the org's chart-of-accounts mapping (`account_mappings`).

Formats (README "Reports"; from each vendor's import help, as of 2026):
- QuickBooks Online, Import data > Journal entries: `JournalNo, JournalDate, AccountName,
  Debits, Credits, Description, Name`; dates MM/DD/YYYY; one of Debits/Credits per line; lines
  sharing a JournalNo form one entry and must balance. QBO asks for a Name on receivable lines:
  we give the resident's account reference (`R-` and 8 hex digits of their id), never a name,
  so no PHI leaves; the bookkeeper keeps customers under those references.
- Xero, Manual journals > Import: `Narration, Date, Description, AccountCode, TaxRate, Amount`;
  dates DD/MM/YYYY; Amount positive for a debit, negative for a credit; lines sharing a
  Narration and Date form one journal (so each narration carries the journal's number). Xero
  takes up to 300 lines per file: a longer period is imported in several files.
- beancount: an `open` per account, the balances before the period as one opening transaction
  against `Equity:Opening-Balances`, one transaction per journal, and a `balance` assertion per
  account the day after the period, so `bean-check` proves the ledger equals the trial balance.

Journal descriptions are plaintext by design and carry no PHI (services/ledger.py)."""

from __future__ import annotations

import csv
import io
import re
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from core.errors import NotFound, Rejected
from models.payments import LedgerAccount
from models.reports import AccountMapping
from services.billing.accounts import RECEIVABLE
from services.reports.base import period
from services.reports.render import dollars

ROOTS = {
    "asset": "Assets",
    "liability": "Liabilities",
    "equity": "Equity",
    "revenue": "Income",
    "expense": "Expenses",
}
BEANCOUNT_ACCOUNT = re.compile(r"^(Assets|Liabilities|Equity|Income|Expenses)(:[A-Z0-9][A-Za-z0-9-]*)+$")
CURRENCY = "USD"
# What Xero calls the rate of an untaxed line in a US organisation; an org maps its own.
XERO_NO_TAX = "Tax Exempt"


class ExportFormat(StrEnum):
    QBO = "qbo"
    XERO = "xero"
    BEANCOUNT = "beancount"


@dataclass(frozen=True)
class Account:
    id: uuid.UUID
    code: str
    name: str
    type: str
    qbo: str
    xero_code: str
    xero_tax: str
    beancount: str


@dataclass(frozen=True)
class Entry:
    journal_id: uuid.UUID
    day: date
    description: str
    account_id: uuid.UUID
    debit: bool
    cents: int
    resident_id: uuid.UUID | None


def default_beancount(account_type: str, name: str) -> str:
    words = re.findall(r"[A-Za-z0-9]+", name)
    leaf = "".join(w[:1].upper() + w[1:] for w in words) or "Account"
    if not leaf[0].isalpha():
        leaf = "A" + leaf
    return f"{ROOTS[account_type]}:{leaf}"


def accounts(session: Session) -> dict[uuid.UUID, Account]:
    rows = session.execute(
        select(LedgerAccount, AccountMapping)
        .outerjoin(AccountMapping, AccountMapping.account_id == LedgerAccount.id)
        .where(LedgerAccount.deleted_at.is_(None))
        .order_by(LedgerAccount.code)
    ).all()
    out: dict[uuid.UUID, Account] = {}
    for acct, m in rows:
        kind = acct.account_type.value
        out[acct.id] = Account(
            acct.id,
            acct.code,
            acct.name,
            kind,
            (m and m.qbo_account) or acct.name,
            (m and m.xero_account_code) or acct.code,
            (m and m.xero_tax_rate) or XERO_NO_TAX,
            (m and m.beancount_account) or default_beancount(kind, acct.name),
        )
    return out


@dataclass(frozen=True)
class NewMapping:
    code: str
    qbo_account: str | None = None
    xero_account_code: str | None = None
    xero_tax_rate: str | None = None
    beancount_account: str | None = None


def set_mappings(session: Session, mappings: list[NewMapping]) -> int:
    """Upsert the mapping of each named account (by our code); an unknown code is a 404 naming
    `code`, a beancount name beancount would refuse a 422, and nothing is written then."""
    by_code = {
        a.code: a for a in session.scalars(select(LedgerAccount).where(LedgerAccount.deleted_at.is_(None)))
    }
    org_id = session.info["actor"]["org_id"]
    rows = []
    for m in mappings:
        acct = by_code.get(m.code)
        if acct is None:
            raise NotFound(f"no ledger account {m.code}", field="code")
        if m.beancount_account and not BEANCOUNT_ACCOUNT.match(m.beancount_account):
            raise Rejected("not a beancount account name (e.g. Assets:Receivable)", field="beancount_account")
        rows.append(
            {
                "id": uuid.uuid4(),
                "org_id": org_id,
                "account_id": acct.id,
                "qbo_account": m.qbo_account,
                "xero_account_code": m.xero_account_code,
                "xero_tax_rate": m.xero_tax_rate,
                "beancount_account": m.beancount_account,
            }
        )
    if rows:
        stmt = pg_insert(AccountMapping).values(rows)
        session.execute(
            stmt.on_conflict_do_update(
                constraint="uq_account_mappings_org_account",
                set_={
                    k: stmt.excluded[k]
                    for k in ("qbo_account", "xero_account_code", "xero_tax_rate", "beancount_account")
                }
                | {"updated_at": text("now()")},
            )
        )
    return len(rows)


def entries(session: Session, first: date, last: date) -> list[Entry]:
    period(first, last)
    rows = session.execute(
        text(
            """
            SELECT journal_id, effective_date, coalesce(description, '') AS description, account_id,
                   direction = 'debit' AS debit, amount_cents, resident_id
            FROM ledger_entries WHERE effective_date BETWEEN :first AND :last
            ORDER BY effective_date, journal_id, line_no
            """
        ),
        {"first": first, "last": last},
    ).all()
    return [Entry(*r) for r in rows]


def _numbers(es: list[Entry]) -> dict[uuid.UUID, str]:
    """Journal numbers in date order, stable for the period: `RO-<date>-<n>`."""
    out: dict[uuid.UUID, str] = {}
    for e in es:
        if e.journal_id not in out:
            out[e.journal_id] = f"RO-{e.day:%Y%m%d}-{len(out) + 1:05d}"
    return out


def customer_ref(resident_id: uuid.UUID | None) -> str:
    return f"R-{resident_id.hex[:8]}" if resident_id else ""


def qbo_csv(session: Session, first: date, last: date) -> str:
    accts, es = accounts(session), entries(session, first, last)
    nums = _numbers(es)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(["JournalNo", "JournalDate", "AccountName", "Debits", "Credits", "Description", "Name"])
    for e in es:
        amount = dollars(e.cents)
        a = accts[e.account_id]
        name = customer_ref(e.resident_id) if a.code == RECEIVABLE else ""
        w.writerow(
            [
                nums[e.journal_id],
                f"{e.day:%m/%d/%Y}",
                a.qbo,
                amount if e.debit else "",
                "" if e.debit else amount,
                e.description,
                name,
            ]
        )
    return buf.getvalue()


def xero_csv(session: Session, first: date, last: date) -> str:
    accts, es = accounts(session), entries(session, first, last)
    nums = _numbers(es)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(["Narration", "Date", "Description", "AccountCode", "TaxRate", "Amount"])
    for e in es:
        a = accts[e.account_id]
        w.writerow(
            [
                f"{nums[e.journal_id]} {e.description}".strip(),
                f"{e.day:%d/%m/%Y}",
                e.description,
                a.xero_code,
                a.xero_tax,
                dollars(e.cents if e.debit else -e.cents),
            ]
        )
    return buf.getvalue()


def _quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def beancount(session: Session, first: date, last: date) -> str:
    accts, es = accounts(session), entries(session, first, last)
    opening = session.execute(
        text(
            """
            SELECT account_id, sum(CASE WHEN direction = 'debit' THEN amount_cents ELSE -amount_cents END)
            FROM ledger_entries WHERE effective_date < :first GROUP BY account_id
            """
        ),
        {"first": first},
    ).all()
    net: dict[uuid.UUID, int] = {r[0]: int(r[1]) for r in opening}
    start = first - timedelta(days=1)
    out = [
        f'option "title" "RecoveryOS ledger {first} to {last}"',
        f'option "operating_currency" "{CURRENCY}"',
        "",
    ]
    out += [f"{start} open {a.beancount} {CURRENCY}" for a in accts.values()]
    out.append(f"{start} open Equity:Opening-Balances {CURRENCY}")
    out.append("")
    nonzero = [(accts[k], v) for k, v in sorted(net.items(), key=lambda kv: accts[kv[0]].code) if v]
    if nonzero:
        out.append(f'{start} * "Opening balances"')
        out += [f"  {a.beancount}  {dollars(v)} {CURRENCY}" for a, v in nonzero]
        if sum(v for _, v in nonzero):
            out.append("  Equity:Opening-Balances")
        out.append("")
    nums = _numbers(es)
    current: uuid.UUID | None = None
    for e in es:
        if e.journal_id != current:
            if current is not None:
                out.append("")
            current = e.journal_id
            out.append(f"{e.day} * {_quote(e.description or 'Journal')} ^{nums[e.journal_id].lower()}")
            out.append(f'  journal: "{e.journal_id}"')
        signed = e.cents if e.debit else -e.cents
        net[e.account_id] = net.get(e.account_id, 0) + signed
        out.append(f"  {accts[e.account_id].beancount}  {dollars(signed)} {CURRENCY}")
    out.append("")
    after = last + timedelta(days=1)
    out += [f"{after} balance {a.beancount}  {dollars(net.get(a.id, 0))} {CURRENCY}" for a in accts.values()]
    return "\n".join(out) + "\n"


def export(session: Session, fmt: ExportFormat, first: date, last: date) -> str:
    return {ExportFormat.QBO: qbo_csv, ExportFormat.XERO: xero_csv, ExportFormat.BEANCOUNT: beancount}[fmt](
        session, first, last
    )
