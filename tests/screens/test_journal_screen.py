"""The journal review screen (F2): filters and their count, pages read as the cursor
goes down, an entry's detail, an intervention's timeline, the export of the view;
every search journalled; agents refused."""

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Label, Select, Static

from csu.app import CsuApp
from csu.domain.election import CREDENTIAL_KINDS
from csu.domain.hashing import pseudonym
from csu.domain.labels import ACTION_LABELS, entry_label
from csu.domain.verification import CHANNELS
from csu.screens.intervention_timeline import TIMELINE_COLUMNS, InterventionTimelineScreen
from csu.screens.journal import (
    COLUMNS,
    COMPACT_COLUMNS,
    ExportScreen,
    JournalScreen,
)
from csu.screens.journal_entry import JournalEntryScreen
from csu.screens.outbox import OutboxScreen
from csu.services.context import Deps, OperatorContext
from csu.services.interventions import close_intervention, open_intervention
from csu.services.journal_review import ReviewFilter
from csu.services.verification import verify_identity
from csu.store import journal
from csu.store.journal import Actor
from csu.store.tables import JournalEntry
from tests.conftest import NOW
from tests.screens.conftest import (
    SIZE,
    DemoVoter,
    click,
    demo_voter,
    log_in,
    notifications,
    open_voter_file,
    press,
    screen_text,
    settle,
)
from tests.screens.shown import _drawn

SUPERVISOR = OperatorContext("superviseur", "superviseur", "poste-sup")
ALICE = Actor(operator="alice", role="agent", workstation="poste-1")
BRUNO = Actor(operator="bruno", role="agent", workstation="poste-2")


def record(
    deps: Deps,
    moment: datetime,
    *,
    actor: Actor = ALICE,
    matricule: str | None = None,
    action: str = "consultation",
    outcome: str = "ok",
    election: str | None = "minint-2022",
    intervention: str | None = None,
    details: dict[str, Any] | None = None,
) -> int:
    with deps.writing() as session:
        return journal.append(
            session,
            actor=actor,
            action=action,
            outcome=outcome,
            at=moment,
            election=election,
            subject=pseudonym(deps.key, matricule) if matricule else None,
            intervention=intervention,
            details={"results": 1} if details is None else details,
        ).seq


def at(day: int, hour: int) -> datetime:
    return datetime(2022, 11, day, hour, tzinfo=UTC)


def seqs_shown(app: CsuApp) -> list[int]:
    table = app.screen.query_one("#journal-table", DataTable)
    return [int(str(table.get_row_at(row)[0])) for row in range(table.row_count)]


def headers(table: DataTable[Any]) -> list[str]:
    return [str(column.label).rstrip("…") for column in table.columns.values()]


def cells(table: DataTable[Any]) -> list[str]:
    return [str(cell) for row in range(table.row_count) for cell in table.get_row_at(row)]


def status(app: CsuApp) -> str:
    return str(app.screen.query_one("#journal-status", Static).content)


def searches(deps: Deps) -> list[dict[str, Any]]:
    """The journal_search entries, oldest first."""
    with deps.reading() as session:
        rows = session.exec(
            select(JournalEntry).where(JournalEntry.action == "journal_search")
            .order_by(JournalEntry.seq)  # type: ignore[arg-type]
        ).all()  # fmt: skip
        return [journal.entry_fields(row) for row in rows]


# The entry whose name is the longest the catalogue gives (a key handed over in person).
LONGEST: tuple[str, dict[str, Any]] = max(
    (
        (action, {"kind": kind, "channel": channel})
        for action in ACTION_LABELS
        for kind in (*CREDENTIAL_KINDS, None)
        for channel in (*CHANNELS, None)
    ),
    key=lambda entry: len(entry_label(*entry)),
)


async def open_journal(pilot: Pilot[Any], login: str = "superviseur") -> None:
    await log_in(pilot, login)
    await press(pilot, "f2")
    await settle(pilot)


async def apply(pilot: Pilot[Any], **fields: str) -> None:
    """Sets filter fields (inputs by text, selects by value), then F5."""
    screen = pilot.app.screen
    for name, value in fields.items():
        widget = screen.query_one(f"#journal-{name}")
        if isinstance(widget, Select):
            widget.value = value
        else:
            assert isinstance(widget, Input)
            widget.value = value
    await press(pilot, "f5")
    await settle(pilot)


@pytest.fixture
def voter(demo_deps: Deps) -> DemoVoter:
    return demo_voter(demo_deps)


@pytest.fixture
def activity(demo_deps: Deps, voter: DemoVoter) -> dict[str, int]:
    """Alice and Bruno on the demo voter and another one, on two days; a refusal."""
    other = demo_voter(demo_deps, "men-2022")
    return {
        "alice": record(demo_deps, at(28, 9), matricule=voter.matricule),
        "bruno": record(demo_deps, at(29, 9), actor=BRUNO, matricule=other.matricule,
                        election="men-2022"),
        "refused": record(demo_deps, at(29, 10), actor=BRUNO, action="login", outcome="refusé",
                          election=None),
        "search": record(demo_deps, at(29, 11), action="recherche", intervention="intervention-42"),
    }  # fmt: skip


def failed_verification(deps: Deps, voter: DemoVoter) -> str:
    """An intervention of the supervisor: opened, a verification with a wrong IBAN, closed."""
    opened = open_intervention(deps, SUPERVISOR, voter.voter_id, "phone",
                               election_id=voter.election)  # fmt: skip
    verify_identity(deps, SUPERVISOR, opened.id, {
        "birth_date": voter.birth_text, "agent_card": voter.row["carte_agent"][:6],
        "iban": "FAUX00"})  # fmt: skip
    close_intervention(deps, SUPERVISOR, opened.id, "refusé")
    return opened.id


class TestReview:
    async def test_f2_lists_the_journal_newest_first_with_its_count(
        self, app: CsuApp, demo_deps: Deps, activity: dict[str, int]
    ) -> None:
        async with app.run_test(size=SIZE) as pilot:
            await open_journal(pilot)
            assert isinstance(app.screen, JournalScreen)
            shown = seqs_shown(app)
            assert shown == sorted(shown, reverse=True)
            # The search itself comes first (journalled before it reads), then the login.
            assert shown[0] == searches(demo_deps)[-1]["seq"]
            assert shown[2:6] == [activity["search"], activity["refused"], activity["bruno"],
                                  activity["alice"]]  # fmt: skip
            assert f"{shown[0]} entrées — tout le journal" in status(app)

    @pytest.mark.parametrize(
        ("fields", "expected"),
        [
            ({"since": "29/11/2022", "until": "29/11/2022"}, ["bruno", "refused", "search"]),
            ({"since": "29/11/2022 11:30", "until": "29/11/2022"}, ["search"]),  # Paris time
            ({"operator": "bruno"}, ["bruno", "refused"]),
            ({"action": "recherche"}, ["search"]),
            ({"outcome": "refusé"}, ["refused"]),
            # (the demo's roll imports are entries of men-2022 too, on 02/12)
            ({"election": "men-2022", "until": "30/11/2022"}, ["bruno"]),
            ({"intervention": "intervention-42"}, ["search"]),
        ],
        ids=lambda value: "+".join(value) if isinstance(value, dict) else None,
    )
    async def test_each_filter_keeps_its_entries_and_counts_them(
        self, app: CsuApp, activity: dict[str, int], fields: dict[str, str], expected: list[str]
    ) -> None:
        async with app.run_test(size=SIZE) as pilot:
            await open_journal(pilot)
            await apply(pilot, **fields)
            assert seqs_shown(app) == sorted((activity[name] for name in expected), reverse=True)
            count = len(expected)
            assert ("1 entrée —" if count == 1 else f"{count} entrées —") in status(app)

    async def test_the_matricule_filter_finds_the_voter_and_its_own_search(
        self, app: CsuApp, demo_deps: Deps, voter: DemoVoter, activity: dict[str, int]
    ) -> None:
        async with app.run_test(size=SIZE) as pilot:
            await open_journal(pilot)
            await apply(pilot, matricule=voter.matricule.lower())
            search = searches(demo_deps)[-1]
            assert seqs_shown(app) == [search["seq"], activity["alice"]]
            assert f"matricule {voter.matricule}" in status(app)
            table = app.screen.query_one("#journal-table", DataTable)
            assert str(table.get_row_at(1)[5]) == voter.matricule

    async def test_filters_combine(self, app: CsuApp, activity: dict[str, int]) -> None:
        async with app.run_test(size=SIZE) as pilot:
            await open_journal(pilot)
            await apply(pilot, operator="bruno", outcome="ok", since="29/11/2022")
            assert seqs_shown(app) == [activity["bruno"]]
            await apply(pilot, election="minint-2022")
            assert seqs_shown(app) == []
            assert "aucune entrée" in status(app)

    async def test_a_bad_date_is_refused_and_the_view_stays(
        self, app: CsuApp, demo_deps: Deps, activity: dict[str, int]
    ) -> None:
        async with app.run_test(size=SIZE) as pilot:
            await open_journal(pilot)
            before, journalled = seqs_shown(app), len(searches(demo_deps))
            await apply(pilot, since="31/02/2022")
            assert "Du : « 31/02/2022 » illisible" in status(app)
            assert seqs_shown(app) == before
            assert len(searches(demo_deps)) == journalled

    async def test_a_date_at_the_calendars_edge_is_refused_and_the_terminal_stays(
        self, app: CsuApp, demo_deps: Deps, activity: dict[str, int]
    ) -> None:
        async with app.run_test(size=SIZE) as pilot:
            await open_journal(pilot)
            before = seqs_shown(app)
            await apply(pilot, until="31/12/9999")
            assert app.is_running
            assert "Au : « 31/12/9999 » hors des dates possibles" in status(app)
            assert seqs_shown(app) == before

    async def test_a_period_ending_before_it_starts_is_refused_not_shown_empty(
        self, app: CsuApp, demo_deps: Deps, activity: dict[str, int]
    ) -> None:
        async with app.run_test(size=SIZE) as pilot:
            await open_journal(pilot)
            before = seqs_shown(app)
            await apply(pilot, since="06/12/2022", until="01/12/2022")
            assert "Au : la fin de la période est avant son début" in status(app)
            assert seqs_shown(app) == before

    async def test_actions_are_listed_as_a_french_reader_looks_for_them(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        """« électeur déverrouillé » came after « webhook… », where no newcomer looked."""
        for action in ("webhook_sent", "voter_unlock", "consultation", "votes_import"):
            record(demo_deps, NOW, action=action)
        async with app.run_test(size=SIZE) as pilot:
            await open_journal(pilot)
            select = app.screen.query_one("#journal-action", Select)
            labels = [str(prompt) for prompt, value in select._options if isinstance(value, str)]
        assert labels.index("électeur déverrouillé") < labels.index("webhook remis à la plateforme")
        assert labels.index("émargement importé") < labels.index("webhook remis à la plateforme")
        assert labels.index("consultation du dossier") < labels.index("électeur déverrouillé")

    async def test_ctrl_r_clears_the_filters(self, app: CsuApp, activity: dict[str, int]) -> None:
        async with app.run_test(size=SIZE) as pilot:
            await open_journal(pilot)
            await apply(pilot, operator="bruno")
            await press(pilot, "ctrl+r")
            await settle(pilot)
            assert app.screen.query_one("#journal-operator", Select).is_blank()
            assert "tout le journal" in status(app)

    async def test_the_filter_with_the_cursor_stands_out_from_the_others(
        self, app: CsuApp
    ) -> None:
        # A focused list was one shade lighter than the others (234 against 235).
        async with app.run_test(size=(80, 24)) as pilot:
            await open_journal(pilot)
            screen = app.screen
            since, until = screen.query_one("#journal-since"), screen.query_one("#journal-until")
            until.focus()
            await pilot.pause()
            assert since.styles.background != screen.styles.background
            focused = until.styles.background
            assert focused != since.styles.background
            operator = screen.query_one("#journal-operator", Select)
            operator.focus()
            await pilot.pause()
            assert operator.query_one("SelectCurrent").styles.background == focused
            assert until.styles.background == since.styles.background

    async def test_f6_opens_the_messages_as_on_every_other_screen(
        self, app: CsuApp, activity: dict[str, int]
    ) -> None:
        # F6 cleared the filters here: a supervisor reaching for the messages stayed.
        async with app.run_test(size=SIZE) as pilot:
            await open_journal(pilot)
            await press(pilot, "f6")
            assert isinstance(app.screen, OutboxScreen)

    async def test_an_alert_opens_the_review_on_its_entries(
        self, app: CsuApp, activity: dict[str, int]
    ) -> None:
        async with app.run_test(size=SIZE) as pilot:
            await log_in(pilot, "superviseur")
            evidence = (activity["alice"], activity["refused"])
            app.push_screen(JournalScreen(where=ReviewFilter(seqs=evidence)))
            await settle(pilot)
            assert seqs_shown(app) == [activity["refused"], activity["alice"]]
            assert "2 entrées désignées" in status(app)

    async def test_a_filter_given_by_another_screen_fills_the_fields(
        self, app: CsuApp, activity: dict[str, int]
    ) -> None:
        async with app.run_test(size=SIZE) as pilot:
            await log_in(pilot, "superviseur")
            app.push_screen(JournalScreen(where=ReviewFilter(operator="bruno", outcome="refusé")))
            await settle(pilot)
            assert seqs_shown(app) == [activity["refused"]]
            assert app.screen.query_one("#journal-operator", Select).value == "bruno"
            assert app.screen.query_one("#journal-outcome", Select).value == "refusé"


class TestPaging:
    async def test_the_next_pages_are_read_as_the_cursor_goes_down(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        with demo_deps.writing() as session:
            for number in range(260):
                journal.append(session, actor=ALICE, action="consultation", outcome="ok",
                               at=NOW, details={"n": number})  # fmt: skip
        async with app.run_test(size=SIZE) as pilot:
            await open_journal(pilot)
            await apply(pilot, operator="alice")
            assert len(seqs_shown(app)) == 100
            assert "les suivantes se chargent en descendant" in status(app)
            await press(pilot, "ctrl+end")
            await settle(pilot)
            assert len(seqs_shown(app)) == 200
            await press(pilot, "ctrl+end")
            await settle(pilot)
            shown = seqs_shown(app)
            assert len(shown) == 260 and shown == sorted(shown, reverse=True)
            assert "260 entrées" in status(app)
            # One search for the filter, whatever the pages read.
            assert [s["details"]["operator"] for s in searches(demo_deps)] == [None, "alice"]


class TestSearchesJournalled:
    async def test_each_search_is_journalled_with_its_filter(
        self, app: CsuApp, demo_deps: Deps, voter: DemoVoter, activity: dict[str, int]
    ) -> None:
        async with app.run_test(size=SIZE) as pilot:
            await open_journal(pilot)
            await apply(pilot, operator="bruno", matricule=voter.matricule, action="login")
            first, second = searches(demo_deps)
            assert (first["operator"], first["workstation"], first["details"]["operator"]) == (
                "superviseur", "poste-test", None)  # fmt: skip
            assert second["subject"] == pseudonym(demo_deps.key, voter.matricule)
            assert (second["details"]["operator"], second["details"]["action"]) == (
                "bruno", "login")  # fmt: skip
            assert second["details"]["matricule"] is True
            assert voter.matricule not in json.dumps(second)


class TestRoles:
    async def test_an_agent_is_refused_the_review(self, app: CsuApp, demo_deps: Deps) -> None:
        async with app.run_test(size=SIZE) as pilot:
            await log_in(pilot, "agent")
            before = app.screen
            await press(pilot, "f2")
            assert app.screen is before
            # Even pushed directly, the service refuses and nothing is read.
            app.push_screen(JournalScreen())
            await settle(pilot)
            assert "Recherche refusée : Action réservée" in status(app)
            assert seqs_shown(app) == []
            assert searches(demo_deps) == []

    async def test_an_administrator_reviews_the_journal(
        self, app: CsuApp, activity: dict[str, int]
    ) -> None:
        async with app.run_test(size=SIZE) as pilot:
            await open_journal(pilot, "admin")
            assert activity["alice"] in seqs_shown(app)

    async def test_the_longest_name_of_an_entry_fits_its_column_at_120_columns(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        action, details = LONGEST
        name = entry_label(action, details)
        for minute in range(40):  # more rows than the table shows: its scroll bar is drawn
            record(demo_deps, at(29, 11) + timedelta(minutes=minute))
        seq = record(demo_deps, at(29, 12), action=action, outcome="non vérifié", details=details)
        async with app.run_test(size=SIZE) as pilot:
            await open_journal(pilot)
            table = app.screen.query_one("#journal-table", DataTable)
            row = table.get_row_index(str(seq))
            assert str(table.get_row_at(row)[3]) == name
            assert table.show_vertical_scrollbar
            assert table.virtual_size.width <= table.scrollable_content_region.width
            drawn = app.export_screenshot()
            assert name.replace(" ", "&#160;") in drawn


class TestDetail:
    async def test_enter_opens_a_verification_with_the_voter_and_the_factors(
        self, app: CsuApp, demo_deps: Deps, voter: DemoVoter
    ) -> None:
        failed_verification(demo_deps, voter)
        async with app.run_test(size=SIZE) as pilot:
            await open_journal(pilot)
            await apply(pilot, action="verification")
            await press(pilot, "enter")
            await settle(pilot)
            assert isinstance(app.screen, JournalEntryScreen)
            text = screen_text(app)
            assert f"matricule {voter.matricule}" in text
            assert voter.row["nom"].upper() in text
            assert "vérification d'identité" in text
            assert "(verification)" not in text  # the code stays off the screen
            assert "non vérifié" in text and "poste-sup" in text
            assert "Facteurs essayés" in text
            assert "6 derniers caractères de l'IBAN" in text and "faux" in text
            assert "date de naissance" in text and "concordant" in text
            # Reading an entry that names a voter is journalled.
            with demo_deps.reading() as session:
                last = session.exec(
                    select(JournalEntry).order_by(JournalEntry.seq.desc())  # type: ignore[attr-defined]
                ).first()
            assert last is not None and last.action == "journal_entry_view"
            await press(pilot, "escape")
            assert isinstance(app.screen, JournalScreen)


class TestInterventionTimeline:
    async def test_i_opens_the_intervention_as_its_timeline(
        self, app: CsuApp, demo_deps: Deps, voter: DemoVoter
    ) -> None:
        intervention = failed_verification(demo_deps, voter)
        async with app.run_test(size=SIZE) as pilot:
            await open_journal(pilot)
            await apply(pilot, intervention=intervention)
            await press(pilot, "i")
            await settle(pilot)
            assert isinstance(app.screen, InterventionTimelineScreen)
            text = screen_text(app)
            assert f"matricule {voter.matricule}" in text
            assert "téléphone" in text and "refusé" in text
            steps = app.screen.query_one("#timeline-table", DataTable)
            assert steps.virtual_size.width <= steps.scrollable_content_region.width
            labels = [str(steps.get_row_at(row)[3]) for row in range(steps.row_count)]
            assert labels[0] == "intervention ouverte"
            assert labels[-1] == "intervention close"
            assert "vérification d'identité" in labels
            # A step opens as its entry.
            await press(pilot, "enter")
            await settle(pilot)
            assert isinstance(app.screen, JournalEntryScreen)

    async def test_at_80_columns_each_step_s_outcome_stays_in_view(
        self, app: CsuApp, demo_deps: Deps, voter: DemoVoter
    ) -> None:
        intervention = failed_verification(demo_deps, voter)
        async with app.run_test(size=(80, 24)) as pilot:
            await open_journal(pilot)
            await app.push_screen(InterventionTimelineScreen(intervention))
            await settle(pilot)
            lines = _drawn(app).splitlines()
            header = next(line for line in lines if "Étape" in line)
            assert "Résultat" in header
            assert any("refusé" in line for line in lines)  # the failed verification
            await pilot.resize_terminal(160, 40)
            await settle(pilot)
            table = app.screen.query_one("#timeline-table", DataTable)
            assert headers(table) == [fit.label for fit in TIMELINE_COLUMNS]
            steps = [str(table.get_row_at(row)[3]) for row in range(table.row_count)]
            assert steps and not any("…" in step for step in steps)

    async def test_the_longest_name_of_a_step_fits_its_column_at_120_columns(
        self, app: CsuApp, demo_deps: Deps, voter: DemoVoter
    ) -> None:
        intervention = failed_verification(demo_deps, voter)
        action, details = LONGEST
        for minute in range(30):  # more steps than the table shows: its scroll bar is drawn
            record(demo_deps, at(29, 11) + timedelta(minutes=minute), intervention=intervention)
        record(demo_deps, at(29, 12), action=action, outcome="non vérifié",
               intervention=intervention, details=details)  # fmt: skip
        async with app.run_test(size=SIZE) as pilot:
            await open_journal(pilot)
            await app.push_screen(InterventionTimelineScreen(intervention))
            await settle(pilot)
            table = app.screen.query_one("#timeline-table", DataTable)
            assert str(table.get_row_at(table.row_count - 1)[3]) == entry_label(action, details)
            assert table.show_vertical_scrollbar
            assert table.virtual_size.width <= table.scrollable_content_region.width


class TestExport:
    async def export(self, pilot: Pilot[Any], path: Path | None, fmt: str = "csv") -> None:
        await press(pilot, "f7")
        assert isinstance(pilot.app.screen, ExportScreen)
        pilot.app.screen.query_one("#export-format", Select).value = fmt
        await pilot.pause()
        if path is not None:
            pilot.app.screen.query_one("#export-path", Input).value = str(path)
        await click(pilot, "#export-ok")
        await settle(pilot)

    async def test_at_80x24_the_export_window_labels_its_fields_and_shows_them(
        self, app: CsuApp
    ) -> None:
        """Two bare fields read as one, and Tab, Tab landed on « Annuler »."""
        async with app.run_test(size=(80, 24)) as pilot:
            await open_journal(pilot)
            await press(pilot, "f7")
            window = app.screen
            assert isinstance(window, ExportScreen)
            labels = [str(label.render()) for label in window.query(Label)]
            assert labels == ["Format", "Fichier (Entrée pour exporter)"]
            for field in ("#export-format", "#export-path", "#export-ok"):
                assert window.region.contains_region(window.query_one(field).region), field

    async def test_the_filtered_view_exports_to_csv(
        self, app: CsuApp, demo_deps: Deps, activity: dict[str, int], tmp_path: Path
    ) -> None:
        path = tmp_path / "revue.csv"
        async with app.run_test(size=SIZE) as pilot:
            await open_journal(pilot)
            await apply(pilot, operator="bruno")
            await self.export(pilot, path)
            rows = list(csv.DictReader(io.StringIO(path.read_text("utf-8-sig")), delimiter=";"))
            assert [int(row["n°"]) for row in rows] == [activity["bruno"], activity["refused"]]
            assert {row["opérateur"] for row in rows} == {"bruno"}
            assert f"2 entrées exportées vers {path}" in status(app)
            assert any("2 entrées exportées" in n for n in notifications(app))

    async def test_a_file_that_cannot_be_written_reopens_the_window_with_what_was_typed(
        self, app: CsuApp, tmp_path: Path
    ) -> None:
        # The window closed: the path typed was lost, the reason only in the status line.
        path = tmp_path / "un-fichier" / "pas-un-dossier" / "revue.jsonl"
        path.parent.parent.write_text("")  # a file where a folder should be
        async with app.run_test(size=SIZE) as pilot:
            await open_journal(pilot)
            await self.export(pilot, path, fmt="jsonl")
            window = app.screen
            assert isinstance(window, ExportScreen)
            assert window.query_one("#export-path", Input).value == str(path)
            assert window.query_one("#export-format", Select).value == "jsonl"
            said = str(window.query_one("#export-problem", Static).content)
            assert said.startswith("Export non réalisé : ") and str(path.parent) in said, said
            assert not path.exists()

    async def test_the_filtered_view_exports_to_jsonl(
        self, app: CsuApp, demo_deps: Deps, voter: DemoVoter, activity: dict[str, int],
        tmp_path: Path,
    ) -> None:  # fmt: skip
        path = tmp_path / "revue.jsonl"
        async with app.run_test(size=SIZE) as pilot:
            await open_journal(pilot)
            await apply(pilot, since="28/11/2022", until="28/11/2022")
            await self.export(pilot, path, fmt="jsonl")
            [line] = path.read_text("utf-8").splitlines()
            entry = json.loads(line)
            assert (entry["seq"], entry["matricule"]) == (activity["alice"], voter.matricule)
            with demo_deps.reading() as session:
                last = session.exec(
                    select(JournalEntry).order_by(JournalEntry.seq.desc())  # type: ignore[attr-defined]
                ).first()
            assert last is not None and last.action == "journal_export"

    async def test_the_export_is_offered_under_the_data_directory(
        self, app: CsuApp, activity: dict[str, int], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:  # fmt: skip
        monkeypatch.setenv("CSU_DATA_DIR", str(tmp_path / "donnees"))
        async with app.run_test(size=SIZE) as pilot:
            await open_journal(pilot)
            await press(pilot, "f7")
            field = app.screen.query_one("#export-path", Input)
            assert field.value == str(tmp_path / "donnees" / "exports" /
                                      "journal-20221202-113000.csv")  # fmt: skip
            app.screen.query_one("#export-format", Select).value = "jsonl"
            await pilot.pause()
            assert field.value.endswith("journal-20221202-113000.jsonl")
            await click(pilot, "#export-ok")
            await settle(pilot)
            written = tmp_path / "donnees" / "exports" / "journal-20221202-113000.jsonl"
            assert written.exists()

    async def test_an_existing_file_is_not_overwritten(
        self, app: CsuApp, activity: dict[str, int], tmp_path: Path
    ) -> None:
        path = tmp_path / "revue.csv"
        path.write_text("à garder", encoding="utf-8")
        async with app.run_test(size=SIZE) as pilot:
            await open_journal(pilot)
            await self.export(pilot, path)
            assert path.read_text(encoding="utf-8") == "à garder"
            assert any("existe déjà" in n for n in notifications(app))

    async def test_a_folder_that_does_not_exist_is_not_made(
        self, app: CsuApp, activity: dict[str, int], tmp_path: Path
    ) -> None:
        """« /nonexistent/dir/j.jsonl » was made, folders and file: a mistyped folder
        kept an export nobody would look for."""
        path = tmp_path / "inexistant" / "revue.csv"
        async with app.run_test(size=SIZE) as pilot:
            await open_journal(pilot)
            await self.export(pilot, path)
            assert not (tmp_path / "inexistant").exists()
            assert isinstance(app.screen, ExportScreen)  # open again, saying why
            assert "dossier introuvable" in screen_text(app)

    async def test_a_bare_file_name_goes_to_the_exports_folder_and_is_shown_whole(
        self, app: CsuApp, activity: dict[str, int], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:  # fmt: skip
        monkeypatch.setenv("CSU_DATA_DIR", str(tmp_path / "donnees"))
        monkeypatch.chdir(tmp_path)
        async with app.run_test(size=SIZE) as pilot:
            await open_journal(pilot)
            await self.export(pilot, Path("relatif.csv"))
            written = tmp_path / "donnees" / "exports" / "relatif.csv"
            assert written.exists() and not (tmp_path / "relatif.csv").exists()
            assert f"exportées vers {written}" in status(app)


    async def test_a_file_not_named_after_its_format_is_refused(
        self, app: CsuApp, activity: dict[str, int], tmp_path: Path
    ) -> None:
        path = tmp_path / "zz.pth"
        async with app.run_test(size=SIZE) as pilot:
            await open_journal(pilot)
            await self.export(pilot, path)
            assert not path.exists()
            assert isinstance(app.screen, ExportScreen)  # open again, saying why
            assert "fichier « .csv »" in screen_text(app)

    async def test_in_a_browser_a_file_outside_the_exports_folder_is_refused(
        self, app: CsuApp, activity: dict[str, int], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:  # fmt: skip
        monkeypatch.setenv("CSU_DATA_DIR", str(tmp_path / "donnees"))
        monkeypatch.setattr(CsuApp, "is_web", property(lambda _: True))
        path = tmp_path / "ailleurs.csv"
        async with app.run_test(size=SIZE) as pilot:
            await open_journal(pilot)
            await self.export(pilot, path)
            assert not path.exists()
            assert "dossier des exports du serveur" in screen_text(app)
            await self.export(pilot, Path("revue.csv"))  # a bare name: the exports folder
            assert (tmp_path / "donnees" / "exports" / "revue.csv").exists()


FILTERS = ("since", "until", "operator", "matricule", "action", "outcome", "election",
           "intervention")  # fmt: skip


class TestNarrowTerminal:
    """Below JournalScreen.WIDE columns the two rows of filters become four: at 120
    columns the intervention field was left one column wide, at 80 half the filters
    were off the right edge."""

    @pytest.mark.parametrize("size", [(80, 24), SIZE], ids=["80x24", "120x40"])
    async def test_every_filter_is_whole_on_screen(
        self, app: CsuApp, size: tuple[int, int]
    ) -> None:
        async with app.run_test(size=size) as pilot:
            await open_journal(pilot)
            assert pilot.app.screen.has_class("-narrow")
            for name in FILTERS:
                region = pilot.app.screen.query_one(f"#journal-{name}").region
                assert region.x >= 0 and region.right <= size[0], name
                assert region.width >= 12 and region.bottom <= size[1], name

    async def test_a_wide_terminal_keeps_two_rows_of_filters(self, app: CsuApp) -> None:
        async with app.run_test(size=(160, 40)) as pilot:
            await open_journal(pilot)
            screen = pilot.app.screen
            rows = {screen.query_one(f"#journal-{name}").region.y for name in FILTERS}
            assert len(rows) == 2 and screen.has_class("-wide")

    async def test_a_filter_typed_in_a_narrow_terminal_still_filters(self, app: CsuApp) -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await open_journal(pilot)
            await apply(pilot, operator="superviseur")
            table = pilot.app.screen.query_one("#journal-table", DataTable)
            assert table.row_count > 0
            assert {str(table.get_row_at(row)[2]) for row in range(table.row_count)} == {
                "superviseur"
            }

    async def test_the_outcome_stays_in_view_at_80_columns(self, app: CsuApp) -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await open_journal(pilot)
            lines = _drawn(pilot.app).splitlines()
            header = next(line for line in lines if "Quand" in line)
            assert "Opérateur" in header and "Action" in header and "Résultat" in header
            assert "connexion" in "\n".join(lines)  # the supervisor's own login, its row

    @pytest.mark.parametrize("width", [80, 100, 119])
    async def test_below_120_columns_no_column_is_drawn_off_the_edge(
        self, app: CsuApp, width: int
    ) -> None:
        async with app.run_test(size=(width, 24)) as pilot:
            await open_journal(pilot)
            table = pilot.app.screen.query_one("#journal-table", DataTable)
            drawn = sum(column.get_render_width(table) for column in table.columns.values())
            assert drawn <= table.scrollable_content_region.width

    async def test_at_80_columns_the_outcome_and_matricule_show_whole(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        voter = demo_voter(demo_deps)
        async with app.run_test(size=(80, 24)) as pilot:
            await log_in(pilot, "superviseur")
            await open_voter_file(pilot, voter.matricule)  # a consultation, journalled
            await press(pilot, "f2")
            await settle(pilot)
            lines = _drawn(pilot.app).splitlines()
            assert any(voter.matricule in line and "ok" in line for line in lines)

    async def test_a_terminal_widened_gets_the_whole_columns_and_keeps_the_cursor(
        self, app: CsuApp
    ) -> None:
        async with app.run_test(size=(80, 24)) as pilot:
            await open_journal(pilot)
            table = pilot.app.screen.query_one("#journal-table", DataTable)
            assert headers(table) == [fit.label for fit in COMPACT_COLUMNS]
            rows = table.row_count
            await press(pilot, "down", "down")
            await pilot.resize_terminal(160, 40)
            await settle(pilot)
            assert headers(table) == [fit.label for fit in COLUMNS]
            assert table.row_count == rows and table.cursor_row == 2
            assert not any("…" in cell for cell in cells(table))

    async def test_at_80_columns_a_short_column_leaves_its_room_to_the_action(
        self, app: CsuApp, demo_deps: Deps
    ) -> None:
        """Fixed widths cut « vérificati… » while 15 columns stayed blank on the right."""
        with demo_deps.writing() as session:
            journal.append(session, actor=ALICE, action="presence_attest", outcome="ok",
                           at=NOW)  # fmt: skip
        async with app.run_test(size=(80, 24)) as pilot:
            await open_journal(pilot)
            table = pilot.app.screen.query_one("#journal-table", DataTable)
            # 11 characters before (« vérificati… »): twice that now, the rest cut at 80
            assert any(cell.startswith("vérification en pers") for cell in cells(table))
            drawn = sum(column.get_render_width(table) for column in table.columns.values())
            assert drawn <= table.scrollable_content_region.width


async def test_entree_again_on_the_same_filters_journals_no_new_search(
    app: CsuApp, demo_deps: Deps
) -> None:
    # A newcomer's Entrée pressed again and again journalled the same search each time.
    async with app.run_test(size=SIZE) as pilot:
        await open_journal(pilot)
        before = len(searches(demo_deps))
        app.screen.query_one("#journal-matricule", Input).focus()
        await press(pilot, "enter")
        await settle(pilot)
        assert len(searches(demo_deps)) == before
        assert "Mêmes filtres, résultats affichés : F5 pour actualiser." in notifications(app)


async def test_entree_after_a_changed_filter_searches_and_f5_refreshes(
    app: CsuApp, demo_deps: Deps, voter: DemoVoter
) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await open_journal(pilot)
        before = len(searches(demo_deps))
        field = app.screen.query_one("#journal-matricule", Input)
        field.value = voter.matricule
        field.focus()
        await press(pilot, "enter")
        await settle(pilot)
        assert len(searches(demo_deps)) == before + 1
        await press(pilot, "f5")  # the same filters, asked again on purpose
        await settle(pilot)
        assert len(searches(demo_deps)) == before + 2
