"""Election definitions: the shipped files, the errors an administrator sees,
the election calendar and the support hours."""

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from csu.domain.clock import PARIS
from csu.domain.credential_words import words
from csu.domain.election import (
    MIN_CREDENTIAL_BITS,
    CredentialFormat,
    ElectionDefinition,
    ElectionState,
    accepts_substitution_at,
    definition_from_json,
    describe_support_hours,
    election_to_json,
    parse_election,
    state_at,
    within_support_hours,
)
from csu.domain.errors import InvalidValue
from csu.domain.verification import enough_for

ELECTIONS = Path(__file__).resolve().parents[2] / "data" / "elections"
SHIPPED = ["minint-2022", "men-2022", "men-2011", "cci-hdf-2021"]


def shipped(name: str) -> ElectionDefinition:
    path = ELECTIONS / f"{name}.toml"
    return parse_election(path.read_text(encoding="utf-8"), path.name)


def paris(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    """A Paris wall-clock moment, as the aware UTC datetime services pass around."""
    return datetime(year, month, day, hour, minute, tzinfo=PARIS).astimezone(UTC)


MINIMAL = """\
id = "test-2024"
title = "Scrutin de test"
organiser = "Ministère des Tests"
sender_name = "CSU test"
support_phone = "01 23 45 67 89"
opens_at = 2024-12-02T09:00:00
closes_at = 2024-12-05T17:00:00
identity_fields = ["birth_date", "iban", "agent_card"]
retention_days = 30

[support]
[[support.windows]]
period = "during"
days = ["lundi", "mardi", "mercredi", "jeudi", "vendredi"]
from = "09:00"
to = "18:00"

[credentials.password]
alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
length = 12

[verification]
phone = [["birth_date", "iban"], ["agent_card"]]
"""


def refusal(text: str) -> InvalidValue:
    with pytest.raises(InvalidValue) as caught:
        parse_election(text, "test.toml")
    return caught.value


def minint(old: str, new: str) -> str:
    """minint-2022.toml as shipped, ``old`` replaced by ``new`` (which must be there)."""
    text = (ELECTIONS / "minint-2022.toml").read_text(encoding="utf-8")
    assert old in text
    return text.replace(old, new)


def minint_refusal(old: str, new: str) -> InvalidValue:
    with pytest.raises(InvalidValue) as caught:
        parse_election(minint(old, new), "minint-2022.toml")
    return caught.value


MININT_KEY = 'alphabet = "23456789ABCDEFGHJKMNPQRSTVWXYZ"\nlength = 16\ngroup = 4'


# --------------------------------------------------------------- shipped files


@pytest.mark.parametrize("name", SHIPPED)
def test_each_shipped_file_loads_under_its_own_id(name: str) -> None:
    assert shipped(name).id == name


@pytest.mark.parametrize("name", SHIPPED)
def test_each_shipped_file_survives_its_json_form(name: str) -> None:
    definition = shipped(name)
    stored = json.loads(json.dumps(election_to_json(definition)))

    assert definition_from_json(stored) == definition


def test_minint_2022_votes_from_1_to_8_december_paris_time() -> None:
    minint = shipped("minint-2022")

    assert minint.opens_at == datetime(2022, 12, 1, 8, 0, tzinfo=UTC)  # 09:00 Paris
    assert minint.closes_at == datetime(2022, 12, 8, 16, 0, tzinfo=UTC)  # 17:00 Paris
    assert minint.support_phone == "0 800 808 900"
    assert minint.csu_phone == "01 80 15 43 21"


def test_minint_2022_issues_security_keys_and_passwords() -> None:
    minint = shipped("minint-2022")

    assert minint.credential_kinds == ("security_key", "password")
    key = minint.credentials["security_key"]
    assert (key.alphabet, key.length, key.group) == ("23456789ABCDEFGHJKMNPQRSTVWXYZ", 16, 4)
    assert minint.credentials["password"].length >= 12


def test_minint_2022_verifies_callers_with_iban_and_card_or_key_or_an_sms_code() -> None:
    minint = shipped("minint-2022")

    assert minint.verification["phone"] == (
        frozenset({"birth_date", "agent_card", "iban"}),
        frozenset({"birth_date", "security_key_prefix", "iban"}),
        frozenset({"birth_date", "otp_mobile"}),
    )
    assert minint.verification["president"] == (frozenset({"in_person"}),)
    assert "email" not in minint.verification


def test_men_2022_reissues_vote_codes_on_challenge_answer_and_numen_or_nir() -> None:
    men = shipped("men-2022")

    assert men.opens_at == paris(2022, 12, 1, 8, 0)
    assert men.closes_at == paris(2022, 12, 8, 17, 0)
    assert "vote_code" in men.credential_kinds
    assert frozenset({"challenge_answer", "numen"}) in men.verification["phone"]
    assert frozenset({"challenge_answer", "nir10"}) in men.verification["phone"]
    assert men.timings.code_display_seconds == 120
    assert {"numen", "nir", "challenge"} <= set(men.identity_fields)


def test_men_2022_no_longer_takes_the_2011_numen_and_birth_department() -> None:
    men = shipped("men-2022")

    assert frozenset({"numen", "birth_department"}) not in men.verification["phone"]
    assert "password" not in men.credential_kinds


def test_men_2011_verifies_by_numen_and_birth_department_only() -> None:
    men = shipped("men-2011")

    assert men.verification == {"phone": (frozenset({"numen", "birth_department"}),)}
    assert men.credential_kinds == ("password",)
    assert set(men.identity_fields) == {"numen", "nir", "email"}


def test_men_2011_links_are_honoured_until_the_end_of_20_october() -> None:
    men = shipped("men-2011")

    assert men.timings.links_until == paris(2011, 10, 21, 0, 0)


def test_cci_hdf_2021_grants_substitution_material_from_29_october_on_approval() -> None:
    cci = shipped("cci-hdf-2021")

    assert cci.substitution.enabled
    assert cci.substitution.from_day == date(2021, 10, 29)
    assert cci.substitution.requires_approval
    assert len(cci.substitution.checklist) == 5
    assert cci.credential_kinds == ()
    assert len(cci.capacities) > 1
    assert len(cci.support_lines) == 7


def test_cci_hdf_2021_closes_at_midnight_ending_9_november() -> None:
    cci = shipped("cci-hdf-2021")

    assert cci.closes_at == paris(2021, 11, 10, 0, 0)
    assert cci.last_vote_day == date(2021, 11, 9)


# ----------------------------------------------------- errors name file and key


def test_the_minimal_example_loads() -> None:
    definition = parse_election(MINIMAL, "test.toml")

    assert definition.capacities == ("électeur",)
    assert definition.matricule_pattern == "^[A-Z0-9]{4,12}$"
    assert not definition.substitution.enabled


def test_a_missing_key_is_named_with_its_file() -> None:
    error = refusal(MINIMAL.replace("closes_at = 2024-12-05T17:00:00\n", ""))

    assert str(error) == "test.toml : closes_at : clé obligatoire absente"


@pytest.mark.parametrize(
    ("line", "longer", "path", "width"),
    [
        ('id = "test-2024"', f'id = "{"a" * 65}"', "id", 64),
        ('title = "Scrutin de test"', f'title = "{"T" * 301}"', "title", 300),
        ('organiser = "Ministère des Tests"', f'organiser = "{"O" * 301}"', "organiser", 300),
    ],
    ids=["id", "title", "organiser"],
)
def test_a_text_wider_than_its_column_is_refused_naming_it(
    line: str, longer: str, path: str, width: int
) -> None:
    # PostgreSQL refused such a file at the insert, with an error of its own.
    error = refusal(MINIMAL.replace(line, longer))

    assert str(error) == f"test.toml : {path} : {width} caractères au plus"


def test_texts_as_wide_as_their_columns_are_read() -> None:
    text = MINIMAL.replace('id = "test-2024"', f'id = "{"a" * 64}"').replace(
        'title = "Scrutin de test"', f'title = "{"T" * 300}"'
    )

    assert len(parse_election(text, "test.toml").title) == 300


def test_the_education_files_count_every_academy_as_professional() -> None:
    for name in ("men-2022", "men-2011"):
        assert shipped(name).professional_domains == ("ac-*.fr", "education.gouv.fr")


def test_without_professional_domains_an_election_has_none() -> None:
    assert parse_election(MINIMAL, "test.toml").professional_domains == ()


def test_a_professional_domain_that_is_no_domain_is_refused_naming_it() -> None:
    error = refusal(MINIMAL.replace(
        "retention_days = 30\n",
        'retention_days = 30\nprofessional_domains = ["ac-*.fr", "gmail.*"]\n',
    ))  # fmt: skip

    assert str(error) == (
        "test.toml : professional_domains[2] : « gmail.* » : « * » ne peut pas remplacer "
        "l'extension (.fr, .com…) : il couvrirait tout"
    )


def test_a_title_of_zero_width_spaces_only_is_refused_as_empty() -> None:
    error = refusal(MINIMAL.replace('"Scrutin de test"', '"\\u200b\\u200b"'))

    assert str(error) == "test.toml : title : ne doit pas être vide"


def test_a_title_with_a_bidirectional_override_is_refused() -> None:
    # U+202E shows « Élections exe.pnp » as « Élections pnp.exe »: refused in names too.
    error = refusal(MINIMAL.replace('"Scrutin de test"', '"Élections \\u202egnp.exe"'))

    assert str(error) == (
        "test.toml : title : caractère interdit en position 11 "
        "(marque de direction bidirectionnelle, U+202E)"
    )


def test_links_honoured_only_until_before_the_opening_are_refused() -> None:
    error = refusal(MINIMAL + "\n[timings]\nlinks_until = 2024-12-01T00:00:00\n")

    assert str(error) == "test.toml : timings.links_until : doit être postérieure à opens_at"


def test_closing_before_opening_is_refused() -> None:
    error = refusal(MINIMAL.replace("2024-12-05T17:00:00", "2024-12-01T17:00:00"))

    assert str(error) == "test.toml : closes_at : doit être postérieure à opens_at"


def test_a_matricule_pattern_that_does_not_compile_is_refused() -> None:
    error = refusal(
        MINIMAL.replace("retention_days = 30", 'retention_days = 30\nmatricule_pattern = "^[A-Z"')
    )

    assert error.field == "test.toml : matricule_pattern"
    assert error.fault.startswith("expression régulière invalide")


def with_matricule_pattern(pattern: str) -> str:
    return MINIMAL.replace(
        "retention_days = 30", f"retention_days = 30\nmatricule_pattern = '{pattern}'"
    )


# Patterns on which Python's re backtracks without end; RE2 matches them in linear time
# (tests/domain/test_organiser_patterns.py).
BACKTRACKING = [
    "^(A+)+$", "^([A-Z]{1,3})*$", "^(?:[0-9]+-?)+$", "^(?:A|AB)+$",
    "^A*A*A*A*A*A*A*A*A*A*A*A*B$",
]


@pytest.mark.parametrize("pattern", BACKTRACKING)
def test_a_matricule_pattern_re_would_backtrack_on_is_accepted(pattern: str) -> None:
    definition = parse_election(with_matricule_pattern(pattern), "test.toml")
    assert not definition.matches_matricule("A" * 63 + "!")  # almost: what re backtracks on


@pytest.mark.parametrize(
    "pattern", ["^([A-Z])\\1[0-9]{4}$", "^(?=[A-Z])[A-Z0-9]{4,12}$", "^[A-Z0-9]{4,12}\\Z"]
)
def test_a_matricule_pattern_only_a_backtracking_engine_reads_is_refused(pattern: str) -> None:
    error = refusal(with_matricule_pattern(pattern))

    assert error.field == "test.toml : matricule_pattern"
    assert error.fault.startswith("construction que le moteur RE2 ne lit pas (renvoi")


@pytest.mark.parametrize(
    "pattern",
    [
        "^[A-Z0-9]{4,12}$",
        "^(MI|CC)[0-9]{8}$",
        "^(?:[A-Z]{2}-)?[0-9]{6}$",
        "^([A-Z]{2}[0-9]{2})+$",
        "^(A|B)+$",  # single characters: a class, which re matches in one step each
    ],
)
def test_a_matricule_pattern_with_one_repetition_per_part_is_accepted(pattern: str) -> None:
    assert parse_election(with_matricule_pattern(pattern), "test.toml").matricule_pattern == (
        pattern
    )


def test_an_unknown_factor_is_refused_with_file_and_set() -> None:
    error = refusal(MINIMAL.replace('["agent_card"]', '["agent_cart"]'))

    assert error.field == "test.toml : verification.phone[2]"
    assert "facteur inconnu « agent_cart »" in error.fault


def test_a_set_without_secret_factor_is_named() -> None:
    error = refusal(MINIMAL.replace('["agent_card"]', '["birth_date"]'))

    assert str(error) == (
        "test.toml : verification.phone[2] : "
        "l'ensemble [birth_date] ne contient aucun facteur secret"
    )


def test_a_factor_the_roll_does_not_carry_is_refused() -> None:
    error = refusal(MINIMAL.replace('["agent_card"]', '["numen"]'))

    assert error.field == "test.toml : verification.phone[2]"
    assert "exige le champ numen dans identity_fields" in error.fault


def test_an_unknown_top_level_key_is_refused_with_a_suggestion() -> None:
    error = refusal(MINIMAL.replace("closes_at =", "closes_on ="))

    assert error.field == "test.toml : closes_on"
    assert error.fault.startswith("clé inconnue ; vouliez-vous dire « closes_at » ?")


def test_an_unknown_nested_key_is_refused_with_its_path() -> None:
    error = refusal(MINIMAL.replace('to = "18:00"', 'to = "18:00"\nuntil = "19:00"'))

    assert error.field == "test.toml : support.windows[1].until"


def test_a_toml_syntax_error_gives_its_line() -> None:
    error = refusal(MINIMAL.replace('title = "Scrutin de test"', "title = Scrutin de test"))

    assert error.field == "test.toml : ligne 2, colonne 9"
    assert error.fault.startswith("syntaxe TOML incorrecte")


@pytest.mark.parametrize(
    "line",
    [
        "a." * 40_000 + "b = 1",  # 80 KB: 6 GB and 24 s of tomllib before (attack run)
        "[" + "t." * 100 + "u]",
        "x = { " + "'q'." * 100 + "r = 1 }",
    ],
)
def test_a_key_of_too_many_dotted_parts_is_refused_before_toml_reads_it(line: str) -> None:
    error = refusal(MINIMAL + line + "\n")

    assert error.field == f"test.toml : ligne {MINIMAL.count(chr(10)) + 1}"
    assert error.fault == "clé de plus de 64 parties séparées par des points"


def test_dotted_keys_of_64_parts_are_still_read() -> None:
    error = refusal(MINIMAL + ".".join(f"p{n}" for n in range(64)) + " = 1\n")

    assert error.field.endswith(".p0")  # read by TOML, then refused as no such key


def test_a_value_of_the_wrong_type_is_refused() -> None:
    error = refusal(MINIMAL.replace('sender_name = "CSU test"', "sender_name = 42"))

    assert str(error) == "test.toml : sender_name : type attendu : texte"


def test_a_password_shorter_than_12_characters_is_refused() -> None:
    error = refusal(MINIMAL.replace("length = 12", "length = 8"))

    assert error.field == "test.toml : credentials.password.length"
    assert error.fault == "un mot de passe doit compter au moins 12 caractères"


def test_an_alphabet_with_a_repeated_character_is_refused() -> None:
    error = refusal(MINIMAL.replace('"abcdefghjkmnpqrstuvwxyz23456789"', '"abcab"'))

    assert str(error) == (
        "test.toml : credentials.password.alphabet : caractères en double : a b"
    )


def test_an_alphabet_of_fewer_than_10_characters_is_refused() -> None:
    error = refusal(MINIMAL.replace('"abcdefghjkmnpqrstuvwxyz23456789"', '"a"'))

    assert str(error) == (
        "test.toml : credentials.password.alphabet : 10 caractères différents au moins "
        "(1 ici) : un code tiré de si peu de caractères se devine"
    )


def test_a_code_under_40_bits_is_refused_saying_the_length_it_needs() -> None:
    error = refusal(MINIMAL.replace('"abcdefghjkmnpqrstuvwxyz23456789"', '"0123456789"'))

    assert str(error) == (
        "test.toml : credentials.password.length : 12 caractères parmi 10 ne donnent que "
        "39,9 bits ; 40 au moins attendus (longueur × log2(taille de l'alphabet)) : "
        "13 caractères au moins avec cet alphabet"
    )


def test_a_substitution_identifier_is_held_to_the_same_strength() -> None:
    text = (ELECTIONS / "cci-hdf-2021.toml").read_text(encoding="utf-8")
    text = text.replace("length = 12\ngroup = 4", "length = 1\ngroup = 0")

    with pytest.raises(InvalidValue) as caught:
        parse_election(text, "cci-hdf-2021.toml")

    assert caught.value.field == "cci-hdf-2021.toml : substitution.identifier.length"
    assert caught.value.fault.startswith("1 caractère parmi ")
    assert " ne donne que " in caught.value.fault


def test_a_single_repeated_character_is_named_in_the_singular() -> None:
    error = refusal(MINIMAL.replace('"abcdefghjkmnpqrstuvwxyz23456789"', '"abca"'))

    assert str(error) == "test.toml : credentials.password.alphabet : caractère en double : a"


@pytest.mark.parametrize("name", SHIPPED)
def test_the_shipped_codes_clear_the_strength_floor_by_15_bits(name: str) -> None:
    definition = shipped(name)
    formats = [*definition.credentials.values()]
    if definition.substitution.identifier is not None:
        formats.append(definition.substitution.identifier)

    assert all(fmt.bits >= MIN_CREDENTIAL_BITS + 15 for fmt in formats)


def test_a_key_whose_prefix_verifies_callers_holds_only_capitals_and_digits() -> None:
    # Lower-case keys: the dictated prefix is compared upper-cased, so it never matched,
    # and each failure counted towards the voter's lock.
    lower = MININT_KEY.replace("ABCDEFGHJKMNPQRSTVWXYZ", "abcdefghjkmnpqrstvwxyz")
    error = minint_refusal(MININT_KEY, lower)

    assert error.field == "minint-2022.toml : credentials.security_key.alphabet"
    assert error.fault == (
        "le facteur security_key_prefix compare les 6 premiers caractères dictés, en "
        "majuscules et sans signes : la clé ne doit compter que des majuscules de A à Z et "
        "des chiffres (hors de ceux-ci : « a », « b », « c », « d », « e » et 17 autres)"
    )


def test_a_key_with_symbols_is_refused_when_its_prefix_verifies_callers() -> None:
    symbols = MININT_KEY.replace("XYZ", "XYZ#+%")
    error = minint_refusal(MININT_KEY, symbols)

    assert error.field == "minint-2022.toml : credentials.security_key.alphabet"
    assert error.fault.endswith("(hors de ceux-ci : « # », « + », « % »)")


def test_a_key_shorter_than_the_prefix_is_refused_when_its_prefix_verifies_callers() -> None:
    # 5 characters among 256 capitals hold 40 bits: strong enough, yet shorter than the
    # 6 characters the caller reads out.
    capitals = [c for c in map(chr, range(0x41, 0x2000)) if c.isupper() and c.upper() == c]
    wide = f'alphabet = "{"".join(capitals[:256])}"\nlength = 5\ngroup = 0'
    error = minint_refusal(MININT_KEY, wide)

    assert str(error) == (
        "minint-2022.toml : credentials.security_key.length : le facteur "
        "security_key_prefix lit les 6 premiers caractères de la clé : 6 caractères au "
        "moins attendus"
    )


def test_a_lower_case_key_is_accepted_when_no_set_uses_its_prefix() -> None:
    lower = MININT_KEY.replace("ABCDEFGHJKMNPQRSTVWXYZ", "abcdefghjkmnpqrstvwxyz")
    text = minint(MININT_KEY, lower).replace(
        '    ["birth_date", "security_key_prefix", "iban"],\n', ""
    )

    key = parse_election(text, "minint-2022.toml").credentials["security_key"]

    assert key.alphabet.startswith("23456789abc")


def test_an_empty_alphabet_is_refused() -> None:
    error = refusal(MINIMAL.replace('"abcdefghjkmnpqrstuvwxyz23456789"', '""'))

    assert str(error) == "test.toml : credentials.password.alphabet : ne doit pas être vide"


def test_an_unknown_credential_kind_is_refused() -> None:
    error = refusal(MINIMAL.replace("[credentials.password]", "[credentials.pin]"))

    assert error.field == "test.toml : credentials.pin"


def test_a_local_time_skipped_by_the_spring_clock_change_is_refused() -> None:
    text = MINIMAL.replace("2024-12-02T09:00:00", "2024-03-31T02:30:00")

    error = refusal(text)

    assert error.field == "test.toml : opens_at"
    assert "changement d'heure" in error.fault


def test_a_support_window_ending_before_it_starts_is_refused() -> None:
    error = refusal(MINIMAL.replace('to = "18:00"', 'to = "08:00"'))

    assert str(error) == "test.toml : support.windows[1].to : doit être postérieure à from"


def test_an_unknown_day_is_refused() -> None:
    error = refusal(MINIMAL.replace('"vendredi"]', '"vendredy"]'))

    assert error.field == "test.toml : support.windows[1].days[5]"


def test_substitution_needs_a_from_date_when_enabled() -> None:
    error = refusal(MINIMAL + "\n[substitution]\nenabled = true\n")

    assert str(error) == "test.toml : substitution.from : clé obligatoire quand enabled = true"


def test_a_stored_form_is_checked_again_when_rebuilt() -> None:
    stored = election_to_json(parse_election(MINIMAL, "test.toml"))
    stored["retention_days"] = 0

    with pytest.raises(InvalidValue) as caught:
        definition_from_json(stored)

    assert caught.value.field == "définition enregistrée test-2024 : retention_days"


# ------------------------------------------------------------- election state


def test_before_the_opening_the_election_is_not_yet_open() -> None:
    minint = shipped("minint-2022")

    state = state_at(minint, paris(2022, 12, 1, 8, 59))

    assert state is ElectionState.BEFORE
    assert state.label == "avant ouverture"


def test_from_the_opening_instant_the_election_is_open() -> None:
    assert state_at(shipped("minint-2022"), paris(2022, 12, 1, 9, 0)).label == "ouvert"


def test_from_the_closing_instant_the_election_is_closed() -> None:
    assert state_at(shipped("minint-2022"), paris(2022, 12, 8, 17, 0)).label == "clos"


def test_personal_data_is_due_for_purge_after_the_retention_period() -> None:
    minint = shipped("minint-2022")

    assert minint.purge_after == paris(2023, 3, 8, 17, 0)


# ------------------------------------------------------------- support hours


def test_a_weekday_at_10_before_the_vote_is_within_support_hours() -> None:
    assert within_support_hours(shipped("minint-2022"), paris(2022, 11, 24, 10, 0))  # Thursday


def test_a_sunday_before_the_vote_is_outside_support_hours() -> None:
    assert not within_support_hours(shipped("minint-2022"), paris(2022, 11, 20, 10, 0))


def test_before_the_support_start_date_the_cell_is_closed() -> None:
    assert not within_support_hours(shipped("minint-2022"), paris(2022, 11, 16, 10, 0))


def test_a_sunday_during_the_vote_is_within_support_hours() -> None:
    assert within_support_hours(shipped("minint-2022"), paris(2022, 12, 4, 10, 0))


def test_18_30_during_the_vote_is_outside_support_hours() -> None:
    assert not within_support_hours(shipped("minint-2022"), paris(2022, 12, 3, 18, 30))


def test_the_cell_still_answers_on_the_closing_day_after_the_vote_closes() -> None:
    minint = shipped("minint-2022")
    after_closing = paris(2022, 12, 8, 17, 30)

    assert state_at(minint, after_closing) is ElectionState.CLOSED
    assert within_support_hours(minint, after_closing)


def test_after_the_closing_day_the_cell_is_closed() -> None:
    assert not within_support_hours(shipped("minint-2022"), paris(2022, 12, 9, 10, 0))


def test_support_hours_follow_paris_time_across_the_autumn_clock_change() -> None:
    cci = shipped("cci-hdf-2021")  # 08:30-12:00; clocks went back on Sunday 31 October 2021

    assert within_support_hours(cci, datetime(2021, 10, 29, 6, 45, tzinfo=UTC))  # 08:45 CEST
    assert not within_support_hours(cci, datetime(2021, 11, 2, 7, 15, tzinfo=UTC))  # 08:15 CET
    assert within_support_hours(cci, datetime(2021, 11, 2, 7, 45, tzinfo=UTC))  # 08:45 CET


def test_the_lunch_break_is_outside_support_hours() -> None:
    assert not within_support_hours(shipped("cci-hdf-2021"), paris(2021, 11, 3, 12, 30))


def test_support_hours_are_described_in_french() -> None:
    assert describe_support_hours(shipped("minint-2022")) == (
        "avant le vote (à partir du 17/11/2022) : du lundi au vendredi, 09:00–18:00 ; "
        "pendant le vote : tous les jours, 09:00–18:00"
    )


# -------------------------------------------------------------- substitution


def test_a_declaration_of_loss_is_refused_before_the_substitution_date() -> None:
    assert not accepts_substitution_at(shipped("cci-hdf-2021"), paris(2021, 10, 28, 10, 0))


def test_a_declaration_of_loss_is_accepted_from_the_substitution_date() -> None:
    assert accepts_substitution_at(shipped("cci-hdf-2021"), paris(2021, 10, 29, 0, 0))


def test_a_declaration_of_loss_is_refused_once_the_vote_is_closed() -> None:
    assert not accepts_substitution_at(shipped("cci-hdf-2021"), paris(2021, 11, 10, 0, 0))


def test_an_election_without_substitution_never_accepts_a_declaration() -> None:
    assert not accepts_substitution_at(shipped("minint-2022"), paris(2022, 12, 2, 10, 0))


# ------------------------------------------------------------ credential formats


def test_a_credential_is_shown_in_groups() -> None:
    key = CredentialFormat("security_key", "23456789ABCDEFGHJKMNPQRSTVWXYZ", 16, 4)

    assert key.grouped("ABCDEFGHJKMNPQRS") == "ABCD EFGH JKMN PQRS"
    assert round(key.bits) == 79


# ------------------------------------------------------------- verification_for


def test_education_demands_the_challenge_answer_before_a_vote_code() -> None:
    required = shipped("men-2022").verification_for["vote_code"]
    assert enough_for(required, {"challenge_answer", "numen"})
    assert not enough_for(required, {"numen", "birth_department"})
    assert enough_for(None, {"numen", "birth_department"})


def test_verification_for_a_kind_the_election_does_not_issue_is_refused() -> None:
    text = (ELECTIONS / "minint-2022.toml").read_text(encoding="utf-8")
    text = text.replace("[verification_for]\n", '[verification_for]\nvote_code = [["numen"]]\n')
    with pytest.raises(InvalidValue, match=r"verification_for\.vote_code : ce scrutin ne"):
        parse_election(text, "minint-2022.toml")


def test_verification_for_a_factor_the_roll_does_not_carry_is_refused() -> None:
    text = (ELECTIONS / "men-2022.toml").read_text(encoding="utf-8")
    text = text.replace("vote_code = [\n", 'vote_code = [\n    ["iban"],\n')

    with pytest.raises(InvalidValue) as caught:
        parse_election(text, "men-2022.toml")

    assert caught.value.field == "men-2022.toml : verification_for.vote_code[1]"
    assert "exige le champ iban dans identity_fields" in caught.value.fault


def test_verification_for_a_set_of_public_factors_only_is_refused() -> None:
    text = (ELECTIONS / "men-2022.toml").read_text(encoding="utf-8")
    text = text.replace("vote_code = [\n", 'vote_code = [\n    ["birth_date"],\n')
    with pytest.raises(InvalidValue, match="aucun facteur secret"):
        parse_election(text, "men-2022.toml")


def test_a_credential_is_named_with_its_article_and_its_agreement() -> None:
    assert (words("security_key").a, words("security_key").e) == ("une clé de sécurité", "e")
    assert (words("password").a, words("password").e) == ("un mot de passe", "")
    assert (words("vote_code").a, words("vote_code").e) == ("un code de vote", "")
