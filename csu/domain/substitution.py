"""Replacement material (S5, « matériel de substitution »): when a request is refused,
and what the voter receives once it is granted.

A voter who lost or never received their material may ask for new material, not
before the day the election sets (``substitution.from``) and never once they have
voted with it. The request is complete when every item of the election's checklist
was received (signed request, ID scan...) and the identity matches the roll: any
anomaly means refusal, with its reason. Granted, new material replaces the original,
which stops working.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from csu.domain.election import ElectionDefinition, ElectionState, state_at
from csu.domain.errors import InvalidValue
from csu.domain.identifiers import date_parts
from csu.domain.masking import mask_identifier
from csu.domain.plural import plural_of

PENDING, GRANTED, REFUSED = "pending", "granted", "refused"
STATE_LABELS: dict[str, str] = {
    PENDING: "en attente",
    GRANTED: "accordée",
    REFUSED: "refusée",
}

CHECKLIST_FIELD = "Pièces de la demande"
DECLARED_FIELD = "Date de déclaration"


@dataclass(frozen=True, slots=True)
class MaterialFacts:
    """What the rules need to know of one material concerned by a request."""

    identifier: str
    status: str  # active, substituted, invalidated
    voted: bool  # its émargement forbids a substitution (the election's rule)
    voted_in: tuple[str, ...] = ()  # the scrutins voted, when the election names them


# What of a request an anomaly is about (:attr:`Anomaly.at`), so that a form can take
# the operator to it: the voter numbers, the pieces received, the identity typed from
# the signed request, the day the loss was declared.
AT_MATERIAL, AT_CHECKLIST, AT_IDENTITY, AT_DECLARED = (
    "material", "checklist", "identity", "declared_on",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Anomaly:
    """One reason to refuse a request: its French sentence, what of the request it is
    about (one of the ``AT_`` codes; None: the election itself) and the items concerned
    (the identifiers of the materials, the checklist items not ticked, the identity
    fields that differ: « nom », « prénom », « date de naissance »)."""

    text: str
    at: str | None = None
    items: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class NewMaterial:
    """What the voter receives for one capacity: the new identifier, and the value and
    format label of each credential (shown once, in the e-mail)."""

    capacity: str
    identifier: str
    credentials: tuple[tuple[str, str], ...]  # (label, value as displayed)


def _key(label: str) -> str:
    return " ".join(label.split()).casefold()


def checklist_answers(checklist: Sequence[str], answers: Mapping[str, bool]) -> dict[str, bool]:
    """Every item of the election's checklist, ticked or not, under the election's own
    label. An answer about an item the election does not list is an InvalidValue (the
    screen offers the election's list: anything else is a mistake, not a refusal)."""
    known = {_key(item): item for item in checklist}
    ticked = dict.fromkeys(checklist, False)
    for label, value in answers.items():
        item = known.get(_key(label))
        if item is None:
            raise InvalidValue(CHECKLIST_FIELD, f"pièce inconnue pour ce scrutin : « {label} »")
        ticked[item] = bool(value)
    return ticked


def check_declared_on(declared_on: date, today: date) -> None:
    """A declaration of loss cannot be dated after today (Paris)."""
    if declared_on > today:
        raise InvalidValue(
            DECLARED_FIELD, f"le {declared_on:%d/%m/%Y} est postérieur à aujourd'hui"
        )


def _closed(definition: ElectionDefinition, now_utc: datetime) -> str | None:
    if state_at(definition, now_utc) is ElectionState.CLOSED:
        return (
            f"Le scrutin {definition.id} est clos : plus aucun matériel de substitution "
            "n'est délivrable."
        )
    return None


def _disabled(definition: ElectionDefinition) -> str | None:
    rules = definition.substitution
    if not rules.enabled or rules.identifier is None:
        return f"Le scrutin {definition.id} ne prévoit pas de matériel de substitution."
    return None


def material_faults(materials: Iterable[MaterialFacts]) -> list[Anomaly]:
    """Material already used to vote, or no longer active."""
    found: list[Anomaly] = []
    for material in materials:
        # Named as screens name it: an identifier may be an address, and the sentence is
        # the refusal's reason, journalled, which outlives the purge of the material.
        shown = mask_identifier(material.identifier)
        if material.voted:
            scrutins = ", ".join(f"« {title} »" for title in material.voted_in)
            text = (
                f"L'électeur a déjà voté avec le matériel {shown}"
                + (f" ({scrutins})" if scrutins else "")
                + " : aucun matériel de substitution n'est délivrable."
            )
        elif material.status != "active":
            text = (
                f"Le matériel {shown} n'est plus actif (déjà substitué ou "
                "invalidé)."
            )
        else:
            continue
        found.append(Anomaly(text, AT_MATERIAL, (material.identifier,)))
    return found


def material_anomalies(materials: Iterable[MaterialFacts]) -> list[str]:
    """Material already used to vote, or no longer active, in French."""
    return [fault.text for fault in material_faults(materials)]


def request_anomalies(
    definition: ElectionDefinition,
    now_utc: datetime,
    *,
    declared_on: date,
    checklist: Mapping[str, bool],
    identity_match: bool,
    materials: Sequence[MaterialFacts],
) -> list[Anomaly]:
    """Every reason to refuse a request, each with what of the request it is about (a
    form goes to it); empty when it may be granted. ``checklist`` comes from
    :func:`checklist_answers`."""
    disabled = _disabled(definition)
    if disabled:
        return [Anomaly(disabled)]
    found: list[Anomaly] = []
    closed = _closed(definition, now_utc)
    if closed:
        found.append(Anomaly(closed))
    from_day = definition.substitution.from_day
    if from_day is not None and declared_on < from_day:
        found.append(Anomaly(
            f"Perte ou non-réception déclarée le {declared_on:%d/%m/%Y}, avant le "
            f"{from_day:%d/%m/%Y} : aucune demande n'est recevable avant cette date "
            "(délais d'acheminement du matériel).",
            AT_DECLARED,
        ))  # fmt: skip
    missing = tuple(item for item, ticked in checklist.items() if not ticked)
    if missing:
        pieces = plural_of(len(missing), "pièce manquante", "pièces manquantes")
        found.append(Anomaly(
            f"Demande incomplète, {pieces} : "
            + " ; ".join(f"« {item} »" for item in missing)
            + ".",
            AT_CHECKLIST,
            missing,
        ))  # fmt: skip
    if not identity_match:
        found.append(Anomaly(
            "Les nom, prénom et date de naissance de la demande ne correspondent pas à "
            "la liste électorale.",
            AT_IDENTITY,
        ))  # fmt: skip
    found.extend(material_faults(materials))
    return found


def grant_anomalies(
    definition: ElectionDefinition, now_utc: datetime, materials: Sequence[MaterialFacts]
) -> list[str]:
    """What forbids granting a request that was in order when made: the election closed
    or stopped substitution, or a material was used to vote meanwhile."""
    disabled = _disabled(definition)
    if disabled:
        return [disabled]
    closed = _closed(definition, now_utc)
    return ([closed] if closed else []) + material_anomalies(materials)


def refusal_reason(anomalies: Sequence[str]) -> str:
    return " ".join(anomalies)


def materials_text(materials: Sequence[NewMaterial]) -> str:
    """The part of the e-mail that gives the new material, one block per capacity."""
    blocks: list[str] = []
    for material in materials:
        lines = [
            f"Qualité : {material.capacity}",
            f"Identifiant de vote : {material.identifier}",
        ]
        lines += [f"{label[:1].upper()}{label[1:]} : {value}" for label, value in
                  material.credentials]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def parse_declared_on(raw: str, today: date) -> date:
    """The day the voter declared the loss or non-receipt, « jj/mm/aaaa » or another form
    :func:`csu.domain.identifiers.date_parts` reads, not after ``today`` (Paris)."""
    field = DECLARED_FIELD
    value = raw.strip()
    if not value:
        raise InvalidValue(field, "valeur absente")
    parts = date_parts(value)
    if parts is None:
        raise InvalidValue(field, "format attendu jj/mm/aaaa")
    day, month, year = parts
    try:
        declared = date(int(year), int(month), int(day))
    except ValueError:
        raise InvalidValue(field, f"le {day}/{month}/{year} n'existe pas") from None
    check_declared_on(declared, today)
    return declared
