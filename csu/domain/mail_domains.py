"""Mail domains an election declares professional: an address there is never a voter's
personal one, whoever's it is.

The Éducation nationale sends a new vote code's link to « une messagerie personnelle »,
« une adresse mail différente de l'adresse ac-dijon.fr » (seeds 001, 004): another
academy's mailbox (``t.peron@ac-lille.fr``) is no more personal than the voter's own.
So an election file lists its professional domains (``professional_domains``), where
``*`` stands for any letters, digits or hyphens within one label (``ac-*.fr``), and a
domain also covers its subdomains (``education.gouv.fr`` covers
``dgesco.education.gouv.fr``).
"""

import re
from collections.abc import Iterable
from functools import lru_cache

__all__ = [
    "MAX_PATTERN_LENGTH",
    "domain_pattern_fault",
    "professional_match",
    "professional_refusal",
]

MAX_PATTERN_LENGTH = 253  # the longest domain name

_LABEL = r"[a-z0-9*]([a-z0-9*-]*[a-z0-9*])?"
_PATTERN = re.compile(rf"{_LABEL}(\.{_LABEL})+")


def domain_pattern_fault(pattern: str) -> str | None:
    """What is wrong with ``pattern`` as an election's professional domain, in French;
    None when it is one."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        return f"{MAX_PATTERN_LENGTH} caractères au plus"
    if not _PATTERN.fullmatch(pattern):
        return (
            "domaine attendu, en minuscules, au moins deux parties séparées par des points "
            "(ex. ac-*.fr, education.gouv.fr ; « * » : des lettres, chiffres ou tirets)"
        )
    labels = pattern.split(".")
    if "*" in labels[-1]:
        return "« * » ne peut pas remplacer l'extension (.fr, .com…) : il couvrirait tout"
    # « *.fr » or « *-*.fr » fix nothing but the extension: orange.fr, free.fr... would
    # all count as professional, and no voter could give a personal address there.
    if not any(c.isalnum() for label in labels[:-1] for c in label):
        return (
            f"« * » seul devant l'extension couvrirait tout le .{labels[-1]} : une partie "
            "fixe est attendue avant elle (ex. ac-*.fr, *.gouv.fr)"
        )
    return None


def professional_match(address: str, patterns: Iterable[str]) -> str | None:
    """The first of ``patterns`` whose domain the e-mail ``address`` is in (None: none).
    Compared without case, as mail domains are."""
    domain = address.rpartition("@")[2].casefold().rstrip(".")
    for pattern in patterns:
        if _compiled(pattern).fullmatch(domain):
            return pattern
    return None


def professional_refusal(address: str, patterns: Iterable[str], what: str) -> str | None:
    """The French refusal of ``address`` typed as a personal one when it is in a
    professional domain (``what``: what goes there, « le lien »); None otherwise."""
    pattern = professional_match(address, patterns)
    if pattern is None:
        return None
    domain = address.rpartition("@")[2].casefold()
    return (
        f"L'adresse saisie est une adresse professionnelle ({domain} : l'élection compte "
        f"« {pattern} » comme domaine professionnel) : {what} doit partir vers une adresse "
        "personnelle."
    )


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    body = re.escape(pattern).replace(r"\*", "[a-z0-9-]*")
    return re.compile(rf"([a-z0-9-]+\.)*{body}")
