"""Web addresses CSU is given (a voting platform's, a webhook receiver's), split by the
standard library and refused in French, naming the fault, when they are malformed:
urllib's own errors are English (« Invalid IPv6 URL »)."""

from urllib.parse import SplitResult, urlsplit

from csu.domain.errors import InvalidValue


def split_url(url: str, field: str) -> SplitResult:
    """``url`` split (``urllib.parse.urlsplit``), or :class:`InvalidValue` naming
    ``field`` when it cannot be: an IPv6 address's brackets left open (« https://[::1/ »)."""
    try:
        return urlsplit(url)
    except ValueError:
        raise InvalidValue(
            field, "adresse mal formée (crochets d'une adresse IPv6 non refermés ?)"
        ) from None
