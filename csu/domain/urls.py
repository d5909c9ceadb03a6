"""Web addresses CSU is given (a voting platform's, a webhook receiver's): split by the
standard library, and refused in French, naming the fault, when they are malformed or
hold what no HTTP request can carry: urllib's own errors are English (« Invalid IPv6
URL »), and http.client refuses a space or a control character only when a request is
sent (« URL can't contain control characters »), that is at each delivery, later."""

import re
import unicodedata
from urllib.parse import SplitResult, quote, urlsplit

from csu.domain.errors import InvalidValue
from csu.domain.text import describe_character, escaped, mixed_scripts

# What http.client refuses in a request's target and host (its
# _contains_disallowed_url_pchar_re), and the other spaces, which no address holds.
_NOT_IN_A_REQUEST = re.compile(r"[\x00-\x20\x7f]|\s")


def split_url(url: str, field: str) -> SplitResult:
    """``url`` split (``urllib.parse.urlsplit``), or :class:`InvalidValue` naming
    ``field`` when it cannot be: an IPv6 address's brackets left open (« https://[::1/ »)."""
    try:
        return urlsplit(url)
    except ValueError:
        raise InvalidValue(
            field, "adresse mal formée (crochets d'une adresse IPv6 non refermés ?)"
        ) from None


def request_url(url: str, field: str) -> SplitResult:
    """An address CSU sends requests to, split; or :class:`InvalidValue` naming ``field``
    and the fault: a space or a control character anywhere, :func:`split_url`'s, a port
    that is no number from 1 to 65535, a host no DNS name can be (« a..fr »), a character
    outside ASCII after the host (the request line goes out in ASCII: percent-encoded)."""
    found = _NOT_IN_A_REQUEST.search(url)
    if found is not None:
        char = found.group()
        # A space was meant, and is written encoded; a control character was not.
        hint = f" : encodez-le ({quote(char)})" if unicodedata.category(char) == "Zs" else ""
        raise InvalidValue(
            field,
            f"caractère interdit dans une adresse en position {found.start() + 1} "
            f"({_named(char)}){hint}",
        )
    parts = split_url(url, field)
    try:
        port = parts.port  # not a number, or over 65535: ValueError
    except ValueError:
        port = 0
    if port == 0:
        raise InvalidValue(field, "port attendu entre 1 et 65535")
    try:
        (parts.hostname or "").encode("idna")  # how the connection will name it
    except UnicodeError:
        shown = escaped(parts.hostname or "")
        raise InvalidValue(field, f"nom d'hôte « {shown} » invalide") from None
    # Read in its Unicode form, however written (« xn--nterieur-shh » is « іnterieur »,
    # a Cyrillic « і »): a receiver's or a platform's name that reads as another's.
    if any(mixed_scripts(label) for label in _unicode_host(parts.hostname or "").split(".")):
        raise InvalidValue(
            field, "nom d'hôte mêlant des alphabets (ex. une lettre cyrillique parmi des latines)"
        )
    start = url.index("//") + 2 + len(parts.netloc) if parts.netloc else 0
    for index, char in enumerate(url[start:], start=start + 1):
        if not char.isascii():
            raise InvalidValue(
                field,
                f"caractère « {escaped(char)} » en position {index}, hors ASCII : écrivez-le "
                f"encodé ({quote(char)})",
            )
    return parts


def _unicode_host(host: str) -> str:
    """``host`` with each IDNA label (``xn--…``) decoded; a label that is none as it is."""
    labels = []
    for label in host.split("."):
        try:
            labels.append(label.encode("ascii").decode("idna") if label[:4] == "xn--" else label)
        except UnicodeError:
            labels.append(label)
    return ".".join(labels)


def _named(char: str) -> str:
    if unicodedata.category(char) == "Zs":  # the space, an unbreakable or a thin one
        return f"espace, U+{ord(char):04X}"
    return describe_character(char)
