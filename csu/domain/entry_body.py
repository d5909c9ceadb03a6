"""What an entry's body must be for every reader to read it alike: UTF-8 JSON, an
object, every field of the journal of its type, a readable time, no key twice in one
object, no number a float or an int cannot hold, no nesting deeper than 32 levels.

The PostgreSQL queue's trigger refuses such a body (migrations 0021 to 0023, in the same
words, in the same order); :func:`read_queued` says it of a queued body, and
:func:`entry_fault` of a chained one. On SQLite a body written by hand into the journal
was chained and verified as any other: « [1,2,3] » or a valid entry followed by a NUL
(SQLite's JSON reads the text up to the NUL, Python's refuses it) made the export end in
a traceback while the verification said « journal intègre », and a key given twice made
the indexed columns (SQLite's reading: the first value) disagree with what the review
and the export show (Python's: the last)."""

import json
import math
from typing import Any

from csu.domain.clock import parse_rfc3339
from csu.domain.journal import ENTRY_FIELDS

INDEXED_FIELDS = tuple(name for name in ENTRY_FIELDS if name != "details")


def entry_fault(body: bytes) -> str | None:
    """Why a chained body is no entry that every reader reads alike (in French), or None.

    A body is cleared, in 5 µs, when it reads as :func:`read_queued` would take it:
    UTF-8 JSON, an object, no key twice in any object (SQLite's JSON takes a key's first
    value, Python's its last), the journal's fields of their types, a readable time,
    nothing nested past 32 levels, no NaN nor infinity. Any other is read by
    :func:`read_queued` itself (11 µs), for what to say of it."""
    if read_entry(body) is not None:
        return None
    return read_queued(body)[1] or NOT_AS_WRITTEN


def read_entry(body: bytes | str) -> dict[str, Any] | None:
    """The body's fields when it is an entry every reader reads alike (the 5-µs reading
    of :func:`entry_fault`), else None: what the review, the export and a timeline show."""
    try:
        fields = _READ(body if isinstance(body, str) else bytes(body).decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError, _NotAnEntry):
        return None
    return fields if type(fields) is dict and _an_entry(fields) else None


NOT_AS_WRITTEN = "contenu qui n'est pas du JSON strict (NaN ou infini)"


class _NotAnEntry(Exception):
    """Raised by the reader's hooks: a key twice, a NaN or an infinity."""


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) != len(pairs):
        raise _NotAnEntry
    return found


def _no_constant(name: str) -> Any:
    raise _NotAnEntry


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NotAnEntry
    return value


_READ = json.JSONDecoder(
    object_pairs_hook=_unique, parse_constant=_no_constant, parse_float=_finite
).decode


def _an_entry(fields: dict[str, Any]) -> bool:
    """Whether ``fields`` (read without a key twice) are an entry's, as read_queued
    takes one."""
    for name in INDEXED_FIELDS:
        if name not in fields:
            return False
        value = fields[name]
        if type(value) is not str and (value is not None or name in _REQUIRED):
            return False
    if type(fields.get("details")) is not dict:
        return False
    try:
        parse_rfc3339(fields["ts"])
    except ValueError:
        return False
    return not _nested_past(fields, MAX_DEPTH)


def _nested_past(value: Any, levels: int) -> bool:
    """Whether an item of ``value`` lies ``levels`` levels down (jsonpath's
    ``strict $.**{levels}``, the queue's check): an entry's few containers walked."""
    if levels == 0:
        return True
    items = value.values() if type(value) is dict else value
    for item in items:
        if (type(item) is dict or type(item) is list) and _nested_past(item, levels - 1):
            return True
    return False


def read_queued(body: bytes) -> tuple[dict[str, Any] | None, str | None]:
    """A queued body's fields, or why it is no entry (what the queue's trigger checks,
    migrations 0021 to 0023: JSON, an object, every field of the right type, a readable
    time; then no nesting deeper than 32 levels, no key twice in one object, no number
    a float cannot hold nor an integer Python cannot read), in the trigger's order."""
    faults = _Faults()
    try:
        fields = json.loads(
            body,
            object_pairs_hook=faults.unique,
            parse_float=faults.finite,
            parse_int=faults.integer,
        )
    except RecursionError:  # JSON text, nested deeper than Python's parser goes
        return None, _TOO_DEEP
    except (ValueError, UnicodeDecodeError):
        return None, "contenu illisible (ni texte UTF-8 ni JSON)"
    if not isinstance(fields, dict):
        return None, "contenu JSON qui n'est pas un objet"
    for name in INDEXED_FIELDS:
        if name not in fields:
            return None, f"champ « {name} » absent"
        value = fields[name]
        if value is None and name in _REQUIRED:
            return None, f"champ « {name} » vide"
        if value is not None and not isinstance(value, str):
            return None, f"champ « {name} » qui n'est pas du texte"
    if not isinstance(fields.get("details"), dict):
        return None, "champ « details » absent ou qui n'est pas un objet"
    try:
        parse_rfc3339(fields["ts"])
    except ValueError:
        return None, "horodatage « ts » illisible"
    if _nested_past(fields, MAX_DEPTH):
        return None, _TOO_DEEP
    if faults.found is not None:
        return None, faults.found
    return fields, None


_REQUIRED = frozenset({"event_id", "ts", "action", "outcome"})

# What the queue's check refuses (migration 0023) beyond the fields: a body that JSON
# readers read otherwise than the server's jsonb, which the chain would keep for good.
MAX_DEPTH = 32
_TOO_DEEP = f"contenu imbriqué sur plus de {MAX_DEPTH} niveaux"
_INT_DIGITS = 4300  # sys.int_info.default_max_str_digits: more, and int() refuses
_SHOWN = 40  # characters of a key or a number quoted in a reason


def _shortened(text: str) -> str:
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"


class _Faults:
    """json.loads's hooks for a queued body: they read it as json.loads does, and keep
    the first key given twice in an object, or number out of a float's or an int's
    reach, in the words of the queue's check (duplicate keys first, as it does)."""

    def __init__(self) -> None:
        self.duplicate: str | None = None
        self.number: str | None = None

    @property
    def found(self) -> str | None:
        return self.duplicate or self.number

    def unique(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        found = dict(pairs)
        if len(found) < len(pairs) and self.duplicate is None:
            seen: set[str] = set()
            for key, _ in pairs:
                if key in seen:
                    self.duplicate = f"clé « {_shortened(key)} » en double dans un objet"
                    break
                seen.add(key)
        return found

    def finite(self, text: str) -> float:
        value = float(text)
        if not math.isfinite(value) and self.number is None:
            self.number = f"nombre hors des limites d'un flottant ({_shortened(text)})"
        return value

    def integer(self, text: str) -> int | None:
        if len(text.lstrip("-")) > _INT_DIGITS:
            if self.number is None:
                self.number = f"entier de plus de {_INT_DIGITS} chiffres ({text[:20]}…)"
            return None
        return int(text)


