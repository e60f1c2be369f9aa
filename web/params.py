"""Query values as the routes take them: every bad value is a 400 naming it, never a 500.

Days are bounded (years 1970-9998) so a day's start and the day after it, in any
time zone, exist as datetimes; numbers are ASCII digits within 64 bits.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from cqfriends.errors import BadInput
from cqfriends.i18n.translate import msg

FIRST_YEAR, LAST_YEAR = 1970, 9998
MAX_INT = 2**63 - 1


def parse_day(value: str | None, name: str) -> date | None:
    """YYYY-MM-DD, or None when empty."""
    if not value:
        return None
    try:
        day = date.fromisoformat(value.strip()) if value.strip().isascii() else None
    except ValueError:
        day = None
    if day is None or not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise BadInput(msg("%(name)s %(value)r: use a day YYYY-MM-DD between %(first)s and "
                           "%(last)s", name=name, value=value[:40], first=FIRST_YEAR,
                           last=LAST_YEAR))
    return day


def parse_count(value: str | None, name: str, maximum: int = MAX_INT) -> int | None:
    """A non-negative whole number of ASCII digits (None when empty)."""
    if value is None or value == "":
        return None
    if not (value.isascii() and value.isdigit() and len(value) <= 19) or int(value) > maximum:
        raise BadInput(msg("%(name)s %(value)r: use a whole number from 0 to %(max)s",
                           name=name, value=value[:40], max=maximum))
    return int(value)


def parse_time(value: str | None, name: str) -> datetime | None:
    """An ISO 8601 time (UTC when it has no offset), as an aware UTC datetime."""
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
        when = when.replace(tzinfo=when.tzinfo or UTC).astimezone(UTC)
        if not FIRST_YEAR <= when.year <= LAST_YEAR:
            raise ValueError(value)
    except (ValueError, OverflowError) as e:
        raise BadInput(msg("%(name)s must be an ISO 8601 time, got %(value)r", name=name,
                           value=value[:40])) from e
    return when
