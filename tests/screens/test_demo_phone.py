"""On the demo database, what the terminal sends shows on its screen as the voter
receives it (csu.delivery.demo_phone): a newcomer learning a verification reads the
code there, not in a file of the outbox folder. A real cell shows nothing of it."""

import re
import tomllib
from dataclasses import replace
from pathlib import Path
from string import Template

import pytest
from textual.widgets import Input

from csu.app import CsuApp
from csu.delivery import DeliveryFailed, Message
from csu.delivery.demo_phone import MAX_SHOWN, DemoPhone, as_received, gist
from csu.delivery.folder import FolderDelivery
from csu.domain.messages import DEFAULTS
from csu.screens.verification import VerifyScreen
from csu.services.context import Deps
from csu.startup import demo_url, open_workplace
from tests.cli_support import clean_environment, copy_of_demo, initialised
from tests.screens.conftest import demo_voter, in_call, outbox_codes, press

ELECTIONS = Path(__file__).resolve().parents[2] / "data" / "elections"

SMS = Message("sms", "+33612345678", "CSU", "", "CSU : votre code de vérification est 123456.")
EMAIL = Message("email", "jeanne.martin@example.org", "CSU", "Votre code", "Le code : 654321.")


def demo_notices(app: CsuApp) -> list[tuple[str, str]]:
    return [(n.title, n.message) for n in app._notifications if "(démo)" in n.title]


async def test_a_code_sent_by_sms_on_the_demo_shows_as_the_voter_receives_it(
    demo_deps: Deps, outbox: Path
) -> None:
    app = CsuApp(replace(demo_deps, delivery=DemoPhone(FolderDelivery(outbox))), "poste-test")
    voter = demo_voter(demo_deps, mobile=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await in_call(pilot, voter)
        await press(pilot, "ctrl+e")
        assert isinstance(app.screen, VerifyScreen)
        # The date of birth typed first: the code is then the answer still to type.
        app.screen.query_one("#verify-birth_date", Input).value = voter.row["date_naissance"]
        await press(pilot, "ctrl+s")
        [(title, text)] = demo_notices(app)
        assert re.fullmatch(r"SMS reçu au \+33 \S.* \(démo\)", title), title
        [sent] = outbox_codes(outbox)  # the outbox folder keeps its copy, as before
        assert f"code de vérification est {sent}" in text
        # The newcomer types what they read back into the field the cursor is in.
        field = app.screen.query_one("#verify-otp_mobile", Input)
        assert app.screen.focused is field


async def test_a_code_shown_over_the_verification_window_leaves_with_it(
    demo_deps: Deps, outbox: Path
) -> None:
    """Kept its minute, it showed again after the key's window and read as a second SMS."""
    app = CsuApp(replace(demo_deps, delivery=DemoPhone(FolderDelivery(outbox))), "poste-test")
    async with app.run_test(size=(100, 30)) as pilot:
        await in_call(pilot, demo_voter(demo_deps, mobile=True))
        await press(pilot, "ctrl+e")
        await press(pilot, "ctrl+s")
        assert len(demo_notices(app)) == 1
        await press(pilot, "escape")
        assert not isinstance(app.screen, VerifyScreen)
        assert demo_notices(app) == []


async def test_a_real_cell_s_terminal_shows_nothing_of_what_it_sends(
    app: CsuApp, demo_deps: Deps, outbox: Path
) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        await in_call(pilot, demo_voter(demo_deps, mobile=True))
        await press(pilot, "ctrl+e")
        await press(pilot, "ctrl+s")
        assert len(outbox_codes(outbox)) == 1
        assert demo_notices(app) == []
        assert not any("code de vérification" in n.message for n in app._notifications)


def test_an_sms_shows_its_text_and_the_number_masked() -> None:
    title, text = as_received(SMS)
    assert "12345678" not in title and title.endswith("(démo)")
    assert text == SMS.body


def test_an_email_shows_its_text_and_the_address_masked() -> None:
    title, text = as_received(EMAIL)
    assert title.startswith("Courriel reçu par ") and "jeanne.martin" not in title
    assert text == "Le code : 654321."


def test_only_what_the_voter_needs_is_shown_up_to_the_code() -> None:
    body = (
        "CSU : votre code de vérification est 218229. Il est valable 10 minutes et ne "
        "sert qu'une fois. Ne le donnez qu'à l'agent de la cellule de support."
    )
    assert gist(body) == "CSU : votre code de vérification est 218229. …"


def test_a_link_is_shown_whole_with_its_sentence() -> None:
    body = (
        "CSU : pour obtenir votre nouveau code de vote, ouvrez ce lien (valable 30 "
        "minutes, une seule fois) : https://vote.exemple.fr/reassort?jeton=AbC123dEf456\n"
        "Si vous n'avez rien demandé, appelez le 01 80 15 43 21."
    )
    assert gist(body).endswith("https://vote.exemple.fr/reassort?jeton=AbC123dEf456 …")


def test_a_letter_shows_only_where_it_went() -> None:
    letter = Message("post", "1 rue de la Paix, 75002 Paris", "CSU", "Lettre", "JVBERi0xLjQ=")
    _, text = as_received(letter)
    assert "JVBER" not in text and "dossier d'impression" in text


def test_a_long_sentence_keeps_its_end_where_the_code_is() -> None:
    _, text = as_received(replace(SMS, body="x " * 1000 + "code 123456."))
    assert len(text) == MAX_SHOWN and text.startswith("…") and text.endswith("123456.")


class Transport:
    def __init__(self, fails: bool = False) -> None:
        self.fails = fails
        self.sent: list[Message] = []

    def send(self, message: Message) -> str:
        if self.fails:
            raise DeliveryFailed("passerelle indisponible")
        self.sent.append(message)
        return "ref-1"


def test_the_phone_sends_through_its_transport_then_shows() -> None:
    inner, shown = Transport(), []
    phone = DemoPhone(inner)
    phone.show = shown.append
    assert phone.send(SMS) == "ref-1"
    assert inner.sent == [SMS] and shown == [SMS]


def test_a_message_the_transport_refused_is_not_shown() -> None:
    phone, shown = DemoPhone(Transport(fails=True)), []
    phone.show = shown.append
    with pytest.raises(DeliveryFailed):
        phone.send(SMS)
    assert shown == []


def test_a_screen_that_fails_does_not_fail_a_message_sent() -> None:
    phone = DemoPhone(Transport())

    def broken(_: Message) -> None:
        raise RuntimeError("écran parti")

    phone.show = broken
    assert phone.send(SMS) == "ref-1"


def test_the_phone_erases_the_copies_its_folder_keeps(tmp_path: Path) -> None:
    folder = FolderDelivery(tmp_path / "outbox")
    phone = DemoPhone(folder)
    reference = phone.send(SMS)
    assert phone.erase([reference]) == 1
    assert list((tmp_path / "outbox").glob("*")) == []


def test_only_a_base_the_demo_builder_made_gets_the_phone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clean_environment(tmp_path, monkeypatch)
    other = initialised(tmp_path / "cellule.sqlite")
    assert not isinstance(open_workplace(str(other)).deps.delivery, DemoPhone)
    copy_of_demo(Path(demo_url().removeprefix("sqlite:///")))
    assert isinstance(open_workplace(None, demo=True).deps.delivery, DemoPhone)


def test_a_cell_s_base_at_the_demo_s_path_gets_no_phone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clean_environment(tmp_path, monkeypatch)
    initialised(Path(demo_url().removeprefix("sqlite:///")))  # csu init, not csu demo
    assert not isinstance(open_workplace(None, demo=True).deps.delivery, DemoPhone)


def test_the_demo_named_by_its_path_gets_the_phone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clean_environment(tmp_path, monkeypatch)
    demo = copy_of_demo(tmp_path / "ailleurs" / "demo-copie.sqlite")
    assert isinstance(open_workplace(str(demo)).deps.delivery, DemoPhone)


@pytest.mark.parametrize("election", ["men-2022", "minint-2022", "cci-hdf-2021", "men-2011"])
def test_each_election_s_own_link_message_shows_its_link(election: str) -> None:
    """The election files' own wordings, their sender's name and year included."""
    data = tomllib.loads((ELECTIONS / f"{election}.toml").read_text(encoding="utf-8"))
    template = data.get("messages", {}).get("vote_code_link", {}).get("body")
    body = Template(template or DEFAULTS["vote_code_link"][1]).safe_substitute(
        sender=data["sender_name"], validity="30 minutes", support_phone="01 80 15 43 21",
        link="https://vote.exemple.fr/reassort?jeton=AbC123dEf456",
    )  # fmt: skip
    shown = gist(body, data["sender_name"])
    assert "https://vote.exemple.fr/reassort?jeton=AbC123dEf456" in shown, shown
    assert len(shown) <= MAX_SHOWN


@pytest.mark.parametrize("election", ["men-2022", "minint-2022", "cci-hdf-2021", "men-2011"])
def test_each_election_s_own_code_message_shows_its_code(election: str) -> None:
    data = tomllib.loads((ELECTIONS / f"{election}.toml").read_text(encoding="utf-8"))
    template = data.get("messages", {}).get("otp", {}).get("body")
    body = Template(template or DEFAULTS["otp"][1]).safe_substitute(
        sender=data["sender_name"], code="218229", validity="10 minutes"
    )
    assert "218229" in gist(body, data["sender_name"])
