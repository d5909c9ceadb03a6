"""Mail domains an election declares professional: an address there is never a voter's
personal one, whoever's it is.

The Éducation nationale sends a new vote code's link to « une messagerie personnelle »,
« une adresse mail différente de l'adresse ac-dijon.fr » (seeds 001, 004): another
academy's mailbox (``t.peron@ac-lille.fr``) is no more personal than the voter's own.
So an election file lists its professional domains (``professional_domains``), where
``*`` stands for any letters, digits or hyphens within one label (``ac-*.fr``), and a
domain also covers its subdomains (``education.gouv.fr`` covers
``dgesco.education.gouv.fr``).

An address typed for a delivery (a vote-code link, an identifier) whose domain looks
like a slip of the keyboard (« gmail.con », « gmial.com », « hotmial.fr », « .fr.fr »)
is doubted (:func:`likely_typo`): the agent reads it back to the voter and confirms it,
or corrects it. Nobody can read the address back once it is sent (the journal keeps it
masked), and a typo sends what it carries to a stranger's mailbox. email-validator
checks the syntax only; no DNS is asked (the desk may have none).
"""

import difflib
import re
from collections.abc import Iterable
from functools import lru_cache

from csu.domain.errors import InvalidValue

__all__ = [
    "COMMON_PROVIDERS",
    "MAX_PATTERN_LENGTH",
    "DoubtfulDomain",
    "domain_pattern_fault",
    "likely_typo",
    "professional_match",
    "professional_refusal",
    "refuse_doubtful_domain",
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


# The mailbox providers French voters give most: a domain close to one of them and not
# one of them is likely a typo. (The cell's own list; no organiser gives one.)
COMMON_PROVIDERS: tuple[str, ...] = (
    "gmail.com", "googlemail.com", "yahoo.fr", "yahoo.com", "ymail.com", "hotmail.fr",
    "hotmail.com", "outlook.fr", "outlook.com", "live.fr", "live.com", "msn.com",
    "orange.fr", "wanadoo.fr", "free.fr", "sfr.fr", "neuf.fr", "bbox.fr", "laposte.net",
    "icloud.com", "me.com", "mail.com", "aol.com", "gmx.fr", "gmx.com", "numericable.fr",
    "club-internet.fr", "aliceadsl.fr", "protonmail.com", "proton.me",
)  # fmt: skip
_PROVIDERS = frozenset(COMMON_PROVIDERS)
# A provider's name under another extension than its own (« gmail.fr », « laposte.fr »):
# the first of its domains in the list.
_BY_NAME: dict[str, str] = {}
for _domain in COMMON_PROVIDERS:
    _BY_NAME.setdefault(_domain.rpartition(".")[0], _domain)
# Extensions no address ends with, a key away from the one meant (« .cm » and « .om »
# exist, Cameroon and Oman, and are the usual slips for « .com »: asked, not refused).
_EXTENSION_SLIPS: dict[str, str] = {
    "con": "com", "cpm": "com", "cim": "com", "vom": "com", "xom": "com", "cmo": "com",
    "ocm": "com", "comm": "com", "coom": "com", "cm": "com", "om": "com",
    "frr": "fr", "ffr": "fr", "rf": "fr", "fe": "fr", "ft": "fr",
    "nte": "net", "ney": "net", "nett": "net",
}  # fmt: skip
_CLOSE_ENOUGH = 0.8  # difflib's ratio: « gmial.com » is 0.89 from « gmail.com »
DOUBTFUL_FIELD = "Adresse"


def likely_typo(address: str) -> str | None:
    """The domain ``address`` was likely meant to have, when its own looks like a slip
    of the keyboard: a repeated extension (« exemple.fr.fr »), an extension that is a
    slip (« .con »), a common provider's name under another extension (« gmail.fr »),
    or a domain close to a common provider's and not one (« gmial.com »,
    « hotmial.fr »). None when it looks right."""
    domain = address.rpartition("@")[2].casefold().rstrip(".")
    if domain in _PROVIDERS:
        return None
    labels = domain.split(".")
    meant = domain
    if len(labels) > 2 and labels[-1] == labels[-2]:
        meant = ".".join(labels[:-1])
    elif len(labels) > 1 and labels[-1] in _EXTENSION_SLIPS:
        meant = ".".join([*labels[:-1], _EXTENSION_SLIPS[labels[-1]]])
    if meant.rpartition(".")[0] in _BY_NAME and meant not in _PROVIDERS:
        meant = _BY_NAME[meant.rpartition(".")[0]]
    close = difflib.get_close_matches(meant, COMMON_PROVIDERS, n=1, cutoff=_CLOSE_ENOUGH)
    if close:
        meant = close[0]
    return meant if meant != domain else None


class DoubtfulDomain(InvalidValue):
    """An address whose domain looks like a typo, typed for a delivery and not yet
    confirmed: ``domain`` as typed, ``meant`` the likely one. The agent confirms it
    (the service's ``domain_confirmed``), or corrects it."""

    def __init__(self, field: str, domain: str, meant: str) -> None:
        super().__init__(
            field,
            f"le domaine « {domain} » ressemble à une faute de frappe pour « {meant} » : "
            "relisez l'adresse à l'électeur, puis corrigez-la, ou confirmez-la si elle est "
            "juste",
        )
        self.domain = domain
        self.meant = meant


def refuse_doubtful_domain(address: str, field: str = DOUBTFUL_FIELD) -> None:
    """Raises :class:`DoubtfulDomain` when :func:`likely_typo` doubts ``address``."""
    meant = likely_typo(address)
    if meant is not None:
        raise DoubtfulDomain(field, address.rpartition("@")[2].casefold(), meant)
