"""Pastes holding control or invisible characters: read whole from the terminal, then
taken whole or refused whole by the field, with a French word; never searched, counted
as a failed identity check, journalled, or dropped in silence.

The newcomer's probe (tmux, bracketed pastes): « abcdef ESC ghi » in the look-up read
« ^ghiabcdef », « carlier ESC[2J » was searched and journalled as « ^[2Jcarlier »; the
right IBAN tail followed by U+202E counted as a failed verification; « AB U+200B 12 »
left the president's « 4 derniers » field empty without a word.
"""

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from textual import events
from textual._xterm_parser import XTermParser
from textual.drivers import linux_driver
from textual.drivers.headless_driver import HeadlessDriver
from textual.drivers.linux_driver import LinuxDriver
from textual.message import Message
from textual.pilot import Pilot
from textual.widgets import Input, Select, Static

from csu.app import CsuApp
from csu.screens.lookup import LookupScreen
from csu.screens.presence_requests import AttestScreen
from csu.screens.verification import VerifyScreen
from csu.services.context import Deps
from csu.terminal_input import PasteKeepingParser, keep_pastes_whole, tolerate_bytes_not_utf8
from csu.widgets.paste_checked import REFUSED_TITLE, PasteCheckedInput
from tests.screens.conftest import (
    SIZE,
    demo_voter,
    fill,
    good_answers,
    in_call,
    journal_actions,
    journal_text,
    log_in,
    notifications,
    press,
    screen_text,
    settle,
)
from tests.screens.test_presence_screens import agent_asks_the_president, open_the_request

START, END = "\x1b[200~", "\x1b[201~"


def bracketed(text: str) -> str:
    """What a terminal sends for a paste of ``text`` in bracketed-paste mode."""
    return f"{START}{text}{END}"


def described(tokens: list[Message]) -> list[tuple[str, str | None]]:
    return [
        ("paste", token.text)
        if isinstance(token, events.Paste)
        else ("key", token.key)
        if isinstance(token, events.Key)
        else (type(token).__name__, None)
        for token in tokens
    ]


def parsed(parser: XTermParser, *reads: str) -> list[tuple[str, str | None]]:
    """The events ``parser`` makes of the terminal's ``reads``, then of its end."""
    tokens: list[Message] = []
    for read in reads:
        tokens.extend(parser.feed(read))
    tokens.extend(parser.feed(""))
    return described(tokens)


# ------------------------------------------------------------- the terminal's input


@pytest.mark.parametrize("text", ["abcdef\x1bghi", "carlier\x1b[2J", "\x1b[2Jabc", "a\x1b"])
def test_a_paste_holding_an_escape_is_read_whole_and_in_order(text: str) -> None:
    # What Textual's own parser made of it: keys typed ahead of the paste.
    assert parsed(XTermParser(), bracketed("carlier\x1b[2J")) == [
        ("key", "circumflex_accent"),
        ("key", "left_square_bracket"),
        ("key", "2"),
        ("key", "J"),
        ("paste", "carlier"),
    ]
    assert parsed(PasteKeepingParser(), bracketed(text)) == [("paste", text)]


def test_a_paste_cut_across_reads_is_one_paste_between_keys() -> None:
    reads = ["x\x1b[2", "00~ab\x1b", "c\x1b[20", "1~y"]
    assert parsed(PasteKeepingParser(), *reads) == [
        ("key", "x"),
        ("paste", "ab\x1bc"),
        ("key", "y"),
    ]


def test_a_paste_keeps_its_line_breaks_and_leaves_out_nul_as_textual_does() -> None:
    assert parsed(PasteKeepingParser(), bracketed("l1\nl2\x00")) == [("paste", "l1\nl2")]


def test_the_escape_key_alone_is_still_the_escape_key() -> None:
    parser = PasteKeepingParser()
    assert described(list(parser.feed("\x1b"))) == []  # it may start a paste: wait
    parser._timeout_time = 0  # the escape delay is over
    assert described(list(parser.tick())) == [("key", "escape")]
    assert parsed(parser, "a") == [("key", "a")]


# Keys, arrows, function keys, alt+key, the mouse, focus reports: no paste marker.
KEYS = st.lists(
    st.sampled_from(
        ["a", "é", "\r", "\t", "\x7f", "\x1b", "\x1b[A", "\x1b[1;5C", "\x1bOP", "\x1b[15~",
         "\x1bx", "\x1b[<0;12;5M", "\x1b[<0;12;5m", "\x1b[I", "\x1b[O", "\x1b[2", "[", "~",
         "2", "0", "1"]
    ),
    max_size=12,
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(KEYS, st.integers(min_value=1, max_value=7))
def test_outside_a_paste_the_events_are_textuals_own(keys: list[str], cut: int) -> None:
    sent = "".join(keys)
    if "[200~" in sent:
        return
    reads = [sent[i : i + cut] for i in range(0, len(sent), cut)]
    assert parsed(PasteKeepingParser(), *reads) == parsed(XTermParser(), *reads)


def test_the_terminal_driver_reads_pastes_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    # Put back after the test: the driver's module keeps the names replaced.
    monkeypatch.setattr(linux_driver, "XTermParser", linux_driver.XTermParser)
    monkeypatch.setattr(linux_driver, "getincrementaldecoder", linux_driver.getincrementaldecoder)
    assert keep_pastes_whole(LinuxDriver)
    assert linux_driver.XTermParser is PasteKeepingParser
    monkeypatch.setattr(linux_driver, "XTermParser", XTermParser)
    # As the app starts a terminal: the decoder replaced, pastes read whole.
    assert tolerate_bytes_not_utf8(LinuxDriver, lambda: None)
    assert linux_driver.XTermParser is PasteKeepingParser
    assert not keep_pastes_whole(HeadlessDriver)


# ------------------------------------------------------------------ the look-up


async def paste(pilot: Pilot[Any], selector: str, text: str) -> None:
    """A bracketed paste into the field, as the terminal's driver hands it over."""
    field = pilot.app.screen.query_one(selector, Input)
    field.focus()
    await pilot.pause()
    field.post_message(events.Paste(text))
    await pilot.pause(0.2)  # the look-up's search is debounced
    await settle(pilot)


def refusals(app: CsuApp) -> list[str]:
    return [n.message for n in app._notifications if n.title == REFUSED_TITLE]


def searches(deps: Deps) -> int:
    return sum(1 for action, _ in journal_actions(deps) if action == "recherche")


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("carlier\x1b[2J", "position 8 (caractère d'échappement, U+001B)"),
        ("abcdef\x1bghi", "position 7 (caractère d'échappement, U+001B)"),
        ("MI04242421\u200b", "position 11 (espace de largeur nulle, invisible, U+200B)"),
        ("\u202eMI04242421", "position 1 (marque de direction bidirectionnelle, U+202E)"),
        ("0" * 10_000, None),
    ],
    ids=["escape-sequence", "escape", "zero-width-space", "bidi", "10000-characters"],
)
async def test_a_paste_the_look_up_cannot_search_is_refused_whole_and_said(
    app: CsuApp, demo_deps: Deps, text: str, said: str | None
) -> None:
    before = searches(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "agent")
        await paste(pilot, "#search", text)
        assert app.screen.query_one("#search", Input).value == ""
        [refused] = refusals(app)
        if said is None:
            assert refused == (
                "Recherche : trop long, 10000 caractères collés (200 au plus). Rien n'a été collé."
            )
        else:
            assert refused == f"Recherche : caractère interdit en {said}. Rien n'a été collé."
        assert "Aucun électeur ne correspond" not in screen_text(app)
    assert searches(demo_deps) == before
    assert b"\\u200b" not in journal_text(demo_deps) and b"^[" not in journal_text(demo_deps)


async def test_the_terminal_paste_of_an_escape_sequence_reaches_the_look_up_whole(
    app: CsuApp, demo_deps: Deps
) -> None:
    """The terminal's bytes through the app's parser, into the running app."""
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "agent")
        for token in PasteKeepingParser().feed(bracketed("carlier\x1b[2J")):
            app.screen.query_one("#search", Input).post_message(token)
        await pilot.pause(0.2)
        await settle(pilot)
        assert app.screen.query_one("#search", Input).value == ""
        assert refusals(app) == [
            "Recherche : caractère interdit en position 8 (caractère d'échappement, U+001B). "
            "Rien n'a été collé."
        ]


async def test_a_clean_paste_is_searched_without_its_line_break(
    app: CsuApp, demo_deps: Deps
) -> None:
    voter = demo_voter(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "agent")
        await paste(pilot, "#search", f"{voter.matricule}\r\n")
        assert app.screen.query_one("#search", Input).value == voter.matricule
        assert "1 électeur —" in screen_text(app)
        assert refusals(app) == []


@pytest.mark.parametrize(
    ("query", "said"),
    [
        ("MI\u200b04242421", "Recherche : caractère interdit en position 3 "
         "(espace de largeur nulle, invisible, U+200B)."),
        ("dupont" * 50, "Recherche : trop long (300 caractères, 200 au plus)."),
    ],
    ids=["zero-width-space", "300-characters"],
)  # fmt: skip
async def test_a_query_the_field_got_otherwise_is_refused_in_the_status_line(
    app: CsuApp, demo_deps: Deps, monkeypatch: pytest.MonkeyPatch, query: str, said: str
) -> None:
    from csu.screens import lookup

    monkeypatch.setattr(lookup, "SETTLE_SECONDS", 0.1)  # the agent pauses on it
    before = searches(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "agent")
        field = app.screen.query_one("#search", PasteCheckedInput)
        field.max_length = 0  # as if typed past the field's limit some other way
        field.value = query
        await pilot.pause(0.4)
        await settle(pilot)
        assert isinstance(app.screen, LookupScreen)
        status = str(app.screen.query_one("#search-status", Static).content)
        assert status.startswith(said) and "rien n'a été cherché" in status
        await press(pilot, "enter")
        assert isinstance(app.screen, LookupScreen)
        assert str(app.screen.query_one("#search-status", Static).content) == status
    assert searches(demo_deps) == before


# ------------------------------------------------------- the identity check (ctrl+e)


async def test_the_right_iban_pasted_with_a_bidi_mark_is_no_failed_verification(
    app: CsuApp, demo_deps: Deps
) -> None:
    voter = demo_voter(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        await in_call(pilot, voter)
        await press(pilot, "ctrl+e")
        assert isinstance(app.screen, VerifyScreen)
        answers = good_answers(voter)
        fill(pilot, **{k: v for k, v in answers.items() if k != "verify_iban"})
        await paste(pilot, "#verify-iban", answers["verify_iban"] + "\u202e")
        assert app.screen.query_one("#verify-iban", Input).value == ""
        assert refusals(app) == [
            "6 derniers caractères de l'IBAN : caractère interdit en position 7 "
            "(marque de direction bidirectionnelle, U+202E). Rien n'a été collé."
        ]
        # Had it got into the field all the same: a format error, named, not a failure.
        fill(pilot, verify_iban=answers["verify_iban"] + "\u202e")
        await press(pilot, "enter")
        assert isinstance(app.screen, VerifyScreen)
        result = str(app.screen.query_one("#verify-result", Static).content)
        assert result == (
            "Format incorrect — 6 derniers caractères de l'IBAN : caractère interdit en "
            "position 7 (marque de direction bidirectionnelle, U+202E)"
        )
        assert "verification" not in [action for action, _ in journal_actions(demo_deps)]
        fill(pilot, verify_iban=answers["verify_iban"])
        await press(pilot, "enter")
        assert not isinstance(app.screen, VerifyScreen)  # verified at the first try
    assert ("verification", "vérifié") in journal_actions(demo_deps)
    assert ("verification", "non vérifié") not in journal_actions(demo_deps)


@pytest.mark.parametrize("factor", ["verify_birth_date", "verify_agent_card"])
async def test_a_zero_width_space_in_any_answer_is_named_as_a_format_error(
    app: CsuApp, demo_deps: Deps, factor: str
) -> None:
    voter = demo_voter(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        await in_call(pilot, voter)
        await press(pilot, "ctrl+e")
        answers = good_answers(voter)
        fill(pilot, **answers)
        fill(pilot, **{factor: answers[factor][:2] + "\u200b" + answers[factor][2:]})
        await press(pilot, "enter")
        result = str(app.screen.query_one("#verify-result", Static).content)
        assert result.startswith("Format incorrect — ")
        assert result.endswith(
            "caractère interdit en position 3 (espace de largeur nulle, invisible, U+200B)"
        )
    assert "verification" not in [action for action, _ in journal_actions(demo_deps)]


# ---------------------------------------------------- the president's attestation


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("AB\u200b12", "Pièce d'identité : caractère interdit en position 3 "
         "(espace de largeur nulle, invisible, U+200B). Rien n'a été collé."),
        ("AB123", "Pièce d'identité : trop long, 5 caractères collés (4 au plus). "
         "Rien n'a été collé."),
    ],
    ids=["zero-width-space", "5-characters"],
)  # fmt: skip
async def test_a_refused_paste_into_4_derniers_says_why(
    app: CsuApp, demo_deps: Deps, text: str, said: str
) -> None:
    agent_asks_the_president(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_the_request(pilot)
        screen.query_one("#attest-document", Select).value = "cni"
        await paste(pilot, "#attest-last4", text)
        assert screen.query_one("#attest-last4", Input).value == ""
        assert refusals(app) == [said]
        assert said in notifications(app)
        await paste(pilot, "#attest-last4", "ab12")
        assert screen.query_one("#attest-last4", Input).value == "ab12"
        assert isinstance(app.screen, AttestScreen)


async def test_the_attestations_last_four_takes_a_grouped_number_without_its_spaces(
    app: CsuApp, demo_deps: Deps
) -> None:
    agent_asks_the_president(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_the_request(pilot)
        await paste(pilot, "#attest-last4", "ab 12")
        assert screen.query_one("#attest-last4", Input).value == "ab12"
        assert refusals(app) == []


async def test_a_paste_into_a_field_with_text_says_how_long_it_would_be(
    app: CsuApp, demo_deps: Deps
) -> None:
    agent_asks_the_president(demo_deps)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_the_request(pilot)
        fill(pilot, attest_last4="AB")
        field = screen.query_one("#attest-last4", Input)
        field.focus()
        await pilot.pause()
        field.cursor_position = 2  # focusing selected the text: a paste would replace it
        field.post_message(events.Paste("123"))
        await settle(pilot)
        assert field.value == "AB"
        assert refusals(app) == [
            "Pièce d'identité : trop long, le champ compterait 5 caractères (4 au plus). "
            "Rien n'a été collé."
        ]
