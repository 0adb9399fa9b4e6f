"""The database models.

Task 1: the Invoice model goes here, below the column type it needs for created_at.
"""

from datetime import UTC, datetime

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator


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
