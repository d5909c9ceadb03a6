"""Time: stored in UTC, shown in Europe/Paris; services take a clock."""

import functools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from csu.domain.errors import InvalidValue

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


def as_utc(moment: datetime | None) -> datetime | None:
    """A moment read from the store, aware: SQLite gives naive values, which are UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def still_until(until: datetime | None, now: datetime) -> datetime | None:
    """``until`` while it is later than ``now`` (a lock still in force), else None."""
    until = as_utc(until)
    return until if until is not None and until > now else None


def to_paris(moment: datetime) -> datetime:
    if moment.tzinfo is None:  # naive values from the store are UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(PARIS)


def paris_seconds_text(stamp: str) -> str:
    """An RFC 3339 moment of the journal (« 2022-11-28T09:00:00.000000Z ») as read in
    Paris, to the second: ``28/11/2022 10:00:00``. Paris's offset is looked up once an
    hour of UTC (it changes on the hour): an export writes it for a million entries."""
    if not stamp.endswith(("Z", "+00:00")):  # not as the journal writes it: the long way
        return f"{to_paris(datetime.fromisoformat(stamp)):%d/%m/%Y %H:%M:%S}"
    local = datetime.fromisoformat(stamp) + _paris_offset(stamp[:13])
    return (
        f"{local.day:02d}/{local.month:02d}/{local.year} "
        f"{local.hour:02d}:{local.minute:02d}:{local.second:02d}"
    )


@functools.lru_cache(maxsize=4096)
def _paris_offset(hour: str) -> timedelta:
    """Paris's offset from UTC in the hour ``2022-11-28T09`` (UTC)."""
    moment = datetime.fromisoformat(f"{hour}:00:00+00:00")
    return moment.astimezone(PARIS).utcoffset() or timedelta(0)


def paris_text(moment: datetime) -> str:
    """A moment as operators read it, Paris time: ``08/12/2022 17:00``."""
    return f"{to_paris(moment):%d/%m/%Y %H:%M}"


def countdown(delta: timedelta) -> str:
    """French countdown text: ``2 j 06 h 52 min``, ``06 h 05 min``, ``4 min``."""
    minutes = max(0, int(delta.total_seconds()) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} j {hours:02d} h {minutes:02d} min"
    if hours:
        return f"{hours:02d} h {minutes:02d} min"
    return f"{minutes} min"


_TYPED_FORMATS = ("%d/%m/%Y %H:%M", "%d/%m/%Y")


def parse_typed_moment(value: str, field_name: str, *, end_of_day: bool = False) -> datetime:
    """A moment an operator typed: « 02/12/2022 », « 02/12/2022 14:30 » or ISO 8601,
    Paris time unless it says otherwise. A day alone as an end bound includes that
    day (« au 02/12/2022 »: until the 3rd at midnight)."""
    text = " ".join(value.split())
    moment: datetime | None = None
    for pattern in _TYPED_FORMATS:
        try:
            moment = datetime.strptime(text, pattern)
            break
        except ValueError:
            continue
    if moment is None:
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise InvalidValue(
                field_name, f"« {value} » illisible : jj/mm/aaaa [hh:mm] ou aaaa-mm-jj"
            ) from None
    try:
        if end_of_day and len(text) <= 10:  # a day without a time
            moment += timedelta(days=1)
        moment = moment if moment.tzinfo else moment.replace(tzinfo=PARIS)
        # Stored and compared in UTC, give or take a few days of reckoning: the first
        # and last days a datetime holds ended the supervisor's terminal (attack run).
        for edge in (moment - _TYPED_MARGIN, moment + _TYPED_MARGIN):
            edge.astimezone(UTC)
    except OverflowError:
        raise InvalidValue(field_name, f"« {value} » hors des dates possibles") from None
    return moment


_TYPED_MARGIN = timedelta(days=7)
