"""Declarative base, shared column mixins and the encrypted-field descriptor.

Conventions every model follows:
- UUID primary key `id`, assigned in Python at construction so encrypted fields can bind
  their ciphertext to the row id before the row is flushed.
- Tenant tables mix in `TenantMixin` (org_id NOT NULL); row-level security is created for
  every table that has an org_id column (see migrations).
- Mutable tables mix in `AuditColumnsMixin`; a trigger keeps updated_at/created_by/updated_by.
- Soft-deletable tables mix in `SoftDeleteMixin`; sessions hide deleted rows by default.
- An encrypted field is a bytea column named after the field (attribute `<name>_ct`) plus an
  `Encrypted` descriptor `<name>` that encrypts on set and decrypts on get.
"""

from __future__ import annotations

import enum
import json
import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar, overload

from sqlalchemy import BigInteger, DateTime, Enum, LargeBinary, MetaData, Text, event, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql import UUID as PG_UUID
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    MappedColumn,
    ORMExecuteState,
    Session,
    declared_attr,
    mapped_column,
    object_session,
    with_loader_criteria,
)

from core.crypto import field_aad
from core.fieldcrypt import blind_digest, field_cipher

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        uuid.UUID: PG_UUID(as_uuid=True),
        datetime: DateTime(timezone=True),
        dict[str, Any]: JSONB,
        list[Any]: JSONB,
        str: Text,
        bytes: LargeBinary,
    }

    def __init__(self, **kwargs: Any) -> None:
        # The id must exist before any Encrypted descriptor runs: it is part of the AAD.
        if "id" in self.__table__.c:
            self.id = kwargs.pop("id", None) or uuid.uuid4()
        cls = type(self)
        for key, value in kwargs.items():
            if not hasattr(cls, key):
                raise TypeError(f"{key!r} is an invalid keyword argument for {cls.__name__}")
            setattr(self, key, value)


class IdMixin:
    id: Mapped[uuid.UUID] = mapped_column(PG_UUID(as_uuid=True), primary_key=True, default=uuid.uuid4)


class TenantMixin:
    @declared_attr
    def org_id(cls) -> Mapped[uuid.UUID]:
        from sqlalchemy import ForeignKey

        return mapped_column(ForeignKey("organizations.id", ondelete="RESTRICT"), nullable=False)


class AuditColumnsMixin:
    created_at: Mapped[datetime] = mapped_column(server_default=func.now(), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), nullable=False)
    # Plain UUIDs, no foreign key: a user row may itself be created by the system, and
    # users reference organizations which reference users, so an FK would make a cycle.
    created_by: Mapped[uuid.UUID | None] = mapped_column(PG_UUID(as_uuid=True))
    updated_by: Mapped[uuid.UUID | None] = mapped_column(PG_UUID(as_uuid=True))


class SoftDeleteMixin:
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


@event.listens_for(Session, "do_orm_execute")
def _hide_soft_deleted(state: ORMExecuteState) -> None:
    """Every ORM SELECT skips soft-deleted rows unless asked with include_deleted=True. (Here,
    beside the mixin, so that core.db need not know the models.)"""
    if (
        state.is_select
        and not state.is_column_load
        and not state.is_relationship_load
        and not state.execution_options.get("include_deleted", False)
    ):
        state.statement = state.statement.options(
            with_loader_criteria(SoftDeleteMixin, lambda cls: cls.deleted_at.is_(None), include_aliases=True)
        )


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def pg_enum(enum_cls: type[enum.Enum]) -> Enum:
    """A native PostgreSQL enum whose labels are the Python values."""
    return Enum(
        enum_cls,
        name=_snake(enum_cls.__name__),
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


def money() -> MappedColumn[int]:
    """Integer cents, never floats."""
    return mapped_column(BigInteger, nullable=False)


# --- encrypted fields ------------------------------------------------------------------------

T = TypeVar("T")


@dataclass(frozen=True)
class EncryptedFieldInfo:
    table: str
    field: str
    kind: type
    blind: bool


# Every encrypted field in the schema, for the plaintext-scan and key-rotation tooling.
ENCRYPTED_FIELDS: list[EncryptedFieldInfo] = []


def _encode(value: object, kind: type) -> bytes:
    if kind is str:
        assert isinstance(value, str), f"expected str, got {type(value).__name__}"
        return value.encode()
    if kind is date:
        assert isinstance(value, date)
        return value.isoformat().encode()
    if kind is Decimal:
        return str(Decimal(str(value))).encode()
    return json.dumps(value, separators=(",", ":"), sort_keys=True, default=str).encode()


def _decode(raw: bytes, kind: type) -> Any:
    if kind is str:
        return raw.decode()
    if kind is date:
        return date.fromisoformat(raw.decode())
    if kind is Decimal:
        return Decimal(raw.decode())
    return json.loads(raw)


def note_phi_read(obj: Any, field: str) -> None:
    """Record that PHI was decrypted so the tenant session can audit the read on commit."""
    sess = object_session(obj)
    if sess is None:
        return
    reads: dict[tuple[str, uuid.UUID], set[str]] = sess.info.setdefault("phi_reads", {})
    reads.setdefault((obj.__tablename__, obj.id), set()).add(field)


def note_phi_read_group(session: Session, table: str, row_ids: list[str], fields: Iterable[str]) -> None:
    """Record that PHI of these rows (ids as text) was shown without loading them, e.g. from a
    cached view: audited as one event like any read of many rows (core/audit.py)."""
    groups: list[tuple[str, tuple[str, ...], list[str]]] = session.info.setdefault("phi_read_groups", [])
    groups.append((table, tuple(sorted(fields)), row_ids))


def note_phi_reads(session: Session, table: str, row_ids: Iterable[uuid.UUID], fields: Iterable[str]) -> None:
    """Record reads of PHI decrypted without going through a model (a set-based read)."""
    reads: dict[tuple[str, uuid.UUID], set[str]] = session.info.setdefault("phi_reads", {})
    names = set(fields)
    for row_id in row_ids:
        seen = reads.get((table, row_id))
        if seen is None:
            reads[(table, row_id)] = set(names)
        else:
            seen |= names


class Encrypted(Generic[T]):
    """Plaintext view of the bytea column `<name>_ct`.

    `blind` names a normaliser; when given, the keyed digest of the normalised value is
    kept in `<name>_bidx` so the field can be found by equality without decrypting.
    """

    def __init__(self, kind: type[T], *, blind: Callable[[str], str] | None = None) -> None:
        self.kind = kind
        self.blind = blind
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name
        self.ct_attr = f"{name}_ct"
        self.bidx_attr = f"{name}_bidx"
        table = getattr(owner, "__tablename__", owner.__name__)
        ENCRYPTED_FIELDS.append(EncryptedFieldInfo(table, name, self.kind, self.blind is not None))

    @overload
    def __get__(self, obj: None, owner: type) -> Encrypted[T]: ...
    @overload
    def __get__(self, obj: object, owner: type) -> T | None: ...
    def __get__(self, obj: object | None, owner: type) -> Encrypted[T] | T | None:
        if obj is None:
            return self
        blob = getattr(obj, self.ct_attr)
        if blob is None:
            return None
        note_phi_read(obj, self.name)
        aad = field_aad(obj.__tablename__, self.name, obj.id)  # type: ignore[attr-defined]
        return _decode(field_cipher().decrypt(bytes(blob), aad), self.kind)

    def __set__(self, obj: object, value: T | None) -> None:
        table = obj.__tablename__  # type: ignore[attr-defined]
        if value is None:
            setattr(obj, self.ct_attr, None)
            if self.blind is not None:
                setattr(obj, self.bidx_attr, None)
            return
        aad = field_aad(table, self.name, obj.id)  # type: ignore[attr-defined]
        setattr(obj, self.ct_attr, field_cipher().encrypt(_encode(value, self.kind), aad))
        if self.blind is not None:
            setattr(obj, self.bidx_attr, blind_digest(f"{table}.{self.name}", self.blind(str(value))))

    def lookup(self, owner_table: str, value: str) -> bytes:
        """The blind-index digest to compare `<name>_bidx` with."""
        assert self.blind is not None, f"{self.name} has no blind index"
        return blind_digest(f"{owner_table}.{self.name}", self.blind(value))


def encrypted_column(name: str, *, nullable: bool = True) -> MappedColumn[Any]:
    """The bytea column behind an Encrypted field; the SQL column carries the field's name."""
    return mapped_column(name, LargeBinary, nullable=nullable)


def blind_index_column(name: str) -> MappedColumn[Any]:
    return mapped_column(f"{name}_bidx", LargeBinary, nullable=True)


__all__ = [
    "ENCRYPTED_FIELDS",
    "AuditColumnsMixin",
    "Base",
    "BigInteger",
    "Encrypted",
    "IdMixin",
    "SoftDeleteMixin",
    "TenantMixin",
    "Text",
    "blind_index_column",
    "encrypted_column",
    "money",
    "pg_enum",
]
