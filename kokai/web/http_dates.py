"""HTTP dates (RFC 9110 §5.6.7) read defensively. An HTTP-date is in GMT: a
date with another offset (``-2359``, ``+0900``, ``EST``) is not one, and
neither is a date Python cannot represent (year 10000, 5,000-digit years);
an invalid date is ignored (None), never a 500."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_tz


def parse_http_date(value: str | None) -> datetime | None:
    """An aware UTC datetime, or None when the value is missing or not an HTTP-date
    (IMF-fixdate, RFC 850 or asctime form; GMT, or no zone as in asctime)."""
    if not value:
        return None
    try:
        parts = parsedate_tz(value)
        if parts is None or parts[9] not in (None, 0):
            return None
        return datetime(*parts[:6], tzinfo=UTC)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def as_utc(value: datetime) -> datetime:
    """Storage keeps naive UTC (as CKAN); make it aware for HTTP dates."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def format_http_date(value: datetime) -> str:
    return format_datetime(as_utc(value), usegmt=True)
