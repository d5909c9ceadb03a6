"""``request_substitution(ask_before_refusing=True)``, as the terminal's form sends it:
a request the rules would refuse is not stored, its anomalies journalled apart; the refusal to
confirm carries its anomalies, each with what of the request it is about, the same
sentences the refusal records once the operator confirms it (one rule, two doors)."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from csu.domain import substitution as rules
from csu.services.substitution import RefusalToConfirm, TypedIdentity, request_substitution
from csu.store.tables import SubstitutionRequest, Voter
from tests.conftest import AGENT
from tests.services import test_substitution
from tests.services.intervention_support import entries
from tests.services.test_substitution import (
    ADDRESS,
    DECLARED,
    Cell,
    _open_of,
    ask,
    complete,
    mark_voted,
)

cell = test_substitution.cell  # the fixture: a copy of the prepared CCI store per test
SIGNED = "Demande signée"


def mistyped(cell: Cell) -> TypedIdentity:
    """The voter's identity with a letter more in the name and the day after the birth."""
    with cell.deps.reading() as session:
        voter = session.get(Voter, cell.voter.voter_id)
        assert voter is not None
        return TypedIdentity(f"{voter.last_name}a", voter.first_name,
                             cell.voter.birth_date + timedelta(days=1))  # fmt: skip


def without_signed(cell: Cell) -> tuple[dict[str, bool], str]:
    answers = complete(cell.deps)
    signed = next(item for item in answers if item.startswith(SIGNED))
    answers[signed] = False
    return answers, signed


def stored_requests(cell: Cell) -> list[SubstitutionRequest]:
    with cell.deps.reading() as session:
        return list(session.execute(select(SubstitutionRequest)).scalars())


def test_a_request_the_rules_refuse_is_not_stored_as_a_request(cell: Cell) -> None:
    answers, _ = without_signed(cell)
    with pytest.raises(RefusalToConfirm):
        ask(cell, checklist=answers, identity=mistyped(cell), identity_match=None,
            ask_before_refusing=True)  # fmt: skip
    assert stored_requests(cell) == []
    assert entries(cell.deps, "substitution_request") == []


def test_each_form_found_wanting_is_journalled_with_its_anomalies(cell: Cell) -> None:
    # Sent again and again until it passed, a request would otherwise leave no trace.
    answers, _ = without_signed(cell)
    with pytest.raises(RefusalToConfirm):
        ask(cell, checklist=answers, identity=mistyped(cell), identity_match=None,
            ask_before_refusing=True)  # fmt: skip
    with pytest.raises(RefusalToConfirm) as asked:  # the same form, sent again
        request_substitution(
            cell.deps, AGENT, _open_of(cell), cell.voter.material_ids[:1], checklist=answers,
            email=ADDRESS, email_again=ADDRESS, declared_on=DECLARED,
            identity=mistyped(cell), ask_before_refusing=True,
        )  # fmt: skip
    checks = entries(cell.deps, "substitution_check")
    assert len(checks) == 2
    assert checks[0]["outcome"] == "refusé" and checks[0]["subject"]
    assert checks[0]["details"]["anomalies"] == [a.text for a in asked.value.anomalies]


def test_the_anomalies_asked_about_are_the_reason_the_refusal_records(cell: Cell) -> None:
    answers, _ = without_signed(cell)
    with pytest.raises(RefusalToConfirm) as asked:
        ask(cell, checklist=answers, identity=mistyped(cell), identity_match=None,
            ask_before_refusing=True)  # fmt: skip
    view = request_substitution(  # confirmed: the same request, in the same call
        cell.deps, AGENT, _open_of(cell), [cell.voter.material_id], checklist=answers,
        identity=mistyped(cell), email=ADDRESS, email_again=ADDRESS, declared_on=DECLARED,
    )  # fmt: skip
    assert view.state == "refusée"
    assert view.reason == " ".join(a.text for a in asked.value.anomalies) == str(asked.value)
    assert entries(cell.deps, "substitution_request")[-1]["outcome"] == "refusée"


def test_each_anomaly_says_what_of_the_request_it_is_about(cell: Cell) -> None:
    answers, signed = without_signed(cell)
    mark_voted(cell, cell.voter.identifiers[0])
    with pytest.raises(RefusalToConfirm) as asked:
        ask(cell, checklist=answers, identity=mistyped(cell), identity_match=None,
            declared_on=date(2021, 10, 28), ask_before_refusing=True)  # fmt: skip
    about = [(a.at, a.items) for a in asked.value.anomalies]
    assert about == [
        (rules.AT_DECLARED, ()),
        (rules.AT_CHECKLIST, (signed,)),
        (rules.AT_MATERIAL, (cell.voter.identifiers[0],)),
        (rules.AT_IDENTITY, ("nom", "date de naissance")),
    ]


def test_a_request_in_order_goes_as_before(cell: Cell) -> None:
    view = ask(cell, ask_before_refusing=True)
    assert view.pending
    assert entries(cell.deps, "substitution_request")[-1]["outcome"] == "en attente"
