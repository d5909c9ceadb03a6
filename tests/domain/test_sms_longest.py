"""The load-time SMS length check counts each placeholder at the longest it may be for
the election (csu.domain.election.longest_sms_values): its widest identifier, every
capacity in one substitution, the longest masked address, its link, the longest
validity wording, each of its numbers. A wording that fits with short sample values but
not with those is refused, naming the message and the count; every shipped file loads.
The services' wording the domain mirrors is checked to stay the same."""

from pathlib import Path

import pytest

from csu.domain.contacts import first_number, sms_numbers
from csu.domain.election import ElectionDefinition, longest_sms_values, parse_election
from csu.domain.errors import InvalidValue
from csu.domain.messages import (
    MAX_SMS_SEGMENTS,
    SMS_PURPOSES,
    SMS_SAMPLES,
    duration,
    render,
    sms_segments,
)
from csu.domain.sms import GSM7_PART, measure, with_contact
from tests.domain.election_files import without_own_messages

ELECTIONS = Path(__file__).parents[2] / "data" / "elections"
FILES = sorted(ELECTIONS.glob("*.toml"))
CCI = ELECTIONS / "cci-hdf-2021.toml"
MEN = ELECTIONS / "men-2022.toml"
LIMIT = GSM7_PART * MAX_SMS_SEGMENTS  # 459 septets in three parts


def load(path: Path, extra: str = "") -> ElectionDefinition:
    """The file, or, with ``extra`` wording, the file in the default wording plus it."""
    text = without_own_messages(path) if extra else path.read_text(encoding="utf-8")
    return parse_election(text + extra, path.name)


def override(purpose: str, body: str) -> str:
    escaped = body.replace("\\", "\\\\").replace('"', '\\"')
    return f'\n[messages.{purpose}]\nsubject = "Message"\nbody = "{escaped}"\n'


def numbers(d: ElectionDefinition) -> list[tuple[str, str]]:
    return [(n.short(), n.phone) for n in sms_numbers(d.contacts, d.csu_phone, d.support_phone)]


def units(d: ElectionDefinition, purpose: str, body: str, values: dict[str, str]) -> int:
    """The most septets ``body`` takes for ``purpose`` with ``values``, whichever number."""
    return max(
        measure(with_contact(
            render({purpose: ("s", body)}, purpose, **({"support_phone": phone} | values))[1],
            line, phone,
        )).units
        for line, phone in numbers(d)
    )  # fmt: skip


@pytest.mark.parametrize("path", FILES, ids=[path.stem for path in FILES])
def test_every_shipped_election_loads_within_three_segments_at_the_longest(path: Path) -> None:
    definition = load(path)
    longest = longest_sms_values(definition)
    for purpose in SMS_PURPOSES:
        count = sms_segments(definition.messages, purpose, longest[purpose], numbers(definition))
        assert count <= MAX_SMS_SEGMENTS, (path.stem, purpose, count)


def test_a_substitution_notice_names_every_capacity_at_the_widest_identifier() -> None:
    definition = load(CCI)
    what = longest_sms_values(definition)["notice"]["what"]
    assert what.startswith("un matériel de vote de substitution a remplacé le vôtre (")
    for capacity in definition.capacities:
        assert f"identifiant {'W' * 12}, qualité {capacity}" in what  # 12: the file's widest
    assert "***@" in what  # the address the material went to, masked


def test_the_link_validity_is_counted_at_its_longest_wording() -> None:
    # A link cut at the close of the vote says « 29 min 59 s », longer than « 30 minutes ».
    values = longest_sms_values(load(MEN))["vote_code_link"]
    assert len(values["validity"]) == len("29 min 59 s") > len(duration(30 * 60))
    assert values["link"].startswith("https://vote.education-elections2022.exemple.fr/reassort")


def test_the_identifier_is_as_wide_as_the_files_pattern_or_substitution_format() -> None:
    text = CCI.read_text(encoding="utf-8").replace(
        'matricule_pattern = "^[A-Z0-9]{4,12}$"', 'matricule_pattern = "^[A-Z0-9]{4,20}$"'
    )
    definition = parse_election(text, CCI.name)
    assert f"identifiant {'W' * 20}," in longest_sms_values(definition)["notice"]["what"]


def test_every_number_a_voter_may_be_given_is_tried() -> None:
    definition = load(CCI)
    found = sms_numbers(definition.contacts, definition.csu_phone, definition.support_phone)
    assert {n.name for n in definition.contacts.ccils} <= {n.label for n in found}
    assert first_number(definition.contacts, None, None, definition.support_phone) in found


def test_a_notice_that_fits_with_short_values_but_not_the_longest_is_refused() -> None:
    """Padded so that the old sample (the key-by-post notice) leaves it in three
    segments, while three materials at their widest take it to four."""
    definition = load(CCI)
    head = "$sender : le $when, $what. "
    tail = " Appelez le $support_phone."
    short = SMS_SAMPLES | {"sender": definition.sender_name}
    pad = LIMIT - units(definition, "notice", head + tail, short)
    body = head + "x" * pad + tail
    assert sms_segments({"notice": ("s", body)}, "notice", short, numbers(definition)) == 3
    longest = longest_sms_values(definition)["notice"]
    count = sms_segments({"notice": ("s", body)}, "notice", longest, numbers(definition))
    assert count > MAX_SMS_SEGMENTS
    with pytest.raises(InvalidValue) as raised:
        load(CCI, override("notice", body))
    message = str(raised.value)
    assert "cci-hdf-2021.toml : messages.notice" in message
    assert f"ce message ferait {count} segments (3 au plus)" in message
    assert "raccourcissez-le" in message


def test_a_link_that_fits_at_30_minutes_but_not_at_29_min_59_s_is_refused() -> None:
    definition = load(MEN)
    head, tail = "$sender : ouvrez $link (valable $validity).", " Sinon : $support_phone."
    longest = longest_sms_values(definition)["vote_code_link"]
    short = longest | {"validity": duration(30 * 60)}
    pad = LIMIT - units(definition, "vote_code_link", head + tail, short)
    body = head + "x" * pad + tail
    assert units(definition, "vote_code_link", body, short) == LIMIT  # fits, just
    with pytest.raises(InvalidValue, match=r"messages\.vote_code_link : par SMS, ce message "
                                            r"ferait 4 segments \(3 au plus\)"):
        load(MEN, override("vote_code_link", body))
