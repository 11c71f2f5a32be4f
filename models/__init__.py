"""SQLAlchemy models, one module per file of the seed schema. Importing this package
registers every table on `Base.metadata` (Alembic and the tests rely on that)."""

from models import (  # noqa: F401
    audit,
    bed_board,
    compliance,
    compliance_extended,
    documents,
    documents_extended,
    events,
    files,
    integrations,
    messaging,
    messaging_extended,
    operations,
    operations_extended,
    operations_safety,
    orgs,
    part2,
    payment_extended,
    payments,
    reports,
    resident_tracking,
    residents,
    retention,
    users,
    workers,
)
from models.base import Base

metadata = Base.metadata
