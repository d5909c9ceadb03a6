"""Verification policies: which factor sets are acceptable on each channel."""

import pytest

from csu.domain.errors import InvalidValue
from csu.domain.verification import (
    CHANNEL_LABELS,
    CHANNELS,
    FACTOR_LABELS,
    FACTORS,
    PUBLIC_FACTORS,
    describe_set,
    missing_answers,
    missing_sentence,
    one_time_code,
    validate_policy,
)

INTERIOR_PHONE = [
    ["birth_date", "agent_card", "iban"],
    ["birth_date", "security_key_prefix", "iban"],
    ["birth_date", "otp_mobile"],
]


def refusal(policy: dict[str, list[list[str]]]) -> InvalidValue:
    with pytest.raises(InvalidValue) as caught:
        validate_policy(policy, "minint-2022.toml")
    return caught.value


def test_a_valid_policy_becomes_a_tuple_of_factor_sets_per_channel() -> None:
    policy = validate_policy(
        {"phone": INTERIOR_PHONE, "president": [["in_person"]]}, "minint-2022.toml"
    )

    assert policy == {
        "phone": (
            frozenset({"birth_date", "agent_card", "iban"}),
            frozenset({"birth_date", "security_key_prefix", "iban"}),
            frozenset({"birth_date", "otp_mobile"}),
        ),
        "president": (frozenset({"in_person"}),),
    }


def test_channels_come_back_in_canonical_order() -> None:
    policy = validate_policy({"email": [["otp_email"]], "phone": [["numen"]]}, "x.toml")

    assert list(policy) == ["phone", "email"]


def test_an_unknown_channel_is_refused_and_named() -> None:
    error = refusal({"fax": [["numen"]]})

    assert error.field == "minint-2022.toml : verification.fax"
    assert "canal inconnu « fax »" in error.fault


def test_an_unknown_factor_is_refused_naming_its_set() -> None:
    error = refusal({"phone": [["numen"], ["birth_date", "shoe_size"]]})

    assert error.field == "minint-2022.toml : verification.phone[2]"
    assert "facteur inconnu « shoe_size »" in error.fault


def test_an_empty_set_is_refused() -> None:
    error = refusal({"phone": [["numen"], []]})

    assert str(error) == "minint-2022.toml : verification.phone[2] : l'ensemble est vide"


def test_a_set_of_public_factors_only_is_refused_and_named() -> None:
    error = refusal({"phone": [["birth_date", "iban"], ["birth_date", "caller_id"]]})

    assert error.field == "minint-2022.toml : verification.phone[2]"
    assert error.fault == "l'ensemble [birth_date, caller_id] ne contient aucun facteur secret"


def test_a_channel_without_any_set_is_refused() -> None:
    error = refusal({"phone": []})

    assert str(error) == "minint-2022.toml : verification.phone : aucun ensemble de facteurs"


def test_a_policy_without_any_channel_is_refused() -> None:
    error = refusal({})

    assert error.field == "minint-2022.toml : verification"


def test_a_repeated_factor_is_refused() -> None:
    error = refusal({"phone": [["numen", "numen"]]})

    assert error.fault == "facteur « numen » en double"


def test_a_set_that_is_not_a_list_is_refused() -> None:
    error = refusal({"phone": ["numen"]})  # type: ignore[list-item]

    assert error.fault == "type attendu : liste d'ensembles de facteurs"


def test_in_person_is_refused_outside_the_president_channel() -> None:
    error = refusal({"phone": [["in_person"]]})

    assert error.field == "minint-2022.toml : verification.phone[1]"
    assert "canal president" in error.fault


def test_public_factors_are_the_public_facts_and_nothing_secret() -> None:
    assert {"birth_date", "birth_department", "caller_id"} == PUBLIC_FACTORS
    assert PUBLIC_FACTORS < FACTORS


def test_every_channel_has_a_french_label() -> None:
    assert CHANNELS == ("phone", "president", "email")
    assert CHANNEL_LABELS == {
        "phone": "téléphone",
        "president": "présentiel via président",
        "email": "courriel",
    }


def test_every_factor_has_a_french_label() -> None:
    assert set(FACTOR_LABELS) == FACTORS


def test_a_set_is_described_in_french_in_a_stable_order() -> None:
    assert (
        describe_set(frozenset({"iban", "birth_date"}))
        == "date de naissance + 6 derniers caractères de l'IBAN"
    )


def interior() -> dict[str, tuple[frozenset[str], ...]]:
    return {"phone": tuple(frozenset(s) for s in INTERIOR_PHONE)}


def test_what_is_missing_is_said_from_the_nearest_set() -> None:
    assert missing_answers(interior(), "phone", {"otp_mobile"}) == {"birth_date"}
    assert missing_answers(interior(), "phone", {"birth_date", "iban"}) == {"agent_card"}


def test_a_set_whose_code_can_go_nowhere_is_not_the_one_asked_for() -> None:
    """A voter without a mobile was asked for « code à usage unique envoyé par SMS »."""
    assert missing_answers(interior(), "phone", {"birth_date"}, {"otp_mobile"}) == {
        "iban", "agent_card",
    }  # fmt: skip


def test_when_every_set_needs_a_code_that_cannot_go_the_nearest_is_still_said() -> None:
    policy = {"phone": (frozenset({"birth_date", "otp_mobile"}),)}
    assert missing_answers(policy, "phone", {"birth_date"}, {"otp_mobile"}) == {"otp_mobile"}


def test_with_nothing_typed_the_shortest_set_is_missing_whole() -> None:
    assert missing_answers(interior(), "phone", set()) == frozenset(INTERIOR_PHONE[2])


def test_nothing_is_missing_once_a_set_is_covered() -> None:
    assert missing_answers(interior(), "phone", {"birth_date", "otp_mobile"}) == frozenset()


def test_the_sentence_agrees_with_how_many_answers_are_missing() -> None:
    assert missing_sentence(frozenset({"birth_date"})) == "Réponse manquante : date de naissance"
    assert missing_sentence(frozenset(INTERIOR_PHONE[2])).startswith("Réponses manquantes : ")


def test_a_one_time_code_is_its_six_digits_spaces_dropped() -> None:
    assert one_time_code("123 456") == "123456"


@pytest.mark.parametrize("typed", ["12345", "1234567", "12345a", "１２３４５６"])
def test_a_one_time_code_of_another_shape_is_a_format_fault(typed: str) -> None:
    with pytest.raises(InvalidValue, match=r"^Code : 6 chiffres attendus"):
        one_time_code(typed)
