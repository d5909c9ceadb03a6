"""Time: stored in UTC, shown in Europe/Paris; services take a clock."""

from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")

Clock = Callable[[], datetime]
"""A function returning the current time as an aware UTC datetime."""


def system_clock() -> datetime:
    return datetime.now(UTC)


def fixed_clock(moment: datetime) -> Clock:
    """A clock stuck at ``moment`` (tests, demos)."""
    if moment.tzinfo is None:
        raise ValueError("fixed_clock needs an aware datetime")
    frozen = moment.astimezone(UTC)
    return lambda: frozen


def rfc3339(moment: datetime) -> str:
    """UTC RFC 3339 text with microseconds, e.g. ``2026-11-21T08:00:00.000000Z``."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def parse_rfc3339(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def to_paris(moment: datetime) -> datetime:
    if moment.tzinfo is None:  # naive values from the store are UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(PARIS)
