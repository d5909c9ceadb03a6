"""Login: identifier, password and the 6-digit code of the authenticator app."""

from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Vertical
from textual.widgets import Button, Input, Label, Static

from csu.domain.roles import ROLE_LABELS
from csu.screens.base import COMPACT_WINDOW_ROWS, CsuScreen
from csu.screens.focus import FOCUS_KEYS
from csu.services.context import ServiceError
from csu.widgets.footer import KeysFooter
from csu.widgets.shell_header import ShellHeader

# The login screen is the first frame: the services (and the store they import) load
# in its workers, after it is drawn.
if TYPE_CHECKING:
    from csu.services.auth import DemoLogin


# The fields in the order they are filled, with what a missing one is called.
FIELDS: dict[str, str] = {
    "login": "votre identifiant",
    "password": "votre mot de passe",
    "code": "le code à 6 chiffres de l'application",
}


# Rows that the form with framed fields and the demo's logins need: the windows' too.
SHORT = COMPACT_WINDOW_ROWS


class LoginScreen(CsuScreen[None]):
    CSS_PATH = None  # the first frame: app.tcss styles it, screens.tcss comes later
    # Below SHORT rows (an 80×24 terminal) the fields lose their frames (app.tcss), so
    # that a newcomer sees the demo's logins under the form without scrolling.
    VERTICAL_BREAKPOINTS = [(0, "-short"), (SHORT, "-tall")]
    BINDINGS = [
        # Entrée, like Tab, acts as the app reads it (csu.screens.focus): « login, Entrée,
        # password » typed fast lands in the right fields, the password never in clear.
        Binding("enter", "enter", "Se connecter", id="login-submit", show=False, priority=True),
        *FOCUS_KEYS,  # auto-typed « login, Tab, password » lands in the right fields
    ]

    def __init__(self, message: str | None = None) -> None:
        super().__init__()
        self._message = message

    def compose(self) -> ComposeResult:
        yield ShellHeader(self.csu.clock)
        with Center(), Vertical(id="login-box"):
            yield Static("CSU électeurs — connexion", id="login-title", markup=False)
            yield Label("Identifiant")
            yield Input(id="login", placeholder="identifiant")
            yield Label("Mot de passe")
            yield Input(id="password", password=True, placeholder="mot de passe")
            yield Label("Code à 6 chiffres de l'application d'authentification")
            # Not « 123456 »: a newcomer took it for a code already typed.
            yield Input(
                id="code", restrict=r"[0-9]*", max_length=6, placeholder="code de l'application"
            )
            yield Button("Se connecter", id="submit", variant="primary")
            yield Static(self._message or "", id="login-message", markup=False)
        yield Center(id="demo-box")  # its table is mounted on a demo database only
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#demo-box").display = False
        self.query_one("#login", Input).focus()
        self.call_after_refresh(self.csu.open_store_once_drawn)
        self.refresh_demo()
        self.set_interval(1, self.refresh_demo)

    def action_enter(self) -> None:
        """Entrée, read before the keys typed after it: on to the next field if it is
        empty, else log in once the field has taken the keys typed before it."""
        order = list(FIELDS)
        focused = self.focused
        index = order.index(focused.id) if focused and focused.id in order else len(order)
        if index < len(order) - 1:
            following = self.query_one(f"#{order[index + 1]}", Input)
            if not following.value:
                # At once (``focus()`` would wait its turn): the next keys go to it.
                self.set_focus(following)
                if isinstance(focused, Input):
                    focused.call_later(self._left_empty, focused, following)
                return
        # The keys typed before Entrée may still wait in the field: submit after them.
        (focused or self).call_later(self.action_submit)

    def _left_empty(self, left: Input, following: Input) -> None:
        """Entrée in a field still empty once it took the keys typed before: back to it,
        saying so, unless the next one was typed in since. A newcomer pressed Entrée on
        an empty « Identifiant » and typed their login into the masked password."""
        if left.value.strip() or following.value or self.focused is not following:
            return
        self.query_one("#login-message", Static).update(f"Indiquez {FIELDS[left.id or '']}.")
        self.set_focus(left)

    @on(Button.Pressed, "#submit")
    def action_submit(self) -> None:
        values = {name: self.query_one(f"#{name}", Input).value for name in FIELDS}
        missing = [name for name in FIELDS if not values[name].strip()]
        if missing:
            # Nothing is sent (nor journalled as a refused login): say what to fill.
            named = [FIELDS[name] for name in missing]
            said = " et ".join([", ".join(named[:-1]), named[-1]] if len(named) > 1 else named)
            self.query_one("#login-message", Static).update(f"Indiquez {said}.")
            self.query_one(f"#{missing[0]}", Input).focus()
            return
        self.query_one("#login-message", Static).update("Vérification…")
        self.attempt(values["login"], values["password"], values["code"])

    @work(thread=True, exclusive=True, group="login", exit_on_error=False)
    def attempt(self, login: str, password: str, code: str) -> None:
        deps = self.csu.deps
        from csu.services.auth import LoginRefused, log_in, operator_name

        try:
            who = log_in(deps, login, password, code, self.csu.workstation)
        except LoginRefused as refused:
            self.app.call_from_thread(self._refused, str(refused))
            return
        name = operator_name(self.csu.deps, who)
        self.app.call_from_thread(self.csu.logged_in, who, name)

    def _refused(self, message: str) -> None:
        self.query_one("#login-message", Static).update(message)
        self.query_one("#password", Input).value = ""
        self.query_one("#code", Input).value = ""
        self.query_one("#password", Input).focus()

    @work(thread=True, exclusive=True, group="demo", exit_on_error=False)
    def refresh_demo(self) -> None:
        try:
            deps = self.csu.deps  # first: waits for the store, then imports what uses it
        except ServiceError:
            return  # the store is unavailable: the app ends with the reason
        from csu.services.auth import demo_logins

        logins = demo_logins(deps)
        self.app.call_from_thread(self._show_demo, logins)

    def _show_demo(self, logins: "list[DemoLogin]") -> None:
        box = self.query_one("#demo-box")
        box.display = bool(logins)
        if not logins:
            return
        # A demo database only: the table's module is not loaded before the first frame.
        from csu.widgets.plain import PlainTable

        tables = self.query("#demo-logins").results(PlainTable)
        table = next(tables, None)
        if table is None:
            table = PlainTable(id="demo-logins", cursor_type="none", show_cursor=False)
            box.mount(table)
            # Short headers and cells: the table fits 80 columns, a used code included
            # (it was 87 to 122 wide, cut on an agent's smallest terminal).
            table.add_columns("Base de démonstration", "rôle", "mot de passe", "code")
        table.clear()
        for demo in logins:
            code = f"{demo.code} ({demo.seconds_left} s)"
            if demo.used:  # refused if typed again: say so, and when the next one comes
                code = f"déjà utilisé ({demo.seconds_left} s)"
            table.add_row(demo.login, ROLE_LABELS.get(demo.role, demo.role), demo.password, code)
