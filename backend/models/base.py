"""Column types and mixins shared by every aggregate."""
import enum
import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    """Now, as an aware UTC instant (used as a callable default, never at import)."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """An instant stored as UTC; always returned timezone-aware.

    SQLite has no time zones, so values go in as naive UTC and come back aware.
    Naive datetimes are refused: an instant without a zone is a bug.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware UTC instant is required")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def enum_type(enum_cls: type[enum.Enum]) -> sa.Enum:
    """A portable string enum column (no native PostgreSQL type to migrate)."""
    return sa.Enum(
        enum_cls,
        native_enum=False,
        length=32,
        validate_strings=True,
        values_callable=lambda e: [m.value for m in e],
    )


class IdMixin:
    """UUID primary key: ids in URLs never reveal counts or order."""

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)


class CreatedMixin:
    """When the row was created."""

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
