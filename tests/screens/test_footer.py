"""The screens' footer (csu.widgets.footer): Textual's, drawn the same, built again only
when the keys it offers change, and without restyling its keys as they mount."""

from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Static
from textual.widgets._footer import FooterKey
from textual.widgets._toast import Toast

from csu.screens.base import CsuModal
from csu.widgets.footer import KeysFooter


class NoteField(Input):
    """A field that offers a key of its own while it has the focus."""

    BINDINGS = [Binding("f7", "bell", "Dicter")]


class Desk(App[None]):
    BINDINGS = [Binding("f2", "bell", "Rechercher"), Binding("f5", "bell", "Envoyer")]

    def __init__(self, footer: type[Footer]) -> None:
        super().__init__()
        self.footer = footer
        self.restyled: list[Any] = []

    def compose(self) -> ComposeResult:
        yield Input(id="first")
        yield Input(id="second")
        yield NoteField(id="note")
        yield self.footer()

    def update_styles(self, node: Any, animate: bool = True) -> None:
        self.restyled.append(node)
        super().update_styles(node, animate)

    def keys_shown(self) -> list[FooterKey]:
        return list(self.query(FooterKey))


async def after_tabs(footer: type[Footer], tabs: int = 1) -> tuple[Desk, str, list[Any]]:
    """The desk after ``tabs`` focus moves: its screen, and the nodes restyled."""
    app = Desk(footer)
    async with app.run_test(size=(80, 6)) as pilot:
        await pilot.pause()
        app.restyled.clear()
        for _ in range(tabs):
            await pilot.press("tab")
            await pilot.pause()
        await pilot.pause()
        return app, app.export_screenshot(), list(app.restyled)


@pytest.mark.parametrize("tabs", [1, 2])
async def test_the_footer_reads_as_textuals(tabs: int) -> None:
    _, ours, _ = await after_tabs(KeysFooter, tabs)
    _, textuals, _ = await after_tabs(Footer, tabs)
    assert ours == textuals


@pytest.mark.parametrize(("footer", "restyled"), [(KeysFooter, False), (Footer, True)])
async def test_a_focus_move_restyles_no_footer_key(footer: type[Footer], restyled: bool) -> None:
    _, _, nodes = await after_tabs(footer)
    assert any(isinstance(node, FooterKey) for node in nodes) is restyled


async def test_a_focus_move_offering_the_same_keys_keeps_the_footer_as_it_is() -> None:
    app = Desk(KeysFooter)
    async with app.run_test(size=(80, 6)) as pilot:
        await pilot.pause()
        before = app.keys_shown()
        await pilot.press("tab")
        await pilot.pause()
        await pilot.pause()
        assert app.keys_shown() == before


async def test_a_key_a_field_offers_shows_while_it_has_the_focus_only() -> None:
    app = Desk(KeysFooter)
    async with app.run_test(size=(80, 6)) as pilot:
        await pilot.pause()
        shown = []
        for _ in range(3):  # first → second → note → first
            await pilot.press("tab")
            await pilot.pause()
            await pilot.pause()
            shown.append([key.description for key in app.keys_shown()])
    assert "Dicter" not in shown[0]
    assert "Dicter" in shown[1]
    assert "Dicter" not in shown[2]


class Ledger(Screen[None]):
    """A screen whose keys depend on a widget of its own, as the journal review's do."""

    BINDINGS = [Binding("f3", "bell", "Ouvrir")]

    def __init__(self) -> None:
        super().__init__()
        self.asked = 0

    def compose(self) -> ComposeResult:
        yield DataTable(id="rows")
        yield KeysFooter()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        self.asked += 1
        self.query_one("#rows", DataTable)
        return True


async def test_a_footer_whose_screen_is_going_asks_the_screen_nothing() -> None:
    app = App[None]()
    async with app.run_test(size=(80, 6)) as pilot:
        ledger = Ledger()
        await app.push_screen(ledger)
        await pilot.pause()
        footer = ledger.query_one(KeysFooter)
        ledger.asked = 0
        removed = ledger.remove()  # as popping it does: each of its nodes is now going
        await footer.recompose()  # a recompose that was due, run as the screen goes
        await removed
        assert ledger.asked == 0


# --- keys on as many lines as they need ----------------------------------------------


class ManyKeys(App[None]):
    """Ten keys with long labels: about 330 columns on one line, laid out on as many lines
    as they need (no ``max_lines``: its keys giving way are tested below)."""

    BINDINGS = [
        Binding(f"f{n}", f"act({n})", f"Action numéro {n} du guichet") for n in range(1, 11)
    ]

    def action_act(self, number: int) -> None:
        self.bell()

    def compose(self) -> ComposeResult:
        yield Input()
        yield KeysFooter(max_lines=None)


def keys_cut_off(app: App[Any]) -> list[str]:
    """The footer's keys not wholly on the screen."""
    width, height = app.size
    return [
        str(key.description)
        for key in app.screen.query(FooterKey)
        if key.region.right > width or key.region.bottom > height or not key.region.width
    ]


def footer_height(app: App[Any]) -> int:
    return app.screen.query_one(KeysFooter).outer_size.height


async def arranged(pilot: Pilot[Any], width: int | None = None) -> None:
    """Waits until the footer has laid its keys out (at ``width`` columns, after a
    resize): it does so after the refresh that gives the new keys their width, which a
    loaded machine may run after a bare ``pause`` has returned (seen once in the suite)."""
    footer = pilot.app.screen.query_one(KeysFooter)
    for _ in range(100):
        await pilot.pause(0.01)
        if footer._grid != (0, 0) and (width is None or footer.size.width == width):
            await pilot.pause()  # the layout its styles asked for
            return
    raise AssertionError("the footer never laid its keys out")


async def test_keys_that_do_not_fit_on_one_line_go_on_the_next_ones() -> None:
    app = ManyKeys()
    async with app.run_test(size=(100, 12)) as pilot:
        await arranged(pilot)
        assert footer_height(app) > 1
        assert keys_cut_off(app) == []


async def test_keys_that_fit_take_one_line() -> None:
    app = ManyKeys()
    async with app.run_test(size=(360, 12)) as pilot:
        await arranged(pilot)
        assert footer_height(app) == 1
        assert keys_cut_off(app) == []


async def test_a_narrower_terminal_takes_more_lines_and_a_wider_one_fewer() -> None:
    app = ManyKeys()
    async with app.run_test(size=(360, 12)) as pilot:
        await arranged(pilot)
        await pilot.resize_terminal(90, 12)
        await arranged(pilot, 90)
        narrow = footer_height(app)
        assert narrow > 1 and keys_cut_off(app) == []
        await pilot.resize_terminal(360, 12)
        await arranged(pilot, 360)
        assert footer_height(app) == 1


class UnevenKeys(App[None]):
    """The keys of a president's voter file: aligned in columns at 80, the widest two in
    different columns, they took 6 lines."""

    LABELS = ("Retour", "Nouvelle intervention", "Vérifier", "Délivrer", "Invalider",
              "Clore", "Électeur suivant", "Quitter", "Aide", "Vérifications en personne",
              "Déconnexion")  # fmt: skip
    BINDINGS = [Binding(f"f{n}", f"act({n})", label) for n, label in enumerate(LABELS, 1)]

    def action_act(self, number: int) -> None:
        self.bell()

    def compose(self) -> ComposeResult:
        yield Input()
        yield KeysFooter(max_lines=None)


async def test_keys_of_uneven_widths_flow_as_words_when_it_takes_fewer_lines() -> None:
    app = UnevenKeys()
    async with app.run_test(size=(80, 24)) as pilot:
        await arranged(pilot)
        assert footer_height(app) == 3
        assert keys_cut_off(app) == []
        keys = [key for key in app.screen.query(FooterKey) if key.description in app.LABELS]
        places = [(key.region.y, key.region.x) for key in keys]
        assert [key.description for key in keys] == list(app.LABELS)
        assert places == sorted(places)  # in their order, line after line


async def test_keys_as_wide_as_each_other_stay_in_aligned_columns() -> None:
    app = ManyKeys()
    async with app.run_test(size=(100, 12)) as pilot:
        await arranged(pilot)
        columns = {key.region.x for key in app.screen.query(FooterKey) if key.description}
        assert len(columns) < len(ManyKeys.BINDINGS)  # keys share their column's left edge


async def test_a_notification_stays_above_a_footer_of_several_lines() -> None:
    app = ManyKeys()
    async with app.run_test(size=(100, 14), notifications=True) as pilot:
        await arranged(pilot)
        app.notify("Intervention ouverte.")
        await pilot.pause(0.1)
        toast = app.screen.query_one(Toast)
        assert toast.region.bottom <= app.screen.query_one(KeysFooter).region.y


class Window(CsuModal[None]):
    """A window, as CSU opens them: its footer is added to what it composes."""

    BINDINGS = [Binding("escape", "dismiss", "Fermer")]

    def compose(self) -> ComposeResult:
        yield Static("Fenêtre")


async def test_a_window_has_a_footer_of_its_own_with_its_keys() -> None:
    app = ManyKeys()
    async with app.run_test(size=(100, 14)) as pilot:
        await arranged(pilot)
        await app.push_screen(Window())
        await arranged(pilot)
        assert [key.description for key in app.screen.query(FooterKey)] == ["Fermer"]


async def test_a_windows_notification_stays_above_its_footer() -> None:
    app = ManyKeys()
    async with app.run_test(size=(100, 14), notifications=True) as pilot:
        await arranged(pilot)
        await app.push_screen(Window())
        await app.push_screen(Window())  # a window above a window
        await arranged(pilot)
        app.notify("Envoyé.")
        await pilot.pause(0.1)
        footer = app.screen.query_one(KeysFooter)
        assert app.screen.query_one(Toast).region.bottom <= footer.region.y


# --- past two lines, the keys F1 lists give way ---------------------------------------


class Counter(Screen[None]):
    """A screen's own keys, the last two greyed (not possible yet)."""

    LABELS = ("Nouvelle intervention", "Vérifier l'identité", "Envoyer le lien",
              "Clore l'intervention")  # fmt: skip
    BINDINGS = [Binding(f"f{n}", f"act({n})", label) for n, label in enumerate(LABELS, 5)]

    def compose(self) -> ComposeResult:
        yield Input()
        yield KeysFooter()

    def action_act(self, number: int) -> None:
        self.app.bell()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return None if parameters and parameters[0] in (7, 8) else True


class Office(App[None]):
    """The counter's keys under the application's: « F1 Aide » and five others."""

    DESK = ("Journal", "Tableau de bord", "Alertes", "Escalades", "Intégrité")
    BINDINGS = [
        Binding("f1", "help", "Aide"),
        *(Binding(f"f{n}", f"desk({n})", label) for n, label in enumerate(DESK, 9)),
    ]

    def on_mount(self) -> None:
        self.push_screen(Counter())

    def action_help(self) -> None:
        self.bell()

    def action_desk(self, number: int) -> None:
        self.bell()


def shown(app: App[Any]) -> list[str]:
    """The keys the footer shows, in their order (the palette's left out)."""
    return [
        str(key.description)
        for key in app.screen.query(FooterKey)
        if key.display and not key.has_class("-command-palette")
    ]


async def test_past_two_lines_the_applications_keys_give_way_first_the_last_first() -> None:
    app = Office()
    async with app.run_test(size=(100, 12)) as pilot:
        await arranged(pilot)
        assert footer_height(app) == 2
        desk = [label for label in shown(app) if label in Office.DESK]
        assert shown(app) == [*Counter.LABELS, "Aide", *desk]
        assert 0 < len(desk) < len(Office.DESK) and desk == list(Office.DESK[: len(desk)])


async def test_then_the_greyed_keys_give_way_before_the_usable_ones() -> None:
    app = Office()
    async with app.run_test(size=(60, 12)) as pilot:
        await arranged(pilot)
        assert footer_height(app) == 2
        assert shown(app) == ["Nouvelle intervention", "Vérifier l'identité", "Aide"]


async def test_the_help_key_stays_whatever_gives_way() -> None:
    app = Office()
    async with app.run_test(size=(40, 12)) as pilot:
        await arranged(pilot)
        assert footer_height(app) <= 2
        assert "Aide" in shown(app)
        assert [key for key in keys_cut_off(app) if key in shown(app)] == []


async def test_a_wider_terminal_brings_back_the_keys_that_gave_way() -> None:
    app = Office()
    async with app.run_test(size=(60, 12)) as pilot:
        await arranged(pilot)
        await pilot.resize_terminal(200, 12)
        await arranged(pilot, 200)
        assert shown(app) == [*Counter.LABELS, "Aide", *Office.DESK]
