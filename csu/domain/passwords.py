"""The rule for operators' passwords: long enough, not common, not derived from the login.

One rule for every door (``csu operator add`` and the operators screen both reach it
through ``services.operators.add_operator``). The strength estimate is zxcvbn's, the
maintained port of Dropbox's estimator: it knows the common passwords, keyboard
walks, sequences, repetitions, dates and l33t spellings. Its feedback is English,
so the French reason is written here from the patterns it found; the reason never
quotes the password, since a refusal may end up in a terminal's scrollback or a log.
"""

import re
import threading
import unicodedata

from csu.domain.errors import InvalidValue
from csu.domain.plural import counted
from csu.domain.text import visible_text

FIELD = "Mot de passe"
MIN_LENGTH = 12
# A passphrase of several sentences fits; more is a file given by mistake (--password-stdin).
MAX_LENGTH = 256
# zxcvbn's score 3: more than 10^8 guesses, "safely unguessable" behind a slow hash.
MIN_SCORE = 3
# zxcvbn refuses longer input; the first 72 characters of a longer one are judged.
ZXCVBN_MAX = 72
# A common password with a few characters around it is still common: refused when
# the common passwords zxcvbn found cover this share of it, whatever its score.
MAX_COMMON_SHARE = 0.5
# A part of a login or name shorter than this is too short to say that the password
# comes from it ("mar" of "c.mar" is in "marmotte"); a whole login counts from MIN_LOGIN.
MIN_PART = 4
MIN_LOGIN = 3

# zxcvbn keeps the user inputs of a call in a module-level dictionary: two calls at
# once (two workstations' workers in one process) must not see each other's.
_zxcvbn_lock = threading.Lock()

_KINDS = {
    "passwords": "un mot de passe répandu",
    "dictionary": "un mot courant",
    "spatial": "une suite de touches voisines du clavier",
    "repeat": "une répétition",
    "sequence": "une suite comme « abc » ou « 123 »",
    "date": "une date",
    "regex": "une année",
}


def check_operator_password(password: str, login: str, display_name: str | None = None) -> str:
    """``password`` if an operator may have it, else ``InvalidValue`` saying what is wrong.

    At least ``MIN_LENGTH`` characters; not derived from the login or the display
    name (contained in it, reversed, in l33t); not common or predictable (zxcvbn
    score below ``MIN_SCORE``, or mostly a common password with a few characters added).
    """
    if len(password) < MIN_LENGTH:
        typed = counted(len(password), "saisi")
        raise InvalidValue(FIELD, f"{MIN_LENGTH} caractères au moins ({typed})")
    if len(password) > MAX_LENGTH:
        raise InvalidValue(FIELD, f"{MAX_LENGTH} caractères au plus ({len(password)} reçus)")
    # A control or invisible character (NUL, Échap, a zero-width space) cannot be typed
    # at the login screen, nor read back by the operator who chose it.
    visible_text(password, FIELD)
    from zxcvbn import zxcvbn  # its word lists take ~50 ms to load: only when a password is set

    sources = _personal_words(login, display_name)
    with _zxcvbn_lock:
        result = zxcvbn(password[:ZXCVBN_MAX], user_inputs=list(sources))
    derived = _derived_from(password, sources, result["sequence"])
    if derived is not None:
        raise InvalidValue(FIELD, f"dérivé {derived} ; choisissez-en un sans lien avec lui")
    if (
        result["score"] < MIN_SCORE
        or _common_share(result["sequence"], password) >= MAX_COMMON_SHARE
    ):
        kinds = _predictable_kinds(result["sequence"])
        found = f" : il contient {' et '.join(kinds)}" if kinds else ""
        raise InvalidValue(
            FIELD,
            f"trop courant ou trop prévisible{found} ; allongez-le avec des mots "
            "ou des caractères sans lien entre eux",
        )
    return password


def _fold(text: str) -> str:
    """Lower case without accents, for comparing a password with a login or a name."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _personal_words(login: str, display_name: str | None) -> dict[str, str]:
    """The words a password must not come from, each with what it is, in French."""
    folded_login = _fold(login.strip())
    words: dict[str, str] = {}
    if len(folded_login) >= MIN_LOGIN:
        words[folded_login] = f"de l'identifiant « {login.strip()} »"
    for part in re.split(r"[._\-\s]+", folded_login):
        if len(part) >= MIN_PART:
            words.setdefault(part, f"de l'identifiant « {login.strip()} »")
    if display_name:
        for part in re.split(r"[\W_]+", _fold(display_name)):
            if len(part) >= MIN_PART:
                words.setdefault(part, f"du nom « {display_name.strip()} »")
    return words


def _derived_from(password: str, sources: dict[str, str], sequence: list[dict]) -> str | None:
    """What the password is derived from (as said in French), or None."""
    folded = _fold(password)
    for word, source in sources.items():
        if word in folded or word[::-1] in folded:
            return source
    for match in sequence:  # zxcvbn also finds the l33t spellings ("c4m1ll3")
        if match.get("dictionary_name") == "user_inputs":
            return sources.get(match["matched_word"], "de l'identifiant")
    return None


def _common_share(sequence: list[dict], password: str) -> float:
    """How much of the password the common passwords found in it cover (0 to 1)."""
    common = sum(len(m["token"]) for m in sequence if m.get("dictionary_name") == "passwords")
    return common / min(len(password), ZXCVBN_MAX)


def _predictable_kinds(sequence: list[dict]) -> list[str]:
    """The French names of the predictable patterns zxcvbn found, in order, once each."""
    kinds: list[str] = []
    for match in sequence:
        pattern = match["pattern"]
        key = "passwords" if match.get("dictionary_name") == "passwords" else pattern
        kind = _KINDS.get(key)
        if kind is not None and kind not in kinds:
            kinds.append(kind)
    return kinds
