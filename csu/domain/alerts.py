"""Alerts for supervisors: the rules and their thresholds, on plain records.

Each rule takes what the service read from the store (journal entries, verification
attempts, contact uses, the platforms' émargement feeds) and returns the alerts it
finds, each naming the journal entries behind it (``seqs``) so that a supervisor can
review them. No I/O here.

Every threshold below is a module constant: a rule fires at its threshold and not
one below it.
"""

import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from csu.domain.clock import still_until, to_paris
from csu.domain.hashing import keyed_hash
from csu.domain.numbers import french_shortest
from csu.domain.operator_locks import lock_words
from csu.domain.plural import counted

# --- thresholds ---------------------------------------------------------------------

ISSUE_WINDOW = timedelta(hours=1)
ISSUE_RATE_FACTOR = 3
"""An agent is flagged when their issues over the last hour exceed this many times
the median of the agents active in that hour."""
ISSUE_MIN_COUNT = 5
"""...and reach this count: with a median of 0 or 1, a handful of issues is ordinary."""
ISSUING_ACTIONS: frozenset[str] = frozenset(
    {"credential_issue", "vote_code_link_send", "identifier_send"}
)
"""What counts as issuing a credential: a new key, password or code read out, a link
to reissue a vote code, an identifier sent (S7)."""

CHANGES_WINDOW = timedelta(hours=24)
CHANGES_PER_VOTER = 3
CHANGING_ACTIONS: frozenset[str] = frozenset(
    {"credential_issue", "credential_revoke", "vote_code_redeem", "substitution_grant"}
)
"""Changes of a voter's credentials: issued, revoked, reissued through a link, replaced."""

CONTACT_WINDOW = timedelta(days=7)
SHARED_TYPED_MIN_VOTERS = 2
"""A mobile or personal address typed for a delivery (S5, S6, S7) for this many
different voters: one person receives codes for others."""
SHARED_CALLER_MIN_VOTERS = 3
"""A caller's number alone: colleagues share office lines, so one more is needed."""

ACTIVITY_WINDOW = timedelta(hours=24)
ACTIVITY_ACTIONS: frozenset[str] = frozenset(
    {"intervention_open", "consultation", "credential_issue", "vote_code_link_send",
     "identifier_send", "substitution_request"}
)  # fmt: skip
"""What an operator does on a voter's file: outside support hours it is unexpected."""
ACTIVITY_ROLES: frozenset[str] = frozenset({"agent", "president"})
"""Whose activity is watched: supervisors and administrators may work late."""

SECRET_IN_TEXT = "code_in_text"
"""A text refused for holding a voter's secret, matched by its hash (a key or its first
characters, a password, the challenge answer, the card, the IBAN, the NIR): journalled,
never the text. A refusal names what the text resembles, so texts written again and
again would tell an operator the secret: watched."""
SECRET_IN_TEXT_REPEATS = 2
"""Such refusals by one operator about one voter within a day that raise an alert."""

BURST_WINDOW = timedelta(minutes=10)
BURST_FAILURES = 5
"""Failed verifications by one operator within BURST_WINDOW: someone probing answers
(a single voter's failures already lock them: see csu.domain.verification)."""

# The silence of a platform's émargement feed is the election's own threshold
# (``[platform] feed_silence_minutes``, the cell's policy): see feed_silence_alerts.

INTEGRITY_WINDOW = timedelta(days=7)
"""How long the journal's own alarms stay listed: a checkpoint the terminal refused to
sign, an entry set aside from the queue. Each is a fact about the journal that F8 and
« csu audit verify » keep reporting, seen perhaps only after a week-end."""

HORIZON = max(ISSUE_WINDOW, CHANGES_WINDOW, ACTIVITY_WINDOW, BURST_WINDOW)
"""How far back alerts look (the shared contacts and the journal's integrity aside, see
CONTACT_WINDOW and INTEGRITY_WINDOW)."""

CHECKPOINT_REFUSED = "checkpoint_refused"
"""The kind of the alert of a checkpoint the terminal refused to sign (its journalled
refusals: action ``journal_checkpoint``, outcome « refusé », csu.services.checkpoints)."""
SET_ASIDE = "journal_set_aside"
"""The kind of the alert of an entry set aside from the journal's queue (action
``journal_queue_rejected``, migration 0021, csu.store.sequencer)."""

ESCALATION_OVERDUE = "escalation_overdue"
"""The kind of the alert of an escalated case untaken at its deadline, made by
csu.domain.escalation.overdue_alert (which imports this module: its ALERT_KIND)."""

VOTER_LOCKED = "voter_locked"
"""The kind of the alert of a voter locked for remote verification after failed
verifications (csu.domain.verification): only a supervisor unlocks them."""
LOGIN_LOCKED = "login_locked"
"""The kind of the alert of an operator whose logins are locked, on some workstations
or on the whole account (csu.services.auth): an administrator unlocks them."""

KIND_LABELS: dict[str, str] = {
    "issue_rate": "délivrances anormales",
    "credential_changes": "changements de codes répétés",
    "shared_contact": "coordonnée partagée",
    "off_hours": "activité hors heures de support",
    "verification_burst": "échecs de vérification en rafale",
    "secret_in_text": "secret d'un électeur écrit dans un texte",
    "feed_silence": "flux d'émargements muet",
    # « en retard », as the escalations screen (F10) names the state of such a case.
    ESCALATION_OVERDUE: "dossier escaladé en retard",
    CHECKPOINT_REFUSED: "point de contrôle refusé",
    SET_ASIDE: "entrée écartée de la file",
    VOTER_LOCKED: "électeur verrouillé",
    LOGIN_LOCKED: "connexion verrouillée",
}


CALLER_PURPOSE = "phone"
"""The keyed-hash tag of phone numbers: the same as the callers' numbers recorded by
csu.services.interventions, so that a number typed for an SMS matches a caller's."""
EMAIL_PURPOSE = "email"


def contact_hash(key: bytes, channel: str, recipient: str) -> str:
    """The keyed hash of a recipient typed for a delivery: an SMS number in E.164 (as
    parsed), an e-mail address case-folded. Comparable, never reversible."""
    if channel == "sms":
        value, purpose = recipient.strip(), CALLER_PURPOSE
    else:
        value, purpose = recipient.strip().casefold(), EMAIL_PURPOSE
    return keyed_hash(key, purpose, value)


# --- records ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Entry:
    """What a rule needs of a journal entry."""

    seq: int
    at: datetime  # aware UTC
    operator: str | None
    role: str | None
    action: str
    election: str | None = None
    subject: str | None = None  # the voter's pseudonym


@dataclass(frozen=True, slots=True)
class Failure:
    """A failed verification attempt, with the journal entry that records it."""

    seq: int
    at: datetime
    operator: str
    voter_id: int


@dataclass(frozen=True, slots=True)
class ContactUse:
    """A phone number or address (as a keyed hash) used for a voter: ``typed`` for a
    delivery, else the number a call came from."""

    seq: int
    at: datetime
    contact_hash: str
    voter_id: int
    typed: bool
    masked: str  # "+33 6 ** ** ** 78", "j***@exemple.fr"


@dataclass(frozen=True, slots=True)
class Feed:
    """A platform client's émargement feed for one election: when the vote is open,
    when the client could start sending (its creation), and the last batch the cell
    accepted from it (its journal entry), if any."""

    platform: str
    election: str
    opens_at: datetime  # aware UTC
    closes_at: datetime
    silence: timedelta  # the election's threshold
    since: datetime  # the client's creation
    last_at: datetime | None = None
    last_seq: int | None = None


@dataclass(frozen=True, slots=True)
class JournalAlarm:
    """An entry the journal wrote about itself: a checkpoint refused, or a row of the
    queue set aside, with the reason its details give."""

    seq: int
    at: datetime  # aware UTC
    reason: str


@dataclass(frozen=True, slots=True)
class VoterLock:
    """A voter locked for remote verification, since when and until when, and the
    journal's entries of the failed verifications behind it."""

    subject: str  # the voter's pseudonym
    since: datetime  # aware UTC
    until: datetime
    seqs: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class LoginLock:
    """An operator whose logins are locked: the whole account (wrong codes after the
    right password), or some origins (failures from one workstation or address), and
    the journal's entries of the refused logins behind it."""

    login: str
    since: datetime  # when the latest of these locks was set (aware UTC)
    account_until: datetime | None
    origins: int
    origins_until: datetime | None
    seqs: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Alert:
    """One thing a supervisor should look at. ``key`` identifies it across refreshes
    (it is notified once per session); ``title`` names no voter; ``advice`` says what
    to do, where the rule knows (French, names no voter)."""

    key: str
    kind: str
    at: datetime  # the latest entry behind it (aware UTC)
    title: str  # French
    seqs: tuple[int, ...]
    operator: str | None = None
    subject: str | None = None  # the voter's pseudonym, when the alert is about one
    advice: str = ""

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    @property
    def escalation_case(self) -> int | None:
        """The escalated case an overdue alert is about (its key is
        « escalation_overdue:<case id> »: one alert per case), else None."""
        if self.kind != ESCALATION_OVERDUE:
            return None
        _, _, case = self.key.partition(":")
        return int(case) if case.isdigit() else None


# --- rules --------------------------------------------------------------------------

# An alert's key stays the same while its window slides (the entries that leave it
# change its first entry, not what the supervisor is told about): one per operator,
# voter or contact and Paris day, so a notification is not repeated each time its count
# moves; a shared contact, watched over 7 days, once.


def _day(at: datetime) -> str:
    return f"{to_paris(at):%Y-%m-%d}"


def issue_rate_alerts(entries: Iterable[Entry], now: datetime) -> list[Alert]:
    """Agents whose issues over the last hour exceed ``ISSUE_RATE_FACTOR`` times the
    median of the agents active in that hour (those with any entry, issuing or not)."""
    since = now - ISSUE_WINDOW
    active: set[str] = set()
    issued: dict[str, list[Entry]] = defaultdict(list)
    for entry in entries:
        if entry.role != "agent" or not entry.operator or not since <= entry.at <= now:
            continue
        active.add(entry.operator)
        if entry.action in ISSUING_ACTIONS:
            issued[entry.operator].append(entry)
    if len(active) < 2:
        return []  # nobody to compare with
    median = statistics.median(len(issued.get(login, ())) for login in active)
    alerts = []
    for login in sorted(issued):
        mine = issued[login]
        if len(mine) >= ISSUE_MIN_COUNT and len(mine) > ISSUE_RATE_FACTOR * median:
            alerts.append(
                Alert(
                    key=f"issue_rate:{login}:{_day(mine[-1].at)}",
                    kind="issue_rate",
                    at=mine[-1].at,
                    title=(
                        f"{login} : {len(mine)} délivrances de codes en une heure, plus de "
                        f"{ISSUE_RATE_FACTOR} fois la médiane des agents "
                        f"({french_shortest(median)})."
                    ),
                    seqs=tuple(e.seq for e in mine),
                    operator=login,
                )
            )
    return alerts


def credential_change_alerts(entries: Iterable[Entry], now: datetime) -> list[Alert]:
    """Voters whose credentials changed ``CHANGES_PER_VOTER`` times or more in 24 h."""
    since = now - CHANGES_WINDOW
    changes: dict[str, list[Entry]] = defaultdict(list)
    for entry in entries:
        if entry.action in CHANGING_ACTIONS and entry.subject and since <= entry.at <= now:
            changes[entry.subject].append(entry)
    return [
        Alert(
            key=f"credential_changes:{subject}:{_day(found[-1].at)}",
            kind="credential_changes",
            at=found[-1].at,
            title=f"Un électeur a changé {len(found)} fois de codes en 24 h.",
            seqs=tuple(e.seq for e in found),
            subject=subject,
        )
        for subject, found in sorted(changes.items(), key=lambda item: item[1][0].seq)
        if len(found) >= CHANGES_PER_VOTER
    ]


def secret_in_text_alerts(entries: Iterable[Entry], now: datetime) -> list[Alert]:
    """An operator whose texts about one voter were refused ``SECRET_IN_TEXT_REPEATS``
    times or more in 24 h for holding that voter's secret (each refusal says what the
    text resembles: written again and again, texts are guesses)."""
    since = now - ACTIVITY_WINDOW
    refused: dict[tuple[str, str], list[Entry]] = defaultdict(list)
    for entry in entries:
        if (
            entry.action == SECRET_IN_TEXT
            and entry.operator
            and entry.subject
            and since <= entry.at <= now
        ):
            refused[(entry.operator, entry.subject)].append(entry)
    return [
        Alert(
            key=f"secret_in_text:{login}:{subject}:{_day(found[-1].at)}",
            kind="secret_in_text",
            at=found[-1].at,
            title=(
                f"{login} : {len(found)} textes refusés en 24 h pour un secret du même "
                "électeur (une tentative de le deviner ?)."
            ),
            seqs=tuple(e.seq for e in found),
            operator=login,
            subject=subject,
        )
        for (login, subject), found in sorted(refused.items(), key=lambda i: i[1][0].seq)
        if len(found) >= SECRET_IN_TEXT_REPEATS
    ]


def shared_contact_alerts(uses: Iterable[ContactUse], now: datetime) -> list[Alert]:
    """Phone numbers or addresses used for several voters: ``SHARED_TYPED_MIN_VOTERS``
    when one use was typed for a delivery, else ``SHARED_CALLER_MIN_VOTERS``."""
    since = now - CONTACT_WINDOW
    by_contact: dict[str, list[ContactUse]] = defaultdict(list)
    for use in uses:
        if since <= use.at <= now:
            by_contact[use.contact_hash].append(use)
    alerts = []
    for contact, found in by_contact.items():
        found.sort(key=lambda u: u.seq)
        voters = {u.voter_id for u in found}
        typed = any(u.typed for u in found)
        needed = SHARED_TYPED_MIN_VOTERS if typed else SHARED_CALLER_MIN_VOTERS
        if len(voters) < needed:
            continue
        what = "saisie pour un envoi" if typed else "de l'appelant"
        alerts.append(
            Alert(
                key=f"shared_contact:{contact[:16]}",
                kind="shared_contact",
                at=max(u.at for u in found),
                title=(
                    f"Coordonnée {what} {found[-1].masked} utilisée pour "
                    f"{len(voters)} électeurs différents."
                ),
                seqs=tuple(sorted({u.seq for u in found})),
            )
        )
    return sorted(alerts, key=lambda a: a.seqs[0])


def off_hours_alerts(
    entries: Iterable[Entry],
    now: datetime,
    within_hours: Callable[[str, datetime], bool | None],
) -> list[Alert]:
    """Operators acting on voters' files outside the support hours of the election
    concerned, one alert per operator and Paris day. ``within_hours(election, at)``
    says whether the cell answers then (None: election unknown, no opinion)."""
    since = now - ACTIVITY_WINDOW
    found: dict[tuple[str, str], list[Entry]] = defaultdict(list)
    for entry in entries:
        if (
            entry.action not in ACTIVITY_ACTIONS
            or entry.role not in ACTIVITY_ROLES
            or not entry.operator
            or not entry.election
            or not since <= entry.at <= now
        ):
            continue
        if within_hours(entry.election, entry.at) is False:
            day = f"{to_paris(entry.at):%d/%m/%Y}"
            found[(entry.operator, day)].append(entry)
    alerts = []
    for (login, day), outside in sorted(found.items(), key=lambda item: item[1][0].seq):
        first, last = to_paris(outside[0].at), to_paris(outside[-1].at)
        span = f"à {first:%H:%M}" if first == last else f"de {first:%H:%M} à {last:%H:%M}"
        alerts.append(
            Alert(
                key=f"off_hours:{login}:{day}",
                kind="off_hours",
                at=outside[-1].at,
                title=(
                    f"{login} : {counted(len(outside), 'action')} hors des heures de support "
                    f"le {day} {span}."
                ),
                seqs=tuple(e.seq for e in outside),
                operator=login,
            )
        )
    return alerts


def verification_burst_alerts(failures: Iterable[Failure], now: datetime) -> list[Alert]:
    """Operators with ``BURST_FAILURES`` failed verifications or more within any span
    of ``BURST_WINDOW`` in the horizon: one alert per operator, naming the failures of
    their densest burst and those that follow it."""
    since = now - HORIZON
    by_operator: dict[str, list[Failure]] = defaultdict(list)
    for failure in failures:
        if since <= failure.at <= now:
            by_operator[failure.operator].append(failure)
    alerts = []
    for login in sorted(by_operator):
        found = sorted(by_operator[login], key=lambda f: (f.at, f.seq))
        start = _first_burst(found)
        if start is None:
            continue
        burst = found[start:]
        voters = len({f.voter_id for f in burst})
        alerts.append(
            Alert(
                key=f"verification_burst:{login}:{_day(burst[-1].at)}",
                kind="verification_burst",
                at=burst[-1].at,
                title=(
                    f"{login} : {len(burst)} vérifications d'identité échouées depuis "
                    f"{to_paris(burst[0].at):%H:%M} ({counted(voters, 'électeur')}), dont "
                    f"{BURST_FAILURES} en moins de {_minutes(BURST_WINDOW)} min."
                ),
                seqs=tuple(f.seq for f in burst),
                operator=login,
            )
        )
    return alerts


def silent_since(feed: Feed) -> datetime:
    """Since when ``feed`` has been silent: its last batch, or when it could first have
    sent one (the opening, or the client's creation if later)."""
    start = max(feed.opens_at, feed.since)
    return max(feed.last_at, start) if feed.last_at is not None else start


def is_silent(feed: Feed, now: datetime) -> bool:
    """The vote is open and nothing came for the election's threshold or longer."""
    return feed.opens_at <= now < feed.closes_at and now - silent_since(feed) >= feed.silence


def feed_silence_alerts(feeds: Iterable[Feed], now: datetime) -> list[Alert]:
    """Platforms whose émargement feed has sent nothing for the election's threshold
    while its vote is open: until votes arrive again, the cell may reissue a credential
    to a voter who has voted. One alert per silence (a new batch ends it)."""
    alerts = []
    for feed in feeds:
        if not is_silent(feed, now):
            continue
        since = silent_since(feed)
        minutes = _minutes(now - since)
        last = (
            f"dernier lot reçu le {to_paris(feed.last_at):%d/%m à %H:%M}"
            if feed.last_at is not None
            else "aucun lot reçu depuis l'ouverture du vote"
        )
        alerts.append(
            Alert(
                key=f"feed_silence:{feed.platform}:{feed.election}:{feed.last_seq or 0}",
                kind="feed_silence",
                at=since + feed.silence,  # when the silence became an alert
                title=(
                    f"Plateforme {feed.platform} : aucun émargement pour {feed.election} "
                    f"depuis {minutes} min ({last} ; seuil {_minutes(feed.silence)} min)."
                ),
                seqs=(feed.last_seq,) if feed.last_seq is not None else (),
            )
        )
    return sorted(alerts, key=lambda a: (a.at, a.key))


# What a checkpoint refusal says went wrong, read from its reason (the sentences of
# csu.services.checkpoints: IntegrityReport.refusal), most specific first.
DELETED = "deleted"
DAMAGED = "damaged"
ALTERED = "altered"
_CAUSES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (DELETED, ("suppression suspecte",)),
    (DAMAGED, ("note illisible", "sa note signée", "signature refusée",
               "signature du dernier point de contrôle")),
    (ALTERED, ("journal altéré", "ne correspond plus", "diffèrent de celles", "plus court",
               "non vérifiable", "absente")),
)  # fmt: skip
CHECKPOINT_TITLES: dict[str, str] = {
    DELETED: "un point de contrôle signé a disparu de la base (suppression suspecte)",
    DAMAGED: "un point de contrôle en base est endommagé",
    ALTERED: "le journal ne vérifie plus",
    "": "le journal n'est pas conforme",
}
_KEEP_A_COPY = (
    "Ne modifiez rien dans la base, gardez-en une copie et prévenez le responsable de la "
    "sécurité de la cellule ; aucun point de contrôle ne sera signé tant que ce n'est pas "
    "compris."
)
CHECKPOINT_ADVICE: dict[str, str] = {
    DELETED: (
        "Un point de contrôle que le journal mentionne n'est plus dans la base, où CSU "
        "n'en efface jamais : tenez le journal face aux notes signées remises aux "
        "auditeurs (« csu audit verify --checkpoint NOTE --public-key CLÉ »). " + _KEEP_A_COPY
    ),
    DAMAGED: (
        "Une ligne de point de contrôle ne dit plus ce que dit sa note signée, ou sa note "
        "est illisible : modifiée ou ajoutée hors de CSU ? Vérifiez avec F8 ou « csu audit "
        "verify --public-key CLÉ ». " + _KEEP_A_COPY
    ),
    ALTERED: (
        "Ouvrez l'intégrité (F8) : elle nomme la première entrée en défaut, et Entrée "
        "l'ouvre. " + _KEEP_A_COPY
    ),
    "": "Vérifiez le journal (F8 ou « csu audit verify »). " + _KEEP_A_COPY,
}
SET_ASIDE_ADVICE = (
    "Une ligne a été écrite dans la file d'attente du journal sans passer par CSU. Rien "
    "n'est perdu ni bloqué : l'entrée qui la remplace en garde le contenu (Entrée la "
    "montre dans le journal, Entrée encore l'ouvre). Cherchez qui peut écrire dans la "
    "base, gardez-en une copie et prévenez le responsable de la sécurité de la cellule."
)


def checkpoint_cause(reason: str) -> str:
    """``DELETED``, ``DAMAGED`` or ``ALTERED`` from a refusal's reason; "" if none."""
    for cause, marks in _CAUSES:
        if any(mark in reason for mark in marks):
            return cause
    return ""


def checkpoint_refusal_alerts(refusals: Iterable[JournalAlarm], now: datetime) -> list[Alert]:
    """The checkpoints the terminal refused to sign over ``INTEGRITY_WINDOW``: it tries
    again every period while the journal does not check, so the refusals of one cause
    make one alert, named by the latest reason, once per Paris day of the latest."""
    since = now - INTEGRITY_WINDOW
    by_cause: dict[str, list[JournalAlarm]] = defaultdict(list)
    for refusal in sorted(refusals, key=lambda r: r.seq):
        if since <= refusal.at <= now:
            by_cause[checkpoint_cause(refusal.reason)].append(refusal)
    alerts = []
    for cause, found in by_cause.items():
        last = found[-1]
        times = f" ({len(found)} refus depuis le {to_paris(found[0].at):%d/%m à %H:%M})"
        alerts.append(
            Alert(
                key=f"{CHECKPOINT_REFUSED}:{cause or 'other'}:{_day(last.at)}",
                kind=CHECKPOINT_REFUSED,
                at=last.at,
                title=(
                    f"Le terminal a refusé de signer un point de contrôle : "
                    f"{CHECKPOINT_TITLES[cause]}{times if len(found) > 1 else ''}. "
                    f"Motif : {_sentence(last.reason)}"
                ),
                seqs=tuple(r.seq for r in found),
                advice=CHECKPOINT_ADVICE[cause],
            )
        )
    return sorted(alerts, key=lambda a: a.seqs[0])


def set_aside_alerts(entries: Iterable[JournalAlarm], now: datetime) -> list[Alert]:
    """The entries the sequencer chained over ``INTEGRITY_WINDOW`` in place of rows of
    the queue that were no entries: one alert each, for good (keyed by its number)."""
    since = now - INTEGRITY_WINDOW
    return [
        Alert(
            key=f"{SET_ASIDE}:{entry.seq}",
            kind=SET_ASIDE,
            at=entry.at,
            title=(
                f"Entrée n° {entry.seq} : une ligne de la file d'attente du journal n'était "
                f"pas une entrée ({_sentence(entry.reason).rstrip('.')}) et a été mise à "
                "l'écart."
            ),
            seqs=(entry.seq,),
            advice=SET_ASIDE_ADVICE,
        )
        for entry in sorted(entries, key=lambda e: e.seq)
        if since <= entry.at <= now
    ]


# The actions by their names, as the footer and the palette (ctrl+p) show them: a
# workplace's keymap may move their keys.
VOTER_LOCK_ADVICE = (
    "Seul un superviseur le déverrouille, sur sa fiche (« Déverrouiller »), avec un "
    "motif, une fois son identité établie autrement. Un président de bureau peut aussi le "
    "vérifier en personne : le verrou ne vaut que pour la vérification à distance."
)
ACCOUNT_LOCK_ADVICE = (
    "Des codes faux ont suivi le bon mot de passe : quelqu'un d'autre le connaît "
    "peut-être. Joignez l'opérateur ; un administrateur lève le verrou (écran Opérateurs, "
    "« Déverrouiller »)."
)
ORIGIN_LOCK_ADVICE = (
    "Des échecs répétés depuis un même poste : des fautes de frappe, ou quelqu'un qui "
    "essaie des mots de passe. Le verrou tombe seul ; un administrateur peut le lever "
    "plus tôt (écran Opérateurs, « Déverrouiller »), une fois l'opérateur joint."
)


def voter_lock_alerts(locks: Iterable[VoterLock], now: datetime) -> list[Alert]:
    """One alert per voter locked now, for as long as the lock holds (a new lock, a
    new alert). Names no voter: the screen adds the matricule."""
    return [
        Alert(
            key=f"{VOTER_LOCKED}:{lock.subject}:{lock.since.isoformat()}",
            kind=VOTER_LOCKED,
            at=lock.since,
            title=(
                "Électeur verrouillé pour la vérification à distance jusqu'au "
                f"{to_paris(lock.until):%d/%m à %H:%M}, après "
                f"{counted(len(lock.seqs), 'vérification échouée', 'vérifications échouées')}."
            ),
            seqs=lock.seqs,
            subject=lock.subject,
            advice=VOTER_LOCK_ADVICE,
        )
        for lock in sorted(locks, key=lambda lock: (lock.since, lock.subject))
        if lock.until > now
    ]


def login_lock_alerts(locks: Iterable[LoginLock], now: datetime) -> list[Alert]:
    """One alert per operator whose logins are locked now: once a Paris day for their
    workstations' locks, once more if the whole account locks (an address rotating
    through a /64 does not notify again at each lock)."""
    alerts = []
    for lock in sorted(locks, key=lambda lock: lock.login):
        account = still_until(lock.account_until, now)
        origins_until = still_until(lock.origins_until, now)
        if account is None and origins_until is None:
            continue
        origins = lock.origins if origins_until is not None else 0
        words = lock_words(account, origins, origins_until, 0)
        alerts.append(
            Alert(
                key=f"{LOGIN_LOCKED}:{lock.login}:{'compte' if account else 'postes'}:"
                f"{_day(lock.since)}",
                kind=LOGIN_LOCKED,
                at=lock.since,
                title=f"Connexion de {lock.login} verrouillée : {words}.",
                seqs=lock.seqs,
                operator=lock.login,
                advice=ACCOUNT_LOCK_ADVICE if account else ORIGIN_LOCK_ADVICE,
            )
        )
    return alerts


def _sentence(reason: str) -> str:
    """A recorded reason on one line, at most 300 characters, ending with a full stop
    (it was written by the terminal or the server, but sits in a journal)."""
    text = " ".join(reason.split()) or "motif inconnu"
    if len(text) > 300:
        text = text[:299] + "…"
    return text if text.endswith((".", "…")) else text + "."


def _first_burst(found: Sequence[Failure]) -> int | None:
    """Index of the first failure that opens BURST_FAILURES failures within the window."""
    for start in range(len(found) - BURST_FAILURES + 1):
        if found[start + BURST_FAILURES - 1].at - found[start].at <= BURST_WINDOW:
            return start
    return None


def _minutes(delta: timedelta) -> int:
    return int(delta.total_seconds() // 60)
