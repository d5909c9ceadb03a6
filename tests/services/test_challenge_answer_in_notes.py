"""The voter's answer to the challenge question (« question défi ») is kept only as a
keyed hash: written in a closing note, a reason or a case's outcome it would stay in
clear in the append-only journal. It is refused as a credential is, compared with its
hash run of words by run of words, whatever its accents, case and the punctuation
around it; the refusal is journalled (« code_in_text »), never the text."""

import re
from collections.abc import Callable

import pytest

from csu.domain.labels import detail_value
from csu.services.context import ServiceError
from csu.services.interventions import close_intervention
from csu.services.voters import reveal_field
from tests.conftest import AGENT, SUPERVISOR
from tests.services.intervention_support import (  # noqa: F401  (desk_fixture: "desk")
    Desk,
    desk_fixture,
    entries,
    open_call,
)
from tests.services.test_notes_hold_no_credential import assert_nowhere

REFUSED = (
    "contient ce qui ressemble à la réponse secrète de l'électeur (question défi) : "
    "n'écrivez jamais une réponse secrète dans"
)


def answer_of(desk: Desk) -> str:
    return desk.teacher.row["reponse_defi"]


@pytest.mark.parametrize(
    "written",
    [
        lambda answer: f"réponse défi {answer} OK",
        lambda answer: f"réponse défi {answer.upper()}, NUMEN lu",
        lambda answer: f"réponse ({answer.lower()}) donnée",
    ],
    ids=["as said", "capitals and a comma", "in brackets"],
)
def test_the_challenge_answer_in_a_closing_note_is_refused(
    desk: Desk, written: Callable[[str], str]
) -> None:
    call = open_call(desk, desk.teacher)
    answer = answer_of(desk)
    with pytest.raises(ServiceError, match=re.escape(f"La note {REFUSED} une note")):
        close_intervention(desk.deps, AGENT, call.id, "résolu", written(answer))
    assert_nowhere(desk.deps, answer)


def test_the_refusal_is_journalled_by_kind_never_the_text(desk: Desk) -> None:
    call = open_call(desk, desk.teacher)
    with pytest.raises(ServiceError):
        close_intervention(desk.deps, AGENT, call.id, "résolu", f"défi {answer_of(desk)} ok")
    [entry] = entries(desk.deps, "code_in_text")
    assert entry["details"] == {"kind": "challenge_answer", "field": "La note"}
    assert detail_value("kind", "challenge_answer") == "réponse secrète (question défi)"


def test_a_note_without_the_answer_is_kept_as_written(desk: Desk) -> None:
    call = open_call(desk, desk.teacher)
    close_intervention(desk.deps, AGENT, call.id, "résolu", "réponse défi donnée, NUMEN lu")
    [entry] = entries(desk.deps, "intervention_close", intervention=call.id)
    assert entry["details"]["note"] == "réponse défi donnée, NUMEN lu"


def test_the_answer_in_a_reason_about_the_voter_is_refused(desk: Desk) -> None:
    with pytest.raises(ServiceError, match=re.escape(f"Le motif {REFUSED} un motif")):
        reveal_field(desk.deps, SUPERVISOR, desk.teacher.voter_id, "email_pro",
                     f"a répondu {answer_of(desk)} au défi")  # fmt: skip
    assert_nowhere(desk.deps, answer_of(desk))



@pytest.mark.parametrize(
    ("factor", "written"),
    [
        ("agent_card", lambda row: f"carte {row['carte_agent'][:6].lower()} ok"),
        ("iban", lambda row: f"IBAN {row['iban'][-6:]}, carte vue"),
        ("nir10", lambda row: f"NIR {row['nir'][:10]} confirmé"),
        ("nir10", lambda row: f"NIR {row['nir'][:1]} {row['nir'][1:3]} {row['nir'][3:10]} dit"),
    ],
    ids=["card", "iban tail", "nir", "nir spaced"],
)
def test_a_secret_answer_the_personal_data_masks_let_through_is_refused(
    desk: Desk, factor: str, written: Callable[[dict[str, str]], str]
) -> None:
    """« carte 0VWFFT », « IBAN 453547 » and « NIR 1700259337 » went through the masks."""
    row = desk.caller.row if factor != "nir10" else desk.teacher.row
    caller = desk.caller if factor != "nir10" else desk.teacher
    call = open_call(desk, caller)
    with pytest.raises(ServiceError, match="n'écrivez jamais une réponse de vérification"):
        close_intervention(desk.deps, AGENT, call.id, "résolu", written(row))
    [entry] = entries(desk.deps, "code_in_text")
    assert entry["details"]["kind"] == factor


@pytest.mark.parametrize("before", ["matricule 12345", "dossier 7", "ref. 88 12"])
def test_a_nir_after_another_number_is_kept_in_clear_nowhere(desk: Desk, before: str) -> None:
    """« 12345 1700259337 » is one run of digits: the NIR was read from its start only.
    Refused, or masked whole: never kept as written."""
    nir = desk.teacher.row["nir"][:10]
    call = open_call(desk, desk.teacher)
    try:
        close_intervention(desk.deps, AGENT, call.id, "résolu", f"{before} {nir} lu")
    except ServiceError as refused:
        assert "n'écrivez jamais une réponse de vérification" in str(refused)
    assert_nowhere(desk.deps, nir)


@pytest.mark.parametrize("secret", ["nir", "answer"])
def test_a_secret_at_the_end_of_the_longest_note_is_found(desk: Desk, secret: str) -> None:
    """380 short words first used up the comparisons, and the secret after them passed."""
    row = desk.teacher.row
    said = f"NIR {row['nir'][:10]}" if secret == "nir" else f"défi {row['reponse_defi']}"
    note = ("(ab) " * 380 + said)[-1990:]
    assert note.endswith(said)
    call = open_call(desk, desk.teacher)
    with pytest.raises(ServiceError, match="n'écrivez jamais"):
        close_intervention(desk.deps, AGENT, call.id, "résolu", note)


def _dashed(nir: str) -> str:
    return f"{nir[0]}-{nir[1:3]}-{nir[3:5]}-{nir[5:7]}-{nir[7:10]}"


@pytest.mark.parametrize(
    "written",
    [
        lambda nir: f"nir {_dashed(nir)} lu",
        lambda nir: f"nir {_dashed(nir).replace('-', '/')} lu",
        lambda nir: f"nir {nir[0]}-{nir[1:4]}-{nir[4:7]}-{nir[7:10]} lu",
    ],
    ids=["dashes", "slashes", "groups of three"],
)
def test_a_nir_grouped_by_dashes_or_slashes_is_refused(
    desk: Desk, written: Callable[[str], str]
) -> None:
    """« 1-58-11-20-195 » and « 1/58/11/20/195 » were kept in clear (attack run)."""
    nir = desk.teacher.row["nir"][:10]
    call = open_call(desk, desk.teacher)
    with pytest.raises(ServiceError, match="n'écrivez jamais une réponse de vérification"):
        close_intervention(desk.deps, AGENT, call.id, "résolu", written(nir))
    assert_nowhere(desk.deps, nir)


@pytest.mark.parametrize(
    "spelt",
    [
        lambda answer: ".".join(answer),
        lambda answer: "-".join(answer),
        lambda answer: f"{answer[:3]} {answer[3:]}",
        lambda answer: f"{answer[:2]}\t{answer[2:]}",
    ],
    ids=["dotted", "dashed", "cut by a space", "cut by a tab"],
)
def test_the_challenge_answer_spelt_out_is_refused(
    desk: Desk, spelt: Callable[[str], str]
) -> None:
    """« B.e.s.a.n.ç.o.n », « B-e-s-a-n-c-o-n », « Besan çon » were kept (attack run)."""
    answer = answer_of(desk)
    assert " " not in answer  # one word: spelt out letter by letter
    call = open_call(desk, desk.teacher)
    with pytest.raises(ServiceError, match=re.escape(f"La note {REFUSED} une note")):
        close_intervention(desk.deps, AGENT, call.id, "résolu", f"réponse {spelt(answer)} ok")
    assert_nowhere(desk.deps, answer)


@pytest.mark.parametrize(
    "written",
    [
        lambda dep: f"vérifiée, elle est nee dans le {dep}, NUMEN lu",
        lambda dep: f"né(e) au {dep}",
        lambda dep: f"dépt. {dep} confirmé",
        lambda dep: f"Département de naissance : {dep}",
    ],
    ids=["nee dans le", "né(e) au", "dépt.", "département de naissance"],
)
def test_the_department_of_birth_said_in_a_note_is_refused(
    desk: Desk, written: Callable[[str], str]
) -> None:
    """« elle est nee dans le 67 » was kept in clear (newcomer run): an S7 answer. By its
    shape, whoever the voter: a refusal by the voter's own would confirm a guess."""
    caller = desk.without_notice
    call = open_call(desk, caller)
    department = caller.without_notice_answers()["birth_department"]
    with pytest.raises(ServiceError, match="au département de naissance de l'électeur"):
        close_intervention(desk.deps, AGENT, call.id, "résolu", written(department))
    assert entries(desk.deps, "intervention_close", intervention=call.id) == []


@pytest.mark.parametrize(
    "note",
    [
        "rappel dans {dep} minutes",
        "Il ne rappellera qu'à {dep} h",
        "SMS ne part pas, {dep} tentatives",
        "Née le 3 mai, vérifiée",
        "dép. 14 h, retour 15 h",
    ],
    ids=["no word of birth", "ne before an hour", "ne before a count", "a day", "départ"],
)
def test_a_number_that_is_no_department_of_birth_is_kept(desk: Desk, note: str) -> None:
    """The review found « ne » (the negation) and days of the month refused."""
    caller = desk.without_notice
    call = open_call(desk, caller)
    written = note.format(dep=caller.without_notice_answers()["birth_department"])
    close_intervention(desk.deps, AGENT, call.id, "résolu", written)
    [entry] = entries(desk.deps, "intervention_close", intervention=call.id)
    assert entry["details"]["note"] == written
