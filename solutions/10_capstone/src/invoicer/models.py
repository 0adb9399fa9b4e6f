"""The database models."""

from datetime import UTC, datetime

from sqlalchemy import CheckConstraint, DateTime, String
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator
from werkzeug.security import check_password_hash, generate_password_hash

from .extensions import db


class UTCDateTime(TypeDecorator):
    """A datetime stored in UTC and always read back as an aware datetime in UTC.

    Neither SQLite nor PostgreSQL keeps a value's timezone. SQLite stores the clock time and
    hands back a naive datetime; PostgreSQL's timestamptz stores an instant, which drivers
    hand back in the session's timezone (say +01:00). So this type converts to UTC on the way
    in, and on the way out it tags naive values as UTC and converts aware ones to UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime: give it a timezone (e.g. datetime.now(UTC))")
            value = value.astimezone(UTC)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:  # SQLite: the UTC clock time we stored
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)  # PostgreSQL: the session's timezone


def utc_now() -> datetime:
    return datetime.now(UTC)


class Invoice(db.Model):
    __tablename__ = "invoice"
    __table_args__ = (CheckConstraint("amount_cents > 0", name="amount_cents_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer: Mapped[str] = mapped_column(String(200))
    amount_cents: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    status: Mapped[str] = mapped_column(String(20), default="draft")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)

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


class User(db.Model):
    """Lesson 7: someone who may use the dashboard. The password itself is never stored."""

    __tablename__ = "user_account"  # "user" is a reserved word in PostgreSQL

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))

    def set_password(self, password: str) -> None:
        # Werkzeug 3.1: scrypt with a random salt; the method and salt are part of the string.
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)
