"""The journal's integrity, for supervisors: the whole chain checked with a progress bar,
then either « intègre » or the first entry that fails and why, and the latest signed
checkpoint held up against the journal (its size, date, key, and whether the journal
still holds exactly the entries it signed), and every other checkpoint the journal
mentions or the base holds (a rewrite before the latest, a checkpoint deleted).

When the check names an entry (the first that fails, else the first set aside from the
queue), Entrée, or a click on the result, opens it in the review's entry window, with
why it does not check above what it says.

An auditor does the same from a shell with ``csu audit verify --checkpoint FILE
--public-key KEY``, with the checkpoint file they were handed.
"""

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import ProgressBar, Static
from textual.worker import Worker, WorkerState

from csu.domain.clock import to_paris
from csu.domain.numbers import french_number
from csu.screens.base import CsuScreen
from csu.services.audit import QueueHealth, describe_backlog, queue_health
from csu.services.checkpoints import (
    CheckpointView,
    IntegrityReport,
    check_integrity,
    entries_count,
)
from csu.widgets.footer import KeysFooter
from csu.widgets.shell_header import ShellHeader


def result_text(report: IntegrityReport) -> Text:
    check = report.check
    count = _checked(check.count)
    if check.ok and not report.ok:  # the chain alone cannot tell a rewrite or a truncation
        but = (
            "le journal ne contient plus ce que le dernier point de contrôle a signé : voir "
            "ci-dessous" if report.problem is not None else "le journal n'est pas conforme"
        )
        text = Text(f"Chaîne intègre ({count}), mais {but}.", style="bold red")
    elif check.ok:
        return Text(f"Journal intègre : {count}.", style="bold green")
    else:
        text = Text("Journal altéré", style="bold red")
        text.append(f" — première entrée en défaut : n° {check.failed_seq} : {check.reason}.")
        text.append(f"\n{_checked(check.count)} avant elle.")
    for finding in report.findings():
        end = "" if finding.endswith((".", "?", "!")) else "."  # « sans passer par CSU ? »
        text.append(f"\n• {finding[:1].upper()}{finding[1:]}{end}")
    return text


def queue_text(health: QueueHealth) -> Text:
    """What waits to be chained (PostgreSQL's queue), and what is wrong with it."""
    said = describe_backlog(health.backlog)
    text = Text(f"File d'attente : {said}.", style="" if health.ok else "bold red")
    for problem in health.problems:
        text.append(f"\n• {problem[:1].upper()}{problem[1:]}.")
    return text


def entry_to_open(report: IntegrityReport) -> tuple[int, str] | None:
    """The entry the check names and why it does not check: the first that fails the
    chain, else the first set aside from the queue; None when it names none."""
    check = report.check
    if not check.ok and check.failed_seq is not None:
        return check.failed_seq, f"première entrée en défaut : {check.reason}"
    if report.set_aside:
        first = report.set_aside[0]
        return first.seq, first.describe()
    return None


def _checked(count: int) -> str:
    """« 30 028 entrées vérifiées », « 1 entrée vérifiée » (not « 1 entrée vérifiées »)."""
    return f"{entries_count(count)} vérifiée" + ("s" if count > 1 else "")


def checkpoint_text(report: IntegrityReport) -> Text:
    view: CheckpointView | None = report.checkpoint
    if view is None and report.journalled:
        return Text(
            f"Aucun point de contrôle en base, alors que le journal en mentionne "
            f"{french_number(report.journalled)} : suppression suspecte. Ne signez pas avant "
            "d'avoir compris pourquoi.",
            style="bold red",
        )
    if view is None and report.key_without_checkpoint:
        # Given the cell's public key, a base without any is what a journal cut back to
        # before its first checkpoint leaves: not « rien d'anormal » unless none was
        # ever signed.
        return Text(
            "Aucun point de contrôle signé en base, alors que la clé publique de la cellule "
            "est configurée. Si aucun n'a encore été signé (début du scrutin), faites-en "
            "signer un (« csu audit checkpoint ») ; sinon, la base a perdu les siens : "
            "vérifiez le journal avec la note sauvegardée (« csu audit verify "
            "--checkpoint »).",
            style="bold yellow",
        )
    if view is None:
        return Text(
            "Aucun point de contrôle signé : le journal n'est pas encore certifié hors de "
            "la base (rien d'anormal au début du scrutin). Demandez à l'administrateur d'en "
            "signer un (« csu audit checkpoint »), ou de donner au terminal une clé "
            "(CSU_CHECKPOINT_KEY_FILE) pour qu'il en signe régulièrement."
        )
    text = Text("Dernier point de contrôle signé\n", style="bold")
    text.append(
        f"  {entries_count(view.size)}, signé le {to_paris(view.created_at):%d/%m/%Y à %H:%M} "
        f"par {view.created_by}\n"
        f"  Clé « {view.key_name} » ({view.key_id}), origine {view.origin}\n"
        f"  Signature : {view.signature}\n"
        "  Journal : "
    )
    if report.problem is None:
        text.append("conforme (les entrées signées sont toutes là, inchangées)", style="green")
    else:
        text.append(f"non conforme : {report.problem}", style="bold red")
    return text


class IntegrityScreen(CsuScreen[None]):
    """Checks the journal when opened, and again on F5."""

    DEFAULT_CSS = """
    IntegrityScreen #integrity-title { text-style: bold; padding: 0 1; }
    IntegrityScreen #integrity-status { padding: 0 1; color: $text-muted; }
    IntegrityScreen #integrity-progress { margin: 1 1; }
    IntegrityScreen #integrity-result { padding: 0 1 1 1; }
    IntegrityScreen #integrity-checkpoint { padding: 0 1; }
    """

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Retour", id="integrity-back"),
        Binding("f5", "check", "Vérifier à nouveau", id="integrity-check"),
        # Shown only once a check names an entry (check_action).
        Binding("enter", "open_entry", "Ouvrir l'entrée en défaut", id="integrity-open"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.report: IntegrityReport | None = None  # the last check's, None during one

    def compose(self) -> ComposeResult:
        yield ShellHeader(self.app.clock)
        yield Static("Intégrité du journal", id="integrity-title", markup=False)
        yield Static("", id="integrity-status", markup=False)
        yield ProgressBar(id="integrity-progress", show_eta=False)
        yield Static("", id="integrity-result", markup=False)
        yield Static("", id="integrity-checkpoint", markup=False)
        yield KeysFooter()

    def on_mount(self) -> None:
        self.action_check()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "open_entry":
            return self.report is not None and entry_to_open(self.report) is not None
        return True

    def action_check(self) -> None:
        if any(w.group == "integrity" and w.is_running for w in self.workers):
            return  # one check at a time: F5 during a check waits for it
        self.report = None
        self.refresh_bindings()
        self.query_one("#integrity-status", Static).update(
            "Vérification de chaque entrée du journal en cours…"
        )
        self.query_one("#integrity-progress", ProgressBar).update(total=None, progress=0)
        self.query_one("#integrity-result", Static).update("")
        self.run_check()

    @work(thread=True, exclusive=True, group="integrity", exit_on_error=False)
    def run_check(self) -> None:
        who = self.app.operator
        if who is None:
            return
        # As ``csu audit verify``: first chain what waits (PostgreSQL), so that what
        # still waits after is stuck; F8 said nothing of the queue.
        health = queue_health(self.app.deps, who)
        report = check_integrity(
            self.app.deps, who, self.app.checkpoint_verifier, progress=self._progress
        )
        postgresql = self.app.deps.engine.dialect.name == "postgresql"
        self.app.call_from_thread(self._show, report, health if postgresql or not health.ok
                                  else None)  # fmt: skip

    def _progress(self, done: int, total: int) -> None:
        """Called from the checking threads: the bar is updated on the app's."""
        self.app.call_from_thread(self._advance, done, total)

    def _advance(self, done: int, total: int) -> None:
        if self.is_attached:
            self.query_one("#integrity-progress", ProgressBar).update(total=total, progress=done)

    def _show(self, report: IntegrityReport, health: QueueHealth | None = None) -> None:
        bar = self.query_one("#integrity-progress", ProgressBar)
        bar.update(total=max(report.check.count, 1), progress=max(report.check.count, 1))
        self.report = report
        named = entry_to_open(report)
        opens = f" Entrée : ouvrir l'entrée n° {named[0]}." if named is not None else ""
        self.query_one("#integrity-status", Static).update(
            f"Vérification terminée. F5 : vérifier à nouveau.{opens}"
        )
        result = result_text(report)
        if health is not None:
            result.append("\n")
            result.append_text(queue_text(health))
        self.query_one("#integrity-result", Static).update(result)
        self.query_one("#integrity-checkpoint", Static).update(checkpoint_text(report))
        self.refresh_bindings()

    def action_open_entry(self) -> None:
        """The entry the check names, in the review's window, with why it fails."""
        from csu.screens.journal_entry import JournalEntryScreen

        named = entry_to_open(self.report) if self.report is not None else None
        if named is not None:
            self.app.push_screen(JournalEntryScreen(named[0], fault=named[1]))

    @on(events.Click, "#integrity-result")
    def _result_clicked(self) -> None:
        if self.check_action("open_entry", ()):
            self.action_open_entry()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR and event.worker.group == "integrity":
            self.query_one("#integrity-status", Static).update(
                "La vérification n'a pas abouti. F5 : réessayer."
            )
