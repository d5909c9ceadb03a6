"""Whom a voter calls, and how long an escalated case may wait: the election file's
``[[support_numbers]]``, ``[[ccil]]`` and ``[escalation]``.

- ``[[support_numbers]]``: the numbers every message to a voter carries (Interior: the
  cell's own CSU number and the voting platform's two support numbers, seed 002).
- ``[[ccil]]``: the local chambers' support lines (CCI, seed 000), each with the
  electoral constituencies it answers for: the roll's ``circonscription`` column gives
  the voter's CCIL.
- ``[escalation]``: the minutes a supervisor has to take an escalated case (the cell's
  own policy: no organiser gives a figure).

Parsed here rather than in :mod:`csu.domain.election`, which only calls
:func:`parse_contacts` and stores the result; any fault is an :class:`InvalidValue`
naming the file and the key path, as for the rest of the file.
"""

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

from csu.domain.errors import InvalidValue
from csu.domain.identifiers import parse_email
from csu.domain.text import is_blank, refuse_control_characters

TOP_LEVEL_KEYS: tuple[str, ...] = ("support_numbers", "ccil", "escalation")
"""The election file's top-level keys this module reads."""

DEFAULT_ESCALATION_MINUTES = 60
MAX_ESCALATION_MINUTES = 7 * 24 * 60
MAX_TEXT = 300

_PHONE = re.compile(r"\+?[0-9][0-9 .]{2,18}[0-9]")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


@dataclass(frozen=True, slots=True)
class SupportNumber:
    """A number the voter may call: ``label`` says whose it is (« CSU électeurs »),
    ``hours`` when it answers and ``note`` what it costs, as the organiser wrote them."""

    label: str
    phone: str
    hours: str | None = None
    note: str | None = None

    def describe(self) -> str:
        """« CSU électeurs : 01 80 15 43 21 (tous les jours de 9h00 à 18h00) »."""
        extras = [part for part in (self.note, self.hours) if part]
        tail = f" ({' ; '.join(extras)})" if extras else ""
        return f"{self.label} : {self.phone}{tail}"

    def short(self) -> str:
        """« CSU électeurs : 01 80 15 43 21 »: an SMS's last line."""
        return f"{self.label} : {self.phone}"


@dataclass(frozen=True, slots=True)
class Ccil:
    """A local chamber's support line and the constituencies it answers for."""

    name: str
    phone: str
    email: str
    hours: str
    constituencies: tuple[str, ...]

    def describe(self) -> str:
        """« CCIL Aisne : 03 23 06 02 02, elections@aisne.cci.fr (du lundi au …) »."""
        return f"{self.name} : {self.phone}, {self.email} ({self.hours})"


@dataclass(frozen=True, slots=True)
class ElectionContacts:
    """What an election file says of its support numbers, CCIL and escalation."""

    numbers: tuple[SupportNumber, ...] = ()
    ccils: tuple[Ccil, ...] = ()
    escalation_minutes: int = DEFAULT_ESCALATION_MINUTES

    def ccil_for(self, constituency: str | None) -> Ccil | None:
        """The CCIL of a voter's constituency (accents, case and spaces ignored)."""
        if not constituency:
            return None
        wanted = fold(constituency)
        for ccil in self.ccils:
            if any(fold(c) == wanted for c in ccil.constituencies):
                return ccil
        return None


@dataclass(frozen=True, slots=True)
class VoterSupport:
    """Whom one voter calls: their CCIL (CCI elections) and the election's numbers.
    ``fallback``: the election's ``support_phone`` (with the cell's hours), said when the
    file lists no number."""

    ccil: Ccil | None
    numbers: tuple[SupportNumber, ...]
    fallback: SupportNumber | None = None

    def lines(self) -> list[str]:
        """One French line per number, the CCIL first."""
        found = [self.ccil.describe()] if self.ccil else []
        found += [number.describe() for number in self.numbers]
        if not found and self.fallback is not None:
            found.append(self.fallback.describe())
        return found

    def footer(self) -> str:
        """The paragraph a message to the voter ends with ("" when there is nothing)."""
        lines = self.lines()
        if not lines:
            return ""
        return "En cas de difficulté, contactez :\n" + "\n".join(f"- {line}" for line in lines)


def voter_support(
    contacts: ElectionContacts, constituency: str | None, fallback: SupportNumber | None = None
) -> VoterSupport:
    """Whom a voter of ``constituency`` calls. A CCI voter whose constituency names no
    CCIL still gets the election's numbers (and the fallback when it has none)."""
    return VoterSupport(
        ccil=contacts.ccil_for(constituency), numbers=contacts.numbers, fallback=fallback
    )


# Whose line the election's ``support_phone`` is, in an e-mail's footer.
FALLBACK_LABEL = "Assistance aux électeurs"


def first_number(
    contacts: ElectionContacts, constituency: str | None, csu_phone: str | None, fallback: str
) -> SupportNumber:
    """The one number a short message names (« appelez le … », an SMS's last line): the
    voter's CCIL (CCI, seed 000: « le numéro d'assistance de la CCIL du ressort de votre
    circonscription »); else the cell's own ``csu_phone`` (Interior, seed 002: the CSU
    made the change, and is whom the voter calls when still unable to vote); else the
    election's ``support_phone`` (``fallback``). Labelled as the file labels it."""
    ccil = contacts.ccil_for(constituency)
    if ccil is not None:
        return SupportNumber(ccil.name, ccil.phone)
    phone = csu_phone or fallback
    digits = _digits(phone)
    for number in contacts.numbers:
        if _digits(number.phone) == digits:
            return SupportNumber(number.label, number.phone)
    return SupportNumber("CSU électeurs" if csu_phone else "Assistance", phone)


def _digits(phone: str) -> str:
    return "".join(c for c in phone if c.isdigit())


TYPED_EMAIL_FIELD = "Courriel"


def parse_typed_email(raw: str) -> str:
    """An address an operator types for a voter (a personal address, the substitution
    request's): :func:`~csu.domain.identifiers.parse_email`, and nothing but ASCII
    before the @. Such a local part (« laurence.ménard@… ») needs SMTPUTF8, which
    many relays refuse, and a confirmed address cannot change afterwards (issue L5).
    The domain is left as parse_email gives it, so that both compare the same."""
    address = parse_email(raw)
    if not address.rpartition("@")[0].isascii():
        raise InvalidValue(
            TYPED_EMAIL_FIELD,
            "accent ou caractère non latin avant le @ : beaucoup de serveurs de messagerie "
            "refusent une telle adresse ; demandez une adresse sans accent avant le @",
        )
    return address


def typed_twice_alike(first: str, second: str) -> bool:
    """Whether an address an operator typed twice (the personal address of S7, the
    address of an S5 request) is one address: both read by :func:`parse_typed_email`
    and compared ignoring case (lower(), not casefold(): that would take « straße » and
    « strasse » for one address). A second typing that is no address differs; the first
    must be one (its refusal is raised)."""
    address = parse_typed_email(first)
    try:
        again = parse_typed_email(second)
    except InvalidValue:
        return False
    return address.lower() == again.lower()


def fold(text: str) -> str:
    """Accent-, case- and spacing-free form for comparing names (NFKD)."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(bare.replace("-", " ").replace("'", " ").replace("’", " ").split())


# --------------------------------------------------------------------------- reading


class _Reader:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, path: str, fault: str) -> NoReturn:
        raise InvalidValue(f"{self.source} : {path}", fault)

    def table(
        self, value: object, path: str, allowed: Sequence[str], required: Iterable[str] = ()
    ) -> Mapping[str, Any]:
        if not isinstance(value, dict):
            self.fail(path, "type attendu : table")
        for key in value:
            if key not in allowed:
                self.fail(f"{path}.{key}", "clé inconnue (clés admises : " + ", ".join(allowed)
                          + ")")
        for key in required:
            if key not in value:
                self.fail(f"{path}.{key}", "clé obligatoire absente")
        return value

    def tables(self, value: object, path: str) -> list[Any]:
        if not isinstance(value, list):
            self.fail(path, f"type attendu : liste de tables ([[{path}]])")
        return value

    def text(self, value: object, path: str) -> str:
        if not isinstance(value, str):
            self.fail(path, "type attendu : texte")
        if is_blank(value):  # zero-width characters alone show as nothing
            self.fail(path, "ne doit pas être vide")
        # The rule of every typed text (csu.domain.text), as for the rest of the file.
        refuse_control_characters(value, f"{self.source} : {path}")
        if len(value) > MAX_TEXT:
            self.fail(path, f"{MAX_TEXT} caractères au plus")
        return value.strip()

    def phone(self, value: object, path: str) -> str:
        text = self.text(value, path)
        if not _PHONE.fullmatch(text):
            self.fail(path, "numéro de téléphone attendu (chiffres, espaces ou points)")
        return text

    def email(self, value: object, path: str) -> str:
        text = self.text(value, path)
        if not _EMAIL.fullmatch(text):
            self.fail(path, "adresse électronique invalide")
        return text


def parse_contacts(top: Mapping[str, Any], source: str) -> ElectionContacts:
    """The three sections of an election file (TOML or its stored JSON form)."""
    r = _Reader(source)
    numbers = tuple(
        _number(r, raw, f"support_numbers[{n}]")
        for n, raw in enumerate(r.tables(top.get("support_numbers", []), "support_numbers"), 1)
    )
    ccils = tuple(
        _ccil(r, raw, f"ccil[{n}]")
        for n, raw in enumerate(r.tables(top.get("ccil", []), "ccil"), 1)
    )
    owner: dict[str, str] = {}
    for n, ccil in enumerate(ccils, 1):
        for constituency in ccil.constituencies:
            other = owner.setdefault(fold(constituency), ccil.name)
            if other != ccil.name:
                r.fail(f"ccil[{n}].constituencies",
                       f"« {constituency} » relève déjà de {other}")
    escalation = r.table(top.get("escalation", {}), "escalation", ("deadline_minutes",))
    minutes = escalation.get("deadline_minutes", DEFAULT_ESCALATION_MINUTES)
    if isinstance(minutes, bool) or not isinstance(minutes, int):
        r.fail("escalation.deadline_minutes", "type attendu : nombre entier")
    if not 1 <= minutes <= MAX_ESCALATION_MINUTES:
        r.fail("escalation.deadline_minutes",
               f"entre 1 et {MAX_ESCALATION_MINUTES} minutes (une semaine)")
    return ElectionContacts(numbers=numbers, ccils=ccils, escalation_minutes=minutes)


def _number(r: _Reader, raw: object, path: str) -> SupportNumber:
    spec = r.table(raw, path, ("label", "phone", "hours", "note"), ("label", "phone"))
    return SupportNumber(
        label=r.text(spec["label"], f"{path}.label"),
        phone=r.phone(spec["phone"], f"{path}.phone"),
        hours=r.text(spec["hours"], f"{path}.hours") if "hours" in spec else None,
        note=r.text(spec["note"], f"{path}.note") if "note" in spec else None,
    )


def _ccil(r: _Reader, raw: object, path: str) -> Ccil:
    keys = ("name", "phone", "email", "hours", "constituencies")
    spec = r.table(raw, path, keys, keys)
    constituencies = spec["constituencies"]
    if not isinstance(constituencies, list) or not constituencies:
        r.fail(f"{path}.constituencies", "liste non vide de circonscriptions attendue")
    return Ccil(
        name=r.text(spec["name"], f"{path}.name"),
        phone=r.phone(spec["phone"], f"{path}.phone"),
        email=r.email(spec["email"], f"{path}.email"),
        hours=r.text(spec["hours"], f"{path}.hours"),
        constituencies=tuple(
            r.text(c, f"{path}.constituencies[{n}]") for n, c in enumerate(constituencies, 1)
        ),
    )


def contacts_to_json(contacts: ElectionContacts) -> dict[str, Any]:
    """The three sections in the file's shape (for the stored JSON form)."""
    data: dict[str, Any] = {}
    if contacts.numbers:
        data["support_numbers"] = [
            {"label": n.label, "phone": n.phone}
            | ({"hours": n.hours} if n.hours else {})
            | ({"note": n.note} if n.note else {})
            for n in contacts.numbers
        ]
    if contacts.ccils:
        data["ccil"] = [
            {"name": c.name, "phone": c.phone, "email": c.email, "hours": c.hours,
             "constituencies": list(c.constituencies)}
            for c in contacts.ccils
        ]
    if contacts.escalation_minutes != DEFAULT_ESCALATION_MINUTES:
        data["escalation"] = {"deadline_minutes": contacts.escalation_minutes}
    return data


_POSTCODE = re.compile(r"[0-9]{5}")


def mask_postal_address(address: str) -> str:
    """A home address masked for screens and the journal, on one line: each word's
    first character, the postcode's first two digits (the département):
    « 1* r** d** L***, 59*** L**** »."""

    def word(text: str) -> str:
        if _POSTCODE.fullmatch(text):
            return text[:2] + "***"
        return text[:1] + "*" * (len(text) - 1) if len(text) > 1 else "*"

    lines = [line.split() for line in address.splitlines() if line.strip()]
    return ", ".join(" ".join(word(w) for w in line) for line in lines)


def sms_numbers(
    contacts: ElectionContacts, csu_phone: str | None, fallback: str
) -> tuple[SupportNumber, ...]:
    """Every number :func:`first_number` may give a voter of this election: each
    CCIL's, and the one of a voter whose constituency names none (the longest of them
    decides how long an SMS may be)."""
    found = [first_number(contacts, None, csu_phone, fallback)]
    found += [SupportNumber(ccil.name, ccil.phone) for ccil in contacts.ccils]
    return tuple(dict.fromkeys(found))
