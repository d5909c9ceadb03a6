"""A client's network address as the journal, the logs and the per-address limits name
it: an IP address only. What a proxy's header carries is any text at all (a NUL, a
bidirectional character, a name): never recorded as it came, and counted as one
address."""

import ipaddress
import itertools
import unicodedata

from csu.domain.text import LOOK_ALIKE_SCRIPTS, script_of

UNKNOWN_ADDRESS = "inconnue"  # none given
INVALID_ADDRESS = "adresse invalide"  # something that is no IP address


def recorded_address(host: str) -> str:
    """``host`` as recorded: an IP address; an IPv4 client that a dual-stack proxy names
    ``::ffff:a.b.c.d`` by its IPv4 address; anything else, an IPv6 zone included
    (« fe80::1%… », whose zone is any text), :data:`INVALID_ADDRESS`."""
    if not host:
        return UNKNOWN_ADDRESS
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return INVALID_ADDRESS
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id:
            return INVALID_ADDRESS
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
    return str(ip)


# A browser session's workstation in the journal: the client's address, so that every
# entry of a session says it came from a browser, and from where (csu serve).
WEB_PREFIX = "web:"


def web_workstation(address: str) -> str:
    """The workstation of a browser session from ``address`` (:func:`recorded_address`)."""
    return f"{WEB_PREFIX}{address}"


def _passes_for(mine: str, theirs: str) -> bool:
    """Whether the character ``mine`` reads as ``theirs`` (a letter, or the colon)."""
    if mine == theirs or mine.isascii():
        return mine == theirs
    if theirs.isalpha():
        # A name is read, not compared by code point: « е » Cyrillic, « ο » Greek.
        return mine.isalpha() and script_of(mine) in LOOK_ALIKE_SCRIPTS
    # « ∶ », « ꞉ », and « ː », a modifier letter (Lm) that Python counts among letters.
    return not mine.isalnum() or unicodedata.category(mine) == "Lm"


def _unseen(char: str) -> bool:
    """A space or an invisible character, which the eye reads past (« web :… »)."""
    return char.isspace() or unicodedata.category(char) in ("Cf", "Cc", "Zs")


def reads_as_web_workstation(workstation: str) -> bool:
    """Whether ``workstation`` reads as a browser session's (« web:… ») in the journal:
    in any case or width, with spaces or invisible characters before or within it, or
    with a look-alike for a letter or the colon (« wеb: », « ԝeb: », « web∶ », « webː »)."""
    seen = (c for c in unicodedata.normalize("NFKC", workstation).casefold() if not _unseen(c))
    head = "".join(itertools.islice(seen, len(WEB_PREFIX)))
    return len(head) == len(WEB_PREFIX) and all(
        _passes_for(mine, theirs) for mine, theirs in zip(head, WEB_PREFIX, strict=True)
    )


def counted_address(address: str) -> str:
    """Whom a per-address limit counts: ``address`` as :func:`recorded_address` gives it;
    an IPv6 client by its /64, which one host can rotate within."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:  # « adresse invalide », « inconnue »: one address each
        return address
    if ip.version == 6 and not ip.is_loopback:
        return str(ipaddress.IPv6Network(f"{ip}/64", strict=False))
    return address


def login_origin(workstation: str) -> str:
    """Where failed logins are counted (csu.services.auth): the workstation; a browser
    session's by its client's :func:`counted_address`, so that an IPv6 host rotating its
    address within its /64 stays one origin."""
    if workstation.startswith(WEB_PREFIX):
        return web_workstation(counted_address(workstation.removeprefix(WEB_PREFIX)))
    return workstation
