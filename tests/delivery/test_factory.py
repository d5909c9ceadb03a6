"""The delivery built from the settings: outbox folder by default, SMTP and HTTP on demand."""

import json
import os
from datetime import timedelta
from pathlib import Path

import pytest

from csu.config import ConfigError, Settings
from csu.delivery import Message
from csu.delivery.factory import build_delivery
from csu.delivery.folder import FolderDelivery
from csu.delivery.router import ChannelRouter
from csu.delivery.sms_http import SmsHttpDelivery
from csu.delivery.smtp import SmtpDelivery

EMAIL = Message("email", "jeanne.dupont@interieur.gouv.fr", "CSU", "Code", "123456")
SMS = Message("sms", "+33612345678", "CSU", "Code", "123456")
SMTP = {
    "email_transport": "smtp",
    "smtp_host": "smtp.interieur.example",
    "smtp_from": "csu-electeurs@interieur.example",
}
HTTP = {"sms_transport": "http", "sms_url": "https://sms.example/v1/send", "sms_token": "t0k3n"}


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only what each test sets counts, not the CSU_ variables of the machine."""
    for name in list(os.environ):
        if name.startswith("CSU_"):
            monkeypatch.delenv(name)


def settings(tmp_path: Path, **values: object) -> Settings:
    return Settings(data_dir=tmp_path, **values)  # type: ignore[arg-type]


def router(tmp_path: Path, **values: object) -> ChannelRouter:
    delivery = build_delivery(settings(tmp_path, **values))
    assert isinstance(delivery, ChannelRouter)
    return delivery


def test_by_default_both_channels_write_into_the_outbox(tmp_path: Path) -> None:
    delivery = build_delivery(settings(tmp_path))
    eml, sms = delivery.send(EMAIL), delivery.send(SMS)
    outbox = tmp_path / "outbox"
    assert sorted(p.name for p in outbox.iterdir()) == sorted([eml, sms])
    assert json.loads((outbox / sms).read_text())["to"] == SMS.recipient


def test_smtp_carries_email_while_sms_stays_in_the_outbox(tmp_path: Path) -> None:
    built = router(
        tmp_path,
        **{**SMTP, "smtp_from": "csu@interieur.example"},
        smtp_port=465,
        smtp_security="ssl",
        smtp_username="cellule",
        smtp_password="pw",
        delivery_timeout_seconds=4,
    )
    assert isinstance(built.email, SmtpDelivery)
    assert (built.email.host, built.email.port, built.email.security) == (
        "smtp.interieur.example",
        465,
        "ssl",
    )
    assert (built.email.username, built.email.sender_address, built.email.timeout) == (
        "cellule",
        "csu@interieur.example",
        4,
    )
    assert isinstance(built.sms, FolderDelivery)
    assert built.sms.folder == tmp_path / "outbox"


def test_smtp_without_a_username_sends_without_login(tmp_path: Path) -> None:
    built = router(tmp_path, **SMTP)
    assert isinstance(built.email, SmtpDelivery)
    assert (built.email.port, built.email.security, built.email.username) == (
        587,
        "starttls",
        None,
    )


def test_http_carries_sms_while_email_stays_in_the_outbox(tmp_path: Path) -> None:
    built = router(tmp_path, **HTTP, sms_sender="CSUELEC")
    assert isinstance(built.sms, SmsHttpDelivery)
    assert (built.sms.url, built.sms.host, built.sms.sender) == (
        "https://sms.example/v1/send",
        "sms.example",
        "CSUELEC",
    )
    assert isinstance(built.email, FolderDelivery)


def test_an_empty_sms_sender_keeps_the_election_name(tmp_path: Path) -> None:
    built = router(tmp_path, **HTTP)
    assert isinstance(built.sms, SmsHttpDelivery)
    assert built.sms.sender is None


def test_the_transports_are_read_from_csu_variables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in {
        "CSU_EMAIL_TRANSPORT": "smtp",
        "CSU_SMTP_HOST": "relais.example",
        "CSU_SMTP_PORT": "25",
        "CSU_SMTP_SECURITY": "none",
        "CSU_SMTP_FROM": "csu-electeurs@elections.example.fr",
        "CSU_SMS_TRANSPORT": "http",
        "CSU_SMS_URL": "http://10.0.0.5:8080/sms",
        "CSU_SMS_TOKEN": "t0k3n",
        "CSU_DELIVERY_TIMEOUT_SECONDS": "2.5",
    }.items():
        monkeypatch.setenv(name, value)
    built = router(tmp_path)
    assert isinstance(built.email, SmtpDelivery) and isinstance(built.sms, SmsHttpDelivery)
    assert (built.email.server, built.email.security, built.email.timeout) == (
        "relais.example:25",
        "none",
        2.5,
    )
    assert (built.sms.host, built.sms.timeout) == ("10.0.0.5:8080", 2.5)


@pytest.mark.parametrize(
    ("values", "variable"),
    [
        ({"email_transport": "smtp"}, "CSU_SMTP_HOST"),
        ({**SMTP, "smtp_username": "cellule"}, "CSU_SMTP_PASSWORD"),
        ({**SMTP, "smtp_password": "pw"}, "CSU_SMTP_USERNAME"),
        ({**SMTP, "smtp_from": "pas une adresse"}, "CSU_SMTP_FROM"),
        ({**SMTP, "smtp_port": 0}, "CSU_SMTP_PORT"),
        ({"sms_transport": "http", "sms_token": "t0k3n"}, "CSU_SMS_URL"),
        ({**HTTP, "sms_url": "sms.example/v1/send"}, "CSU_SMS_URL"),
        ({"sms_transport": "http", "sms_url": "https://sms.example/v1"}, "CSU_SMS_TOKEN"),
        ({"delivery_timeout_seconds": 0}, "CSU_DELIVERY_TIMEOUT_SECONDS"),
    ],
    ids=[
        "smtp-without-host",
        "username-without-password",
        "password-without-username",
        "bad-sender-address",
        "bad-port",
        "http-without-url",
        "url-without-scheme",
        "http-without-token",
        "zero-timeout",
    ],
)
def test_an_incomplete_transport_names_the_variable_to_set(
    tmp_path: Path, values: dict[str, object], variable: str
) -> None:
    with pytest.raises(ConfigError, match=variable):
        build_delivery(settings(tmp_path, **values))


def test_the_missing_host_message_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as failure:
        build_delivery(settings(tmp_path, email_transport="smtp"))
    assert str(failure.value) == (
        "CSU_EMAIL_TRANSPORT=smtp : définissez CSU_SMTP_HOST (le serveur de courriel)."
    )


def test_a_gateway_address_with_a_space_stops_the_start_naming_it(tmp_path: Path) -> None:
    """Accepted before, it failed every SMS later with an English http.client error."""
    with pytest.raises(ConfigError) as failure:
        build_delivery(settings(tmp_path, **{**HTTP, "sms_url": "https://sms.example/v1 send"}))
    assert str(failure.value).startswith(
        "CSU_SMS_URL : caractère interdit dans une adresse en position 23 (espace"
    )


def test_a_configuration_error_never_shows_the_token(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as failure:
        build_delivery(settings(tmp_path, **{**HTTP, "sms_url": "ftp://x/?key=t0k3n"}))
    assert "t0k3n" not in str(failure.value)


def test_the_outbox_files_live_as_long_as_the_retention_setting_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CSU_OUTBOX_FOLDER_RETENTION_HOURS", "6")
    built = build_delivery(Settings(data_dir=tmp_path))
    assert isinstance(built, ChannelRouter) and isinstance(built.sms, FolderDelivery)
    assert built.sms.retention == timedelta(hours=6)


def test_the_outbox_files_live_24_hours_by_default(tmp_path: Path) -> None:
    built = router(tmp_path)
    assert isinstance(built.email, FolderDelivery)
    assert built.email.retention == timedelta(hours=24)


def test_with_both_real_transports_the_outbox_folder_is_still_swept(tmp_path: Path) -> None:
    built = router(tmp_path, **SMTP, **HTTP, outbox_folder_retention_hours=2)
    assert isinstance(built.leftovers, FolderDelivery)
    assert (built.leftovers.folder, built.leftovers.retention) == (
        tmp_path / "outbox", timedelta(hours=2)
    )


@pytest.mark.parametrize("hours", [0, -1, float("nan"), float("inf"), 1e15])
def test_a_retention_that_is_no_positive_duration_stops_the_start(
    tmp_path: Path, hours: float
) -> None:
    with pytest.raises(ConfigError, match="CSU_OUTBOX_FOLDER_RETENTION_HOURS"):
        build_delivery(settings(tmp_path, outbox_folder_retention_hours=hours))
