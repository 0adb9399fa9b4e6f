"""Lesson 3 alternative (v3): Annotated column types and to_dict() built from the table."""

from datetime import UTC, datetime
from typing import Annotated

from sqlalchemy import DateTime, String
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from .extensions import db


class UTCDateTime(TypeDecorator):
    """Aware datetimes only; stored as UTC and read back as UTC on every database."""

    impl = DateTime(timezone=True)
    cache_ok = True

    @staticmethod
    def _as_utc(value: datetime) -> datetime:
        return value.astimezone(UTC)

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime: give it a timezone (e.g. datetime.now(UTC))")
        return None if value is None else self._as_utc(value)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return self._as_utc(value.replace(tzinfo=value.tzinfo or UTC))


def utc_now() -> datetime:
    return datetime.now(UTC)


# Reusable column shapes (SQLAlchemy 2 puts mapped_column() inside Annotated).
IntPK = Annotated[int, mapped_column(primary_key=True)]
Code3 = Annotated[str, mapped_column(String(3))]


class Invoice(db.Model):
    __tablename__ = "invoice"

    id: Mapped[IntPK]
    customer: Mapped[str] = mapped_column(String(200))
    amount_cents: Mapped[int]
    currency: Mapped[Code3] = mapped_column(default="EUR")
    status: Mapped[str] = mapped_column(String(20), default="draft")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)

    def to_dict(self) -> dict:
        """The invoice as the API shows it: every column, times in ISO 8601."""
        data = {}
        for column in self.__table__.columns:
            value = getattr(self, column.key)
            data[column.key] = value.isoformat() if isinstance(value, datetime) else value
        return data
