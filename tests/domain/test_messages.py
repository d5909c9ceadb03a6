"""Messages to voters: default French templates, an election's own wording, checked on load."""

from pathlib import Path

import pytest

from csu.domain.election import definition_from_json, election_to_json, parse_election
from csu.domain.errors import InvalidValue
from csu.domain.messages import (
    DEFAULTS,
    check_template,
    duration,
    identity_asked,
    render,
    with_time_left,
)
from tests.domain.election_files import without_own_messages

MEN = Path(__file__).parents[2] / "data" / "elections" / "men-2022.toml"
OWN_NOTICE = '''
[messages.notice]
subject = "Vos identifiants"
body = """$sender : le $when, $what.
Appelez le $support_phone."""
'''


def test_every_purpose_has_a_default_template_that_checks() -> None:
    for purpose, (subject, body) in DEFAULTS.items():
        assert check_template(purpose, subject, body, "défaut") == (subject, body)


def test_a_password_link_says_what_its_page_will_ask_and_how_many_errors_void_it() -> None:
    identity = identity_asked(["NUMEN", "département de naissance"], 3)
    _, body = render(
        {}, "password_link", sender="CSU", link="https://x/l", validity="30 minutes",
        support_phone="01 80 15 43 21", identity=identity,
    )  # fmt: skip
    assert (
        "ouvrez ce lien (une seule fois, valable 30 minutes) : https://x/l\n"
        "La page du lien vous demandera : NUMEN et département de naissance. Ayez-les sous la "
        "main : 3 réponses fausses l'annulent.\nNotez le mot de passe soigneusement" in body
    )


def test_a_password_link_voided_by_one_wrong_answer_says_it_in_the_singular() -> None:
    assert identity_asked(["NUMEN"], 1) == (
        "La page du lien vous demandera : NUMEN. Ayez-le sous la main : 1 réponse fausse "
        "l'annule.\n"
    )


def test_a_password_link_whose_page_asks_nothing_says_nothing_of_it() -> None:
    _, body = render(
        {}, "password_link", sender="CSU", link="https://x/l", validity="30 minutes",
        support_phone="01 80 15 43 21", identity=identity_asked([], 3),
    )  # fmt: skip
    assert "demandera" not in body and "https://x/l\nNotez le mot de passe" in body


def test_an_election_may_word_its_password_link() -> None:
    text = without_own_messages(MEN) + (
        '\n[messages.password_link]\nsubject = "Vos codes"\n'
        'body = "$sender : ouvrez $link. $identity"\n'
    )
    assert parse_election(text, "men-2022.toml").messages["password_link"] == (
        "Vos codes", "$sender : ouvrez $link. $identity"
    )


def test_render_fills_the_default_template() -> None:
    subject, body = render({}, "otp", sender="CSU", code="123456", validity="2 minutes")
    assert subject == "Votre code de vérification"
    assert body.startswith("CSU : votre code de vérification est 123456. Il est valable 2 minutes")


def test_an_election_may_word_a_message_its_own_way() -> None:
    definition = parse_election(MEN.read_text(encoding="utf-8") + OWN_NOTICE, "men.toml")
    subject, body = render(
        definition.messages, "notice", sender="MEN", when="02/12/2022 à 11:30",
        what="votre code de vote a été réassorti", support_phone="01 99 00 12 34",
    )
    assert subject == "Vos identifiants"
    assert body == "MEN : le 02/12/2022 à 11:30, votre code de vote a été réassorti.\n" \
        "Appelez le 01 99 00 12 34."


def test_an_elections_own_messages_survive_the_stored_form() -> None:
    definition = parse_election(MEN.read_text(encoding="utf-8") + OWN_NOTICE, "men.toml")
    assert definition_from_json(election_to_json(definition)) == definition


def test_an_unknown_placeholder_is_refused_when_the_election_is_loaded() -> None:
    text = MEN.read_text(encoding="utf-8") + OWN_NOTICE.replace("$what", "$quoi")
    with pytest.raises(InvalidValue, match=r"messages.notice.body : variable inconnue \$quoi"):
        parse_election(text, "men.toml")


def test_an_unknown_message_is_refused_when_the_election_is_loaded() -> None:
    text = MEN.read_text(encoding="utf-8") + OWN_NOTICE.replace("messages.notice", "messages.x")
    with pytest.raises(InvalidValue, match=r"messages\.x : clé inconnue"):
        parse_election(text, "men.toml")


@pytest.mark.parametrize(
    ("purpose", "name"),
    [
        ("otp", "code"),
        ("vote_code_link", "link"),
        ("identifier", "identifier"),
        ("substitution", "materials"),
        ("notice", "what"),
    ],
)
def test_a_message_without_the_variable_it_exists_for_is_refused(purpose: str, name: str) -> None:
    # « $sender bonjour » as a one-time code's SMS: the voter would never get the code.
    own = f'\n[messages.{purpose}]\nsubject = "Objet"\nbody = "$sender bonjour"\n'
    with pytest.raises(InvalidValue) as caught:
        parse_election(without_own_messages(MEN) + own, "men.toml")

    assert caught.value.field == f"men.toml : messages.{purpose}.body"
    assert caught.value.fault.startswith(f"variable ${name} absente : sans elle, l'électeur")


def test_the_essential_variable_in_the_subject_only_is_refused() -> None:
    # An SMS carries the body alone.
    own = '\n[messages.otp]\nsubject = "Code $code"\nbody = "$sender : voir l\'objet"\n'
    with pytest.raises(InvalidValue, match=r"messages\.otp\.body : variable \$code absente"):
        parse_election(MEN.read_text(encoding="utf-8") + own, "men.toml")


def test_a_message_with_a_bidirectional_override_is_refused() -> None:
    text = MEN.read_text(encoding="utf-8") + OWN_NOTICE.replace("Appelez", "\\u202eAppelez")
    with pytest.raises(InvalidValue, match=r"messages\.notice\.body : caractère interdit"):
        parse_election(text, "men.toml")


def test_the_platform_address_must_be_https() -> None:
    text = MEN.read_text(encoding="utf-8").replace("https://vote", "http://vote")
    with pytest.raises(InvalidValue, match=r"platform_url : adresse https://"):
        parse_election(text, "men.toml")


def test_a_platform_address_with_an_ipv6_bracket_left_open_is_refused() -> None:
    text = MEN.read_text(encoding="utf-8").replace("https://vote.", "https://[::1/vote.")
    with pytest.raises(InvalidValue, match=r"^men.toml : platform_url : adresse mal formée"):
        parse_election(text, "men.toml")


def test_a_platform_address_with_a_user_name_and_password_is_refused() -> None:
    # Each link to a voter starts with it: the password would go out in every message.
    text = MEN.read_text(encoding="utf-8").replace("https://vote", "https://csu:secret@vote")
    with pytest.raises(InvalidValue, match=r"platform_url : ni nom d'utilisateur ni mot de"):
        parse_election(text, "men.toml")


@pytest.mark.parametrize(
    ("seconds", "said"),
    [
        (120, "2 minutes"),
        (60, "1 minute"),
        (90, "1 min 30 s"),
        (45, "45 secondes"),
        (1, "1 seconde"),
    ],
)
def test_durations_are_said_in_french(seconds: int, said: str) -> None:
    assert duration(seconds) == said


def test_a_message_body_longer_than_a_few_sms_is_refused_naming_its_length() -> None:
    long_body = "$sender : le $when, $what. " + "x" * 1_000
    text = MEN.read_text(encoding="utf-8") + OWN_NOTICE.replace(
        "Appelez le $support_phone.", long_body
    )
    with pytest.raises(InvalidValue, match=r"messages\.notice\.body : 1000 caractères au plus"):
        parse_election(text, "men.toml")


def test_a_subject_longer_than_an_inbox_line_is_refused() -> None:
    text = MEN.read_text(encoding="utf-8") + OWN_NOTICE.replace("Vos identifiants", "V" * 151)
    with pytest.raises(InvalidValue, match=r"messages\.notice\.subject : 150 caractères au plus"):
        parse_election(text, "men.toml")


def test_a_late_message_says_the_time_left_only_where_it_says_valable() -> None:
    body = "Pour 2 minutes de votre temps : votre code (valable 2 minutes) est 123456."
    assert with_time_left(body, 120, 45.7) == (
        "Pour 2 minutes de votre temps : votre code (valable 45 secondes) est 123456."
    )


def test_a_wording_without_valable_is_sent_as_written() -> None:
    body = "Votre code vaut 2 minutes : 123456."
    assert with_time_left(body, 120, 45) == body
