"""The matricule format an election's organiser writes (``matricule_pattern``), matched
by RE2 (google-re2) in a time linear in the matricule, whatever the pattern.

Python's ``re`` backtracks: « ^(A+)+$ » held a roll import for over a minute on one line
of 41 characters, and « ^A*A*A*A*A*A*A*A*A*A*A*A*B$ », which a check of the pattern's
shape let through, took 7 s on 24 characters and held an import past 40 s on one line.
RE2 has no backtracking, hence neither back-references nor look-arounds: a pattern using
them is refused as its election loads."""

import re
import warnings
from functools import lru_cache
from typing import Protocol

import re2

# Its refusals are said in French, by the election's loading: not printed on stderr.
_OPTIONS = re2.Options()
_OPTIONS.log_errors = False

UNSUPPORTED = (
    "construction que le moteur RE2 ne lit pas (renvoi \\1, assertion (?=…) ou (?<…), "
    "\\Z, répétition de plus de 1000, drapeau (?x)…) : écrivez le format avec des "
    "classes, des groupes et des répétitions (ex. ^[A-Z0-9]{4,12}$)"
)


class Matcher(Protocol):
    def fullmatch(self, text: str) -> object | None: ...


class PatternRefused(ValueError):
    """Why a pattern cannot serve, in French."""


@lru_cache(maxsize=64)
def compiled(pattern: str) -> Matcher:
    """``pattern`` compiled by RE2; :class:`PatternRefused` when it cannot be."""
    try:
        with warnings.catch_warnings():  # re's FutureWarning (« [[ »), not for stderr
            warnings.simplefilter("ignore")
            re.compile(pattern)  # for where a syntax error is, which RE2 does not say
    except re.error as error:
        where = f" à la position {error.pos + 1}" if error.pos is not None else ""
        raise PatternRefused(f"expression régulière invalide{where}") from None
    except (RecursionError, OverflowError):
        raise PatternRefused(
            "expression régulière invalide (trop imbriquée ou trop grande)"
        ) from None
    try:
        return re2.compile(pattern, options=_OPTIONS)  # type: ignore[no-any-return]
    except re2.error:
        raise PatternRefused(UNSUPPORTED) from None
    except UnicodeError:  # a lone surrogate, which Python's re took: RE2 reads UTF-8
        raise PatternRefused("expression régulière invalide (caractère non UTF-8)") from None
