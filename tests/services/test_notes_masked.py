"""A phone number, an e-mail address, an IBAN or a NIR that an operator writes into a
reason or a note reaches no table, no journal entry and no export in clear: each is
stored masked. The journal is append-only; a number once in it would stay for good.

Each free-text field of the services is tried; afterwards every column of every table
and the journal export (CSV and JSONL) are searched for what was written."""

from collections.abc import Callable

import pytest
from sqlalchemy import select

from csu.services.context import Deps
from csu.services.credentials import revoke_credential
from csu.services.escalation import close_escalation, take_escalation
from csu.services.interventions import close_intervention
from csu.services.operators import disable_operator, unlock_operator
from csu.services.presence import decline_presence, request_presence_check
from csu.services.substitution import decide_substitution
from csu.services.verification import unlock_voter
from csu.services.voters import reveal_field
from csu.store.tables import Escalation
from tests.conftest import ADMIN, AGENT, SUPERVISOR
from tests.delivery.test_echoes_never_stored import ROLL_CONTACTS, exported, stored
from tests.services.intervention_support import (  # noqa: F401  (desk_fixture: "desk")
    DISABLED_PRESIDENT,
    PRESIDENT_NORD,
    Desk,
    call_with_key,
    desk_fixture,
    entries,
    open_call,
)
from tests.services.test_substitution import Cell, ask, cell  # noqa: F401  (fixture)

WRITTEN = (
    "rappel au 06 75 29 27 42 ou ines.perso@exemple.fr ; "
    "IBAN FR76 3000 6000 0112 3456 7890 189, NIR 1 83 04 75 123 456 78 ; "
    "ou l'IBAN mal recopié FR76 3000 6000 0112 3456 7890 188"
)
# What must be found nowhere, however it is written (spaces and dots taken out).
CLEAR = ("675292742", "ines.perso", "30006000011234567890189", "830475123456",
         "30006000011234567890188")


def revoke(desk: Desk, text: str) -> None:
    call = call_with_key(desk)
    revoke_credential(desk.deps, AGENT, call, desk.caller.material_id, "security_key", text)


def decline(desk: Desk, text: str) -> None:
    call = open_call(desk, desk.caller, channel="president", president_login="pres.nord")
    check = request_presence_check(desk.deps, AGENT, call.id)
    decline_presence(desk.deps, PRESIDENT_NORD, check.id, text)


def escalation_closed(desk: Desk, text: str) -> None:
    call = open_call(desk, desk.caller)
    close_intervention(desk.deps, AGENT, call.id, "escaladé", "rappel demandé",
                       callback_number="06 12 34 56 78")  # fmt: skip
    with desk.deps.reading() as session:
        case = session.execute(
            select(Escalation.id).where(Escalation.intervention_id == call.id)
        ).scalar_one()
    take_escalation(desk.deps, SUPERVISOR, case)
    close_escalation(desk.deps, SUPERVISOR, case, "résolu", text)


WRITERS: dict[str, Callable[[Desk, str], None]] = {
    "closing note": lambda desk, text: close_intervention(
        desk.deps, AGENT, open_call(desk, desk.caller).id, "résolu", text
    ),
    "invalidation reason": revoke,
    "reveal reason": lambda desk, text: reveal_field(
        desk.deps, SUPERVISOR, desk.caller.voter_id, "email_pro", text
    ),
    "voter unlock reason": lambda desk, text: unlock_voter(
        desk.deps, SUPERVISOR, desk.caller.voter_id, text
    ),
    "operator unlock reason": lambda desk, text: unlock_operator(
        desk.deps, ADMIN, "pres.sud", reason=text
    ),
    "operator disabling reason": lambda desk, text: disable_operator(
        desk.deps, ADMIN, "pres.nord", reason=text
    ),
    "president's refusal": decline,
    "escalation outcome": escalation_closed,
}


def assert_kept_masked(deps: Deps) -> None:
    texts = [
        (f"{table}.{column}", value)
        for table, column, value in stored(deps.engine)
        if (table, column) not in ROLL_CONTACTS
    ]
    texts += [(f"export {fmt}", text) for fmt, text in exported(deps).items()]
    leaks = [
        (where, clear)
        for where, value in texts
        for clear in CLEAR
        if clear in value.replace(" ", "").replace(".", "")
    ]
    assert leaks == []
    # The masked forms are what was kept.
    assert any("+33 6 ** ** ** 42" in value and "i***@exemple.fr" in value
               for _, value in texts)  # fmt: skip


@pytest.mark.parametrize("field", WRITERS)
def test_personal_data_written_in_free_text_is_stored_masked(desk: Desk, field: str) -> None:
    before = len(entries(desk.deps))
    WRITERS[field](desk, WRITTEN)
    assert len(entries(desk.deps)) > before  # what was written was recorded
    assert_kept_masked(desk.deps)


def test_personal_data_in_substitution_notes_is_stored_masked(cell: Cell) -> None:  # noqa: F811
    ask(cell, notes=WRITTEN)
    assert_kept_masked(cell.deps)


def test_personal_data_in_a_substitution_refusal_is_stored_masked(
    cell: Cell,  # noqa: F811
) -> None:
    asked = ask(cell)
    cell.clock.advance(minutes=20)
    decide_substitution(cell.deps, SUPERVISOR, asked.id, False, WRITTEN)
    assert_kept_masked(cell.deps)
