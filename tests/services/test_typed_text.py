"""Control characters typed into names, notes, reasons, look-ups and filters are refused
by the services (not only by the screens) with a French sentence naming the field; on
PostgreSQL a NUL never reaches the server, which would answer with a bare DataError."""

import io
from pathlib import Path

import pytest
from sqlmodel import select

from csu.config import ConfigError
from csu.domain.errors import InvalidValue
from csu.services.audit import export_journal
from csu.services.context import Deps, OperatorContext
from csu.services.credentials import revoke_credential
from csu.services.interventions import close_intervention, open_intervention
from csu.services.journal_review import ReviewFilter, search_journal
from csu.services.operators import disable_operator, unlock_operator
from csu.services.rolls import import_voters
from csu.services.substitution import decide_substitution, request_substitution
from csu.services.verification import unlock_voter
from csu.services.voters import reveal_field, search_voters
from csu.startup import open_store
from csu.store.tables import Credential, Intervention, JournalEntry, Voter
from tests.cli_support import initialised
from tests.conftest import ADMIN, AGENT, SUPERVISOR
from tests.services.intervention_support import (  # noqa: F401
    DISABLED_PRESIDENT,
    Desk,
    call_with_key,
    desk_fixture,
    open_call,
)
from tests.services.test_rolls import GOOD, write_csv

NUL = "\x00"
RLO = "\u202e"  # right-to-left override: shows « egap » for « page »


def journal_size(deps: Deps) -> int:
    with deps.reading() as session:
        return len(session.exec(select(JournalEntry.seq)).all())


# --- the roll --------------------------------------------------------------------------


def test_a_roll_row_with_a_nul_in_the_name_is_named_by_its_line_and_column(
    desk: Desk, tmp_path: Path
) -> None:
    bad_name = "GH3456;Du\x00rand;Luc;01/01/1970;;;;B-NORD;électeur;ID-9004;;;;;;"
    bad_first = f"IJ7890;Petit;Lé{RLO}a;01/01/1971;;;;B-NORD;électeur;ID-9005;;;;;;"
    path = write_csv(tmp_path / "roll.csv", GOOD[1], bad_name, bad_first)
    report = import_voters(desk.deps, ADMIN, path, "minint-2022", skip_invalid=True)
    assert [error.describe() for error in report.errors] == [
        "ligne 3, colonne nom : caractère interdit en position 3 (caractère nul, U+0000)",
        "ligne 4, colonne prenom : caractère interdit en position 3 "
        "(marque de direction bidirectionnelle, U+202E)",
    ]
    with desk.deps.reading() as session:
        matricules = set(session.exec(select(Voter.matricule)).all())
    assert "CD5678" in matricules  # the good row is written
    assert not {"GH3456", "IJ7890"} & matricules


def test_a_tab_inside_a_name_is_a_fault_not_a_space(desk: Desk, tmp_path: Path) -> None:
    row = "GH3456;Durand;Luc\tAndré;01/01/1970;;;;B-NORD;électeur;ID-9004;;;;;;"
    report = import_voters(desk.deps, ADMIN, write_csv(tmp_path / "r.csv", row), "minint-2022")
    assert not report.committed
    assert [(e.line, e.column) for e in report.errors] == [(2, "prenom")]
    assert "tabulation" in report.errors[0].reason


# --- notes -------------------------------------------------------------------------------


def test_a_closing_note_with_a_nul_is_refused_and_the_intervention_stays_open(
    desk: Desk,
) -> None:
    call = open_call(desk, desk.caller)
    with pytest.raises(InvalidValue, match=r"^Note : caractère interdit .*U\+0000"):
        close_intervention(desk.deps, AGENT, call.id, "résolu", f"rappel{NUL}demain")
    with desk.deps.reading() as session:
        row = session.get(Intervention, call.id)
        assert row is not None and row.closed_at is None


def test_a_closing_note_keeps_its_lines_and_tabs(desk: Desk) -> None:
    call = open_call(desk, desk.caller)
    note = "appel reçu\r\n\tpièce d'identité vue\nrappel demain"
    close_intervention(desk.deps, AGENT, call.id, "résolu", note)
    with desk.deps.reading() as session:
        row = session.get(Intervention, call.id)
        assert row is not None and row.note == note


def test_substitution_notes_with_an_escape_sequence_are_refused(desk: Desk) -> None:
    call = open_call(desk, desk.caller)
    before = journal_size(desk.deps)
    with pytest.raises(InvalidValue, match=r"^Notes : caractère interdit .*U\+001B"):
        request_substitution(
            desk.deps, AGENT, call.id, [desk.caller.material_id], checklist={},
            identity_match=True, email="jeanne@example.fr", email_again="jeanne@example.fr",
            declared_on=desk.clock.now.date(),
            notes="\x1b[2Jécran effacé",
        )  # fmt: skip
    assert journal_size(desk.deps) == before


# --- reasons -----------------------------------------------------------------------------


def test_a_reveal_reason_with_a_nul_is_refused_and_nothing_is_revealed(desk: Desk) -> None:
    before = journal_size(desk.deps)
    with pytest.raises(InvalidValue, match=r"^Motif : caractère interdit"):
        reveal_field(desk.deps, SUPERVISOR, desk.caller.voter_id, "email_pro", f"rappel{NUL}")
    assert journal_size(desk.deps) == before


def test_an_unlock_reason_with_a_bidirectional_override_is_refused(desk: Desk) -> None:
    with pytest.raises(InvalidValue, match=r"^Motif : .*U\+202E"):
        unlock_voter(desk.deps, SUPERVISOR, desk.caller.voter_id, f"appel {RLO}reçu")


def refused_revocation(desk: Desk, reason: str) -> InvalidValue:
    """The refusal of invalidating the caller's new key for ``reason``; the key is kept
    and nothing is journalled."""
    call = call_with_key(desk)
    before = journal_size(desk.deps)
    with pytest.raises(InvalidValue) as refused:
        revoke_credential(desk.deps, AGENT, call, desk.caller.material_id, "security_key", reason)
    with desk.deps.reading() as session:
        states = session.exec(
            select(Credential.status).where(Credential.material_id == desk.caller.material_id)
        ).all()
    assert "active" in states and journal_size(desk.deps) == before
    return refused.value


def test_an_invalidation_reason_with_a_nul_is_refused_and_the_credential_kept(
    desk: Desk,
) -> None:
    assert str(refused_revocation(desk, f"carte{NUL}volée")).startswith(
        "Motif : caractère interdit"
    )


def test_an_operator_reason_with_a_nul_is_refused(desk: Desk) -> None:
    with pytest.raises(InvalidValue, match=r"^Motif : caractère interdit"):
        disable_operator(desk.deps, ADMIN, "pres.nord", reason=f"fin{NUL}")
    with pytest.raises(InvalidValue, match=r"^Motif : caractère interdit"):
        unlock_operator(desk.deps, ADMIN, DISABLED_PRESIDENT, reason="\x07bip")


def test_a_substitution_refusal_reason_with_a_nul_is_refused(desk: Desk) -> None:
    with pytest.raises(InvalidValue, match=r"^Motif : caractère interdit"):
        decide_substitution(desk.deps, SUPERVISOR, 1, approve=False, reason=f"pièce{NUL}absente")


# --- what is looked up -------------------------------------------------------------------


def test_a_look_up_with_a_nul_is_refused_in_french(desk: Desk) -> None:
    with pytest.raises(InvalidValue, match=r"^Recherche : caractère interdit"):
        search_voters(desk.deps, AGENT, f"{desk.caller.identifier}{NUL}")


def test_a_look_up_holding_bytes_that_are_not_utf8_is_refused_in_french(desk: Desk) -> None:
    # A lone surrogate: Python's spelling of a byte that is not UTF-8 (0xFF -> U+DCFF), which
    # neither store nor journal body can encode (it ended in a UnicodeEncodeError).
    with pytest.raises(InvalidValue, match=r"^Recherche : .* \(caractère invalide, hors UTF-8"):
        search_voters(desk.deps, AGENT, f"{desk.caller.identifier}{chr(0xDCFF)}")


def test_a_president_login_with_a_nul_is_refused_in_french(desk: Desk) -> None:
    with pytest.raises(InvalidValue, match=r"^Président : caractère interdit"):
        open_intervention(desk.deps, AGENT, desk.caller.voter_id, "president",
                          president_login=f"pres.nord{NUL}")  # fmt: skip


@pytest.mark.parametrize("field", ["operator", "action", "outcome", "election", "intervention"])
def test_a_journal_filter_with_a_nul_is_refused_in_french(desk: Desk, field: str) -> None:
    where = ReviewFilter(**{field: f"x{NUL}y"})  # type: ignore[arg-type]
    with pytest.raises(InvalidValue, match="caractère interdit"):
        search_journal(desk.deps, SUPERVISOR, where)
    with pytest.raises(InvalidValue, match="caractère interdit"):
        export_journal(desk.deps, SUPERVISOR, io.StringIO(), where=where)


# --- the workstation ---------------------------------------------------------------------


def test_an_operator_context_on_a_workstation_named_with_an_escape_is_refused() -> None:
    with pytest.raises(InvalidValue, match=r"^Poste de travail \(CSU_WORKSTATION\) : "):
        OperatorContext(login="agent", role="agent", workstation="poste\x1b[31m")


@pytest.mark.parametrize(
    "name",
    [
        "web:203.0.113.7",
        "WEB:203.0.113.7",
        " web:203.0.113.7",
        "ｗｅｂ:203.0.113.7",
        "w\u0435b:203.0.113.7",  # a Cyrillic « е »
        "\u051deb:203.0.113.7",  # a Cyrillic « ԝ »
        "web\u2236203.0.113.7",  # « ∶ », a ratio sign
        "web\ua789203.0.113.7",  # « ꞉ », a modifier letter colon
    ],
)
@pytest.mark.parametrize("driver", [None, "my_web_driver:LinuxDriver"])
def test_a_terminal_or_a_command_cannot_name_itself_as_a_browser_session(
    name: str, driver: str | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """« web:address » would pass its entries for a browser's, counted at that address."""
    if driver is None:
        monkeypatch.delenv("TEXTUAL_DRIVER", raising=False)
    else:
        monkeypatch.setenv("TEXTUAL_DRIVER", driver)
    monkeypatch.setenv("CSU_WORKSTATION", name)
    with pytest.raises(ConfigError, match=r"^CSU_WORKSTATION \(nom du poste\) : « web: » en"):
        open_store(str(initialised(tmp_path / "csu.sqlite")))


def test_a_session_csu_serve_starts_keeps_its_browser_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As textual-serve starts each session: under Textual's web driver.
    monkeypatch.setenv("TEXTUAL_DRIVER", "textual.drivers.web_driver:WebDriver")
    monkeypatch.setenv("CSU_WORKSTATION", "web:203.0.113.7")
    settings, deps = open_store(str(initialised(tmp_path / "csu.sqlite")), terminal=True)
    deps.engine.dispose()
    assert settings.workstation == "web:203.0.113.7"


def test_a_session_under_the_web_driver_cannot_take_a_look_alike_browser_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """csu serve names its sessions « web: » exactly: another script's « е » is not it."""
    monkeypatch.setenv("TEXTUAL_DRIVER", "textual.drivers.web_driver:WebDriver")
    monkeypatch.setenv("CSU_WORKSTATION", "w\u0435b:203.0.113.7")
    with pytest.raises(ConfigError, match=r"« web: » en tête est réservé"):
        open_store(str(initialised(tmp_path / "csu.sqlite")), terminal=True)


@pytest.mark.parametrize(
    "name", ["webcam:2", "poste-web:3", "wébmaster", "пк:1", "we:b", "日本語:1", "web-1"]
)
def test_a_workstation_named_like_web_but_not_a_browser_s_is_kept(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TEXTUAL_DRIVER", raising=False)
    monkeypatch.setenv("CSU_WORKSTATION", name)
    settings, deps = open_store(str(initialised(tmp_path / "csu.sqlite")))
    deps.engine.dispose()
    assert settings.workstation == name


def test_a_command_under_the_web_driver_still_cannot_name_itself_a_browser_session(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A command never starts Textual: the driver's variable costs it nothing."""
    monkeypatch.setenv("TEXTUAL_DRIVER", "textual.drivers.web_driver:WebDriver")
    monkeypatch.setenv("CSU_WORKSTATION", "web:10.0.0.5")
    with pytest.raises(ConfigError, match=r"« web: » en tête est réservé"):
        open_store(str(initialised(tmp_path / "csu.sqlite")))


@pytest.mark.parametrize("name", ["web\u200b:10.0.0.7", "\u200b", "\ufeff=1+1"])
def test_a_workstation_named_with_an_invisible_character_is_refused(name: str) -> None:
    """It read as another (« web:… »), or as none, in the journal and its export."""
    with pytest.raises(InvalidValue, match=r"^Poste de travail \(CSU_WORKSTATION\) : "):
        OperatorContext(login="agent", role="agent", workstation=name)


def test_a_workstation_setting_with_a_control_character_stops_the_store_opening(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CSU_WORKSTATION", "poste\x01")
    with pytest.raises(ConfigError, match=r"^CSU_WORKSTATION \(nom du poste\) : caractère"):
        open_store(str(tmp_path / "absent.sqlite"))
