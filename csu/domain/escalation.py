"""Escalated cases: an intervention closed « escaladé » waits in the supervisors' queue
until one of them takes it, within the deadline its election file sets
(``[escalation] deadline_minutes``, the cell's own policy), then closes it.

Pure rules: a case's state at a moment, its deadline, and the alert for a case that
waits past it. Services (csu.services.escalation) store and journal.
"""

from datetime import datetime, timedelta

from csu.domain.alerts import ESCALATION_OVERDUE, Alert
from csu.domain.clock import to_paris
from csu.domain.errors import InvalidValue
from csu.domain.masking import holds_phone

ESCALATED = "escaladé"
"""The intervention outcome that opens a case (csu.domain.interventions.OUTCOMES)."""

WAITING, OVERDUE, TAKEN, CLOSED = "waiting", "overdue", "taken", "closed"
STATE_LABELS: dict[str, str] = {
    WAITING: "en attente",
    OVERDUE: "en retard",  # as the alert and the F10 screen say
    TAKEN: "pris en charge",
    CLOSED: "clos",
}

CLOSE_OUTCOMES: dict[str, str] = {"résolu": "résolu", "refusé": "refusé"}
"""How a supervisor closes a case (the value is its French label)."""

ALERT_KIND = ESCALATION_OVERDUE
MAX_TEXT = 2000
CALLBACK_IN_NOTE = (
    "un numéro de téléphone y serait gardé masqué : mettez le numéro à rappeler dans "
    "« Numéro de rappel »"
)


def deadline(escalated_at: datetime, minutes: int) -> datetime:
    """When a supervisor must have taken a case escalated at ``escalated_at``."""
    return escalated_at + timedelta(minutes=minutes)


def case_state(
    *,
    taken_at: datetime | None,
    closed_at: datetime | None,
    deadline_at: datetime,
    now: datetime,
) -> str:
    """closed, taken, or waiting (overdue once ``now`` reaches the deadline)."""
    if closed_at is not None:
        return CLOSED
    if taken_at is not None:
        return TAKEN
    return OVERDUE if now >= deadline_at else WAITING


def check_close_outcome(outcome: str) -> str:
    if outcome not in CLOSE_OUTCOMES:
        raise InvalidValue("Issue", "choisissez : " + ", ".join(CLOSE_OUTCOMES.values()))
    return outcome


def check_escalation_note(note: str, has_callback: bool) -> None:
    """The note of an escalation is kept masked: a number to call back written there,
    and not in its field, would leave the supervisor nothing to call."""
    if not note:
        raise InvalidValue("Note", "dites au superviseur pourquoi le dossier est escaladé")
    if not has_callback and holds_phone(note):
        raise InvalidValue("Note", CALLBACK_IN_NOTE)


def overdue_alert(
    *,
    case_id: int,
    election: str | None,
    escalated_at: datetime,
    deadline_at: datetime,
    now: datetime,
    operator: str | None,
    subject: str | None,
) -> Alert:
    """The alert of a case still untaken at its deadline: one per case (its key)."""
    waited = int((now - escalated_at).total_seconds() // 60)
    allowed = int((deadline_at - escalated_at).total_seconds() // 60)
    where = f" ({election})" if election else ""
    return Alert(
        key=f"{ALERT_KIND}:{case_id}",
        kind=ALERT_KIND,
        at=deadline_at,
        title=(
            f"Dossier escaladé n° {case_id}{where} en attente depuis {waited} min, escaladé "
            f"le {to_paris(escalated_at):%d/%m à %H:%M} : délai de {allowed} min dépassé, "
            "aucun superviseur ne l'a pris en charge."
        ),
        seqs=(),
        operator=operator,
        subject=subject,
    )
