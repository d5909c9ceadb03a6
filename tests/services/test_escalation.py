"""Escalation (issue 14 §5): « escaladé » puts the intervention in the supervisors' queue,
with an owner, the time taken and a deadline from the election file; the callback
number stays masked until the case closes; an alert when a case waits past its
deadline; the dashboard's counts. Who may take, read the number and close is
csu.domain.permissions.case_refusal, which the services raise as the queue shows it."""

import pytest
from sqlalchemy import select

from csu.domain import escalation as rules
from csu.domain.errors import InvalidValue
from csu.services.alerts import current_alerts
from csu.services.context import Forbidden, OperatorContext, ServiceError
from csu.services.escalation import (
    EscalationCounts,
    callback_number,
    close_escalation,
    escalation_counts,
    escalation_queue,
    take_escalation,
)
from csu.services.interventions import close_intervention
from csu.store.tables import Escalation, Intervention
from tests.conftest import AGENT, SUPERVISOR
from tests.services.intervention_support import (  # noqa: F401  (desk_fixture: "desk")
    Desk,
    bodies,
    desk_fixture,
    entries,
    open_call,
)

SUPERVISOR_2 = OperatorContext(login="sup2", role="superviseur", workstation="poste-9")
CALLBACK = "06 12 34 56 78"
NOTE = "l'électeur conteste son inscription au bureau : rappel demandé"


def escalate(desk: Desk, callback: str | None = CALLBACK) -> int:
    """A call on the caller closed « escaladé »; the case's id."""
    call = open_call(desk, desk.caller)
    close_intervention(desk.deps, AGENT, call.id, "escaladé", NOTE, callback_number=callback)
    with desk.deps.reading() as session:
        return session.execute(
            select(Escalation.id).where(Escalation.intervention_id == call.id)
        ).scalar_one()


def test_an_escalated_call_waits_in_the_queue_with_the_files_deadline(desk: Desk) -> None:
    escalate(desk)
    [case] = escalation_queue(desk.deps, SUPERVISOR)
    assert case.state == rules.WAITING and case.owner is None
    assert case.reason == NOTE and case.matricule == desk.caller.matricule
    # minint-2022.toml: [escalation] deadline_minutes = 60.
    assert (case.deadline_at - case.escalated_at).total_seconds() == 3600


def test_the_callback_number_is_shown_and_journalled_masked(desk: Desk) -> None:
    escalate(desk)
    [case] = escalation_queue(desk.deps, SUPERVISOR)
    assert case.callback == "+33 6 ** ** ** 78"
    assert "12 34 56" not in bodies(desk.deps) and "612345678" not in bodies(desk.deps)


def test_an_escalation_says_why_to_the_supervisor(desk: Desk) -> None:
    call = open_call(desk, desk.caller)
    with pytest.raises(InvalidValue, match="pourquoi"):
        close_intervention(desk.deps, AGENT, call.id, "escaladé", "", callback_number=CALLBACK)


def test_a_wrong_callback_number_closes_nothing_and_is_named_as_its_field(desk: Desk) -> None:
    # « Téléphone : numéro trop court » named no field of the window.
    call = open_call(desk, desk.caller)
    with pytest.raises(InvalidValue, match=r"^Numéro de rappel : "):
        close_intervention(desk.deps, AGENT, call.id, "escaladé", NOTE, callback_number="12")
    with desk.deps.reading() as session:
        assert session.get(Intervention, call.id).closed_at is None  # type: ignore[union-attr]


def test_a_number_to_call_back_written_only_in_the_note_closes_nothing(desk: Desk) -> None:
    # The note is kept masked: the supervisor could not have called that number.
    call = open_call(desk, desk.caller)
    with pytest.raises(InvalidValue, match=r"^Note : .*« Numéro de rappel »"):
        close_intervention(desk.deps, AGENT, call.id, "escaladé", f"rappeler au {CALLBACK}")
    with desk.deps.reading() as session:
        assert session.get(Intervention, call.id).closed_at is None  # type: ignore[union-attr]


def test_a_number_in_the_note_beside_the_callback_number_is_kept_masked(desk: Desk) -> None:
    call = open_call(desk, desk.caller)
    close_intervention(desk.deps, AGENT, call.id, "escaladé", "fixe : 01 44 55 66 77",
                       callback_number=CALLBACK)  # fmt: skip
    [case] = escalation_queue(desk.deps, SUPERVISOR)
    assert case.reason == "fixe : +33 1 ** ** ** 77"


def test_agents_do_not_see_the_queue(desk: Desk) -> None:
    escalate(desk)
    with pytest.raises(Forbidden):
        escalation_queue(desk.deps, AGENT)


def test_a_supervisor_takes_a_case_and_the_time_taken_is_recorded(desk: Desk) -> None:
    case_id = escalate(desk)
    desk.clock.advance(minutes=25)
    taken = take_escalation(desk.deps, SUPERVISOR, case_id)
    assert (taken.state, taken.owner, taken.waited_minutes) == (rules.TAKEN, "sup", 25)
    [entry] = entries(desk.deps, "escalation_take")
    assert entry["details"]["waited_minutes"] == 25 and not entry["details"]["overdue"]


def test_an_agent_does_not_take_a_case(desk: Desk) -> None:
    case_id = escalate(desk)
    with pytest.raises(Forbidden, match=r"^Action réservée aux superviseurs"):
        take_escalation(desk.deps, AGENT, case_id)
    assert not entries(desk.deps, "escalation_take")


def test_a_case_taken_by_one_supervisor_is_not_taken_by_another(desk: Desk) -> None:
    case_id = escalate(desk)
    take_escalation(desk.deps, SUPERVISOR, case_id)
    with pytest.raises(Forbidden, match=r"^Dossier déjà pris en charge par « sup »"):
        take_escalation(desk.deps, SUPERVISOR_2, case_id)
    assert len(entries(desk.deps, "escalation_take")) == 1


def test_a_supervisor_is_told_they_took_the_case_already(desk: Desk) -> None:
    case_id = escalate(desk)
    take_escalation(desk.deps, SUPERVISOR, case_id)
    with pytest.raises(ServiceError, match=r"^Vous avez déjà pris ce dossier en charge"):
        take_escalation(desk.deps, SUPERVISOR, case_id)


def test_only_the_owner_reads_the_callback_number(desk: Desk) -> None:
    case_id = escalate(desk)
    take_escalation(desk.deps, SUPERVISOR, case_id)
    with pytest.raises(Forbidden, match=r"^Seul « sup », qui a pris ce dossier en charge"):
        callback_number(desk.deps, SUPERVISOR_2, case_id)
    assert callback_number(desk.deps, SUPERVISOR, case_id) == "+33612345678"
    [entry] = entries(desk.deps, "escalation_callback")
    assert entry["details"]["callback"] == "+33 6 ** ** ** 78"


def test_the_callback_number_waits_for_the_case_to_be_taken(desk: Desk) -> None:
    case_id = escalate(desk)
    with pytest.raises(ServiceError, match=r"^Prenez d'abord ce dossier en charge"):
        callback_number(desk.deps, SUPERVISOR, case_id)
    assert not entries(desk.deps, "escalation_callback")


def test_a_case_without_a_callback_number_says_so(desk: Desk) -> None:
    case_id = escalate(desk, callback=None)
    take_escalation(desk.deps, SUPERVISOR, case_id)
    with pytest.raises(Forbidden, match=r"^Aucun numéro de rappel n'a été noté"):
        callback_number(desk.deps, SUPERVISOR, case_id)


def test_closing_the_case_erases_the_callback_number(desk: Desk) -> None:
    case_id = escalate(desk)
    take_escalation(desk.deps, SUPERVISOR, case_id)
    closed = close_escalation(desk.deps, SUPERVISOR, case_id, "résolu", "rappelé, bureau corrigé")
    assert (closed.state, closed.outcome) == (rules.CLOSED, "résolu")
    assert closed.callback == "+33 6 ** ** ** 78"  # the masked form stays for the review
    with desk.deps.reading() as session:
        assert session.get(Escalation, case_id).callback_sealed is None  # type: ignore[union-attr]
    with pytest.raises(Forbidden, match=r"^Ce dossier est clos"):
        callback_number(desk.deps, SUPERVISOR, case_id)


def test_a_closed_case_is_not_taken_again(desk: Desk) -> None:
    case_id = escalate(desk)
    take_escalation(desk.deps, SUPERVISOR, case_id)
    close_escalation(desk.deps, SUPERVISOR, case_id, "résolu", "rappelé, bureau corrigé")
    with pytest.raises(Forbidden, match=r"^Ce dossier est clos"):
        take_escalation(desk.deps, SUPERVISOR_2, case_id)


def test_a_case_is_taken_before_it_is_closed(desk: Desk) -> None:
    case_id = escalate(desk)
    with pytest.raises(ServiceError, match=r"^Prenez d'abord ce dossier en charge"):
        close_escalation(desk.deps, SUPERVISOR, case_id, "résolu", "rappelé, bureau corrigé")


def test_another_supervisors_case_is_not_closed(desk: Desk) -> None:
    case_id = escalate(desk)
    take_escalation(desk.deps, SUPERVISOR, case_id)
    with pytest.raises(Forbidden, match=r"^Seul « sup », qui a pris ce dossier en charge"):
        close_escalation(desk.deps, SUPERVISOR_2, case_id, "résolu", "rappelé, bureau corrigé")
    with desk.deps.reading() as session:
        assert session.get(Escalation, case_id).closed_at is None  # type: ignore[union-attr]


def test_a_case_waiting_past_its_deadline_raises_an_alert(desk: Desk) -> None:
    case_id = escalate(desk)
    desk.clock.advance(minutes=59)
    assert not [a for a in current_alerts(desk.deps, SUPERVISOR) if a.kind == rules.ALERT_KIND]
    desk.clock.advance(minutes=2)
    [alert] = [a for a in current_alerts(desk.deps, SUPERVISOR) if a.kind == rules.ALERT_KIND]
    assert alert.key == f"escalation_overdue:{case_id}"
    assert "délai de 60 min dépassé" in alert.title and alert.operator == "agent"
    assert alert.kind_label == "dossier escaladé en retard"


def test_taking_an_overdue_case_ends_its_alert(desk: Desk) -> None:
    case_id = escalate(desk)
    desk.clock.advance(minutes=90)
    take_escalation(desk.deps, SUPERVISOR, case_id)
    assert not [a for a in current_alerts(desk.deps, SUPERVISOR) if a.kind == rules.ALERT_KIND]


def test_the_dashboard_counts_waiting_overdue_taken_and_closed_cases(desk: Desk) -> None:
    first = escalate(desk)
    desk.clock.advance(minutes=61)
    escalate(desk)
    assert escalation_counts(desk.deps, SUPERVISOR) == EscalationCounts(1, 1, 0, 0)
    take_escalation(desk.deps, SUPERVISOR, first)
    assert escalation_counts(desk.deps, SUPERVISOR) == EscalationCounts(1, 0, 1, 0)
    close_escalation(desk.deps, SUPERVISOR, first, "refusé", "demande hors du champ de la CSU")
    assert escalation_counts(desk.deps, SUPERVISOR) == EscalationCounts(1, 0, 0, 1)
