"""What an operator types in free text, read for credentials and identity documents.

A grouped credential (security key, vote code) written as a drawn one is (a group
mixing letters and digits, or the screen's dashed capitals) is found by its election's
shape, in every way it may be typed; prose is never taken for one. An identity
document's number after its name keeps only its last 4 characters."""

from pathlib import Path
from random import Random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from csu.domain import credentials as creds
from csu.domain.election import CredentialFormat, parse_election
from csu.domain.masking import mask_document_number, mask_personal_data

ELECTIONS = Path(__file__).resolve().parents[2] / "data" / "elections"
FILES = sorted(ELECTIONS.glob("*.toml"))

PROBE_NOTE = "Nouvelle cle dictee: 62NV-MN65-PXBT-47MK, relue OK"
PROBE_KEY = "62NVMN65PXBT47MK"


def formats_of(path: Path) -> list[CredentialFormat]:
    return list(parse_election(path.read_text(encoding="utf-8"), path.name).credentials.values())


ALL_FORMATS = [fmt for path in FILES for fmt in formats_of(path)]
GROUPED = [fmt for fmt in ALL_FORMATS if fmt.group > 0]
UNGROUPED = [fmt for fmt in ALL_FORMATS if fmt.group == 0]
MININT = formats_of(ELECTIONS / "minint-2022.toml")
KEY = next(fmt for fmt in MININT if fmt.kind == "security_key")
PASSWORD = next(fmt for fmt in MININT if fmt.kind == "password")


def test_the_shipped_elections_have_grouped_and_ungrouped_credentials() -> None:
    # What the tests below run over: keys and vote codes grouped, passwords not.
    assert {fmt.kind for fmt in GROUPED} == {"security_key", "vote_code"}
    assert {fmt.kind for fmt in UNGROUPED} == {"password"}


# ------------------------------------------------------------------ the probe's note


def test_the_probes_note_holds_a_security_key() -> None:
    [found] = creds.evident_codes(PROBE_NOTE, MININT)
    assert (found.kind, found.value) == ("security_key", PROBE_KEY)
    assert PROBE_NOTE[found.start : found.end] == "62NV-MN65-PXBT-47MK"
    # Without the election: the shape of any election's grouped code.
    assert creds.grouped_code_spans(PROBE_NOTE) == [(found.start, found.end)]


@pytest.mark.parametrize(
    "written",
    ["62NV-MN65-PXBT-47MK", "62NV MN65 PXBT 47MK", "62nv mn65 pxbt 47mk", "62NVMN65PXBT47MK",
     "62nv-mn65-pxbt-47mk", "62NV.MN65.PXBT.47MK", "(62NV-MN65-PXBT-47MK)"],
    ids=["screen", "spaces", "small letters", "one piece", "dashes small", "dots", "brackets"],
)  # fmt: skip
def test_a_key_is_found_however_it_is_typed(written: str) -> None:
    found = creds.evident_codes(f"cle dictee : {written}, relue", MININT)
    assert [code.value for code in found] == [PROBE_KEY]


# ------------------------------------------------------------- each election's shape


@pytest.mark.parametrize("fmt", GROUPED, ids=lambda fmt: f"{fmt.kind}-{fmt.length}")
@pytest.mark.parametrize("seed", range(40))
def test_each_elections_grouped_credential_is_found_as_shown(
    fmt: CredentialFormat, seed: int
) -> None:
    value = creds.generate(fmt, Random(seed).choice)
    shown = creds.display(fmt, value)
    note = f"Code lu à l'appelant : {shown}. Relu, OK."
    assert [c.value for c in creds.evident_codes(note, [fmt])] == [value]
    assert len(creds.grouped_code_spans(note)) == 1  # and with no election known
    # Typed in one piece, or with spaces in small letters: found when it has a digit
    # (a key without any is told by its hash, where the voter is known).
    for typed in (value, fmt.grouped(value.lower(), " ")):
        found = [c.value for c in creds.evident_codes(f"lu : {typed} ok", [fmt])]
        assert found == ([value] if any(c.isdigit() for c in value) else [])


@pytest.mark.parametrize("fmt", GROUPED, ids=lambda fmt: f"{fmt.kind}-{fmt.length}")
def test_a_code_one_character_short_or_long_is_not_one(fmt: CredentialFormat) -> None:
    value = creds.generate(fmt, Random(1).choice)
    for wrong in (value[:-1], value + value[0]):
        assert creds.evident_codes(f"lu : {wrong} ok", [fmt]) == []


@pytest.mark.parametrize("fmt", UNGROUPED, ids=lambda fmt: f"{fmt.kind}-{fmt.length}")
def test_a_password_is_not_told_by_its_shape_but_is_a_candidate(fmt: CredentialFormat) -> None:
    # Mixed case, in one piece: any word of its length could be one. Only a comparison
    # with the voter's hash tells it: it is among the stretches to compare.
    value = creds.generate(fmt, Random(7).choice)
    note = f"mot de passe {value}, relueOKmerci"
    assert creds.evident_codes(note, [fmt]) == []
    assert value in [code.value for code in creds.codes_in_text(note, fmt)]


def test_the_candidates_to_compare_put_drawn_looking_ones_first() -> None:
    note = "prestataires puis Ab3dEf7hJk2m puis prestataires"
    ordered = creds.drawn_first(creds.codes_in_text(note, PASSWORD))
    assert [code.value for code in ordered] == ["Ab3dEf7hJk2m", "prestataires"]


# ------------------------------------------------------------------- prose untouched

PROSE = [
    "Appel inconditionnellement traité ; particulièrement, anticonstitutionnel",
    "inconditionnelle administrativement ; INCONDITIONNELLE ; Développementaux",
    "Réinitialisé, intervention, prestataires, relueOKmerci, EMPRESSEMENT",
    "elle sera chez Marc demain ; SERA CHEZ MARC DANS SEPT ANS",
    "rappel le 1er mai par tel 2024 vers midi, puis 10h30 avec le votant",
    "Le 02/12/2022 à 10:15, matricule MI04242421, bureau 75056-001, 3 essais",
    "intervention 563f15ec-9694-41ce-9d73-601051979ff6, numéro 0600000000",
    "Jean-Marc Saint-Denis, rez-de-chaussée, peut-être, c'est-à-dire",
]


@pytest.mark.parametrize("text", PROSE)
def test_prose_is_never_taken_for_a_credential(text: str) -> None:
    assert creds.evident_codes(text, ALL_FORMATS) == []
    assert creds.grouped_code_spans(text) == []


WORD = st.text(st.characters(categories=["Ll", "Lu"], max_codepoint=0x17F), min_size=1, max_size=18)


@given(st.lists(WORD, min_size=1, max_size=12), st.sampled_from([" ", "-", ", ", " - "]))
def test_words_without_digits_are_never_taken_for_a_grouped_code(
    words: list[str], joiner: str
) -> None:
    # Dashed capitals are the one letters-only shape: small letters rule it out.
    text = joiner.join(word[0].lower() + word[1:] for word in words)
    assert creds.evident_codes(text, GROUPED) == []
    assert creds.grouped_code_spans(text) == []


def test_a_reference_outside_the_keys_alphabet_is_no_key() -> None:
    # I and L are not in the alphabet: the election's shape leaves it; the shape of
    # any election (used where the election is not known) takes it for a code.
    text = "réf. FR12 ABCD EFGH IJKL, FR76 seul"
    assert creds.evident_codes(text, GROUPED) == []
    assert creds.grouped_code_spans(text) != []


def test_a_key_written_in_both_cases_is_no_key_by_its_shape() -> None:
    assert creds.evident_codes("code Ab3dEf7hJk2m", GROUPED) == []


# ---------------------------------------------------------- identity document numbers


@pytest.mark.parametrize(
    ("written", "masked"),
    [
        ("S2 OK, président a vu la CNI n° 123456789012",
         "S2 OK, président a vu la CNI n° …9012"),
        ("CNI 123456789012 vue", "CNI …9012 vue"),
        ("cni n°123456789012.", "cni n°…9012."),
        ("carte d'identité n°: X4RTBPFW4 ok", "carte d'identité n°: …PFW4 ok"),
        ("carte nationale d’identité 1234 5678 9012", "carte nationale d’identité …9012"),
        ("passeport 12AB34567, vu", "passeport …4567, vu"),
        ("titre de séjour numéro 1234567890", "titre de séjour numéro …7890"),
        ("permis de conduire : 120675200123 ok", "permis de conduire : …0123 ok"),
        ("pièce d'identité n° 7X3K9P4Q7X3K", "pièce d'identité n° …7X3K"),
    ],
    ids=["probe", "bare", "glued", "cnie", "spaced", "passport", "residence", "licence",
         "any document"],
)  # fmt: skip
def test_an_identity_document_number_keeps_its_last_four(written: str, masked: str) -> None:
    assert mask_personal_data(written) == masked


@pytest.mark.parametrize(
    "text",
    ["CNI vue le 12/03/2024", "CNI 2021 valide", "le permis 3 fois", "passeport français",
     "titre de séjour en cours", "CNI n° illisible"],
)  # fmt: skip
def test_a_document_named_without_its_number_is_left(text: str) -> None:
    assert mask_personal_data(text) == text


def test_a_document_number_shows_at_most_half() -> None:
    assert mask_document_number("123456789012") == "…9012"
    assert mask_document_number("1234 5678") == "…5678"
    assert mask_document_number("123456") == "…456"


@given(st.from_regex(r"[0-9A-Z]{6,14}", fullmatch=True))
def test_no_document_number_stays_whole(number: str) -> None:
    masked = mask_personal_data(f"CNI n° {number} vue")
    if any(c.isdigit() for c in number):
        assert number not in masked
