"""What the cell may issue in each shipped election, and by which route it reaches
the voter (``[delivery]``): one test per election and per kind, and the refusals an
administrator sees in a faulty file."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from csu.domain.election import (
    ElectionDefinition,
    link_expiry,
    parse_election,
    route_refusal,
)
from csu.domain.errors import InvalidValue

ELECTIONS = Path(__file__).resolve().parents[2] / "data" / "elections"


def shipped(name: str) -> ElectionDefinition:
    path = ELECTIONS / f"{name}.toml"
    return parse_election(path.read_text(encoding="utf-8"), path.name)


def with_delivery(delivery: str) -> str:
    """minint-2022 as shipped, its [delivery] sections replaced by ``delivery``."""
    text = (ELECTIONS / "minint-2022.toml").read_text(encoding="utf-8")
    start = text.index("[delivery.security_key]")
    end = text.index("# Procédure de l'organisateur")
    return text[:start] + delivery + "\n" + text[end:]


def refusal(text: str) -> InvalidValue:
    with pytest.raises(InvalidValue) as caught:
        parse_election(text, "minint-2022.toml")
    return caught.value


# ------------------------------------------------------------------ minint-2022


def test_minint_security_key_is_read_out_or_posted_home() -> None:
    minint = shipped("minint-2022")

    assert minint.allows("security_key", "read_out")
    assert minint.allows("security_key", "post")
    assert not minint.allows("security_key", "link")


def test_minint_password_is_read_out_only() -> None:
    minint = shipped("minint-2022")

    assert minint.allows("password", "read_out")
    assert route_refusal(minint, "password", "post") == (
        "Pour cette élection, le mot de passe se réassortit uniquement par lecture à "
        "l'appelant. L'électeur peut aussi le réinitialiser sur la page de connexion "
        "(matricule + donnée secrète de réassort), ou auprès de son président de bureau "
        "de vote électronique."
    )


def test_minint_identifier_is_not_sent_the_matricule_is_on_the_self_service_portal() -> None:
    refused = route_refusal(shipped("minint-2022"), "identifier", "email")

    assert refused is not None
    assert refused.startswith("Pour cette élection, l'identifiant de vote n'est pas délivré")
    assert "self-service" in refused


def test_minint_has_no_vote_code() -> None:
    assert not shipped("minint-2022").route_of("vote_code").issue


# --------------------------------------------------------------------- men-2022


def test_men_2022_vote_code_is_reissued_only_by_link() -> None:
    men = shipped("men-2022")

    assert men.allows("vote_code", "link")
    refused = route_refusal(men, "vote_code", "read_out")
    assert refused is not None
    assert refused.startswith(
        "Pour cette élection, le code de vote se réassortit uniquement par lien."
    )


def test_men_2022_password_is_the_voters_own_reissued_on_the_portal() -> None:
    refused = route_refusal(shipped("men-2022"), "password", "read_out")

    assert refused is not None
    assert "n'est pas délivré par la cellule" in refused
    assert "Besoin du réassort de votre mot de passe Élections ?" in refused


def test_men_2022_identifier_is_the_academic_webmail_address() -> None:
    refused = route_refusal(shipped("men-2022"), "identifier", "email")

    assert refused is not None
    assert "adresse webmail académique" in refused


def test_men_2022_has_no_security_key() -> None:
    assert not shipped("men-2022").route_of("security_key").issue


# --------------------------------------------------------------------- men-2011


def test_men_2011_identifier_goes_by_email_and_its_other_address_is_final() -> None:
    route = shipped("men-2011").route_of("identifier")

    assert (route.issue, route.by, route.address_final) == (True, ("email",), True)


def test_men_2011_password_shows_on_the_voters_screen_never_read_out() -> None:
    men = shipped("men-2011")

    assert men.allows("password", "link")
    assert route_refusal(men, "password", "read_out") == (
        "Pour cette élection, le mot de passe se réassortit uniquement par lien. Envoyez le "
        "lien à usage unique (après l'identifiant) : le mot de passe s'affiche sur l'écran "
        "de l'électeur, qui le note ou l'imprime."
    )


def test_men_2011_has_neither_vote_code_nor_security_key() -> None:
    men = shipped("men-2011")

    assert not men.route_of("vote_code").issue
    assert not men.route_of("security_key").issue


def test_a_link_sent_near_the_deadline_ends_at_the_deadline() -> None:
    men = shipped("men-2011")
    deadline = men.timings.links_until
    assert deadline is not None

    assert link_expiry(men, deadline - timedelta(minutes=10)) == deadline
    early = datetime(2011, 10, 14, 8, 0, tzinfo=UTC)
    assert link_expiry(men, early) == early + timedelta(minutes=30)


# ----------------------------------------------------------------- cci-hdf-2021


def test_cci_issues_no_credential_lost_material_is_replaced_by_substitution() -> None:
    cci = shipped("cci-hdf-2021")

    for kind in ("security_key", "password", "vote_code"):
        assert not cci.route_of(kind).issue
    refused = route_refusal(cci, "identifier", "email")
    assert refused is not None
    assert "matériel de substitution" in refused


# ------------------------------------------------------------- faulty files


def test_a_route_a_kind_cannot_take_is_refused() -> None:
    error = refusal(with_delivery('[delivery.security_key]\nissue = true\nby = ["email"]\n'))

    assert error.field == "minint-2022.toml : delivery.security_key.by[1]"
    assert "voie inconnue ou impossible pour ce code « email »" in error.fault


def test_an_issued_kind_without_route_is_refused() -> None:
    error = refusal(with_delivery("[delivery.password]\nissue = true\n"))

    assert str(error) == (
        "minint-2022.toml : delivery.password.by : au moins une voie attendue quand issue = true"
    )


def test_a_kind_not_issued_with_a_route_is_refused() -> None:
    error = refusal(with_delivery('[delivery.password]\nissue = false\nby = ["read_out"]\n'))

    assert error.field == "minint-2022.toml : delivery.password.by"


def test_issuing_a_kind_without_its_format_is_refused() -> None:
    error = refusal(with_delivery('[delivery.vote_code]\nissue = true\nby = ["link"]\n'))

    assert str(error) == (
        "minint-2022.toml : delivery.vote_code.issue : exige [credentials.vote_code] "
        "(la forme du code)"
    )


def test_an_unknown_kind_is_refused_with_a_hint() -> None:
    error = refusal(with_delivery("[delivery.mot_de_passe]\nissue = false\n"))

    assert error.field == "minint-2022.toml : delivery.mot_de_passe"
    assert error.fault.startswith("clé inconnue")


def test_a_kind_left_out_of_delivery_is_not_issued() -> None:
    definition = parse_election(
        with_delivery('[delivery.security_key]\nissue = true\nby = ["read_out"]\n'),
        "minint-2022.toml",
    )

    assert definition.allows("security_key", "read_out")
    assert not definition.route_of("password").issue


def test_a_file_without_delivery_keeps_what_the_cell_always_did() -> None:
    text = with_delivery("")

    definition = parse_election(text, "minint-2022.toml")

    assert definition.allows("security_key", "read_out")
    assert definition.allows("password", "read_out")
    assert definition.allows("identifier", "email")


def test_what_to_say_instead_longer_than_a_few_sentences_is_refused() -> None:
    instead = "Orientez l'électeur vers le portail. " * 9  # 333 characters
    error = refusal(with_delivery(f'[delivery.password]\nissue = false\ninstead = "{instead}"\n'))

    assert str(error) == "minint-2022.toml : delivery.password.instead : 300 caractères au plus"
