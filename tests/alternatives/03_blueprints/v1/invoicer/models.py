"""Lesson 3 alternative (v1): a legacy-style Column model and a type that stores naive UTC."""

from datetime import UTC, datetime

from sqlalchemy import Column, DateTime, Integer, String
from sqlalchemy.types import TypeDecorator

from .extensions import db


class UTCDateTime(TypeDecorator):
    """Kept as naive UTC in the database, handed back as an aware UTC datetime."""

    impl = DateTime  # timestamp without time zone: the column always holds UTC
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.utcoffset() is None:
            raise ValueError("naive datetime: give it a timezone (e.g. datetime.now(UTC))")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utc_now() -> datetime:
    return datetime.now(UTC)


class Invoice(db.Model):
    __tablename__ = "invoice"

    id = Column(Integer, primary_key=True)
    customer = Column(String(200), nullable=False)
    amount_cents = Column(Integer, nullable=False)
    currency = Column(String(3), nullable=False, default="EUR")
    status = Column(String(20), nullable=False, default="draft")
    created_at = Column(UTCDateTime(), nullable=False, default=utc_now)

    def to_dict(self) -> dict:
        """The invoice as the API shows it."""
        return {
            "id": self.id,
            "customer": self.customer,
            "amount_cents": self.amount_cents,
            "currency": self.currency,
            "status": self.status,
            "created_at": self.created_at.isoformat(),
        }
