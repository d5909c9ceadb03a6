"""Every message that may go by SMS is GSM-7 and at most three segments with realistic
values, for every shipped election and every number its voters call (issue M3); an
election file whose wording would be longer is refused when loaded, naming the message
and its segment count."""

import dataclasses
from pathlib import Path

import pytest

from csu.domain.contacts import first_number
from csu.domain.election import (
    ElectionDefinition,
    definition_from_json,
    election_to_json,
    parse_election,
)
from csu.domain.errors import InvalidValue
from csu.domain.messages import (
    DEFAULTS,
    MAX_SMS_SEGMENTS,
    SMS_PURPOSES,
    SMS_SAMPLES,
    duration,
    render,
)
from csu.domain.sms import is_gsm7, measure, with_contact
from tests.domain.election_files import without_own_messages

ELECTIONS = Path(__file__).parents[2] / "data" / "elections"
FILES = sorted(ELECTIONS.glob("*.toml"))
MEN = ELECTIONS / "men-2022.toml"


def load(path: Path, extra: str = "") -> ElectionDefinition:
    return parse_election(path.read_text(encoding="utf-8") + extra, path.name)


def sms_of(definition: ElectionDefinition, purpose: str, constituency: str | None) -> str:
    """The SMS a voter of ``constituency`` gets for ``purpose``, as the services fill it."""
    number = first_number(
        definition.contacts, constituency, definition.csu_phone, definition.support_phone
    )
    token = "A" * 32  # secrets.token_urlsafe(24)
    url = definition.platform_url
    link = f"{url}/reassort?jeton={token}" if url else f"jeton {token}"  # as link_for
    seconds = (definition.timings.link_validity_minutes * 60 if purpose == "vote_code_link"
               else definition.timings.otp_validity_seconds)  # fmt: skip
    _, body = render(
        definition.messages, purpose, **SMS_SAMPLES, sender=definition.sender_name,
        link=link, validity=duration(seconds), support_phone=number.phone,
    )  # fmt: skip
    return with_contact(body, number.short(), number.phone)


def constituencies(definition: ElectionDefinition) -> list[str | None]:
    return [None, *(ccil.constituencies[0] for ccil in definition.contacts.ccils)]


@pytest.mark.parametrize("path", FILES, ids=[path.stem for path in FILES])
@pytest.mark.parametrize("purpose", SMS_PURPOSES)
def test_every_sms_of_every_election_is_gsm7_in_three_segments_at_most(
    path: Path, purpose: str
) -> None:
    definition = load(path)
    for constituency in constituencies(definition):
        text = sms_of(definition, purpose, constituency)
        size = measure(text)
        assert is_gsm7(text), (constituency, text)
        assert size.encoding == "GSM-7"
        assert size.segments <= MAX_SMS_SEGMENTS, (constituency, size, text)


def test_a_men_2022_link_by_sms_is_gsm_7_in_three_segments_not_six() -> None:
    # Its own wording warns that the code shows 120 s (seed 001): a third segment.
    size = measure(sms_of(load(MEN), "vote_code_link", None))
    assert (size.encoding, size.segments) == ("GSM-7", 3)


def test_a_minint_code_by_sms_is_two_segments_not_nine() -> None:
    text = sms_of(load(ELECTIONS / "minint-2022.toml"), "otp", None)
    assert measure(text).segments == 2
    assert text.endswith("\nCSU électeurs : 01 80 15 43 21")


def test_a_wording_over_three_segments_is_refused_naming_the_message_and_its_count() -> None:
    long_body = "$sender : votre code est $code. " + "Gardez-le pour vous. " * 20
    extra = f'\n[messages.otp]\nsubject = "Code"\nbody = "{long_body}"\n'
    with pytest.raises(InvalidValue) as raised:
        load(MEN, extra)
    message = str(raised.value)
    assert "men-2022.toml : messages.otp" in message
    assert "ce message ferait 4 segments (3 au plus)" in message


def test_a_sender_name_too_long_for_the_default_wording_is_refused() -> None:
    text = without_own_messages(MEN).replace(
        'sender_name = "Élections professionnelles 2022 — Éducation nationale"',
        'sender_name = "' + "Élections professionnelles de l'Éducation nationale " * 4 + '"',
    )
    with pytest.raises(InvalidValue, match="texte par défaut : raccourcissez sender_name"):
        parse_election(text, "men-2022.toml")


def test_a_stored_definition_is_not_refused_for_its_sms_length() -> None:
    # Stored before the check, it must still open: only a file being loaded is refused.
    stored = dataclasses.replace(
        load(MEN), messages={"otp": ("Code", "$sender : $code. " + "x" * 600)}
    )
    again = definition_from_json(election_to_json(stored))
    assert again.messages["otp"] == stored.messages["otp"]


def test_the_link_notice_is_a_known_message_an_election_may_reword() -> None:
    extra = (
        '\n[messages.link_notice]\nsubject = "Lien demandé"\n'
        'body = "$sender : le $when, $what. Appelez le $support_phone."\n'
    )
    assert load(MEN, extra).messages["link_notice"][0] == "Lien demandé"
    assert "link_notice" in DEFAULTS
