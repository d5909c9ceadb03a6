"""The administrators' screen of the cell's operators: the list, and creating,
changing the role of (csu.screens.operator_role), disabling, re-enrolling (new TOTP
seed) and unlocking one.

The services check the role and journal every change; this screen adds the
confirmations. A new TOTP seed exists on screen only in :class:`EnrolmentScreen`,
as a QR code and as text, until it is closed: the screen keeps nothing of it, the
service only a sealed copy, and nothing logs it.
"""

import pyotp
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.notifications import SeverityLevel
from textual.widgets import Button, DataTable, Input, Label, Select, Static
from textual.worker import Worker, WorkerState

from csu.domain.errors import InvalidValue
from csu.domain.passwords import FIELD as PASSWORD_FIELD
from csu.domain.passwords import MIN_LENGTH, check_operator_password
from csu.domain.plural import counted
from csu.domain.roles import ROLE_LABELS, ROLES
from csu.screens.base import NOT_DONE, CsuModal, CsuScreen, bound_key, not_done
from csu.screens.dialogs import ReasonDialog
from csu.screens.focus import FOCUS_KEYS
from csu.screens.operator_role import ChangeRoleScreen
from csu.services.operators import (
    BUREAU_FIELD,
    LOGIN_FIELD,
    NAME_FIELD,
    OWN_DISABLE_REFUSED,
    OWN_ROLE_REFUSED,
    ROLE_FIELD,
    OperatorChanged,
    OperatorCreated,
    OperatorUnlocked,
    OperatorView,
    add_operator,
    disable_operator,
    disabled_refusal,
    list_operators,
    reset_totp,
    unlock_operator,
)
from csu.widgets.bureau_select import BureauSelect
from csu.widgets.fitted_table import Fit, FittedTable
from csu.widgets.footer import KeysFooter
from csu.widgets.shell_header import ShellHeader

FINISHED = (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED)
# A QR code's quiet zone, in modules: 4 by the standard; phones read 2 well.
QR_BORDER = 2
# Dark modules black on white whatever the theme: some readers refuse inverted codes.
QR_STYLE = "#000000 on #ffffff"
HALF_BLOCKS = {(True, True): "█", (True, False): "▀", (False, True): "▄", (False, False): " "}
# The list's columns: at 80 columns the name, the role, the bureau and a long login give
# way (cut with « … », down to these widths) so that « Actif » and « Verrouillé » stay whole.
COLUMNS = (
    Fit("Identifiant", 11), Fit("Nom", 10), Fit("Rôle", 9), Fit("Bureau", 6), Fit("Actif"),
    Fit("Verrouillé"),
)  # fmt: skip


def qr_text(uri: str, border: int = QR_BORDER) -> Text:
    """The QR code of ``uri`` in half blocks: two rows of modules per line of text."""
    import segno

    rows = [
        [bool(m) for m in row]
        for row in segno.make(uri, micro=False).matrix_iter(scale=1, border=border)
    ]
    if len(rows) % 2:
        rows.append([False] * len(rows[0]))
    lines = [
        "".join(HALF_BLOCKS[top, bottom] for top, bottom in zip(upper, lower, strict=True))
        for upper, lower in zip(rows[::2], rows[1::2], strict=True)
    ]
    return Text("\n".join(lines), style=QR_STYLE, no_wrap=True, overflow="crop")


def grouped_secret(uri: str) -> str:
    """The base32 seed of a TOTP URI in groups of four, for typing it by hand."""
    secret = pyotp.parse_uri(uri).secret
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


class OperatorsScreen(CsuScreen[None]):
    """Every operator, by login; n creates, m changes the role, d disables, t re-enrols,
    u unlocks."""

    DEFAULT_CSS = """
    #operators-title { text-style: bold; color: $primary; margin: 1 2 0 2; }
    #operators-status { color: $text-muted; margin: 0 2; }
    #operators-table { height: 1fr; margin: 0 1; }
    """

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Retour", id="operators-back"),
        Binding("n", "create", "Créer", id="operators-create"),
        Binding("m", "change_role", "Rôle ou bureau", id="operators-change-role"),
        Binding("d", "disable", "Désactiver", id="operators-disable"),
        Binding("t", "reset_totp", "Nouvel authentificateur", id="operators-reset-totp"),
        Binding("u", "unlock", "Déverrouiller", id="operators-unlock"),
        Binding("f5", "reload", "Actualiser", id="operators-reload"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.operators: list[OperatorView] = []
        self.loaded = False
        self.summary = ""

    def compose(self) -> ComposeResult:
        yield ShellHeader(self.app.clock)
        yield Static("Opérateurs de la cellule", id="operators-title", markup=False)
        yield Static("Chargement des opérateurs…", id="operators-status", markup=False)
        yield FittedTable(id="operators-table", cursor_type="row", zebra_stripes=True)
        yield KeysFooter()

    def on_mount(self) -> None:
        table = self.query_one("#operators-table", FittedTable)
        table.set_columns(*COLUMNS)
        table.focus()
        self.load()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("change_role", "disable", "reset_totp", "unlock"):
            chosen = self.selected()
            if chosen is None:
                return False
            # Greyed on a disabled account: none of them applies to it any more; nor u
            # where there is nothing to unlock.
            if not chosen.active or (
                action == "unlock" and not chosen.locked and not chosen.failed_logins
            ):
                return None
            return True
        return True

    # --- the list -----------------------------------------------------------------

    def action_reload(self) -> None:
        self.summary = "Chargement des opérateurs…"
        self.query_one("#operators-status", Static).update(self.summary)
        self.load()

    @work(thread=True, exclusive=True, group="operators", exit_on_error=False)
    def load(self) -> None:
        who = self.app.operator
        if who is None:
            return
        views = list_operators(self.app.deps, who)
        self.app.call_from_thread(self._show, views)

    def _show(self, views: list[OperatorView]) -> None:
        table = self.query_one("#operators-table", DataTable)
        chosen = self.selected()
        self.operators = views
        self.loaded = True
        table.clear()
        for view in views:
            # Text, not str: a DataTable reads a str as markup, and a name is any text.
            table.add_row(
                Text(view.login),
                Text(view.display_name),
                ROLE_LABELS.get(view.role, view.role),
                Text(view.bureau or "—"),
                "oui" if view.active else "non",
                view.lock_words,
                key=view.login,
            )
        if chosen is not None and chosen.login in {v.login for v in views}:
            table.move_cursor(row=table.get_row_index(chosen.login))
        active = sum(view.active for view in views)
        locked = sum(view.locked for view in views)
        self.summary = (
            f"{counted(len(views), 'opérateur')}, {counted(active, 'actif')}, "
            f"{counted(locked, 'verrouillé')} — {self._key('create')} pour créer ; "
            f"{self._key('change_role')}, {self._key('disable')}, {self._key('reset_totp')}, "
            f"{self._key('unlock')} sur "
            "l'opérateur choisi."
        )
        self._say_chosen()

    def _key(self, action: str) -> str:
        """The key of ``action`` here, as a workplace's keymap binds it."""
        return bound_key(self.app, self.BINDINGS, action)

    def selected(self) -> OperatorView | None:
        if not self.operators:
            return None
        table = self.query_one("#operators-table", DataTable)
        row = table.cursor_row
        return self.operators[row] if 0 <= row < len(self.operators) else None

    @on(DataTable.RowHighlighted, "#operators-table")
    def _highlighted(self) -> None:
        self._say_chosen()

    def _say_chosen(self) -> None:
        """The summary, and why d, t and u are greyed on a disabled operator."""
        chosen = self.selected()
        said = self.summary
        if chosen is not None and not chosen.active:
            said += "\n" + disabled_refusal(chosen.login, f"touche {self._key('create')}")
        self.query_one("#operators-status", Static).update(said)
        self.refresh_bindings()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR and event.worker.group == "operators":
            self.summary = "Liste indisponible — r pour réessayer."
            self.query_one("#operators-status", Static).update(self.summary)

    # --- actions --------------------------------------------------------------------

    def action_create(self) -> None:
        self.app.push_screen(CreateOperatorScreen(), self._created)

    def _created(self, created: OperatorCreated | None) -> None:
        if created is None:
            return
        self.action_reload()
        self.app.push_screen(
            EnrolmentScreen(
                created,
                f"Opérateur « {created.login} » créé "
                f"({ROLE_LABELS.get(created.role, created.role)}).",
            )
        )

    def action_change_role(self) -> None:
        view, who = self.selected(), self.app.operator
        if view is None or who is None:
            return
        if view.login == who.login:  # said at once, not once the form is filled
            self.notify(OWN_ROLE_REFUSED, title=NOT_DONE, severity="warning")
            return
        self.app.push_screen(ChangeRoleScreen(view), self._role_changed)

    def _role_changed(self, changed: OperatorChanged | None) -> None:
        if changed is not None:  # None: cancelled
            self._done(changed.sentence)

    def action_disable(self) -> None:
        view, who = self.selected(), self.app.operator
        if view is None or who is None:
            return
        if view.login == who.login:
            self.notify(OWN_DISABLE_REFUSED, title=NOT_DONE, severity="warning")
            return
        if not view.active:
            self.notify(f"L'opérateur « {view.login} » est déjà désactivé.", severity="warning")
            return
        self.app.push_screen(
            ConfirmScreen(
                f"Désactiver « {view.login} » ({view.display_name}) ?",
                "Il ne pourra plus se connecter ; ses entrées restent au journal. "
                "Seul un nouvel opérateur peut le remplacer.",
                "Désactiver",
                variant="error",
            ),
            lambda reason: self._then(reason, "disable", view.login),
        )

    def action_reset_totp(self) -> None:
        view = self.selected()
        if view is None:
            return
        self.app.push_screen(
            ConfirmScreen(
                f"Nouvel authentificateur pour « {view.login} » ?",
                "Les codes de son application actuelle ne vaudront plus : il devra "
                "scanner le nouveau QR code, affiché une seule fois.",
                "Remplacer l'authentificateur",
                variant="warning",
            ),
            lambda reason: self._then(reason, "reset_totp", view.login),
        )

    def action_unlock(self) -> None:
        view = self.selected()
        if view is None:
            return
        self.app.push_screen(
            ConfirmScreen(
                f"Déverrouiller « {view.login} » ?",
                "Ses échecs de connexion sont oubliés et il peut se reconnecter tout de suite.",
                "Déverrouiller",
                variant="warning",
            ),
            lambda reason: self._then(reason, "unlock", view.login),
        )

    def _then(self, reason: str | None, action: str, login: str) -> None:
        if reason is not None:  # None: cancelled
            self.change(action, login, reason)

    @work(thread=True, exclusive=True, group="operator-change", exit_on_error=False)
    def change(self, action: str, login: str, reason: str) -> None:
        who = self.app.operator
        if who is None:
            return
        deps = self.app.deps
        if action == "disable":
            disabled = disable_operator(deps, who, login, reason)
            self.app.call_from_thread(self._done, disabled.sentence)
        elif action == "unlock":
            unlocked = unlock_operator(deps, who, login, reason)
            self.app.call_from_thread(self._unlocked, unlocked)
        elif action == "reset_totp":
            created = reset_totp(deps, who, login, reason)
            self.app.call_from_thread(self._reset, created)

    def _done(self, message: str, severity: SeverityLevel = "information") -> None:
        self.notify(message, title="Opérateurs", severity=severity)
        self.action_reload()

    def _unlocked(self, unlocked: OperatorUnlocked) -> None:
        # Nothing was locked: a warning, not « déverrouillé » (the journal: was_locked false).
        self._done(unlocked.sentence, "information" if unlocked.was_locked else "warning")

    def _reset(self, created: OperatorCreated) -> None:
        self.action_reload()
        self.app.push_screen(
            EnrolmentScreen(
                created,
                f"Nouvel authentificateur pour « {created.login} » : les anciens codes ne valent "
                "plus.",
            )
        )


class ConfirmScreen(ReasonDialog[str | None]):
    """Asks to confirm a change, with an optional reason for the journal; returns the
    reason ("" when none was given), or None when cancelled."""

    DEFAULT_CSS = "ConfirmScreen { align: center middle; }"
    PREFIX = "confirm"
    PLACEHOLDER = "Motif (facultatif, versé au journal)"
    BINDINGS = [Binding("escape", "cancel", "Annuler", id="confirm-cancel")]

    def __init__(self, question: str, explanation: str, label: str, variant: str) -> None:
        super().__init__()
        self.TITLE_TEXT = question
        self.OK_LABEL = label
        self.OK_VARIANT = variant
        self.question_explained = explanation

    def explanation(self) -> str:
        return self.question_explained

    def confirmed(self, reason: str) -> None:
        self.dismiss(reason.strip())


# The service's fields (InvalidValue.field) and the window's field where each is typed.
FIELD_AT_FAULT = {
    LOGIN_FIELD: "#create-login",
    NAME_FIELD: "#create-name",
    ROLE_FIELD: "#create-role",
    BUREAU_FIELD: "#create-bureau",
    PASSWORD_FIELD: "#create-password",
}


class CreateOperatorScreen(CsuModal[OperatorCreated | None]):
    """Login, name, role, bureau (presidents), initial password twice; returns the
    operator created, whose enrolment the caller shows."""

    DEFAULT_CSS = """
    CreateOperatorScreen { align: center middle; }
    #create-box { max-width: 100%; height: auto; max-height: 100%; }
    CreateOperatorScreen .create-row { height: auto; }
    CreateOperatorScreen .create-row > Vertical { width: 1fr; height: auto; margin-right: 1; }
    CreateOperatorScreen .create-row Input, CreateOperatorScreen .create-row Select {
        margin-bottom: 0;
    }
    """
    BINDINGS = [
        Binding("escape", "cancel", "Annuler", id="create-cancel"),
        *FOCUS_KEYS,  # an auto-typed « login, Tab, name » lands in the right fields
    ]

    def __init__(self) -> None:
        super().__init__()
        self._busy = False

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="create-box", classes="modal-box"):
            yield Static("Nouvel opérateur", classes="modal-title")
            # Two fields a row: the form fits a 24-line terminal, buttons included.
            with Horizontal(classes="create-row"):
                with Vertical():
                    yield Label("Identifiant de connexion")
                    yield Input(id="create-login", placeholder="ex. c.martin")
                with Vertical():
                    yield Label("Nom affiché")
                    yield Input(id="create-name", placeholder="ex. Camille Martin")
            with Horizontal(classes="create-row"):
                with Vertical():
                    yield Label("Rôle")
                    yield Select(
                        [(ROLE_LABELS[role].capitalize(), role) for role in ROLES],
                        id="create-role",
                        value="agent",
                        allow_blank=False,
                    )
                with Vertical(id="create-bureau-box"):
                    yield Label("Bureau de vote présidé")
                    yield BureauSelect(id="create-bureau")
            with Horizontal(classes="create-row"):
                with Vertical():
                    yield Label("Mot de passe initial")
                    yield Input(id="create-password", password=True)
                with Vertical():
                    yield Label("Mot de passe (confirmation)")
                    yield Input(id="create-password-again", password=True)
            yield Static(
                f"Mot de passe : {MIN_LENGTH} caractères au moins, ni courant ni tiré de "
                "l'identifiant ou du nom ; communiquez-le en main propre. Le QR code de "
                "l'application d'authentification s'affiche ensuite, une seule fois.",
                classes="modal-hint",
                markup=False,
            )
            yield Static(id="create-message", classes="modal-message", markup=False)
            with Horizontal(classes="modal-buttons"):
                yield Button("Créer", id="create-ok", variant="primary")
                yield Button("Annuler", id="create-cancel-button")

    def on_mount(self) -> None:
        self.query_one("#create-bureau-box").visible = False

    def start_in(self) -> Input:
        return self.query_one("#create-login", Input)

    @on(Select.Changed, "#create-role")
    def _role_changed(self, event: Select.Changed) -> None:
        # visible, not display: the role keeps its half of the row either way.
        self.query_one("#create-bureau-box").visible = event.value == "president"

    @on(Input.Changed, "#create-password, #create-login, #create-name")
    def _judge_password(self) -> None:
        """The verdict of the password rule as it is typed (the service applies it again)."""
        if self._busy:
            return
        password = self.query_one("#create-password", Input).value
        if not password:
            self._say("")
            return
        try:
            check_operator_password(
                password,
                self.query_one("#create-login", Input).value.strip().lower(),
                self.query_one("#create-name", Input).value.strip() or None,
            )
        except InvalidValue as refused:
            self._say(str(refused))
        else:
            self._say("Mot de passe recevable.")

    def missing(self) -> list[tuple[str, str]]:
        """(field id, what to fill) for each required field still empty, in form order."""
        president = self.query_one("#create-role", Select).value == "president"
        needed = [
            ("#create-login", "l'identifiant de connexion", True),
            ("#create-bureau", "le bureau présidé", president),
            ("#create-password", "le mot de passe initial", True),
            ("#create-password-again", "sa confirmation", True),
        ]
        found = []
        for field, what, required in needed:
            widget = self.query_one(field)
            if isinstance(widget, Select):
                empty = widget.is_blank()
            else:
                empty = isinstance(widget, Input) and not widget.value.strip()
            if required and empty:
                found.append((field, what))
        return found

    @on(Button.Pressed, "#create-ok")
    @on(Input.Submitted)
    def _submit(self) -> None:
        if self._busy:
            return
        missing = self.missing()
        if missing:
            # Nothing is sent: the window says what is missing and goes to it.
            named = [what for _, what in missing]
            said = " et ".join([", ".join(named[:-1]), named[-1]] if len(named) > 1 else named)
            self._say(f"Indiquez {said}. Rien n'a été créé.")
            self.query_one(missing[0][0]).focus()
            return
        password = self.query_one("#create-password", Input).value
        if password != self.query_one("#create-password-again", Input).value:
            self._say("Les deux mots de passe saisis diffèrent.")
            self.query_one("#create-password-again", Input).focus()  # to type it again
            return
        role = self.query_one("#create-role", Select).value
        bureau = self.query_one("#create-bureau", Select).value
        self._busy = True
        self._say("Création…")
        self.create(
            self.query_one("#create-login", Input).value,
            self.query_one("#create-name", Input).value.strip() or None,
            str(role),
            bureau if isinstance(bureau, str) and role == "president" else None,
            password,
        )

    def _say(self, message: str) -> None:
        self.query_one("#create-message", Static).update(message)

    @work(thread=True, exclusive=True, group="create", exit_on_error=False)
    def create(
        self, login: str, name: str | None, role: str, bureau: str | None, password: str
    ) -> OperatorCreated | None:
        who = self.app.operator
        if who is None:
            return None
        return add_operator(
            self.app.deps, who, login, role=role, password=password,
            display_name=name, bureau=bureau,
        )  # fmt: skip

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "create":
            return
        if event.state is WorkerState.ERROR:
            error = event.worker.error
            self._say(not_done("Opérateur non créé", error))
            # The agent corrects the field at fault at once.
            at_fault = FIELD_AT_FAULT.get(error.field) if isinstance(error, InvalidValue) else None
            if at_fault is not None:
                self.query_one(at_fault).focus()
        if event.state in FINISHED:
            self._busy = False
        # Dismissed once the worker has finished: dismissing from inside it would cancel
        # it with the screen, and the enrolment would not show.
        created = event.worker.result
        if event.state is WorkerState.SUCCESS and isinstance(created, OperatorCreated):
            self.dismiss(created)

    @on(Button.Pressed, "#create-cancel-button")
    def action_cancel(self) -> None:
        if not self._busy:
            self.dismiss(None)


# The code of a login of up to 30 characters is a version 6 symbol: 45 modules with
# its quiet zone, 23 lines of half blocks, as many as an 80x24 terminal has above the
# window's footer. Below SHORT_WINDOW_ROWS rows the window drops its top and bottom frame
# and padding so that the code shows whole; the text goes beside it from ENROLMENT_WIDE
# columns (80 included), under it below, where the window scrolls.
ENROLMENT_WIDE = 76


class EnrolmentScreen(CsuModal[None]):
    """The TOTP enrolment of an operator, shown once: the QR code to scan and, beside
    it, the seed to type by hand. Closing forgets both; nothing can show them again."""

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (ENROLMENT_WIDE, "-wide")]
    # Not the .modal-box class, whose rules (screens.tcss) would win over these.
    DEFAULT_CSS = """
    EnrolmentScreen { align: center middle; }
    #enrolment-box {
        width: 90; max-width: 100%; height: auto; max-height: 100%;
        padding: 1 1; border: thick $primary; background: $surface;
    }
    EnrolmentScreen.-short #enrolment-box { padding: 0 1; border-top: none; border-bottom: none; }
    #enrolment-body { height: auto; layout: horizontal; }
    EnrolmentScreen.-narrow #enrolment-body { layout: vertical; }
    #enrolment-qr { width: auto; height: auto; }
    #enrolment-side { width: 1fr; height: auto; padding-left: 1; }
    EnrolmentScreen.-narrow #enrolment-side { padding-left: 0; margin-top: 1; }
    #enrolment-secret { text-style: bold; }
    """
    BINDINGS = [Binding("escape", "close", "Fermer", id="enrolment-escape")]
    SHOWS_SECRET = True

    def __init__(self, created: OperatorCreated, headline: str) -> None:
        super().__init__()
        self.headline = headline
        # Only what the screen shows, never the URI object kept elsewhere.
        self._qr: Text | None = qr_text(created.provisioning_uri)
        self._secret = grouped_secret(created.provisioning_uri)

    def compose(self) -> ComposeResult:
        # Scrolls on a terminal too small for it (a browser window, a login of more than
        # 30 characters at 80x24: SHORT_WINDOW_ROWS).
        with VerticalScroll(id="enrolment-box"), Horizontal(id="enrolment-body"):
            yield Static(self._qr or "", id="enrolment-qr", markup=False)
            with Vertical(id="enrolment-side"):
                yield Static(self.headline, classes="modal-title", markup=False)
                yield Static(
                    "Faites scanner ce QR code maintenant par l'application "
                    "d'authentification de l'opérateur (FreeOTP, Aegis, Google "
                    "Authenticator…) : il ne sera plus affiché.",
                    classes="modal-hint",
                )
                yield Static(
                    f"Ou saisie manuelle de la clé : {self._secret}",
                    id="enrolment-secret",
                    markup=False,
                )
                with Horizontal(classes="modal-buttons"):
                    yield Button("Enregistré, fermer", id="enrolment-close", variant="success")

    def start_in(self) -> None:
        # The button is focused without being scrolled to (on_mount): on a small
        # terminal the code to scan stays in view.
        return None

    def on_mount(self) -> None:
        self.query_one("#enrolment-close", Button).focus(scroll_visible=False)

    @on(Button.Pressed, "#enrolment-close")
    def action_close(self) -> None:
        self._qr, self._secret = None, ""
        self.query_one("#enrolment-qr", Static).update("")
        self.query_one("#enrolment-secret", Static).update("")
        self.dismiss(None)
