"""The Textual application: a login, then the screens of the operator's role."""

import asyncio
import contextlib
import importlib
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from textual import events, messages, work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingsMap, Keymap
from textual.message import Message
from textual.notifications import Notification
from textual.worker import Worker, WorkerState

from csu.domain.clock import Clock, system_clock
from csu.domain.errors import InvalidValue
from csu.domain.plural import counted
from csu.domain.roles import MESSAGE_READERS, ROLE_LABELS
from csu.screens.base import NOT_DONE, SAID_WRONG
from csu.screens.commands import CsuCommands
from csu.services.context import (
    SESSION_REFUSALS,
    Deps,
    OperatorContext,
    ServiceError,
    SessionClosed,
)
from csu.terminal_input import NOT_UTF8, tolerate_bytes_not_utf8
from csu.widgets import (
    french_bindings,  # noqa: F401  (Textual's shown keys in French)
    french_wrap,  # noqa: F401  (« : » kept on its word's line)
)
from csu.widgets.footer import keep_notifications_above

if TYPE_CHECKING:
    from textual.notifications import SeverityLevel
    from textual.screen import Screen

    from csu.delivery import Message
    from csu.domain.checkpoint import NoteVerifier
    from csu.domain.election import ElectionDefinition
    from csu.screens.voter import VoterScreen
    from csu.services.checkpoints import CheckpointPolicy
    from csu.services.interventions import OpenIntervention
    from csu.startup import Workplace

IDLE_MINUTES = 15
# In a browser (csu serve): minutes at the login screen without a key press before the
# session ends, so an abandoned tab does not hold one of the server's sessions.
LOGIN_MINUTES = 5
REVEAL_SECONDS = 30  # how long a value a supervisor revealed stays in the voter file
OUTBOX_SECONDS = 30
# How often the terminal looks whether a signed checkpoint is due (key configured).
CHECKPOINT_SECONDS = 60
ALERTS_SECONDS = 30  # how often supervisors' sessions look for new alerts
ALERTS_SHOWN = 3  # more new alerts at once are notified as one count
# The terminal sending bytes that are not UTF-8 is said at most this often (each key
# typed in a terminal set to Latin-1 would say it again).
NOT_UTF8_SECONDS = 60
T = TypeVar("T")
PRESENCE_SECONDS = 2  # how often a president's session looks for new in-person requests:
# the agent and the person at the desk wait on it (5 s felt long), and the look is one
# read of the bureau's few waiting requests, by index
# How often a session looks whether it is still its operator's live one (account still
# active, same role and bureau, no later login elsewhere): one point read each time.
SESSION_SECONDS = 3
PRESENCE_NOTICE_SECONDS = 30  # how long the notice of new in-person requests shows
# How long a message the demo sent shows, as the voter receives it: time to read the code.
DEMO_MESSAGE_SECONDS = 60
PRESENCE_TITLE = "Vérification en personne"
# How long a worker waits for the store being opened before giving up.
STORE_WAIT_SECONDS = 60
# « Clore l'intervention d'abord » from a screen other than the voter's file: how long
# the file reopened may take to read before its closing window opens.
REOPEN_SECONDS = 10
# What ends the terminal's session as « Quitter quand même » does, without a question:
# the terminal closed (SIGHUP: its window, tmux kill-session, an ssh connection lost)
# and a stop asked (SIGTERM: shutdown, kill).
ENDING_SIGNALS = (signal.SIGHUP, signal.SIGTERM)
SUPERVISION_ROLES = ("superviseur", "admin")
# The supervisor's desk: name -> (module in csu.screens, screen class, roles allowed).
DESK_SCREENS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "journal": ("journal", "JournalScreen", SUPERVISION_ROLES),
    "integrity": ("integrity", "IntegrityScreen", SUPERVISION_ROLES),
    "dashboard": ("dashboard", "DashboardScreen", SUPERVISION_ROLES),
    "alerts": ("alerts", "AlertsScreen", SUPERVISION_ROLES),
    "escalations": ("escalations", "EscalationsScreen", ("superviseur",)),
    # Every voter's messages (a voter file's F6 gives that voter's).
    "outbox": ("outbox", "OutboxScreen", MESSAGE_READERS),
    "operators": ("operators", "OperatorsScreen", ("admin",)),
    # S5: the substitution requests waiting for a supervisor's decision (the dashboard's
    # « s », the palette).
    "approvals": ("approvals", "ApprovalsScreen", ("superviseur",)),
    # S2: the in-person checks agents ask of a president (not the supervisor's desk,
    # but opened and guarded the same way).
    "presence": ("presence_requests", "PresenceRequestsScreen", ("president",)),
}


def _is_desk(screen: object) -> bool:
    """Whether ``screen`` is one of ``DESK_SCREENS`` (by its module and class name: the
    modules are imported only when a desk screen is first opened)."""
    kind = type(screen)
    return any(
        kind.__module__ == f"csu.screens.{module}" and kind.__name__ == name
        for module, name, _ in DESK_SCREENS.values()
    )


class InputNotUtf8(Message):
    """The terminal sent bytes that are not UTF-8 (posted from the driver's thread)."""


class CsuApp(App[None]):
    """CSU électeurs. Built by ``csu run`` (csu.cli) or by tests with a test store."""

    CSS_PATH = "app.tcss"
    TITLE = "CSU électeurs"
    # CSU's own commands only, in French: Textual's system commands (Screenshot would
    # save an unjournalled image of a voter file; Keys, Quit, Theme… are in English).
    COMMANDS = {CsuCommands}
    BINDINGS = [
        Binding("f1", "help", "Aide", id="help"),
        Binding("ctrl+t", "toggle_dark", "Thème clair/sombre", id="theme", show=False),
        Binding("f2", "desk('journal')", "Journal", id="desk-journal"),
        Binding("f3", "desk('dashboard')", "Tableau de bord", id="desk-dashboard"),
        Binding("f4", "desk('alerts')", "Alertes", id="desk-alerts"),
        Binding("f10", "desk('escalations')", "Escalades", id="desk-escalations"),
        # A supervisor found the failed deliveries only in the palette.
        Binding("f6", "desk('outbox')", "Messages", id="desk-outbox"),
        Binding("f8", "desk('integrity')", "Intégrité", id="desk-integrity"),
        Binding("f9", "desk('operators')", "Opérateurs", id="desk-operators"),
        Binding("ctrl+g", "desk('presence')", "Vérifications en personne", id="desk-presence"),
        Binding("ctrl+o", "logout", "Déconnexion", id="logout"),
        Binding("ctrl+q", "quit", "Quitter", id="quit"),
    ]

    def __init__(
        self,
        deps: Deps | None = None,
        workstation: str = "",
        *,
        idle_minutes: float = IDLE_MINUTES,
        keymap: dict[str, str] | None = None,
        opener: "Callable[[], Workplace] | None" = None,
        reveal_seconds: float = REVEAL_SECONDS,
    ) -> None:
        """Either ``deps`` of an open store (tests, benchmarks), or an ``opener`` that
        opens it in a worker once the login screen is drawn (``csu run``)."""
        super().__init__()
        # Before the first frame: a theme set on mount restyles every widget again.
        self.theme = "textual-dark"
        self._deps = deps
        self._opener = opener
        self._store_ready = threading.Event()
        self._store_error: ServiceError | None = None
        self._opening = False
        if deps is not None:
            self._store_ready.set()
        self.clock: Clock = deps.clock if deps is not None else system_clock
        self.workstation = workstation
        self.idle_seconds = idle_minutes * 60
        self.login_idle_seconds: float = LOGIN_MINUTES * 60
        self.reveal_seconds = reveal_seconds
        self.operator: OperatorContext | None = None
        self.operator_name = ""
        self.election: ElectionDefinition | None = None
        self._last_activity = time.monotonic()
        self._login_since = self._last_activity
        self.terminal_fd: int | None = None  # the terminal's keys, watched for a hang-up
        # Signed checkpoints: the policy when this workstation holds the key.
        self.checkpoints: CheckpointPolicy | None = None
        self.checkpoint_verifier: NoteVerifier | None = None
        self._alerts_notified: set[str] = set()  # alert keys notified in this session
        # When the session began: alerts older than it are summed up in one line.
        self._alerts_since: datetime | None = None
        # In-person requests: those the president's queue listed (seen), those the one
        # notice of new requests counts, and that notice while it shows.
        self._presence_listed: set[str] = set()
        self._presence_told: frozenset[str] = frozenset()
        self._presence_notice: Notification | None = None
        # The demo's messages shown, each with the screen on top when it arrived.
        self._demo_notices: dict[str, tuple[Notification, Screen[Any]]] = {}
        self._not_utf8_said_at: float | None = None
        self._ending = False  # a signal asked the app to end
        self._desk_keys = self._desk_keys_in({})
        if keymap:
            self.set_keymap(keymap)
        self.show_demo_messages()

    def run(self, *, headless: bool = False, inline: bool = False, **options: Any) -> None:
        """Runs in the terminal (or a browser's session), whose bytes that are not UTF-8
        show as « � » instead of ending the app (csu.terminal_input). Returns what the
        app exited with, as Textual's does (the snapshots' SVG)."""
        if not headless and not inline:
            tolerate_bytes_not_utf8(self.driver_class, self._input_not_utf8)
        return super().run(headless=headless, inline=inline, **options)

    def _input_not_utf8(self) -> None:
        self.post_message(InputNotUtf8())  # from the driver's thread: thread-safe

    def on_input_not_utf8(self, _: InputNotUtf8) -> None:
        now = time.monotonic()
        if self._not_utf8_said_at is None or now - self._not_utf8_said_at >= NOT_UTF8_SECONDS:
            self._not_utf8_said_at = now
            self.notify(NOT_UTF8, title="Encodage du terminal", severity="warning", timeout=15)

    @property
    def deps(self) -> Deps:
        """The store, for workers: waits while it is being opened."""
        if not self._store_ready.wait(STORE_WAIT_SECONDS):
            raise ServiceError("La base de données ne répond pas : réessayez dans un instant.")
        if self._store_error is not None:
            raise self._store_error
        assert self._deps is not None
        return self._deps

    # --- the store, opened after the first frame -----------------------------------

    @classmethod
    def at(cls, workplace: "Workplace") -> "CsuApp":
        """The app on a store already opened (``csu run`` through the full CLI)."""
        app = cls(
            workplace.deps,
            workplace.workstation,
            idle_minutes=workplace.idle_minutes,
            keymap=workplace.keymap,
            reveal_seconds=workplace.reveal_seconds,
        )
        app.checkpoints = workplace.checkpoints
        app.checkpoint_verifier = workplace.checkpoint_verifier
        app.login_idle_seconds = workplace.login_minutes * 60
        return app

    def open_store_once_drawn(self) -> None:
        """Called by the login screen once it is on screen: opening the store imports
        SQLAlchemy and the rest, which would otherwise delay the first frame."""
        if self._opener is not None and self._deps is None and not self._opening:
            self._opening = True
            self.open_store()

    @work(thread=True, group="store", exit_on_error=False)
    def open_store(self) -> None:
        """Opens the store; if it cannot, the app ends with the French reason, as a
        command would (exit status 1)."""
        assert self._opener is not None
        try:
            workplace = self._opener()
        except Exception as error:
            reason = str(error) if isinstance(error, ServiceError) else repr(error)
            self._store_error = ServiceError(reason)
            self._store_ready.set()
            self.call_from_thread(self.exit, return_code=1, message=f"Erreur : {reason}")
            return
        self._deps = workplace.deps
        self._store_ready.set()
        self.call_from_thread(self._settle, workplace)

    def _settle(self, workplace: "Workplace") -> None:
        self.workstation = workplace.workstation
        self.idle_seconds = workplace.idle_minutes * 60
        self.login_idle_seconds = workplace.login_minutes * 60
        self.reveal_seconds = workplace.reveal_seconds
        self.checkpoints = workplace.checkpoints
        self.checkpoint_verifier = workplace.checkpoint_verifier
        if workplace.keymap:
            self.set_keymap(workplace.keymap)
        self.show_demo_messages()
        from csu.widgets.shell_header import ShellHeader

        for header in self.screen.query(ShellHeader):
            header.who = self.who_forms

    def show_demo_messages(self) -> None:
        """On the demo database, each message sent shows as the voter receives it
        (csu.delivery.demo_phone): the code to type back is on screen, not in a file."""
        from csu.delivery.demo_phone import DemoPhone

        delivery = self._deps.delivery if self._deps is not None else None
        if isinstance(delivery, DemoPhone):
            delivery.show = self._demo_message_received

    def _demo_message_received(self, message: "Message") -> None:
        """From the thread that sent it (a worker's, or this one's)."""
        from csu.delivery.demo_phone import as_received

        title, text = as_received(message)
        if threading.get_ident() == self._thread_id:
            self._show_demo_message(title, text)
        else:
            self.call_from_thread(self._show_demo_message, title, text)

    def _show_demo_message(self, title: str, text: str) -> None:
        """The message as a notice of the window it arrived over: it goes when that window
        closes. Kept to its minute, it showed again after a key's window (which hides
        every notice) and read as a second SMS."""
        from textual.notifications import Notification, Notify

        notice = Notification(text, title, "information", DEMO_MESSAGE_SECONDS, markup=False)
        self._demo_notices[notice.identity] = (notice, self.screen)
        self.post_message(Notify(notice))

    def _forget_demo_messages(self) -> None:
        """The demo's messages of a window closed since they arrived leave with it."""
        for identity, (notice, screen) in list(self._demo_notices.items()):
            if screen not in self.screen_stack or notice.has_expired:
                del self._demo_notices[identity]
                if notice in self._notifications:
                    self._unnotify(notice)

    # --- session ------------------------------------------------------------------

    def on_mount(self) -> None:
        in_terminal = not self.is_headless and not self.is_web
        self.terminal_fd = _terminal_input() if in_terminal else None
        if in_terminal:  # a browser's session: the web driver handles its signals
            self.end_on_signals()
        self.set_interval(5, self._check_idle)
        # Messages the transport refused are retried from any open workstation.
        self.set_interval(OUTBOX_SECONDS, self._deliver_due)
        self.set_interval(CHECKPOINT_SECONDS, self._sign_due)
        self.set_interval(ALERTS_SECONDS, self._watch_alerts)
        self.set_interval(PRESENCE_SECONDS, self._watch_presence)
        self.set_interval(SESSION_SECONDS, self._watch_session)
        # Each push, pop or switch: only the topmost window shows the notifications,
        # the screens below it show theirs again once it closes.
        self.screen_change_signal.subscribe(self, self._screen_changed)
        self.load_election()
        self.show_login()

    def _screen_changed(self, _: object) -> None:
        self._forget_demo_messages()
        keep_notifications_above(self.screen_stack)

    def show_login(self, message: str | None = None) -> None:
        from csu.screens.login import LoginScreen

        self.operator = None
        self.operator_name = ""
        self._last_activity = time.monotonic()  # the login screen's own idle time
        self._login_since = self._last_activity
        # Nothing of the session stays for the next operator: its screens (a voter file
        # and any value revealed in it) and its notifications go.
        self.clear_notifications()
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self.push_screen(LoginScreen(message))

    def logged_in(self, who: OperatorContext, name: str) -> None:
        from csu.screens.lookup import LookupScreen

        self.operator = who
        self.operator_name = name
        self._last_activity = time.monotonic()
        self._alerts_notified = set()
        self._alerts_since = self.clock()
        self._presence_listed = set()
        self._presence_told = frozenset()
        self._presence_notice = None  # show_login cleared the notifications
        self.switch_screen(LookupScreen())
        self.load_election()  # the operator's own: a president's is their bureau's
        self.resume_worker(who)

    @work(thread=True, exclusive=True, group="resume", exit_on_error=False)
    def resume_worker(self, who: OperatorContext) -> None:
        """An intervention the operator left open (a terminal that crashed mid-call, a
        session taken over from another workstation) is picked up again: its file opens."""
        from csu.services.interventions import current_intervention

        try:
            found = current_intervention(self.deps, who)
        except Exception as error:  # any: the look-up still works, the file opens by hand
            self.log.warning(f"intervention en cours non lue : {type(error).__name__}")
            return
        if found is not None:
            self.call_from_thread(self._resume, who, found)

    def _resume(self, who: OperatorContext, found: "OpenIntervention") -> None:
        from csu.screens.lookup import LookupScreen

        if who != self.operator or not isinstance(self.screen, LookupScreen):
            return  # the session ended, or the operator already went elsewhere
        self.screen.open(found.voter_id)
        self.notify(
            f"Intervention en cours reprise ({self._intervention_words(found)}) : "
            "terminez-la ici.",
            title="Intervention en cours",
            timeout=10,
        )

    @property
    def who_line(self) -> str:
        return self.who_forms[0]

    @property
    def who_forms(self) -> tuple[str, ...]:
        """Who works where (« name — role (bureau) — poste X »), then the same without
        the workstation, for a header too narrow for both."""
        where = f"poste {self.workstation}" if self.workstation else ""
        if self.operator is None:
            who = ["CSU électeurs", "non connecté"]
            at = 1
            where = self.workstation
        else:
            role = ROLE_LABELS.get(self.operator.role, self.operator.role)
            bureau = f" ({self.operator.bureau})" if self.operator.bureau else ""
            who = [self.operator_name, f"{role}{bureau}"]
            at = 2
        if not where:
            return (" — ".join(who),)
        return (" — ".join([*who[:at], where, *who[at:]]), " — ".join(who))

    def set_keymap(self, keymap: Keymap) -> None:
        super().set_keymap(keymap)
        self._desk_keys = self._desk_keys_in(keymap)

    @classmethod
    def _desk_keys_in(cls, keymap: Keymap) -> dict[str, str]:
        """Each key of a desk screen, as a workplace's keymap may set it: its name."""
        bindings = BindingsMap(cls.BINDINGS)
        bindings.apply_keymap(keymap)
        return {
            key: binding.action.removeprefix("desk('").removesuffix("')")
            for key, found in bindings.key_to_bindings.items()
            for binding in found
            if binding.action.startswith("desk(")
        }

    def on_key(self, event: events.Key) -> None:
        # A desk key is hidden from the roles it is not for (check_action), and did
        # nothing: the operator is told why, as F6 and ctrl+u tell. Unless the key is
        # another binding's where it was pressed, or a window is open (where the app's
        # keys are off for every role).
        name = self._desk_keys.get(event.key)
        who = self.operator
        if (
            name is not None
            and who is not None
            and not self.screen.is_modal
            and who.role not in DESK_SCREENS[name][2]
            and event.key not in self.screen.active_bindings
        ):
            self.action_desk(name)

    async def on_event(self, event: events.Event) -> None:
        # Any key or click counts as activity for the idle timeout.
        if isinstance(event, events.Key | events.MouseDown):
            self._last_activity = time.monotonic()
        await super().on_event(event)

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: "SeverityLevel" = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every notification as written: messages quote what operators typed and what
        the rolls hold (« Martin [/] »), never styles (``markup`` is ignored: widgets
        pass Textual's default along)."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    def _check_idle(self) -> None:
        if self.terminal_fd is not None and not os.isatty(self.terminal_fd):
            # The terminal was closed, and this process, not its session's leader (csu
            # run started by make), got no SIGHUP: the session ends as ctrl+q ends it.
            self.terminal_fd = None
            self.call_next(self.quit_now)
            return
        idle = time.monotonic() - self._last_activity
        if self.operator is not None and idle > self.idle_seconds:
            self.end_session("Session fermée après inactivité. Reconnectez-vous.")
        elif (
            self.operator is None
            and self.is_web
            and time.monotonic() - self._login_since > self.login_idle_seconds
        ):
            # csu serve closes the page's session and frees its place. Counted from when
            # the login screen showed, not the last key: a key every half-minute kept a
            # stranger's sessions open for ever, twenty of them holding every place.
            self.exit()

    def end_session(self, message: str | None = None) -> None:
        if self.operator is not None:
            self.close_credential_displays()
            self.log_out_worker(self.operator)
        self.show_login(message)

    def close_credential_displays(self) -> None:
        """A credential still on screen as the session ends closes as « Fermer sans
        confirmer » closes it once confirmed (its question, if open, goes first): nothing
        is journalled, the credential stays active (another is issued if the voter could
        not note it), the value leaves the screen. One whose read-out is being
        journalled is left to finish."""
        from csu.screens.credential import CredentialShownScreen

        screen = self.screen
        below = self.screen_stack[-2] if len(self.screen_stack) > 1 else None
        if isinstance(below, CredentialShownScreen) and below.question is screen:
            self.pop_screen()  # « Fermer sans confirmer ? » asked above it: it goes first
            screen = below
        if isinstance(screen, CredentialShownScreen) and not self._reading_out(screen):
            screen._close_unconfirmed()

    def _reading_out(self, screen: "Screen[Any]") -> "list[Worker[Any]]":
        """The read-out of ``screen`` being journalled (« Lu à l'appelant » pressed)."""
        return [
            worker
            for worker in self.workers
            if worker.node is screen and worker.group == "read-out" and not worker.is_finished
        ]

    async def leave(self) -> None:
        """Ends the operator's session for good, whichever way the app ends (ctrl+q, the
        browser's page gone, a signal): once, as a logout ends it. A read-out being
        journalled is written first, and a credential left on screen closes
        unconfirmed; then the logout is journalled, an open intervention closed as
        abandonné. A logout already under way (idle, ctrl+o) is waited for, not redone."""
        if self.operator is not None:
            await _finished(self._reading_out(self.screen))
            self.close_credential_displays()
        who, self.operator = self.operator, None
        if who is not None:
            from csu.services.auth import log_out

            try:
                await asyncio.to_thread(log_out, self.deps, who)
            except Exception as error:  # the app still ends; the reason goes to the log
                self.log.error(repr(error))
        await _finished([worker for worker in self.workers if worker.group == "session"])

    def _quietly(self, what: str, look: Callable[[], T]) -> T | None:
        """A look the app takes on its own, every few seconds (the outbox, checkpoints,
        alerts, a president's requests): a store out of reach is not the operator's
        doing, and said at each look it was « Erreur inattendue » every 2 s. Logged;
        looked at again at the next tick, and the operator's own next action says what
        is wrong. Any other error is told, as before (a bug must not go unseen)."""
        from csu.startup import out_of_reach

        try:
            return look()
        except Exception as error:
            if not out_of_reach(error):
                raise
            self.log.warning(f"{what} : base injoignable ({type(error).__name__})")
            return None

    def _deliver_due(self) -> None:
        if self.operator is not None and self._deps is not None:
            self.deliver_due_worker(self.operator)

    @work(thread=True, exclusive=True, group="outbox", exit_on_error=False)
    def deliver_due_worker(self, who: OperatorContext) -> None:
        from csu.services.outbox import deliver_due

        self._quietly("file d'envoi non traitée", lambda: deliver_due(self.deps, who.actor))

    def _sign_due(self) -> None:
        # Signed with or without an operator logged in: the key belongs to the cell.
        if self.checkpoints is not None and self._deps is not None:
            self.sign_due_worker(self.checkpoints)

    @work(thread=True, exclusive=True, group="checkpoint", exit_on_error=False)
    def sign_due_worker(self, policy: "CheckpointPolicy") -> None:
        from csu.services.checkpoints import CheckpointRefused, sign_due_checkpoint

        try:
            self._quietly(
                "point de contrôle non signé",
                lambda: sign_due_checkpoint(self.deps, policy, self.workstation),
            )
        except CheckpointRefused as refused:  # journalled; a supervisor here is told
            self.call_from_thread(self._checkpoint_refused, str(refused))

    def _checkpoint_refused(self, reason: str) -> None:
        """The journal no longer checks, so no checkpoint was signed: a supervisor or
        admin logged in here reads why at once (the refusal is journalled)."""
        if self.operator is not None and self.operator.role in SUPERVISION_ROLES:
            self.notify(reason, title="Point de contrôle", severity="error", timeout=30)

    def _watch_alerts(self) -> None:
        if (
            self.operator is not None
            and self.operator.role in SUPERVISION_ROLES
            and self._deps is not None
        ):
            self.watch_alerts_worker(self.operator)

    @work(thread=True, exclusive=True, group="alerts", exit_on_error=False)
    def watch_alerts_worker(self, who: OperatorContext) -> None:
        from csu.services.alerts import current_alerts

        found = self._quietly("alertes non lues", lambda: current_alerts(self.deps, who))
        if found is not None:
            self.call_from_thread(self._notify_alerts, who, found)

    def _notify_alerts(self, who: OperatorContext, found: list[Any]) -> None:
        """Each alert once per session, naming no voter (F4 lists them)."""
        if who != self.operator:
            return  # the session ended meanwhile
        new = [alert for alert in reversed(found) if alert.key not in self._alerts_notified]
        self._alerts_notified.update(alert.key for alert in new)
        since = self._alerts_since
        older = [alert for alert in new if since is not None and alert.at < since]
        if len(older) > 1:  # there before the login: one short line, not a toast each
            self.notify(
                f"{counted(len(older), 'alerte')} en cours : F4 pour les voir.",
                title="Alertes",
                severity="warning",
                timeout=6,
            )
            new = [alert for alert in new if alert not in older]
        if len(new) > ALERTS_SHOWN:  # one line rather than a screenful
            self.notify(
                f"{counted(len(new), 'nouvelle alerte', 'nouvelles alertes')} : F4 pour "
                "les voir.",
                title="Alertes",
                severity="warning",
                timeout=15,
            )
            return
        for alert in new:  # oldest first: the newest ends on top
            self.notify(
                f"{alert.title} (F4 : alertes)",
                title=f"Alerte — {alert.kind_label}",
                severity="warning",
                timeout=15,
            )

    def _watch_presence(self) -> None:
        if self.operator is not None and self.operator.role == "president" and self._deps:
            self.watch_presence_worker(self.operator)

    @work(thread=True, exclusive=True, group="presence", exit_on_error=False)
    def watch_presence_worker(self, who: OperatorContext) -> None:
        from csu.services.presence import waiting_presence_checks

        found = self._quietly(
            "demandes en personne non lues", lambda: waiting_presence_checks(self.deps, who)
        )
        if found is not None:
            self.call_from_thread(self._notify_presence, who, found)

    def _notify_presence(self, who: OperatorContext, found: list[str]) -> None:
        """One notice, naming no voter (ctrl+g lists them), of the requests an agent
        sent this president that are still waiting and that the queue has not listed."""
        if who != self.operator:
            return  # the session ended meanwhile
        self._tell_presence(frozenset(found) - self._presence_listed)

    def presence_listed(self, ids: Iterable[str]) -> None:
        """The president's queue (ctrl+g) showed these requests, all those waiting: no
        notice counts them any more, nor any request decided or expired since."""
        self._presence_listed.update(ids)
        self._tell_presence(frozenset())

    def _tell_presence(self, unseen: frozenset[str]) -> None:
        """Keeps the notice counting ``unseen``: raised afresh when a request arrives,
        its count lowered while it shows (a request the agent closed or that expired),
        withdrawn when none is left. The count of a notice already gone is not raised
        again."""
        if unseen == self._presence_told:
            return
        notice, self._presence_notice = self._presence_notice, None
        showing = notice is not None and notice in self._notifications and not notice.has_expired
        if notice is not None:
            self._unnotify(notice)
        arrived = bool(unseen - self._presence_told)
        self._presence_told = unseen
        if not unseen or not (arrived or showing):
            return
        count = len(unseen)
        words = counted(count, "nouvelle demande", "nouvelles demandes")
        timeout = PRESENCE_NOTICE_SECONDS if arrived or notice is None else notice.time_left
        self._presence_notice = Notification(
            f"{words} de vérification en personne d'un agent : ctrl+g pour attester la "
            "pièce d'identité.",
            title=PRESENCE_TITLE,
            severity="warning",
            timeout=timeout,
            markup=False,  # as every notification (notify)
        )
        # Shown at once, as notify's message would a moment later: so that it can be
        # withdrawn whenever the queue lists the requests, even in the same moment.
        self._notifications.add(self._presence_notice)
        self._refresh_notifications()

    def _watch_session(self) -> None:
        if self.operator is not None and self._deps is not None:
            self.watch_session_worker(self.operator)

    @work(thread=True, exclusive=True, group="liveness", exit_on_error=False)
    def watch_session_worker(self, who: OperatorContext) -> None:
        from csu.services.auth import session_ended

        try:
            reason = session_ended(self.deps, who)
        except Exception as error:  # any: a store out of reach is not the operator's doing
            # Looked at again in SESSION_SECONDS: no notice every 3 s while it lasts (the
            # operator's own next action says it, and a refused session ends then).
            self.log.warning(f"session non vérifiée : {type(error).__name__}")
            return
        if reason is not None:
            self.call_from_thread(self._session_revoked, who, reason)

    def _session_revoked(self, who: OperatorContext, reason: str) -> None:
        """The session is no longer its operator's live one (account disabled, role or
        bureau changed, authenticator reset, a login on another workstation): it ends
        as a logout ends it, and the login screen says why."""
        if who != self.operator:
            return  # the session ended meanwhile
        self.end_session(SESSION_REFUSALS[reason])

    @work(thread=True, group="session", exit_on_error=False)
    def log_out_worker(self, who: OperatorContext) -> None:
        from csu.services.auth import log_out

        log_out(self.deps, who)

    @work(thread=True, group="election", exit_on_error=False)
    def load_election(self) -> None:
        deps = self.deps  # first: waits for the store before importing what uses it
        from csu.services.elections import election_in_focus, operator_election

        who = self.operator
        election = operator_election(deps, who) if who is not None else election_in_focus(deps)
        self.call_from_thread(self._set_election, election)

    def _set_election(self, election: "ElectionDefinition | None") -> None:
        """The operator's default election, in the header of the screens that do not
        follow a voter's (the voter file shows the election of the voter in focus)."""
        self.election = election
        from csu.widgets.shell_header import ShellHeader

        screen = self.screen
        fill = getattr(screen, "fill_header", None)
        if fill is not None:
            fill()  # the screen's own election, if it shows one, else this one
            return
        for header in screen.query(ShellHeader):
            header.election = election

    # --- actions ----------------------------------------------------------------

    def action_lookup(self) -> None:
        from csu.screens.lookup import LookupScreen

        if self.operator is not None:
            while len(self.screen_stack) > 1:
                self.pop_screen()
            if not isinstance(self.screen, LookupScreen):
                self.switch_screen(LookupScreen())

    def action_approvals(self) -> None:
        """The supervisors' queue of substitution requests waiting for a decision."""
        self.action_desk("approvals")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # The desk's keys appear in the footer only for the roles that may use them.
        if action == "desk" and parameters:
            entry = DESK_SCREENS.get(str(parameters[0]))
            return bool(entry and self.operator and self.operator.role in entry[2])
        if action == "logout":
            # Nobody to log out at the login screen: hidden there (footer and F1 help).
            return self.operator is not None
        return True

    def action_desk(self, name: str) -> None:
        """Opens one screen of the supervisor's desk (``DESK_SCREENS``) for the roles
        allowed to see it; others are told, not ignored."""
        if self.operator is None:
            return
        module_name, class_name, roles = DESK_SCREENS[name]
        if self.operator.role not in roles:
            from csu.domain.labels import ROLE_PLURALS

            *others, last = [ROLE_PLURALS[role] for role in roles]
            allowed = f"{', aux '.join(others)} et aux {last}" if others else last
            self.notify(f"Écran réservé aux {allowed}.", title="Accès refusé", severity="warning")
            return
        try:  # each desk screen a module of its own: the app starts without any of them
            module = importlib.import_module(f"csu.screens.{module_name}")
        except ImportError:
            self.notify("Écran indisponible.", title="Erreur", severity="warning")
            return
        screen_class = getattr(module, class_name)
        if isinstance(self.screen, screen_class):
            return
        desk = next((s for s in self.screen_stack if _is_desk(s)), None)
        if desk is None:
            self.push_screen(screen_class())
            return
        # One desk screen in place of another, what was opened over it closed (an
        # intervention's timeline): Escape goes back to where the desk was entered from,
        # not through every screen seen since (F3, F2, i, F8…: a newcomer's Escape went
        # back to a timeline, and the matricule typed next opened a journal entry).
        while self.screen is not desk:
            self.pop_screen()
        if not isinstance(desk, screen_class):
            self.switch_screen(screen_class())

    def action_help(self) -> None:
        from csu.screens.help import HelpScreen

        self.push_screen(HelpScreen(self.screen))

    def action_logout(self) -> None:
        """ctrl+o: as ctrl+q, the operator is asked first when an intervention is open
        (logging out closes it as abandonné); without one, at once."""
        from csu.screens.dialogs import QuitScreen

        who = self.operator
        if who is not None and not isinstance(self.screen, QuitScreen):
            self.ask_before_quitting(who, logout=True)

    async def action_quit(self) -> None:
        """ctrl+q (and the palette's « Quitter »): quitting ends the session as logging
        out does, the journal records it and an intervention left open is closed as
        abandonné. With one open, the operator is asked first (:class:`QuitScreen`):
        quitting anyway, or closing it with its outcome; without one, at once."""
        from csu.screens.dialogs import QuitScreen

        who = self.operator
        if who is None:
            await self.quit_now()
        elif not isinstance(self.screen, QuitScreen):  # ctrl+q again: already asked
            self.ask_before_quitting(who)

    async def quit_now(self) -> None:
        """Ends the session and the app, without a question (« Quitter quand même »,
        the terminal gone, a signal)."""
        await self.leave()
        self.exit()

    @work(thread=True, exclusive=True, group="quit", exit_on_error=False)
    def ask_before_quitting(self, who: OperatorContext, *, logout: bool = False) -> None:
        from csu.services.interventions import current_intervention

        try:
            found = current_intervention(self.deps, who)
        except Exception as error:  # the store is gone: quitting must still work
            self.log.error(repr(error))
            found = None
        self.call_from_thread(self._ask_before_quitting, who, found, logout)

    async def _ask_before_quitting(
        self, who: OperatorContext, found: "OpenIntervention | None", logout: bool
    ) -> None:
        from csu.screens.dialogs import QuitScreen

        if who != self.operator or isinstance(self.screen, QuitScreen):
            return  # the session ended meanwhile, or ctrl+q pressed twice
        if found is None:
            await self._leave_now(logout)
            return
        self.push_screen(
            QuitScreen(self._intervention_words(found), logout=logout),
            lambda answer: self._after_quit_question(answer, found, logout),
        )

    async def _leave_now(self, logout: bool) -> None:
        if not logout:
            await self.quit_now()
        elif self.operator is not None:
            self.end_session("Déconnecté.")

    def _intervention_words(self, found: "OpenIntervention") -> str:
        """The open intervention as the operator knows it: its channel, when it opened,
        and its voter when their file is open."""
        from csu.domain.clock import to_paris
        from csu.screens.voter import VoterScreen

        said = f"{found.channel_label}, ouverte à {to_paris(found.opened_at):%H:%M}"
        for screen in self.screen_stack:
            file = screen.file if isinstance(screen, VoterScreen) else None
            if file is not None and file.voter_id == found.voter_id:
                said += f", électeur {file.first_name} {file.last_name} ({file.matricule})"
                break
        return said

    def _after_quit_question(
        self, answer: str | None, found: "OpenIntervention", logout: bool = False
    ) -> None:
        from csu.screens.dialogs import CLOSE_FIRST, QUIT_ANYWAY

        if answer == QUIT_ANYWAY:
            self.call_next(self._leave_now, logout)
        elif answer == CLOSE_FIRST:
            self.close_first(found)

    def close_first(self, found: "OpenIntervention") -> None:
        """« Clore l'intervention d'abord »: its closing window, on its voter's file
        (reopened if the operator left it)."""
        from textual.screen import ModalScreen

        from csu.screens.voter import VoterScreen

        screen = self.screen
        if isinstance(screen, VoterScreen) and screen.voter_id == found.voter_id:
            self._close_when_shown(screen, found.id)
        elif isinstance(screen, ModalScreen):
            self.notify(
                "Terminez d'abord la fenêtre ouverte, puis clôturez l'intervention.",
                title="Clore l'intervention",
                severity="warning",
            )
        else:
            reopened = VoterScreen(found.voter_id)
            self.push_screen(reopened)
            self._close_when_shown(reopened, found.id)

    def _close_when_shown(self, screen: "VoterScreen", intervention_id: str) -> None:
        """Opens the closing window of ``intervention_id`` once ``screen`` (a voter's
        file) shows it: at once if it does, else when its reading ends."""
        deadline = time.monotonic() + REOPEN_SECONDS

        def shown() -> bool:
            current = screen.intervention
            return self.screen is screen and current is not None and current.id == intervention_id

        def look() -> None:
            if shown():
                timer.stop()
                screen.action_close_intervention()
            elif time.monotonic() > deadline or not screen.is_attached:
                timer.stop()

        if shown():
            screen.action_close_intervention()
            return
        timer = self.set_interval(0.1, look)

    def end_on_signals(self) -> None:
        """SIGHUP (the terminal closed: its window, tmux kill-session, ssh lost) and
        SIGTERM end the session as « Quitter quand même » does: the logout journalled,
        an intervention left open closed as abandonné, then the app ends, quietly
        (without them, Python's default ended the process at once: no logout, the
        intervention left open)."""
        loop = asyncio.get_running_loop()
        for number in ENDING_SIGNALS:
            loop.add_signal_handler(number, self._signalled, number)

    def _signalled(self, number: int) -> None:
        if number == signal.SIGHUP:
            # The terminal is gone: what the app would still write (its last frames,
            # the restoring of the terminal, a warning) goes nowhere instead of failing.
            _detach_output()
            self.terminal_fd = None
        if not self._ending:
            self._ending = True
            self.call_next(self.quit_now)

    async def on_exit_app(self, _: messages.ExitApp) -> None:
        """Every end of the app comes here before Textual's own handler stops it: the
        quit textual-serve sends when the page goes (tab closed, reload, network drop,
        server stopping), SIGTERM or SIGINT in a browser's session (the web driver), the
        login screen's limit, ctrl+q. Only ctrl+q ran :meth:`action_quit` before: a
        browser's session ended with no logout and its intervention left open."""
        await self.leave()

    def action_toggle_dark(self) -> None:
        self.theme = "textual-light" if self.theme == "textual-dark" else "textual-dark"

    # --- Textual's own commands, closed -------------------------------------------

    def action_command_palette(self) -> None:
        """The palette (ctrl+p), its search field in French."""
        from textual.command import CommandPalette

        if self.use_command_palette and not isinstance(self.screen, CommandPalette):
            self.push_screen(
                CommandPalette(placeholder="Rechercher une commande…", id="--command-palette")
            )

    def get_system_commands(self, screen: "Screen[Any]") -> Iterable[SystemCommand]:
        """None: the palette lists ``CsuCommands`` only (theme and quit are there, in
        French), should the system provider ever be added back."""
        return ()

    def action_help_quit(self) -> None:
        """ctrl+c (copy in a field) elsewhere says how to quit, in French."""
        logout = " (ou ctrl+o pour vous déconnecter)" if self.operator is not None else ""
        self.notify(f"Pour quitter : ctrl+q{logout}.", title="Quitter ?")

    def _no_screenshot(self) -> None:
        self.notify(
            "Capture d'écran désactivée : elle enregistrerait des données d'électeurs "
            "hors du journal.",
            title="Capture refusée",
            severity="warning",
        )

    def action_screenshot(self, filename: str | None = None, path: str | None = None) -> None:
        self._no_screenshot()

    def save_screenshot(
        self,
        filename: str | None = None,
        path: str | None = None,
        time_format: str | None = None,
    ) -> str:
        """Refused (nothing is written, the name is empty): an image of a voter file
        would leave the journal's sight. ``export_screenshot`` stays, for tests."""
        self._no_screenshot()
        return ""

    def deliver_screenshot(
        self,
        filename: str | None = None,
        path: str | None = None,
        time_format: str | None = None,
    ) -> str | None:
        self._no_screenshot()
        return None

    # --- errors of workers, in one place ------------------------------------------

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is not WorkerState.ERROR:
            return
        error: Any = event.worker.error
        if isinstance(error, SessionClosed):
            # A service refused the session: it ends now, saying why, not at the next look.
            if self.operator is not None:
                self.end_session(SESSION_REFUSALS[error.reason])
            return
        if isinstance(error, ServiceError | InvalidValue):
            # Not « Refusé », the word of an intervention's outcome: a newcomer read one
            # for the other.
            title = SAID_WRONG if isinstance(error, InvalidValue) else NOT_DONE
            self.notify(str(error), title=title, severity="warning", timeout=8)
        else:
            self.log.error(repr(error))
            self.notify(
                "Erreur inattendue : l'action n'a pas abouti. Réessayez ; si elle persiste, "
                "prévenez le superviseur.",
                title="Erreur",
                severity="error",
                timeout=12,
            )


async def _finished(workers: "Iterable[Worker[Any]]") -> None:
    """Waits for ``workers`` to end, whatever their outcome (their errors are shown or
    logged where they happen)."""
    for worker in workers:
        if not worker.is_finished:
            with contextlib.suppress(Exception):
                await worker.wait()


def _detach_output() -> None:
    """Points the process's output (Textual writes to stderr) at /dev/null: writing to
    a terminal that hung up fails, and Textual's writer thread would die of it."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
    except OSError:
        return
    for fd in (1, 2):
        with contextlib.suppress(OSError):
            os.dup2(null, fd)
    os.close(null)


def _terminal_input() -> int | None:
    """The descriptor of the terminal the app reads its keys from, if it is one."""
    stream = sys.__stdin__
    try:
        fd = stream.fileno() if stream is not None else -1
    except (OSError, ValueError):  # closed, or not a file
        return None
    return fd if fd >= 0 and os.isatty(fd) else None
