"""Reviewing the journal: filtered pages of entries, their detail, journalled searches."""

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class ReviewFilter:
    """What a supervisor looks for in the journal; every field set narrows the view.

    ``seqs`` restricts the view to given entries (an alert's evidence)."""

    since: datetime | None = None
    until: datetime | None = None
    operator: str | None = None
    matricule: str | None = None
    action: str | None = None
    outcome: str | None = None
    election: str | None = None
    intervention: str | None = None
    seqs: tuple[int, ...] | None = None
