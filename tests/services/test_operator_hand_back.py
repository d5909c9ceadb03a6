"""What an operator held that only they could finish is given back when an administrator
changes their role or disables them: a supervisor's escalated cases return to the queue
(they stayed taken and open for ever, out of the overdue alerts), a president's waiting
in-person checks are declined with the reason (nobody else could attest them)."""

import pyotp
import pytest
from sqlalchemy import select

from csu.services.auth import log_in
from csu.services.context import Deps, OperatorContext, ServiceError
from csu.services.escalation import escalation_queue, take_escalation
from csu.services.interventions import DISABLED_NOTE, ROLE_CHANGED_NOTE, close_intervention
from csu.services.operators import (
    OperatorChanged,
    add_operator,
    change_operator,
    disable_operator,
)
from csu.services.presence import PRESIDENT_GONE, presence_status, request_presence_check
from csu.store.tables import Escalation
from tests.conftest import ADMIN, AGENT, SUPERVISOR
from tests.services.intervention_support import (  # noqa: F401  (desk_fixture: "desk")
    OPERATOR_PASSWORD,
    Desk,
    desk_fixture,
    entries,
    open_call,
)
from tests.services.test_operator_change import at_once

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
CAMILLE = OperatorContext(login="camille.sup", role="superviseur", workstation="poste-7")


def escalated(desk: Desk) -> int:
    """A call on the caller closed « escaladé » by an agent; the case's id."""
    call = open_call(desk, desk.caller)
    close_intervention(desk.deps, AGENT, call.id, "escaladé", "rappel demandé par l'électeur")
    with desk.deps.reading() as session:
        return session.execute(
            select(Escalation.id).where(Escalation.intervention_id == call.id)
        ).scalar_one()


@pytest.fixture
def taken_case(desk: Desk) -> int:
    """A case escalated by an agent and taken by the supervisor Camille."""
    add_operator(desk.deps, ADMIN, CAMILLE.login, role="superviseur", password=OPERATOR_PASSWORD)
    case_id = escalated(desk)
    take_escalation(desk.deps, CAMILLE, case_id)
    return case_id


def owner(deps: Deps, case_id: int) -> str | None:
    with deps.reading() as session:
        case = session.get(Escalation, case_id)
        assert case is not None
        return case.owner_login


def test_a_supervisor_made_agent_gives_their_cases_back_to_the_queue(
    desk: Desk, taken_case: int
) -> None:
    changed = change_operator(desk.deps, ADMIN, CAMILLE.login, role="agent")
    assert changed.released == 1
    assert owner(desk.deps, taken_case) is None
    [view] = escalation_queue(desk.deps, SUPERVISOR)
    assert view.owner is None  # another supervisor may take it now
    take_escalation(desk.deps, SUPERVISOR, taken_case)


def test_the_release_is_journalled_in_the_administrator_s_name(
    desk: Desk, taken_case: int
) -> None:
    change_operator(desk.deps, ADMIN, CAMILLE.login, role="agent")
    [entry] = entries(desk.deps, "escalation_release")
    assert entry["operator"] == ADMIN.login
    assert entry["details"]["owner"] == CAMILLE.login
    assert entry["details"]["note"] == ROLE_CHANGED_NOTE


def test_a_disabled_supervisor_gives_their_cases_back(desk: Desk, taken_case: int) -> None:
    disable_operator(desk.deps, ADMIN, CAMILLE.login, reason="départ")
    assert owner(desk.deps, taken_case) is None
    [entry] = entries(desk.deps, "escalation_release")
    assert entry["details"]["note"] == DISABLED_NOTE


def test_a_closed_case_stays_as_it_was(desk: Desk, taken_case: int) -> None:
    from csu.services.escalation import close_escalation

    close_escalation(desk.deps, CAMILLE, taken_case, "résolu", "rappelé, code renvoyé")
    assert change_operator(desk.deps, ADMIN, CAMILLE.login, role="agent").released == 0
    assert owner(desk.deps, taken_case) == CAMILLE.login


def president_request(desk: Desk) -> tuple[str, str]:
    """An agent's S2 call and its request to the president of B-NORD."""
    call = open_call(desk, desk.caller, channel="president", president_login="pres.nord")
    return call.id, request_presence_check(desk.deps, AGENT, call.id).id


def test_a_president_moved_declines_the_checks_waiting_for_them(desk: Desk) -> None:
    call_id, _ = president_request(desk)
    changed = change_operator(desk.deps, ADMIN, "pres.nord", role="president", bureau="B-SUD")
    assert changed.withdrawn == 1
    seen = presence_status(desk.deps, AGENT, call_id)
    assert seen is not None
    assert (seen.state, seen.decline_reason) == ("declined", PRESIDENT_GONE)


def test_the_agent_is_not_let_ask_the_former_president_again(desk: Desk) -> None:
    call_id, _ = president_request(desk)
    change_operator(desk.deps, ADMIN, "pres.nord", role="agent")
    with pytest.raises(ServiceError, match=r"« pres\.nord » ne préside plus le bureau B-NORD"):
        request_presence_check(desk.deps, AGENT, call_id)


def test_the_agent_asks_the_bureau_s_new_president_in_a_new_intervention(desk: Desk) -> None:
    call_id, _ = president_request(desk)
    change_operator(desk.deps, ADMIN, "pres.nord", role="agent")
    change_operator(desk.deps, ADMIN, "pres.sud", role="president", bureau="B-NORD")
    close_intervention(desk.deps, AGENT, call_id, "abandonné", "président remplacé")
    call = open_call(desk, desk.caller, channel="president", president_login="pres.sud")
    assert request_presence_check(desk.deps, AGENT, call.id).president == "pres.sud"


def test_a_disabled_president_s_checks_are_declined_in_the_administrator_s_name(
    desk: Desk,
) -> None:
    president_request(desk)
    disable_operator(desk.deps, ADMIN, "pres.nord", reason="départ")
    [entry] = entries(desk.deps, "presence_decline")
    assert (entry["operator"], entry["details"]["reason"]) == (ADMIN.login, PRESIDENT_GONE)


def test_the_administrator_is_told_what_was_given_back(desk: Desk, taken_case: int) -> None:
    said = change_operator(desk.deps, ADMIN, CAMILLE.login, role="agent").sentence
    assert said == (
        f"Opérateur « {CAMILLE.login} » : désormais agent. "
        "1 dossier escaladé remis en attente."
    )


def test_the_sentence_agrees_with_several_given_back() -> None:
    said = OperatorChanged("dominique", "agent", None, abandoned=False, released=2,
                           withdrawn=3).sentence  # fmt: skip
    assert "2 dossiers escaladés remis en attente." in said
    assert "3 vérifications en personne en attente refusées : l'agent les demande" in said


def test_the_administrator_is_told_what_a_disable_gave_back(
    desk: Desk, taken_case: int
) -> None:
    said = disable_operator(desk.deps, ADMIN, CAMILLE.login, reason="départ").sentence
    assert said == f"Opérateur « {CAMILLE.login} » désactivé. 1 dossier escaladé remis en attente."


def test_a_case_taken_while_its_supervisor_is_demoted_is_given_back(desk: Desk) -> None:
    # The take and the demotion at the same moment: either the take commits first and
    # the demotion gives the case back, or the demotion ends the session first. Before,
    # on PostgreSQL, the case could stay taken by an agent.
    for round_ in range(4):
        login = f"sup.tour{round_}"
        add_operator(desk.deps, ADMIN, login, role="superviseur", password=OPERATOR_PASSWORD,
                     totp_secret=SECRET)  # fmt: skip
        who = log_in(desk.deps, login, OPERATOR_PASSWORD, pyotp.TOTP(SECRET).at(desk.clock.now),
                     f"poste-{round_}")  # fmt: skip
        case_id = escalated(desk)
        at_once(
            lambda: take_escalation(desk.deps, who, case_id),  # noqa: B023
            lambda: change_operator(desk.deps, ADMIN, login, role="agent"),  # noqa: B023
        )
        assert owner(desk.deps, case_id) is None, round_


def test_the_agent_reads_the_request_closed_not_refused_by_the_president(desk: Desk) -> None:
    from csu.screens.verification import presence_line

    call_id, _ = president_request(desk)
    change_operator(desk.deps, ADMIN, "pres.nord", role="president", bureau="B-SUD")
    seen = presence_status(desk.deps, AGENT, call_id)
    assert seen is not None and seen.closed_for_them
    said = presence_line(seen, more_to_type=False)
    assert said == f"Demande au président « pres.nord » (bureau B-NORD) close : {PRESIDENT_GONE}."
    assert "a refusé" not in said and "Redemander" not in said


def test_a_president_s_own_decline_still_offers_to_ask_again(desk: Desk) -> None:
    from csu.screens.verification import presence_line
    from csu.services.presence import decline_presence
    from tests.services.intervention_support import PRESIDENT_NORD

    call_id, check_id = president_request(desk)
    decline_presence(desk.deps, PRESIDENT_NORD, check_id, "personne absente du bureau")
    seen = presence_status(desk.deps, AGENT, call_id)
    assert seen is not None and not seen.closed_for_them
    assert "a refusé d'attester" in presence_line(seen, more_to_type=False)
