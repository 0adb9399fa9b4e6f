"""Lesson 3 alternative (v2): Mapped columns, explicit nullability, an automatic table name."""

from datetime import UTC, datetime

from sqlalchemy import DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from .extensions import db


class UTCDateTime(TypeDecorator):
    """A timezone-aware column type whose values are always UTC, going in and coming out."""

    impl = DateTime
    cache_ok = True

    def __init__(self):
        super().__init__(timezone=True)

    def process_bind_param(self, value, dialect):
        if value is None:
            return value
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetime: give it a timezone (e.g. datetime.now(UTC))")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return value
        # SQLite forgets the zone (naive); other databases may answer in the session's zone.
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def utc_now() -> datetime:
    return datetime.now(UTC)


class Invoice(db.Model):
    # No __tablename__: Flask-SQLAlchemy names the table "invoice" after the class.
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer: Mapped[str] = mapped_column(String(200), nullable=False)
    amount_cents: Mapped[int] = mapped_column(Integer, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False, default="EUR")
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="draft")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utc_now)

    FIELDS = ("id", "customer", "amount_cents", "currency", "status")

    def to_dict(self) -> dict:
        """The invoice as the API shows it."""
        data = {name: getattr(self, name) for name in self.FIELDS}
        data["created_at"] = self.created_at.isoformat()
        return data
