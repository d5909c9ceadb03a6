"""Scrutins: the ballots of an election, who takes part in each, and what their
émargement still allows.

An election file lists its scrutins (``[[scrutins]]``): an id, a title, and who takes
part, by capacity, by bureau, or by the roll (the ``scrutins`` column of the voter
file names them). A material gives access to the scrutins its roll row lists, or
else to those of the file that take its capacity and bureau. A file without
``[[scrutins]]`` has one implicit scrutin, named after the election: every material
takes part, as before scrutins existed.

The platform records a vote per material and scrutin (émargement). What it still
allows is the election's rule, stated in its file (``[emargement]``):

- ``any_open``: allowed while at least one scrutin of the material is still to vote;
- ``none_voted``: allowed only while no scrutin of the material is voted.

By default a reissue (key, password, vote code) follows ``any_open`` and a
substitution (seed 000: « sous réserve que l'électeur n'ait pas déjà voté »)
``none_voted``.
"""

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, NoReturn, Protocol

from csu.domain.clock import PARIS
from csu.domain.errors import InvalidValue

if TYPE_CHECKING:
    from csu.domain.election import ElectionDefinition

SEPARATOR = "|"  # between scrutin ids in the roll's « scrutins » column
MAX_SCRUTINS = 50
MAX_ID_LENGTH = 64
SCRUTIN_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")

ANY_OPEN = "any_open"
NONE_VOTED = "none_voted"
POLICIES: dict[str, str] = {
    ANY_OPEN: "tant qu'un scrutin du matériel reste à voter",
    NONE_VOTED: "tant qu'aucun scrutin du matériel n'est voté",
}

# Émargement sources, as stored and shown.
FROM_PLATFORM = "plateforme"
FROM_FILE = "fichier"
# How far ahead of CSU's clock the platform's may run (a vote time "in the future").
CLOCK_TOLERANCE = timedelta(minutes=5)
_RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})"
)


@dataclass(frozen=True, slots=True)
class Scrutin:
    """One ballot of an election. Who takes part: the materials of ``capacities``
    (any, when empty) and of ``bureaus`` (any, when empty); with ``roll``, only
    those whose roll row names it."""

    id: str
    title: str
    capacities: tuple[str, ...] = ()
    bureaus: tuple[str, ...] = ()
    roll: bool = False

    def admits(self, capacity: str, bureau: str) -> bool:
        """Whether a material of this capacity and bureau may take part."""
        return (not self.capacities or capacity in self.capacities) and (
            not self.bureaus or bureau in self.bureaus
        )

    def takes(self, capacity: str, bureau: str) -> bool:
        """Whether a material whose roll row names no scrutin takes part."""
        return not self.roll and self.admits(capacity, bureau)


@dataclass(frozen=True, slots=True)
class EmargementRules:
    """What a material's émargement still allows (``[emargement]`` of the file)."""

    reissue: str = ANY_OPEN
    substitution: str = NONE_VOTED


@dataclass(frozen=True, slots=True)
class ScrutinState:
    """One scrutin of a material: voted or not, and when (UTC)."""

    id: str
    title: str
    voted_at: datetime | None

    @property
    def voted(self) -> bool:
        return self.voted_at is not None


# --------------------------------------------------------------------------- scrutins


def ballots(definition: "ElectionDefinition") -> tuple[Scrutin, ...]:
    """The election's scrutins; without ``[[scrutins]]``, its one implicit scrutin."""
    return definition.scrutins or (Scrutin(definition.id, definition.title),)


def listed(stored: str | None) -> tuple[str, ...]:
    """The scrutin ids a material's roll row gave (as stored), or none."""
    return tuple(part for part in (stored or "").split(SEPARATOR) if part)


def material_scrutins(
    scrutins: Sequence[Scrutin], capacity: str, bureau: str, stored: str | None
) -> tuple[str, ...]:
    """The scrutins a material gives access to: those its roll row listed, or else
    those of the election that take its capacity and bureau."""
    given = listed(stored)
    if given:
        return given
    return tuple(s.id for s in scrutins if s.takes(capacity, bureau))


def parse_roll_scrutins(
    raw: str, scrutins: Sequence[Scrutin], capacity: str, bureau: str
) -> str | None:
    """The roll's « scrutins » cell (ids separated by ``|``), checked against the
    election's scrutins and the row's capacity and bureau; stored as given, in the
    election's order. An empty cell: ``None`` (the election file decides), provided
    some scrutin of the file takes the row."""
    field = "Scrutins"
    if not raw.strip():
        if scrutins and not material_scrutins(scrutins, capacity, bureau, None):
            raise InvalidValue(
                field,
                "aucun scrutin de l'élection ne concerne ce matériel (qualité « "
                f"{capacity} », bureau {bureau}) : indiquez ses scrutins dans cette colonne",
            )
        return None
    known = {s.id: s for s in scrutins}
    parts = [part.strip() for part in raw.split(SEPARATOR)]
    if any(not part for part in parts):
        raise InvalidValue(field, f"identifiant vide entre deux « {SEPARATOR} »")
    if len(set(parts)) != len(parts):
        doubled = sorted({part for part in parts if parts.count(part) > 1})
        raise InvalidValue(field, "scrutin cité deux fois : " + ", ".join(doubled))
    for part in parts:
        scrutin = known.get(part)
        if scrutin is None:
            raise InvalidValue(field, unknown(part, known))
        if not scrutin.admits(capacity, bureau):
            raise InvalidValue(
                field,
                f"le scrutin {part} ne concerne pas ce matériel (qualité « {capacity} », "
                f"bureau {bureau})",
            )
    return SEPARATOR.join(s.id for s in scrutins if s.id in parts)


def states(
    definition: "ElectionDefinition",
    capacity: str,
    bureau: str,
    stored: str | None,
    voted: Mapping[str, datetime],
    all_voted_at: datetime | None = None,
) -> tuple[ScrutinState, ...]:
    """Each scrutin of a material, voted or not. ``voted``: its émargements by scrutin;
    ``all_voted_at``: the material's own mark that every scrutin is voted (a vote
    recorded before scrutins were known counts for each of them). A scrutin voted
    that the material no longer lists (its roll row changed) still shows."""
    scrutins = ballots(definition)
    titles = {s.id: s.title for s in scrutins}
    ids = list(material_scrutins(scrutins, capacity, bureau, stored))
    ids += [scrutin for scrutin in voted if scrutin not in ids]
    return tuple(
        ScrutinState(scrutin, titles.get(scrutin, scrutin), voted.get(scrutin) or all_voted_at)
        for scrutin in ids
    )


def open_ids(found: Iterable[ScrutinState]) -> list[str]:
    """The scrutins still to vote."""
    return [state.id for state in found if not state.voted]


def all_voted_at(found: Sequence[ScrutinState]) -> datetime | None:
    """When the last scrutin of the material was voted, once every one is."""
    if not found or any(not state.voted for state in found):
        return None
    return max(state.voted_at for state in found if state.voted_at is not None)


# --------------------------------------------------------------------------- rules


def blocked(policy: str, found: Sequence[ScrutinState]) -> bool:
    """Whether the policy forbids acting on a material in these states."""
    if policy == NONE_VOTED:
        return any(state.voted for state in found)
    return not open_ids(found)  # ANY_OPEN: no scrutin left (or none at all)


def _titles(found: Iterable[ScrutinState]) -> str:
    return ", ".join(f"« {state.title} »" for state in found)


def reissue_refusal(rules: EmargementRules, found: Sequence[ScrutinState]) -> str | None:
    """Why no credential of the material may be reissued, naming the scrutins voted;
    None when one may."""
    if not blocked(rules.reissue, found):
        return None
    voted = [state for state in found if state.voted]
    if not found:
        return "Ce matériel ne donne accès à aucun scrutin : aucun code ne lui sert."
    if len(found) == 1 and len(voted) == 1:
        return "L'électeur a déjà voté avec ce matériel : plus aucun code ne sert."
    if rules.reissue == ANY_OPEN:
        return (
            f"L'électeur a déjà voté avec ce matériel à chacun de ses scrutins "
            f"({_titles(voted)}) : plus aucun code ne sert."
        )
    return (
        f"L'électeur a déjà voté avec ce matériel ({_titles(voted)}) : l'élection ne "
        "réassortit plus de code dès qu'un scrutin est voté."
    )


def substitution_voted(rules: EmargementRules, found: Sequence[ScrutinState]) -> tuple[str, ...]:
    """The titles of the scrutins voted when they forbid a substitution; empty when
    the material's émargement allows it."""
    if not blocked(rules.substitution, found):
        return ()
    return tuple(state.title for state in found if state.voted) or ("aucun scrutin",)


# --------------------------------------------------------------------------- vote times


def parse_vote_moment(raw: str | datetime) -> datetime:
    """An émargement time: RFC 3339 text with its offset (``2022-12-02T10:15:00Z``),
    or an aware datetime; returned in UTC."""
    if isinstance(raw, datetime):
        if raw.tzinfo is None:
            raise InvalidValue("voted_at", "heure sans fuseau (RFC 3339 attendu)")
        return raw.astimezone(UTC)
    if not _RFC3339.fullmatch(raw):
        raise InvalidValue(
            "voted_at", "date et heure RFC 3339 attendues (ex. 2022-12-02T10:15:00Z)"
        )
    try:
        return datetime.fromisoformat(raw.upper().replace("Z", "+00:00")).astimezone(UTC)
    except (ValueError, OverflowError):
        raise InvalidValue("voted_at", "date ou heure impossible") from None


def vote_time_fault(
    definition: "ElectionDefinition", moment: datetime, now: datetime
) -> str | None:
    """Why a vote cannot have happened at ``moment`` (outside the vote, or later than
    now); None when it can."""
    if not definition.opens_at <= moment < definition.closes_at:
        opens = definition.opens_at.astimezone(PARIS)
        closes = definition.closes_at.astimezone(PARIS)
        return (
            f"hors de la période de vote (du {opens:%d/%m/%Y %H:%M} au "
            f"{closes:%d/%m/%Y %H:%M}, heure de Paris)"
        )
    if moment > now + CLOCK_TOLERANCE:
        return "postérieure à l'heure actuelle"
    return None


# --------------------------------------------------------------------------- the file


class Reader(Protocol):
    """What the election file's reader offers (csu.domain.election._Reader)."""

    def fail(self, path: str, fault: str) -> NoReturn: ...

    def table(
        self, value: object, path: str, allowed: Iterable[str], required: Iterable[str] = ()
    ) -> dict[str, Any]: ...

    def text(self, value: object, path: str) -> str: ...

    def texts(self, value: object, path: str, *, allow_empty: bool = False) -> tuple[str, ...]: ...

    def boolean(self, value: object, path: str) -> bool: ...

    def choice(self, value: object, path: str, allowed: Iterable[str], what: str) -> str: ...


_KEYS = ("id", "title", "capacities", "bureaus", "roll")


def parse_scrutins(r: Reader, value: object, capacities: object) -> tuple[Scrutin, ...]:
    """``[[scrutins]]`` of an election file; ``capacities``: the file's own."""
    if not isinstance(value, list):
        r.fail("scrutins", "type attendu : liste de tables ([[scrutins]])")
    if len(value) > MAX_SCRUTINS:
        r.fail("scrutins", f"{MAX_SCRUTINS} scrutins au plus")
    known = [c.strip() for c in capacities] if isinstance(capacities, list) else []
    found: list[Scrutin] = []
    for number, raw in enumerate(value, start=1):
        path = f"scrutins[{number}]"
        spec = r.table(raw, path, _KEYS, ("id", "title"))
        scrutin_id = r.text(spec["id"], f"{path}.id")
        if len(scrutin_id) > MAX_ID_LENGTH or not SCRUTIN_ID.fullmatch(scrutin_id):
            r.fail(f"{path}.id", "identifiant court attendu : minuscules, chiffres et tirets "
                   "(ex. csa), 64 caractères au plus")
        if any(s.id == scrutin_id for s in found):
            r.fail(f"{path}.id", f"« {scrutin_id} » figure deux fois")
        chosen = r.texts(spec.get("capacities", []), f"{path}.capacities", allow_empty=True)
        for index, capacity in enumerate(chosen, start=1):
            if capacity not in known:
                r.fail(f"{path}.capacities[{index}]", f"qualité inconnue « {capacity} » "
                       f"(qualités de l'élection : {', '.join(known)})")
        bureaus = r.texts(spec.get("bureaus", []), f"{path}.bureaus", allow_empty=True)
        roll = r.boolean(spec.get("roll", False), f"{path}.roll")
        if roll and (chosen or bureaus):
            r.fail(f"{path}.roll", "la liste électorale désigne seule ses électeurs : "
                   "ni capacities ni bureaus avec roll = true")
        found.append(Scrutin(scrutin_id, r.text(spec["title"], f"{path}.title"),
                             chosen, bureaus, roll))  # fmt: skip
    return tuple(found)


def parse_rules(r: Reader, value: object) -> EmargementRules:
    """``[emargement]`` of an election file."""
    spec = r.table(value, "emargement", ("reissue", "substitution"))
    default = EmargementRules()
    return EmargementRules(
        reissue=r.choice(spec.get("reissue", default.reissue), "emargement.reissue",
                         POLICIES, "mot-clé"),
        substitution=r.choice(spec.get("substitution", default.substitution),
                              "emargement.substitution", POLICIES, "mot-clé"),
    )  # fmt: skip


def scrutins_to_json(scrutins: Sequence[Scrutin]) -> list[dict[str, Any]]:
    found = []
    for s in scrutins:
        item: dict[str, Any] = {"id": s.id, "title": s.title}
        if s.capacities:
            item["capacities"] = list(s.capacities)
        if s.bureaus:
            item["bureaus"] = list(s.bureaus)
        if s.roll:
            item["roll"] = True
        found.append(item)
    return found


def rules_to_json(rules: EmargementRules) -> dict[str, str]:
    return {"reissue": rules.reissue, "substitution": rules.substitution}


def unknown(scrutin: str, known: Iterable[str]) -> str:
    """« scrutin inconnu », naming the election's (and the one typed, if it has the
    form of an id: anything else is not echoed)."""
    names = ", ".join(known) or "aucun (le fichier d'élection n'en liste pas)"
    if len(scrutin) <= MAX_ID_LENGTH and SCRUTIN_ID.fullmatch(scrutin):
        return f"scrutin inconnu « {scrutin} » (scrutins de l'élection : {names})"
    return f"identifiant de scrutin invalide (scrutins de l'élection : {names})"

