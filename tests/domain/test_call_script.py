"""Call scripts: each shipped election's procedure per scenario, the checklist state a
journal gives it, and the faults an administrator sees in a file."""

from pathlib import Path

import pytest

from csu.domain.actions import ACTIONS
from csu.domain.call_script import (
    JOURNAL_DETAILS,
    CallScript,
    Evidence,
    Fact,
    ScriptStep,
    likely_scenario,
    next_step,
    progress,
    scripts_of,
)
from csu.domain.election import ElectionDefinition, parse_election
from csu.domain.errors import InvalidValue

ELECTIONS = Path(__file__).resolve().parents[2] / "data" / "elections"


def shipped(name: str) -> ElectionDefinition:
    path = ELECTIONS / f"{name}.toml"
    return parse_election(path.read_text(encoding="utf-8"), path.name)


def states(script: CallScript, *facts: Fact) -> list[str]:
    return [s.state for s in progress(script, facts)]


VERIFIED = Fact("verification", "vérifié")
NOT_VERIFIED = Fact("verification", "non vérifié")
KEY_ISSUED = Fact("credential_issue", "ok", "security_key")
PASSWORD_ISSUED = Fact("credential_issue", "ok", "password")
KEY_READ = Fact("credential_read_out", "ok", "security_key")
REDIRECTED = Fact("intervention_close", "redirigé")
RESOLVED = Fact("intervention_close", "résolu")


def minint_s1() -> CallScript:
    return scripts_of(shipped("minint-2022"))["S1"]


# ------------------------------------------------------------ shipped scripts


@pytest.mark.parametrize(
    ("name", "scenarios"),
    [
        ("minint-2022", ["S1", "S2", "S3", "S4"]),
        ("men-2022", ["S6"]),
        ("men-2011", ["S7"]),
        ("cci-hdf-2021", ["S5", "S8"]),
    ],
)
def test_each_election_has_the_scripts_of_its_seed(name: str, scenarios: list[str]) -> None:
    assert list(scripts_of(shipped(name))) == scenarios


@pytest.mark.parametrize(
    ("name", "scenario", "route"),
    [
        ("minint-2022", "S1", "« E-Clé »"),
        ("minint-2022", "S3", "donnée secrète de réassort"),
        ("men-2022", "S6", "FranceConnect"),
        ("men-2011", "S7", "indésirables"),
        ("cci-hdf-2021", "S5", "« aide »"),
    ],
)
def test_a_script_redirects_first_to_self_service(name: str, scenario: str, route: str) -> None:
    script = scripts_of(shipped(name))[scenario]

    assert script.steps[0].kind == "redirect"
    assert route in script.steps[0].text


def test_education_2022_forbids_reading_a_vote_code_aloud() -> None:
    script = scripts_of(shipped("men-2022"))["S6"]

    assert any("Ne jamais générer, lire ni dicter un code de vote" in f for f in script.forbidden)


def test_education_2011_forbids_changing_the_confirmed_address() -> None:
    script = scripts_of(shipped("men-2011"))["S7"]

    assert any("une fois confirmée" in f for f in script.forbidden)


def test_a_president_reset_has_no_redirect_it_is_the_last_resort() -> None:
    script = scripts_of(shipped("minint-2022"))["S4"]

    assert script.redirects == ()


# ------------------------------------------------------------------ progress


def test_nothing_done_makes_the_first_step_next() -> None:
    assert states(minint_s1()) == ["next"] + ["todo"] * 6


def test_a_verification_ticks_its_step_and_passes_the_ones_before() -> None:
    assert states(minint_s1(), VERIFIED) == ["passed", "passed", "done", "next"] + ["todo"] * 3


def test_a_failed_verification_ticks_nothing() -> None:
    assert states(minint_s1(), NOT_VERIFIED) == ["next"] + ["todo"] * 6


def test_a_step_ticks_only_for_its_kind_of_code() -> None:
    ticked = states(minint_s1(), VERIFIED, PASSWORD_ISSUED)

    assert ticked[4] == "todo"
    assert states(minint_s1(), VERIFIED, KEY_ISSUED)[4] == "done"


def test_the_next_step_after_the_key_is_issued_is_reading_it() -> None:
    script = minint_s1()
    step = next_step(progress(script, (VERIFIED, KEY_ISSUED)))

    assert step is not None and step.number == 6
    assert step.text.startswith("Lire la clé")


def test_a_call_closed_as_redirected_ticks_the_redirect_step() -> None:
    ticked = states(minint_s1(), REDIRECTED)

    assert ticked[0] == "done" and ticked[-1] == "done"
    assert next_step(progress(minint_s1(), (REDIRECTED,))) is None


def test_a_closed_call_has_no_next_step_and_its_steps_left_undone_are_passed() -> None:
    script = minint_s1()
    ticked = [s.state for s in progress(script, (NOT_VERIFIED,), closed=True)]

    assert ticked == ["passed"] * 7
    assert next_step(progress(script, (VERIFIED,), closed=True)) is None


def test_a_call_resolved_does_not_count_as_redirected() -> None:
    assert states(minint_s1(), VERIFIED, KEY_ISSUED, KEY_READ, RESOLVED)[0] == "passed"


def test_the_likely_scenario_follows_the_kind_of_code_issued() -> None:
    scripts = scripts_of(shipped("minint-2022"))

    assert likely_scenario(scripts, (VERIFIED, PASSWORD_ISSUED)) == "S3"
    assert likely_scenario(scripts, (VERIFIED, KEY_ISSUED)) == "S1"
    assert likely_scenario(scripts, ()) == "S1"


def test_an_evidence_with_a_detail_matches_the_outcome_or_the_kind() -> None:
    assert Evidence("intervention_close", "redirigé").matches(REDIRECTED)
    assert Evidence("credential_issue", "security_key").matches(KEY_ISSUED)
    assert not Evidence("credential_issue", "security_key").matches(PASSWORD_ISSUED)


def test_a_script_of_steps_without_evidence_has_its_first_step_next() -> None:
    script = CallScript("S8", "t", (ScriptStep(1, "say", "a"), ScriptStep(2, "ask", "b")))

    assert states(script, VERIFIED) == ["next", "todo"]


# --------------------------------------------------------------- faulty files


def with_scripts(scripts: str) -> str:
    """men-2022 as shipped, its [scripts] replaced."""
    text = (ELECTIONS / "men-2022.toml").read_text(encoding="utf-8")
    return text[: text.index("[scripts.S6]")] + scripts


def fault(text: str) -> InvalidValue:
    with pytest.raises(InvalidValue) as caught:
        parse_election(text, "men-2022.toml")
    return caught.value


def test_an_unknown_scenario_is_refused() -> None:
    error = fault(with_scripts('[[scripts.S9.steps]]\nkind = "ask"\ntext = "x"\n'))

    assert error.field == "men-2022.toml : scripts.S9"


def test_an_unknown_step_kind_is_refused() -> None:
    error = fault(with_scripts('[[scripts.S6.steps]]\nkind = "lire"\ntext = "x"\n'))

    assert str(error) == (
        "men-2022.toml : scripts.S6.steps[1].kind : type d'étape inconnu « lire » "
        "(valeurs admises : redirect, ask, say, act)"
    )


def test_an_unknown_journal_action_is_refused() -> None:
    error = fault(
        with_scripts('[[scripts.S6.steps]]\nkind = "act"\ntext = "x"\ndone_when = "envoi"\n')
    )

    assert error.field == "men-2022.toml : scripts.S6.steps[1].done_when[1]"
    assert "action du journal inconnue « envoi »" in error.fault


def step_done_when(evidence: str) -> str:
    return with_scripts(
        f'[[scripts.S6.steps]]\nkind = "act"\ntext = "x"\ndone_when = "{evidence}"\n'
    )


def test_a_misspelt_detail_is_refused_with_a_suggestion() -> None:
    error = fault(step_done_when("credential_issue:securty_key"))

    assert str(error) == (
        "men-2022.toml : scripts.S6.steps[1].done_when[1] : précision inconnue "
        "« securty_key » pour credential_issue ; vouliez-vous dire « security_key » ? "
        "(précisions possibles : ok, password, security_key, vote_code)"
    )


def test_an_outcome_written_without_its_accent_is_refused_with_a_suggestion() -> None:
    error = fault(step_done_when("intervention_close:redirige"))

    assert "vouliez-vous dire « redirigé » ?" in error.fault


def test_a_failed_outcome_is_refused_as_it_never_ticks_a_step() -> None:
    error = fault(step_done_when("verification:non vérifié"))

    assert error.fault == "« non vérifié » est un échec : il ne coche aucune étape"


def test_an_action_that_never_names_an_intervention_is_refused() -> None:
    error = fault(step_done_when("login"))

    assert error.fault == (
        "l'action « login » n'est jamais rattachée à une intervention : elle ne coche aucune étape"
    )


def test_a_vote_code_link_names_no_kind_so_only_a_password_link_may_be_named() -> None:
    # The journal names the kind of a link only for a password (men-2011).
    error = fault(step_done_when("vote_code_link_send:vote_code"))

    assert error.fault.endswith("(précisions possibles : ok, password)")


def test_every_action_a_step_may_name_is_a_journal_action() -> None:
    assert set(JOURNAL_DETAILS) <= ACTIONS


def test_a_script_without_steps_is_refused() -> None:
    error = fault(with_scripts('[scripts.S6]\ntitle = "Réassort"\n'))

    assert str(error) == "men-2022.toml : scripts.S6.steps : clé obligatoire absente"


def test_a_step_without_text_is_refused() -> None:
    error = fault(with_scripts('[[scripts.S6.steps]]\nkind = "ask"\ntext = " "\n'))

    assert error.field == "men-2022.toml : scripts.S6.steps[1].text"


def test_in_person_the_channel_names_the_scenario() -> None:
    from csu.domain.call_script import scenario_of_channel

    assert scenario_of_channel("president", "president") == "S4"
    assert scenario_of_channel("president", "agent") == "S2"
    assert scenario_of_channel("phone", "agent") is None
