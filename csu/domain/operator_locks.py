"""How an operator's lock-out is said, in French, on the administrators' desk (F9) and
by ``csu operator list``: « compte jusqu'à 11:45, 2 postes », « 1 poste jusqu'à
11:45 », « non (3 échecs) », « non »."""

from datetime import datetime

from csu.domain.clock import to_paris
from csu.domain.plural import counted


def lock_words(
    account_until: datetime | None,
    origins_locked: int,
    origins_until: datetime | None,
    failures: int,
) -> str:
    """The whole account's lock first (with the origins locked besides), else the
    origins' lock and when the last ends, else the failures in a row, if any."""
    if account_until is not None:
        more = f", {counted(origins_locked, 'poste')}" if origins_locked else ""
        return f"compte jusqu'à {to_paris(account_until):%H:%M}{more}"
    if origins_until is not None:
        return f"{counted(origins_locked, 'poste')} jusqu'à {to_paris(origins_until):%H:%M}"
    if failures:
        return f"non ({counted(failures, 'échec')})"
    return "non"
