"""What one origin's failed logins still count (csu.services.auth counts them; the
operators desk and its unlock read them): a lock that has run out, or a row idle for a
day, counts nothing, so an origin's old typos neither lock it days later nor show as
failures on the desk."""

from datetime import datetime, timedelta

from csu.domain.clock import as_utc
from csu.store.tables import LoginFailures

# An origin whose last failure is older is forgotten (its row deleted at the operator's
# next failure): the table holds what the last day's attempts made, no more.
FORGET_ORIGIN_AFTER = timedelta(days=1)


def still_counting(found: LoginFailures, now: datetime) -> tuple[int, datetime | None]:
    """``found``'s failures in a row and the end of its lock, as they stand at ``now``:
    (0, None) once its lock has run out or its last failure is a day old."""
    until = as_utc(found.locked_until)
    last = as_utc(found.last_failure_at)
    if until is not None and until <= now:
        return 0, None
    if until is None and last is not None and last < now - FORGET_ORIGIN_AFTER:
        return 0, None
    return found.failures, until
