"""Issuing a credential (choose it, then show it once) and invalidating one.

The value of a new credential exists only in :class:`CredentialShownScreen`: the
service keeps a hash of it and journals its issue, never the value; this module
never logs it either.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Generic, TypeVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Select, Static

from csu.domain.clock import to_paris
from csu.domain.credential_words import words
from csu.domain.election import CREDENTIAL_LABELS
from csu.domain.masking import mask_identifier
from csu.domain.verification import presidents_own
from csu.screens.base import CsuModal
from csu.screens.dialogs import ConfirmDialog, MaterialPicker
from csu.services.credentials import (
    MAX_REASON_LENGTH,
    IssuedCredential,
    confirm_read_out,
    issue_credential,
    revoke_credential,
    verification_shortfalls,
)
from csu.services.reasons import minimum_words
from csu.services.voters import CREDENTIAL_ACTIVE, CredentialView, MaterialView
from csu.widgets.plain import NextSelect
from csu.widgets.reason_input import ReasonInput

# Spelling phrases per line on the credential screen.
SPELLING_PER_LINE = 4
HIDDEN = "•••• masqué ••••"
NEW_LABELS: dict[str, str] = {kind: words(kind).new_title for kind in CREDENTIAL_LABELS}
INVALIDATE_LABELS: dict[str, str] = {
    kind: f"Invalider {words(kind).the}" for kind in CREDENTIAL_LABELS
}
# How the value reaches the voter (:func:`way_of`): read out over the phone, handed
# over by the president who has the voter in front of them (S4, their own
# intervention), read out to a president who calls about a voter beside them (S2, the
# agent's intervention: the agent is on the phone). ``{it}`` stands for the
# credential's pronoun (« Lisez-la », « Lisez-le »).
READ_OUT_REMINDER = (
    "Confirmez la lecture avec « Lu à l'appelant », ou « Fermer sans confirmer » si "
    "l'appel a été interrompu."
)
PRESIDENT_CALLING = "president_call"
"""The way of an agent's intervention on a president's call (S2): read out by phone."""
HANDED_OVER = "president"
"""The way of a president's own intervention (S4): handed over in person."""
HANDOVER: dict[str, tuple[str, str, str]] = {
    # way: (what to do, the confirming button, the reminder)
    "phone": (
        "Lisez-{it} à l'appelant, faites-{it} répéter, puis confirmez.",
        "Lu à l'appelant",
        READ_OUT_REMINDER,
    ),
    PRESIDENT_CALLING: (
        "Lisez-{it} au président qui appelle (ou à l'électeur à ses côtés), faites-{it} "
        "répéter, puis confirmez.",
        "Lu à l'appelant",
        READ_OUT_REMINDER,
    ),
    HANDED_OVER: (
        "Remettez-{it} à l'électeur (qu'il {it} recopie lui-même), puis confirmez.",
        "Remis en main propre",
        "Confirmez la remise avec « Remis en main propre », ou « Fermer sans confirmer » "
        "si l'électeur est parti.",
    ),
    "email": (
        "Communiquez-{it} à l'électeur, faites-{it} répéter, puis confirmez.",
        "Communiqué à l'électeur",
        "Confirmez avec « Communiqué à l'électeur », ou « Fermer sans confirmer » si "
        "l'échange a été interrompu.",
    ),
}


def way_of(channel: str, operator_login: str | None, president_login: str | None) -> str:
    """How the value reaches the voter in an intervention of ``channel``: in person
    only in the president's own intervention (its operator is its president, S4); an
    agent's intervention on a president's call (S2) reads it out over the phone, the
    agent never sees the voter."""
    if channel != HANDED_OVER:
        return channel
    if presidents_own(operator_login, president_login):
        return HANDED_OVER
    return PRESIDENT_CALLING


def handover(channel: str) -> tuple[str, str, str]:
    return HANDOVER.get(channel, HANDOVER["phone"])


def shown_hint(kind: str, channel: str) -> str:
    """What to do with the value shown once, agreeing with the credential."""
    said = words(kind)
    todo = handover(channel)[0].format(it=said.it)
    return f"{todo} {said.pick('Il', 'Elle')} ne sera plus jamais affiché{said.e}."


def display_ended(kind: str) -> str:
    """The countdown's last word, once the value is masked."""
    said = words(kind)
    if_it = said.pick("S'il", "Si elle")
    return (
        f"Affichage terminé : {said.the} n'est plus visible. "
        f"{if_it} n'a pas été noté{said.e}, délivrez-en {said.a_new}."
    )


def issue_hint(kind: str | None) -> str:
    """The issue window's warning: the active credential of the kind goes."""
    said = words(kind or "")
    current = said.pick("actuel", "actuelle")
    return (
        f"{said.the_capitalised} {current} sera invalidé{said.e} et remplacé{said.e} ; "
        f"{said.pick('le nouveau', 'la nouvelle')} ne s'affichera qu'une fois."
    )


def unconfirmed(kind: str, channel: str) -> tuple[str, str]:
    """The warning when the window closes without confirming: (title, message)."""
    said = words(kind)
    way = "Remise" if channel == HANDED_OVER else "Lecture"
    return (
        f"{said.name} non confirmé{said.e}",
        f"{way} non confirmée : rien n'a été journalisé comme communiqué. {said.the_capitalised} "
        f"délivré{said.e} reste {said.pick('actif', 'active')} ; délivrez-en {said.a_new} si "
        f"l'électeur n'a pas pu {said.it} noter.",
    )


def close_question(kind: str) -> tuple[str, str, str, str]:
    """What « Fermer sans confirmer » asks first: (title, message, yes, no). Tab then
    Entrée pressed it, and the value was gone for good, the old one already invalid."""
    said = words(kind)
    # « Revenir au mot de passe », « Revenir à la clé de sécurité », « à l'identifiant ».
    back = f"au {said.label}" if said.the.startswith("le ") else f"à {said.the}"
    old = said.pick("l'ancien", "l'ancienne")
    return (
        "Fermer sans confirmer ?",
        f"{said.the_capitalised} ne sera plus jamais affiché{said.e}, et {old} ne fonctionne "
        f"déjà plus. Si l'électeur ne l'a pas noté{said.e}, il faudra lui en délivrer "
        f"{said.a_new}.",
        "Fermer sans confirmer",
        f"Revenir {back}",
    )


def confirmed(kind: str, channel: str, *, after_display: bool) -> tuple[str, str]:
    """What the operator is told once the read-out is journalled: (title, message)."""
    said = words(kind)
    way = "Remise" if channel == HANDED_OVER else "Lecture"
    if not after_display:
        return f"{said.name} délivré{said.e}", f"{way} confirmée (journalisée)."
    return (
        f"{said.name} délivré{said.e}",
        f"{way} confirmée après la fin de l'affichage : le journal l'indique. Si "
        f"l'électeur n'a pas pu noter {said.the}, délivrez-en {said.a_new}.",
    )


def revoked(kind: str) -> str:
    """Once the credential is invalidated."""
    said = words(kind)
    return f"{said.name} invalidé{said.e} (journalisé{said.e})."


def spelling_lines(spelling: Sequence[str], per_line: int = SPELLING_PER_LINE) -> list[str]:
    """The spelling of a value, a few characters per line: « K comme Kléber · 7 chiffre sept ».
    Each character's phrase is held together by no-break spaces, and to the « · » after
    it: a line too long for the window breaks between phrases, never « n / minuscule
    comme Nicolas », nor before a « · » that would start a line as a character of its own."""
    held = [phrase.replace(" ", "\u00a0") for phrase in spelling]
    return [
        "\u00a0· ".join(held[start : start + per_line])
        for start in range(0, len(held), per_line)
    ]


ResultT = TypeVar("ResultT")


class _MaterialAndKind(CsuModal[ResultT], Generic[ResultT]):
    """The part of the issue and revoke modals that picks a material and a kind. When
    there is nothing to pick, the window says so and offers no action.

    Both start on their first choice (the material, or the kind), not on the reason of
    an invalidation: what is issued or invalidated is chosen before anything is typed."""

    TITLES: dict[str, str] = {}
    GENERIC_TITLE = ""

    def __init__(
        self,
        intervention_id: str,
        materials: Sequence[MaterialView],
        kinds: Sequence[str],
        *,
        channel: str = "phone",
        president_login: str | None = None,
        preferred: str | None = None,
    ) -> None:
        """``president_login``: the intervention's president (S2, S4), who alone hands
        a value over in person. ``preferred``: the kind chosen first (the one the
        procedure followed issues), if the window offers it."""
        super().__init__()
        self.intervention_id = intervention_id
        self.materials = list(materials)
        self.kinds = list(kinds)
        self.channel = channel
        self.president_login = president_login
        self.preferred = preferred if preferred in self.kinds else None

    @property
    def possible(self) -> bool:
        return bool(self.materials and self.kinds)

    def title_for(self, kind: object) -> str:
        """The title names the credential: « Nouvelle clé de sécurité »."""
        return self.TITLES.get(str(kind), self.GENERIC_TITLE)

    def title_widget(self) -> Static:
        kind = self.kinds[0] if len(self.kinds) == 1 else None
        return Static(
            self.title_for(kind), classes="modal-title", id="credential-title", markup=False
        )

    @on(Select.Changed, "#credential-kind")
    def _kind_changed(self, event: Select.Changed) -> None:
        self.query_one("#credential-title", Static).update(self.title_for(event.value))
        self.kind_changed(event.value if isinstance(event.value, str) else None)

    def kind_changed(self, kind: str | None) -> None:
        """Another kind was chosen: a window whose words agree with it redraws them."""

    def choose(self) -> ComposeResult:
        yield MaterialPicker(self.materials, select_id="credential-material")
        if len(self.kinds) > 1:
            yield Label("Code d'accès")  # as the voter file's table names them
            yield NextSelect(
                [(CREDENTIAL_LABELS.get(k, k).capitalize(), k) for k in self.kinds],
                id="credential-kind",
                allow_blank=False,
                value=self.preferred or self.kinds[0],
            )
        elif self.kinds:
            yield Static(
                f"Code d'accès : {CREDENTIAL_LABELS.get(self.kinds[0], self.kinds[0])}",
                markup=False,
            )
        else:
            yield Static(
                "Ce scrutin ne prévoit aucun code que vous puissiez délivrer ou invalider : "
                "fermez cette fenêtre (Échap) ; s'il en prévoit, le matériel de substitution "
                "(F7) remplace un matériel perdu.",
                id="credential-none",
                markup=False,
            )

    def chosen(self) -> tuple[int, str] | None:
        material = self.query_one(MaterialPicker).material_id
        if len(self.kinds) > 1:
            kind = self.query_one("#credential-kind", Select).value
        else:
            kind = self.kinds[0] if self.kinds else None
        if not isinstance(material, int) or not isinstance(kind, str):
            return None
        return material, kind

    def action_cancel(self) -> None:
        if self.possible:
            self.dismiss_undone()
        else:  # « Fermer »: there was nothing to do
            self.dismiss(None)


class CredentialShownScreen(CsuModal[bool]):
    """The new credential, shown once: label, material, the value in groups, its
    spelling, and a countdown of ``display_seconds`` after which the value is hidden.

    "Lu à l'appelant" (``#read-out``; « Remis en main propre » in the president's own
    intervention: ``channel`` is the way of :func:`way_of`) journals the read-out and
    returns True; pressed once the value was masked, it is still accepted
    (read in time, pressed late) but the entry and the notification say so.
    Escape does not close this screen: it only reminds the operator to confirm.
    "Fermer sans confirmer" (``#close-unconfirmed``) asks first (:func:`close_question`,
    « Revenir à la clé » focused); confirmed, it returns False without calling any
    service and warns that the read-out was not confirmed (the credential stays
    active: issue another one if the caller could not note it). The value cannot be
    shown again in either case.
    """

    BINDINGS = [Binding("escape", "remind", "Fermer : confirmez d'abord", id="credential-escape")]
    SHOWS_SECRET = True

    TICK_SECONDS = 1.0
    """One countdown step (tests shorten it)."""

    remaining: reactive[int] = reactive(0, init=False)

    def __init__(
        self, issued: IssuedCredential, intervention_id: str, channel: str = "phone"
    ) -> None:
        super().__init__()
        self.intervention_id = intervention_id
        self.channel = channel
        self.credential_id = issued.credential_id
        self.kind = issued.kind
        self.title_text = NEW_LABELS.get(issued.kind, f"Nouveau code : {issued.label}")
        self.material_identifier = mask_identifier(issued.material_identifier)
        self.display_seconds = issued.display_seconds
        # Only what the screen shows: the raw value is not kept.
        self._display = issued.display
        self._spelling = spelling_lines(issued.spelling)
        self._timer: Timer | None = None
        # « Fermer sans confirmer ? » while it is open (the session's end closes it too).
        self.question: ConfirmDialog | None = None

    @property
    def hidden(self) -> bool:
        return not self._display

    def compose(self) -> ComposeResult:
        with Vertical(id="credential-box", classes="modal-box"):
            yield Static(
                f"{self.title_text} — matériel {self.material_identifier}",
                classes="modal-title",
                markup=False,
            )
            yield Static(
                shown_hint(self.kind, self.channel),
                classes="modal-hint",
                id="credential-hint",
                markup=False,
            )
            yield Static(self._display, id="credential-value", markup=False)
            yield Static("\n".join(self._spelling), id="credential-spelling", markup=False)
            yield Static(id="credential-countdown", markup=False)
            with Horizontal(classes="modal-buttons"):
                yield Button(handover(self.channel)[1], id="read-out", variant="success")
                yield Button("Fermer sans confirmer", id="close-unconfirmed", variant="error")

    def start_in(self) -> Button:
        return self.query_one("#read-out", Button)

    def on_mount(self) -> None:
        if self.display_seconds <= 0:
            self.watch_remaining(0)
            return
        self.remaining = self.display_seconds
        self._timer = self.set_interval(self.TICK_SECONDS, self._tick)

    def _tick(self) -> None:
        if self.remaining > 0:
            self.remaining -= 1

    def watch_remaining(self, remaining: int) -> None:
        countdown = self.query_one("#credential-countdown", Static)
        if remaining > 0:
            countdown.update(f"Affiché encore {remaining} s")
            return
        self.hide_value()
        countdown.update(display_ended(self.kind))

    def hide_value(self) -> None:
        self._display = ""
        self._spelling = []
        if self._timer is not None:
            self._timer.stop()
        self.query_one("#credential-value", Static).update(HIDDEN)
        self.query_one("#credential-spelling", Static).update("")

    def action_remind(self) -> None:
        """In the window, in place of its hint: a notice would cover the value."""
        hint = self.query_one("#credential-hint", Static)
        hint.update(handover(self.channel)[2])
        hint.add_class("-reminder")

    @on(Button.Pressed, "#read-out")
    def _read_out(self) -> None:
        if self.begin():
            # Whether the value was still shown when the operator pressed: the screen
            # alone knows it, the journal records it.
            self.confirm(after_display=self.hidden)

    @work(thread=True, exclusive=True, group="read-out", exit_on_error=False)
    def confirm(self, *, after_display: bool) -> None:
        deps, who = self.session()
        confirm_read_out(
            deps, who, self.intervention_id, self.credential_id, after_display=after_display
        )
        self.app.call_from_thread(self._confirmed, after_display)

    def _confirmed(self, after_display: bool) -> None:
        self.hide_value()
        title, message = confirmed(self.kind, self.channel, after_display=after_display)
        self.app.notify(
            message,
            title=title,
            severity="warning" if after_display else "information",
            timeout=12 if after_display else None,
        )
        self.dismiss(True)

    @on(Button.Pressed, "#close-unconfirmed")
    def _ask_before_closing(self) -> None:
        """Asks first, the safe answer (back to the value) focused: the value would be
        gone for good (Tab then Entrée pressed this button by habit)."""
        if self.busy:
            return  # the read-out is being journalled: the window closes with it
        title, message, yes, no = close_question(self.kind)
        self.question = ConfirmDialog(title, message, yes=yes, no=no)
        self.app.push_screen(self.question, self._after_question)

    def _after_question(self, close: bool | None) -> None:
        self.question = None
        if close:
            self._close_unconfirmed()
        else:
            self.query_one("#read-out", Button).focus()

    def _close_unconfirmed(self) -> None:
        """Closes without confirming, without asking (the answer given, or the session
        ending: csu.app)."""
        self.hide_value()
        title, message = unconfirmed(self.kind, self.channel)
        self.app.notify(message, title=title, severity="warning", timeout=12)
        self.dismiss(False)


class IssueScreen(_MaterialAndKind[CredentialShownScreen | None]):
    """Which material, which kind; issues it and returns the
    :class:`CredentialShownScreen` to push, which alone holds the value: the value is
    never carried in a message or a result that a debug log could print."""

    UNDONE = "Rien n'a été délivré."
    BINDINGS = [
        Binding("escape", "cancel", "Annuler", id="issue-cancel"),
        # Entrée with no field nor button in focus (a window with nothing to choose).
        Binding("enter", "deliver", "Délivrer", id="issue-deliver", show=False),
    ]
    TITLES = NEW_LABELS
    GENERIC_TITLE = "Délivrer un nouveau code"

    def start_in(self) -> Widget | None:
        # The cursor in the first choice; with nothing to choose (a president's password,
        # one material), in no field: « Tab, Entrée », the agent's way through the
        # choice, then reaches « Délivrer » here too (it pressed « Annuler »).
        if self.query(Select):
            return super().start_in()
        return None

    def action_deliver(self) -> None:
        if self.possible:
            self._submit()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # (material, kind) -> why the verification made does not allow it yet
        self.shortfalls: dict[tuple[int, str], str] = {}

    def on_mount(self) -> None:
        if self.possible:
            self.read_shortfalls()

    @work(thread=True, exclusive=True, group="issue-shortfalls", exit_on_error=False)
    def read_shortfalls(self) -> None:
        deps, who = self.session()
        found = verification_shortfalls(
            deps, who, self.intervention_id, [m.material_id for m in self.materials], self.kinds
        )
        self.app.call_from_thread(self._shortfalls_read, found)

    def _shortfalls_read(self, found: dict[tuple[int, str], str]) -> None:
        self.shortfalls = found
        self._redraw_hint()

    @on(Select.Changed, "#credential-material")
    def _redraw_hint(self) -> None:
        """The hint of the code chosen: what its issue replaces or, before « Délivrer »
        (it was said only once pressed), why the verification made does not allow it (a
        password after a code by SMS)."""
        if not self.possible:
            return
        chosen = self.chosen()
        hint = self.query_one("#issue-hint", Static)
        shortfall = self.shortfalls.get(chosen) if chosen is not None else None
        if shortfall is None:
            hint.update(issue_hint(chosen[1] if chosen is not None else None))
        else:
            # What to do about it: the refusal alone listed sets, not that the one just
            # verified does not count, nor how to verify again.
            from csu.screens.voter import file_key

            again = file_key(self.app, "verify")
            hint.update(
                f"La vérification faite ne permet pas ce code. {shortfall} Fermez cette "
                f"fenêtre et vérifiez de nouveau{f' ({again})' if again else ''}."
            )
        hint.set_class(shortfall is not None, "-refused")

    def compose(self) -> ComposeResult:
        with Vertical(id="issue-box", classes="modal-box"):
            yield self.title_widget()
            yield from self.choose()
            if self.possible:
                kind = self.kinds[0] if len(self.kinds) == 1 else None
                yield Static(issue_hint(kind), classes="modal-hint", id="issue-hint")
            with Horizontal(classes="modal-buttons"):
                if self.possible:
                    yield Button("Délivrer", id="issue-ok", variant="primary")
                yield Button("Annuler" if self.possible else "Fermer", id="issue-cancel-button")

    def kind_changed(self, kind: str | None) -> None:
        self._redraw_hint()

    @on(Button.Pressed, "#issue-ok")
    def _submit(self) -> None:
        chosen = self.chosen()
        if chosen is None or not self.begin():
            return
        self.issue(*chosen)

    @work(thread=True, exclusive=True, group="issue", exit_on_error=False)
    def issue(self, material_id: int, kind: str) -> None:
        deps, who = self.session()
        issued = issue_credential(deps, who, self.intervention_id, material_id, kind)
        self.app.call_from_thread(self._done, issued)

    def _done(self, issued: IssuedCredential) -> None:
        who = self.app.operator
        way = way_of(self.channel, who.login if who else None, self.president_login)
        self.dismiss(CredentialShownScreen(issued, self.intervention_id, way))

    @on(Button.Pressed, "#issue-cancel-button")
    def _cancel_pressed(self) -> None:
        self.action_cancel()


class RevokeScreen(_MaterialAndKind[str | None]):
    """Invalidates the active credential of a kind without issuing another (card
    stolen...), with a reason of 5 characters or more for the journal."""

    UNDONE = "Rien n'a été invalidé."
    BINDINGS = [Binding("escape", "cancel", "Annuler", id="revoke-cancel")]
    TITLES = INVALIDATE_LABELS
    GENERIC_TITLE = "Invalider un code"

    def __init__(
        self,
        intervention_id: str,
        materials: Sequence[MaterialView],
        kinds: Sequence[str],
        *,
        preferred: str | None = None,
        call_opened_at: datetime | None = None,
    ) -> None:
        """``call_opened_at``: when the intervention opened; a credential issued since
        is the one just given to the caller, which the window warns of."""
        super().__init__(intervention_id, materials, kinds, preferred=preferred)
        self.call_opened_at = call_opened_at

    def compose(self) -> ComposeResult:
        with Vertical(id="revoke-box", classes="modal-box"):
            yield self.title_widget()
            yield from self.choose()
            if self.possible:
                yield Static("", id="revoke-warning", classes="modal-hint -reminder", markup=False)
                yield Label("Motif (versé au journal)")
                yield ReasonInput(
                    id="revoke-reason",
                    placeholder=f"Motif ({minimum_words()})",
                    maximum=MAX_REASON_LENGTH,
                )
            with Horizontal(classes="modal-buttons"):
                if self.possible:
                    yield Button("Invalider", id="revoke-ok", variant="error")
                yield Button("Annuler" if self.possible else "Fermer", id="revoke-cancel-button")

    def on_mount(self) -> None:
        self._warn()

    def kind_changed(self, kind: str | None) -> None:
        self._warn()

    @on(Select.Changed, "#credential-material")
    def _material_changed(self) -> None:
        self._warn()

    def _warn(self) -> None:
        """A newcomer invalidated the key they had just read out, and closed the call as
        « Résolu »: the voter was left with none. Said before it is done."""
        warnings = self.query("#revoke-warning").results(Static)
        warning = next(warnings, None)
        if warning is None:
            return
        issued = self._issued_in_this_call()
        warning.display = issued is not None
        if issued is not None:
            label = CREDENTIAL_LABELS.get(issued.kind, issued.kind)
            assert issued.since is not None
            warning.update(
                f"Attention : ce code ({label}) a été délivré pendant cette intervention, à "
                f"{to_paris(issued.since):%H:%M} : sans doute celui que l'électeur vient de "
                "recevoir. L'invalider ne lui en laisse aucun de ce type : délivrez-en un "
                "autre ensuite s'il doit voter."
            )

    def _issued_in_this_call(self) -> CredentialView | None:
        chosen = self.chosen() if self.possible else None
        if chosen is None or self.call_opened_at is None:
            return None
        material_id, kind = chosen
        return next(
            (
                credential
                for material in self.materials
                if material.material_id == material_id
                for credential in material.credentials
                if credential.kind == kind
                and credential.status == CREDENTIAL_ACTIVE
                and credential.since is not None
                and credential.since >= self.call_opened_at
            ),
            None,
        )

    @on(Button.Pressed, "#revoke-ok")
    @on(Input.Submitted, "#revoke-reason")
    def _submit(self) -> None:
        chosen = self.chosen()
        if chosen is None or not self.begin():
            return
        self.revoke(*chosen, self.query_one("#revoke-reason", Input).value)

    @work(thread=True, exclusive=True, group="revoke", exit_on_error=False)
    def revoke(self, material_id: int, kind: str, reason: str) -> None:
        deps, who = self.session()
        revoke_credential(deps, who, self.intervention_id, material_id, kind, reason)
        self.app.call_from_thread(self._done, kind)

    def _done(self, kind: str) -> None:
        self.dismiss(kind)

    @on(Button.Pressed, "#revoke-cancel-button")
    def _cancel_pressed(self) -> None:
        self.action_cancel()
