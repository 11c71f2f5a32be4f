"""Reports' own tables: how the org's ledger accounts are named in its bookkeeper's software
(the accounting export). Reports otherwise read what the processes wrote and keep nothing."""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import AuditColumnsMixin, Base, IdMixin, TenantMixin


class AccountMapping(IdMixin, TenantMixin, AuditColumnsMixin, Base):
    """One ledger account's names in QuickBooks Online (account name, `Parent:Child` for a
    sub-account), Xero (account code and tax rate) and beancount (account name). An account
    with no row is exported under its own name and code."""

    __tablename__ = "account_mappings"

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ledger_accounts.id", ondelete="CASCADE"))
    qbo_account: Mapped[str | None]
    xero_account_code: Mapped[str | None]
    xero_tax_rate: Mapped[str | None]
    beancount_account: Mapped[str | None]

    __table_args__ = (UniqueConstraint("org_id", "account_id", name="uq_account_mappings_org_account"),)
