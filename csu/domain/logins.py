"""An operator's login: what a new one may hold, and the form it is stored and looked up
in. The journal names operators by login, so that no login may read as another's: a
fullwidth « ａgent » was created beside « agent », a Cyrillic « аgent » would have been,
and « système » is the name the journal gives CSU's own actions."""

import unicodedata

from csu.domain.errors import InvalidValue

FIELD = "Identifiant"
SEPARATORS = ".-_"
# The journal's own actor (webhooks, checkpoints, the outbox's passes), with and without
# its accent.
RESERVED = frozenset({"système", "systeme"})
SHAPE = "lettres (accents compris), chiffres, point, tiret ou souligné"


def login_form(typed: str) -> str:
    """``typed`` as logins are stored and compared: compatibility forms folded (a
    fullwidth « ａ » is an « a »), in lower case, without surrounding spaces."""
    return unicodedata.normalize("NFKC", typed).strip().lower()


# Letters of French words that are no accented ASCII letter.
_LIGATURES = frozenset("œæ")


def _allowed(char: str) -> bool:
    if char.isascii():
        return char.isalnum() or char in SEPARATORS
    # An ASCII letter with its accents (« é », « ç »), or « œ », « æ »: no other
    # script's look-alike, nor Latin ones that are no letter with accents (« ɡ », « ı »).
    base = unicodedata.normalize("NFD", char)[0]
    return char in _LIGATURES or (base.isascii() and base.isalpha())


def new_login(typed: str) -> str:
    """The login a new operator gets from ``typed`` (:func:`login_form`); an
    :class:`InvalidValue` naming the « Identifiant » field when it may not be one."""
    login = login_form(typed)
    if not login or not all(_allowed(char) for char in login):
        raise InvalidValue(FIELD, SHAPE)
    if login in RESERVED:
        raise InvalidValue(FIELD, f"« {login} » est le nom que le journal donne à CSU lui-même")
    return login
