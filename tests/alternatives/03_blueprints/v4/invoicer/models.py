"""Lesson 3 alternative (v4): insert_default= columns and a TypeDecorator with load_dialect_impl."""

from datetime import UTC, datetime

from sqlalchemy import DateTime, String
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from .extensions import db


class UTCDateTime(TypeDecorator):
    """Timezone-aware in Python, UTC in the database, whatever the database does with zones."""

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect):
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value, dialect):
        match value:
            case None:
                return None
            case datetime() if value.utcoffset() is not None:
                return value.astimezone(UTC)
            case _:
                raise ValueError(f"expected an aware datetime, got {value!r}")

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.utcoffset() is None:  # SQLite: the clock time, with the zone dropped
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utc_now() -> datetime:
    return datetime.now(UTC)


class Invoice(db.Model):
    __tablename__ = "invoice"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    customer: Mapped[str] = mapped_column(String(200))
    amount_cents: Mapped[int] = mapped_column()
    currency: Mapped[str] = mapped_column(String(3), insert_default="EUR")
    status: Mapped[str] = mapped_column(String(20), insert_default="draft")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), insert_default=utc_now)

    def to_dict(self) -> dict:
        """The invoice as the API shows it."""
        return dict(
            id=self.id,
            customer=self.customer,
            amount_cents=self.amount_cents,
            currency=self.currency,
            status=self.status,
            created_at=self.created_at.isoformat(),
        )
