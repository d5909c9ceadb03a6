"""What every CSU screen and window shares, written once.

- ``app`` typed as :class:`CsuApp` (and ``csu``, its older name);
- :meth:`session` for workers: the store and the operator, or :class:`SessionEnded`
  when the operator logged out meanwhile (the worker then ends quietly);
- worker failures handled in one place: a refusal of a service shows as a French
  notification (``CsuApp.on_worker_state_changed``), and every end of a worker posts a
  typed message (:class:`WorkDone`, :class:`WorkFailed`) that screens and tests observe;
- in a window that names its refusal line (``CsuModal.REFUSAL_LINE``), a refusal of
  its action said there too, until the field at fault, marked and with the cursor, is
  edited (the notice goes after seconds);
- ``busy``: set by :meth:`begin` before a worker is started from a button, cleared when
  a worker of the screen ends, so that a double press sends nothing twice;
- the header (:class:`ShellHeader`) filled with who works where and the election in
  focus, when the screen has one;
- the footer (:class:`KeysFooter`) of the screen in front only: each window has its own,
  with the keys that work in it.
"""

import re
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, cast

from textual import on
from textual.binding import Binding, BindingsMap
from textual.events import Key, Mount, ScreenResume
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import Input, Select, Static, TextArea
from textual.worker import Worker, WorkerState

from csu.domain.errors import InvalidValue
from csu.services.context import ServiceError
from csu.widgets.footer import KeysFooter, keep_notifications_above

if TYPE_CHECKING:
    from textual.widget import Widget

    from csu.app import CsuApp
    from csu.domain.election import ElectionDefinition
    from csu.services.context import Deps, OperatorContext

ResultT = TypeVar("ResultT")
FINISHED = (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED)


class SessionEnded(ServiceError):
    """The operator left (logout, idle lock) while a worker ran: nothing to show."""

    def __init__(self) -> None:
        super().__init__("Session terminée.")


class WorkDone(Message):
    """A worker of the screen ended well: ``group`` names it, ``result`` is what it
    returned."""

    bubble = False  # for the screen whose worker it was

    def __init__(self, group: str, result: object) -> None:
        super().__init__()
        self.group = group
        self.result = result


class WorkFailed(Message):
    """A worker of the screen failed: ``error`` is the exception (a refusal, whose
    French text the operator read, when ``refused``)."""

    bubble = False

    def __init__(self, group: str, error: BaseException | None) -> None:
        super().__init__()
        self.group = group
        self.error = error

    @property
    def refused(self) -> bool:
        """A refusal (of a service, or of a value typed), not a fault."""
        return isinstance(self.error, ServiceError | InvalidValue)


# The screens' styles (beside app.tcss, which the login screen needs alone): Textual
# reads a screen's CSS_PATH once, when the first screen naming it opens, so parsing them
# (~9 ms) is not part of the first frame. Both kinds of screen name it.
SCREENS_CSS = Path(__file__).parent.parent / "screens.tcss"
# Rows below which a window's fields and buttons take a row each instead of three (its
# breakpoint class « -short » or « -compact », screens.tcss): at 80x24 the verification
# window showed one field of five, at 100x30 three. Below SHORT_WINDOW_ROWS (« -short »)
# some windows thin their frames further (the credential shown once, the enrolment code,
# the closing of an intervention).
COMPACT_WINDOW_ROWS = 36  # the login form's too (csu.screens.login.SHORT)
SHORT_WINDOW_ROWS = 28
CSSPaths = str | PurePath | list[str | PurePath]  # what Textual accepts in CSS_PATH


# Keys a browser keeps for itself (ctrl+n opens a window, ctrl+w closes the tab): a page
# under csu serve never receives them. There, screens bind and name these twins instead.
BROWSER_KEYS = {"ctrl+n": "alt+n", "ctrl+w": "alt+w"}
_BROWSER_KEY_WORDS = re.compile(r"(?<![\w+])(?:ctrl\+n|ctrl\+w)(?![\w+])")


def in_browser(bindings: Iterable[Binding]) -> list[Binding]:
    """The bindings as a browser's page offers them: one on a key the browser keeps takes
    its twin's key (its label and its place in the footer with it), and the twin bound
    to that key for the same action, shown nowhere until then, goes."""
    found = list(bindings)
    moved = {(BROWSER_KEYS[b.key], b.action) for b in found if b.key in BROWSER_KEYS}
    return [
        replace(binding, key=BROWSER_KEYS[binding.key]) if binding.key in BROWSER_KEYS else binding
        for binding in found
        if (binding.key, binding.action) not in moved
    ]


def bound_key(app: Any, bindings: Iterable[Binding], action: str) -> str:
    """The key ``bindings`` bind to ``action`` now in ``app``, as a word (the keymap
    applied as Textual applies it and, in a browser, its twin key), for a text that names
    it; "" when none does. A key the footer shows comes first: ctrl+w, not the hidden
    alt+w that the browser needs."""
    listed = list(bindings)
    bound = BindingsMap(in_browser(listed) if getattr(app, "is_web", False) else listed)
    bound.apply_keymap(getattr(app, "_keymap", {}))
    found = [(key, binding) for key, binding in bound if binding.action == action]
    found.sort(key=lambda pair: not pair[1].show)  # stable: the bindings' order otherwise
    return key_name(found[0][0]) if found else ""


def browser_words(text: str) -> str:
    """A sentence that names keys, as a browser's page must say it: « alt+n » for
    « ctrl+n », « alt+w » for « ctrl+w »."""
    return _BROWSER_KEY_WORDS.sub(lambda found: BROWSER_KEYS[found.group(0)], text)


class _CsuBase:
    """The shared part; mixed in front of ``Screen`` or ``ModalScreen``."""

    busy: bool = False
    _resumed: bool = False
    QUIET_GROUPS: tuple[str, ...] = ()
    """Worker groups whose failures are not shown (a poll that runs again shortly)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        node = cast("Screen[Any]", self)
        try:
            web = node.app.is_web
        except RuntimeError:  # built outside a running app (a unit test of a screen)
            web = False
        if web:
            # Its footer, F1 and every sentence from key_for name alt+n, not ctrl+n.
            node._bindings = BindingsMap(in_browser(binding for _, binding in node._bindings))

    if TYPE_CHECKING:

        @property
        def app(self) -> "CsuApp": ...

        def post_message(self, message: Message) -> bool: ...

    @property
    def csu(self) -> "CsuApp":
        return self.app

    def _on_screen_resume(self, event: ScreenResume) -> None:
        # Runs before Screen's own handler (the mixin comes first in the MRO). Textual
        # restyles the whole screen on each resume, to catch up with what changed while
        # it was hidden; on the first, as it opens, its widgets were styled a moment ago
        # as they mounted (a class or focus changed since restyles its own nodes). That
        # restyle was about 2 % of a Pilot test's CPU (2.9 of 145 s under the profiler).
        if not self._resumed:
            self._resumed = True
            event.refresh_styles = False
        self._show_footer(True)

    def _on_screen_suspend(self) -> None:
        # A window opened above shows its own footer: this one, on more lines maybe,
        # showed its keys above the window's, and they do nothing while it is open.
        self._show_footer(False)

    def _show_footer(self, shown: bool) -> None:
        for footer in cast("Screen[Any]", self).query(KeysFooter):
            footer.visible = shown

    @property
    def role(self) -> str:
        """The operator's role ("" when nobody is logged in)."""
        who = self.app.operator
        return who.role if who is not None else ""

    def session(self) -> "tuple[Deps, OperatorContext]":
        """For workers: the store and the operator. Raises :class:`SessionEnded` when
        nobody is logged in any more (the worker ends without a message to show)."""
        who = self.app.operator
        if who is None:
            raise SessionEnded()
        return self.app.deps, who

    def begin(self) -> bool:
        """Marks the screen busy before a worker starts; False if it already is."""
        if self.busy:
            return False
        self.busy = True
        return True

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # Worker messages do not bubble: the app shows a refusal in French, once.
        if event.state not in FINISHED:
            return
        self.busy = False
        worker: Worker[Any] = event.worker
        if event.state is WorkerState.SUCCESS:
            self.post_message(WorkDone(worker.group, worker.result))
            return
        if event.state is not WorkerState.ERROR or isinstance(worker.error, SessionEnded):
            return  # cancelled (a fresher one replaced it), or the operator left
        if worker.group in self.QUIET_GROUPS:
            return
        self.app.on_worker_state_changed(event)
        self.post_message(WorkFailed(worker.group, worker.error))

    def own_election(self) -> "ElectionDefinition | None":
        """The election this screen's header shows instead of the operator's default one
        (a voter's messages, the dashboard's choice); None: the operator's."""
        return None

    def fill_header(self) -> None:
        """Who works where, and the election in focus, in the screen's header."""
        from csu.widgets.shell_header import ShellHeader

        for header in cast("Screen[Any]", self).query(ShellHeader):
            header.who = self.app.who_forms
            header.election = self.own_election() or self.app.election


# The toasts of a screen under a window are not drawn: the window shows them, and they
# showed twice, the screen's seen through the window's translucent background.
# Over a window, the newest toast alone: stacked at the top of an 80×24 terminal, two
# reached the verification window's first field (« Date de naissance »).
UNDER_WINDOW_CSS = """
ToastRack.-under-window ToastHolder { display: none; }
ToastRack.-over-window ToastHolder { display: none; }
ToastRack.-over-window ToastHolder:last-of-type { display: block; }
ToastRack.-over-secret ToastHolder:last-of-type { display: none; }
"""


class CsuScreen(_CsuBase, Screen[ResultT]):
    """A full screen of CSU."""

    CSS_PATH: ClassVar[CSSPaths | None] = SCREENS_CSS
    DEFAULT_CSS = UNDER_WINDOW_CSS

    def _on_mount(self, event: Mount) -> None:
        # Textual calls this beside Screen's own and the subclass's ``on_mount``.
        self.fill_header()

    if TYPE_CHECKING:  # Textual's own property at run time: it is read on every render

        @property
        def app(self) -> "CsuApp": ...  # type: ignore[override]


# The titles of a refusal's notice: a value to correct, or an action the rules refuse
# (not « Refusé », the word of an intervention's outcome).
SAID_WRONG = "Saisie à corriger"
NOT_DONE = "Action refusée"

STILL_RUNNING = "Opération en cours : la fenêtre se fermera d'elle-même avec son résultat."


def not_done(what: str, error: BaseException | None) -> str:
    """What a window says when its action failed: « Rôle inchangé — <the service's
    refusal> », or « … : réessayez. » for a failure that is no refusal (never its text,
    which may be a driver's, in English)."""
    if isinstance(error, ServiceError | InvalidValue):
        return f"{what} — {error}"
    return f"{what} : réessayez."


class CsuModal(_CsuBase, ModalScreen[ResultT]):
    """A window of CSU, opened above a screen; returns its value by ``dismiss``.

    It opens on its title with the cursor in :meth:`start_in`'s widget (by default its
    first field), in view: Textual centred the field it focused as a window opened,
    before the window was laid out, when every field seems out of view. At 80x24 a
    window taller than the terminal opened scrolled, its title and first lines above its
    top (« Nouvelle intervention », « Clore l'intervention »). Here a widget focused
    before it is laid out is focused in place, and scrolled to once laid out only if it
    is out of view (:meth:`set_focus`, :meth:`bring_into_view`)."""

    CSS_PATH: ClassVar[CSSPaths | None] = SCREENS_CSS
    DEFAULT_CSS = UNDER_WINDOW_CSS  # a window under another
    VERTICAL_BREAKPOINTS = [
        (0, "-short"), (SHORT_WINDOW_ROWS, "-compact"), (COMPACT_WINDOW_ROWS, "-tall"),
    ]
    # Not Textual's auto focus, which runs as the window is composed, before its
    # ``on_mount`` shows or hides its fields: ``start_in`` is focused after it.
    AUTO_FOCUS = ""
    SHOWS_SECRET: ClassVar[bool] = False
    """A window that shows a secret once (a credential to read out, a QR code to scan):
    no notice is drawn over it (csu.widgets.footer), neither those on screen as it opens
    (an earlier refusal sat over a key for seconds) nor those raised while it is open;
    they are kept, not deleted (a president's in-person request among them), and those
    not yet expired show again when it closes. It says what it has to say in itself."""

    UNDONE: ClassVar[str] = ""
    """What a window closed with nothing done leaves undone, said as it closes (« Rien n'a
    été délivré. »): Tab then Entrée, a habit of another window, pressed « Annuler » and
    the window went without a word."""

    REFUSAL_LINE: ClassVar[str] = ""
    """The selector of the window's line (a ``Static``, class ``modal-message``) where a
    refusal of its action is said, headed by ``NOT_DONE_WHAT``, until the operator edits
    the field at fault: the app's notice says it too, but goes after seconds, and then
    nothing in « Nouvelle intervention » said what was wrong with the number typed
    (newcomer run). "" for a window that says it its own way."""

    NOT_DONE_WHAT: ClassVar[str] = ""
    """What a refusal left undone, heading it in ``REFUSAL_LINE`` (« Intervention non
    ouverte — Téléphone : … », :func:`not_done`); "": the refusal alone."""

    FIELDS_AT_FAULT: ClassVar[dict[str, str]] = {}
    """The window's field (a selector) that a refusal naming a field (``InvalidValue.
    field``, « Téléphone ») is about: marked (class ``-at-fault``, screens.tcss), the
    cursor put in it."""

    _refusal: str = ""
    """What ``REFUSAL_LINE`` says now ("" when nothing)."""
    _at_fault: "Widget | None" = None

    def dismiss_undone(self) -> None:
        """Closes the window with nothing done, saying so where ``UNDONE`` does. Not while
        its action runs: the service may still commit it (a key issued, never shown), and
        « Rien n'a été délivré » would then be false; the window closes with the result."""
        if self.busy:
            self.app.notify(STILL_RUNNING, title="Patientez", timeout=4)
            return
        if self.UNDONE:
            self.app.notify(self.UNDONE, title="Fenêtre fermée", timeout=4)
        self.dismiss(None)

    def _extend_compose(self, widgets: "list[Widget]") -> None:
        # Every window has a footer of its own, with its keys: Textual runs only the
        # window's bindings and its fields' while it is open, not the screen's below nor
        # the app's (F1, ctrl+q), which the footer below offered to no effect.
        super()._extend_compose(widgets)
        if not any(isinstance(widget, KeysFooter) for widget in widgets):
            widgets.append(KeysFooter())

    def _on_mount(self, event: Mount) -> None:
        # Its notifications stay above its footer (csu.widgets.footer).
        stack = self.app.screen_stack
        keep_notifications_above(stack if self in stack else [*stack, self])
        # Runs after the window's own on_mount (Textual calls the subclass's first).
        start = self.start_in()
        if start is not None:
            start.focus()

    def start_in(self) -> "Widget | None":
        """The widget the cursor is in as the window opens, once its ``on_mount`` has
        shown or hidden its fields: by default the first shown that takes the cursor, in
        the order of ``compose`` (Textual's focus chain orders by position, unknown
        before the layout); None for a window that places the cursor itself."""
        for widget in self.query("*"):
            shown = (node.display for node in widget.ancestors_with_self)
            if widget.focusable and all(shown):
                return widget
        return None

    def set_focus(
        self, widget: "Widget | None", scroll_visible: bool = True, from_app_focus: bool = False
    ) -> None:
        """Textual's, except for a widget not laid out yet (the window opening, a field
        just mounted): Textual takes it for out of view and centres it at once, which
        scrolled a window taller than the terminal past its title. It is focused in
        place, and scrolled to once laid out only if it is out of view."""
        if scroll_visible and widget is not None and not widget.outer_size:
            super().set_focus(widget, scroll_visible=False, from_app_focus=from_app_focus)
            self.call_after_refresh(self.bring_into_view, widget)
            return
        super().set_focus(widget, scroll_visible, from_app_focus)

    def bring_into_view(self, widget: "Widget") -> None:
        """Scrolls the window to ``widget`` if it is not wholly in view and still has the
        cursor: as little as it takes (a field below the view comes up to its bottom),
        so that the title stays in view whenever the field fits below it."""
        if self.focused is widget and not self.can_view_entire(widget):
            widget.scroll_visible(animate=False)

    def field_at_fault(self, error: BaseException | None) -> "Widget | None":
        """The field a refusal is about, shown in the window, or None: by default the one
        ``FIELDS_AT_FAULT`` gives for the field it names."""
        name = getattr(error, "field", None)
        selector = self.FIELDS_AT_FAULT.get(name) if isinstance(name, str) else None
        found = self.query(selector) if selector else None
        field = found.first() if found else None
        if field is None or not all(node.display for node in field.ancestors_with_self):
            return None
        return field

    def say_refused(self, text: str, at_fault: "Widget | None" = None) -> None:
        """Says ``text`` in ``REFUSAL_LINE`` until ``at_fault`` (or, if None, any field)
        is edited; ``at_fault`` is marked, and gets the cursor."""
        if not self.REFUSAL_LINE:
            return
        self.clear_refusal()
        line = self.query_one(self.REFUSAL_LINE, Static)
        line.update(text)
        line.display = True
        self._refusal = text
        if at_fault is not None:
            self._at_fault = at_fault
            at_fault.add_class("-at-fault")
            at_fault.focus()
        # The line and the field, in view (below a short terminal's fold otherwise).
        self.call_after_refresh(self._refusal_in_view, line, at_fault)

    def _refusal_in_view(self, line: Static, at_fault: "Widget | None") -> None:
        if line.is_mounted and line.display:
            line.scroll_visible(animate=False, immediate=True)
        if at_fault is not None:
            self.bring_into_view(at_fault)

    def clear_refusal(self) -> None:
        """Takes back what :meth:`say_refused` said, and the mark of its field."""
        at_fault, self._at_fault = self._at_fault, None
        if at_fault is not None:
            at_fault.remove_class("-at-fault")
        said, self._refusal = self._refusal, ""
        if said and self.REFUSAL_LINE:
            line = self.query_one(self.REFUSAL_LINE, Static)
            if str(line.content) == said:  # not a sentence the window put there since
                line.update("")
                line.display = False

    @on(WorkFailed)
    def _say_failure(self, failed: WorkFailed) -> None:
        # After the window's own handlers (Textual runs a subclass's first).
        if not self.REFUSAL_LINE:
            return
        error = failed.error
        if self.NOT_DONE_WHAT:
            text = not_done(self.NOT_DONE_WHAT, error)
        else:
            text = str(error) if failed.refused else "L'action n'a pas abouti : réessayez."
        self.say_refused(text, self.field_at_fault(error) if failed.refused else None)

    @on(WorkDone)
    def _done_well(self) -> None:
        self.clear_refusal()

    @on(Input.Changed)
    @on(TextArea.Changed)
    @on(Select.Changed)
    def _edited(self, event: Input.Changed | TextArea.Changed | Select.Changed) -> None:
        """The field at fault edited (any field, for a refusal that named none), or a
        choice changed, which changes what the window asks: the refusal is taken back."""
        if not self._refusal and self._at_fault is None:
            return
        at_fault = self._at_fault
        if at_fault is None or event.control is at_fault or isinstance(event, Select.Changed):
            self.clear_refusal()

    def finish(self, result: ResultT) -> None:
        """Dismisses with ``result``, for a worker's ``call_from_thread``: ``dismiss``
        returns an awaitable, which the worker would wait for while the window,
        closing, cancels it."""
        self.dismiss(result)

    if TYPE_CHECKING:  # Textual's own property at run time: it is read on every render

        @property
        def app(self) -> "CsuApp": ...  # type: ignore[override]


KEY_WORDS = {
    "escape": "Échap",
    "enter": "Entrée",
    "down": "↓",
    "up": "↑",
    "tab": "Tab",
    "shift+tab": "Maj+Tab",
    "space": "Espace",
    "delete": "Suppr",
}


def key_name(key: str) -> str:
    """A key as the README writes it: « ctrl+n », « Échap », « Entrée », « F7 »."""
    first = key.split(",")[0].strip()
    if first in KEY_WORDS:
        return KEY_WORDS[first]
    if len(first) in (2, 3) and first.startswith("f") and first[1:].isdigit():
        return first.upper()
    return first


class Explained:
    """For screens whose actions stay in the footer, greyed, when they cannot be done:
    ``refusal_for`` says why, and a key press of a greyed (or hidden) action shows it
    instead of doing nothing."""

    def refusal_for(self, action: str) -> str | None:
        """Why ``action`` cannot be done now, or None."""
        return None

    def key_for(self, action: str) -> str:
        """The key bound to ``action`` on this screen (after the keymap), as a word."""
        screen = cast("Screen[Any]", self)
        for namespace, bindings in screen._binding_chain:
            if namespace is not screen:
                continue
            for key, binding in bindings:
                if binding.action == action:
                    return key_name(key)
        return ""

    def on_key(self, event: Key) -> None:
        screen = cast("Screen[Any]", self)
        if screen.app.screen is not screen:
            return
        for namespace, bindings in screen._binding_chain:
            if namespace is not screen:
                continue
            for binding in bindings.key_to_bindings.get(event.key, ()):
                reason = self.refusal_for(binding.action)
                if reason is not None:
                    event.stop()
                    event.prevent_default()
                    screen.notify(reason, title=binding.description, severity="warning")
                    return
