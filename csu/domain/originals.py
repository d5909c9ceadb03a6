"""The credentials the platform mailed (« originaux »), as it exports them for CSU.

One row per material and kind: ``identifiant;type;hash[;prefixe_hash]``, where
``hash`` is the argon2id PHC string of the credential in its stored form (without
separators, in the alphabet's case) and ``prefixe_hash``, for a security key only,
the argon2id PHC string of its first :data:`~csu.domain.credentials.PREFIX_LENGTH`
characters (what a caller reads out for the identity check). CSU never learns the
credentials: it checks logins and key prefixes against these hashes.

Parameters are bounded both ways: a hash cheaper than :data:`MIN_MEMORY_KIB` could be
brute-forced from a stolen database, a dearer one than :data:`MAX_MEMORY_KIB`,
:data:`MAX_TIME_COST` or :data:`MAX_WORK_KIB` would let one file make every login check slow.
"""

import re
import unicodedata

from argon2 import Type, extract_parameters
from argon2.exceptions import InvalidHashError

from csu.domain.election import CREDENTIAL_LABELS
from csu.domain.errors import InvalidValue

# Every way the column « type » may name a kind: the French words and the code names.
KIND_ALIASES: dict[str, str] = {
    "cle_securite": "security_key",
    "cle_de_securite": "security_key",
    "security_key": "security_key",
    "mot_de_passe": "password",
    "password": "password",
    "code_vote": "vote_code",
    "code_de_vote": "vote_code",
    "vote_code": "vote_code",
}
MIN_MEMORY_KIB = 7 * 1024  # the lowest of OWASP's argon2id settings (m=7 MiB, t=5)
MAX_MEMORY_KIB = 256 * 1024
MAX_TIME_COST = 10
MAX_WORK_KIB = 256 * 1024
"""Memory times passes at most (m=256 MiB with t=1, m=64 MiB with t=4, the RFC 9106's
m=64 MiB, t=3 within): what a hash costs grows with both, and every login check of the
election waits as long as its dearest originals (csu.services.platform). m=256 MiB with
t=10, each bound kept alone, made each check of an election take 6 to 7 s here and the
election serve a check every few seconds (attack run); m=256 MiB, t=1 took 0.3-0.6 s."""
MAX_PARALLELISM = 16
MAX_LENGTH = 200  # the column that keeps it
# ASCII digits only: « \d » took « ８１９２ », which int() reads and argon2 cannot (every
# login check of the material then failed with an error).
_PHC = re.compile(
    r"\$argon2id\$v=19\$m=[0-9]+,t=[0-9]+,p=[0-9]+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+"
)


Cost = tuple[int, int, int]  # argon2id's memory (KiB), passes and lanes


def cost_of(phc: str) -> Cost:
    """The parameters of an argon2id PHC string already checked (:func:`parse_phc`)."""
    params = extract_parameters(phc)
    return params.memory_cost, params.time_cost, params.parallelism


def parse_kind(text: str, known: tuple[str, ...]) -> str:
    """The kind a « type » names (``cle_securite``, ``mot de passe``, ``vote_code``…),
    among the ``known`` kinds of the election."""
    folded = unicodedata.normalize("NFKD", text.strip().casefold())
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    folded = re.sub(r"[\s'’-]+", "_", folded)
    kind = KIND_ALIASES.get(folded)
    if kind is None:
        raise InvalidValue("type", "cle_securite, mot_de_passe ou code_vote attendu")
    if kind not in known:
        raise InvalidValue("type", f"le scrutin ne prévoit pas de {CREDENTIAL_LABELS[kind]}")
    return kind


def parse_phc(text: str, column: str = "hash") -> str:
    """An argon2id PHC string (``$argon2id$v=19$m=…,t=…,p=…$sel$empreinte``) whose
    parameters are within bounds; :class:`InvalidValue` naming ``column`` otherwise."""
    value = text.strip()
    if not value:
        raise InvalidValue(column, "valeur absente")
    if len(value) > MAX_LENGTH or not _PHC.fullmatch(value):
        raise InvalidValue(
            column,
            "chaîne PHC argon2id attendue ($argon2id$v=19$m=…,t=…,p=…$sel$empreinte)",
        )
    try:
        params = extract_parameters(value)
    except InvalidHashError:
        raise InvalidValue(column, "chaîne PHC argon2id illisible") from None
    if params.type is not Type.ID:
        raise InvalidValue(column, "argon2id attendu")
    if params.memory_cost < MIN_MEMORY_KIB:
        raise InvalidValue(
            column, f"mémoire m={params.memory_cost} Kio trop faible ({MIN_MEMORY_KIB} au moins)"
        )
    if params.memory_cost > MAX_MEMORY_KIB or params.time_cost > MAX_TIME_COST:
        raise InvalidValue(
            column,
            f"paramètres trop coûteux (m ≤ {MAX_MEMORY_KIB} Kio et t ≤ {MAX_TIME_COST} "
            "attendus)",
        )
    if params.memory_cost * params.time_cost > MAX_WORK_KIB:
        raise InvalidValue(
            column,
            f"paramètres trop coûteux : m × t = {params.memory_cost * params.time_cost} Kio "
            f"({MAX_WORK_KIB} au plus, par exemple m={MAX_WORK_KIB // 4} et t=4) ; chaque "
            "vérification d'une connexion au scrutin en attendrait le coût",
        )
    if not 1 <= params.parallelism <= MAX_PARALLELISM or params.time_cost < 1:
        raise InvalidValue(column, "paramètres t ou p hors bornes")
    if params.salt_len < 8 or params.hash_len < 16:
        raise InvalidValue(column, "sel ou empreinte trop courts")
    return value
