"""The SMS sender: gateways accept 11 letters or digits (a GSM alphanumeric sender id).
An election's ``sms_sender`` and ``CSU_SMS_SENDER`` are checked where they are read,
with a French message; the election files shipped give one that fits."""

from pathlib import Path

import pytest

from csu.config import ConfigError, load_settings
from csu.domain.election import (
    SMS_SENDER_MAX,
    check_sms_sender,
    definition_from_json,
    election_to_json,
    parse_election,
)
from csu.domain.errors import InvalidValue
from tests.domain.test_election import MINIMAL

ELECTIONS = Path(__file__).resolve().parents[2] / "data" / "elections"
WITH_SENDER = MINIMAL.replace('sender_name = "CSU test"\n', 'sender_name = "CSU test"\n'
                              'sms_sender = "CSUTEST24"\n')  # fmt: skip


@pytest.mark.parametrize("path", sorted(ELECTIONS.glob("*.toml")), ids=lambda p: p.stem)
def test_each_shipped_election_has_an_sms_sender_gateways_accept(path: Path) -> None:
    definition = parse_election(path.read_text(encoding="utf-8"), path.name)
    assert definition.sms_sender is not None
    assert check_sms_sender(definition.sms_sender) == definition.sms_sender


def test_an_election_s_sms_sender_is_kept_when_stored() -> None:
    definition = parse_election(WITH_SENDER, "test.toml")
    assert definition.sms_sender == "CSUTEST24"
    assert definition_from_json(election_to_json(definition)).sms_sender == "CSUTEST24"


@pytest.mark.parametrize(
    "sender", ["Élections CCI Hauts-de-France 2021", "CSUTEST2024X", "Élec", "CSU TEST", "0612"]
)
def test_an_sms_sender_gateways_refuse_is_refused_in_french(sender: str) -> None:
    with pytest.raises(InvalidValue) as caught:
        parse_election(WITH_SENDER.replace('"CSUTEST24"', f'"{sender}"'), "test.toml")
    assert str(caught.value).startswith("test.toml : sms_sender :")
    assert f"{SMS_SENDER_MAX} lettres ou chiffres au plus" in str(caught.value)


def test_an_election_without_sms_sender_keeps_its_sender_name_for_everything() -> None:
    assert parse_election(MINIMAL, "test.toml").sms_sender is None


def test_a_gateway_sender_too_long_in_the_settings_stops_with_a_french_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CSU_SMS_SENDER", "Elections2022CCI")
    with pytest.raises(ConfigError, match="CSU_SMS_SENDER : 11 lettres ou chiffres au plus"):
        load_settings()


def test_a_gateway_sender_that_fits_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CSU_SMS_SENDER", "CELLULECSU")
    assert load_settings().sms_sender == "CELLULECSU"


def test_an_sms_sender_with_a_control_character_names_the_file_and_field_once() -> None:
    with pytest.raises(InvalidValue) as caught:
        parse_election(WITH_SENDER.replace('"CSUTEST24"', '"X\\u0000"'), "X.toml")
    assert str(caught.value) == (
        "X.toml : sms_sender : caractère interdit en position 2 (caractère nul, U+0000)"
    )
