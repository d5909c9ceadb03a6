"""The NIR factor through the desk (men-2022 accepts the challenge answer with the first
10 characters of the NIR): the forms a caller gives it in all verify; the property
over every NIR stdnum accepts is tests/domain/test_nir_factor.py."""

from collections.abc import Callable

import pytest
from stdnum.fr import nir as stdnum_nir

from csu.domain.errors import InvalidValue
from csu.services.verification import verify_identity
from tests.conftest import AGENT
from tests.services.intervention_support import (  # noqa: F401  (desk_fixture: "desk")
    Desk,
    desk_fixture,
    open_call,
    wrong,
)

FORMS: dict[str, Callable[[str], str]] = {
    "avec la clé, en groupes": stdnum_nir.format,
    "avec la clé, points": lambda nir: stdnum_nir.format(nir, "."),
    "avec la clé, tirets": lambda nir: stdnum_nir.format(nir, "-"),
    "sans la clé": lambda nir: stdnum_nir.format(nir)[:-3],
    "10 premiers, collés": lambda nir: nir[:10],
}


@pytest.mark.parametrize("form", FORMS)
def test_every_form_of_the_nir_verifies_with_the_challenge_answer(desk: Desk, form: str) -> None:
    row = desk.teacher.row
    call = open_call(desk, desk.teacher)
    answers = {"challenge_answer": row["reponse_defi"], "nir10": FORMS[form](row["nir"])}
    assert verify_identity(desk.deps, AGENT, call.id, answers).verified


def test_a_nir_with_a_wrong_key_does_not_verify_and_counts_no_failure(desk: Desk) -> None:
    """Its key is checked against the NIR said, not the record: a typo, said as one."""
    row = desk.teacher.row
    call = open_call(desk, desk.teacher)
    said = row["nir"][:13] + wrong(row["nir"][13:])
    answers = {"challenge_answer": row["reponse_defi"], "nir10": said}
    with pytest.raises(InvalidValue, match="clé de contrôle"):
        verify_identity(desk.deps, AGENT, call.id, answers)
    # A wrong NIR of the right shape, then: the first failure counted.
    other = {"challenge_answer": row["reponse_defi"], "nir10": wrong(row["nir"][:10])}
    assert verify_identity(desk.deps, AGENT, call.id, other).failures == 1
