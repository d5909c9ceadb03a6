"""The reason an operator gives for a sensitive act (unlocking a voter or an operator,
revealing a masked field, revoking a credential, declining an in-person check): one
line, its spaces tidied, personal numbers masked (it goes to the append-only journal),
long enough to say something and short enough to read, and no credential in it.

Only letters and digits count towards the minimum: « a b c » or « ..... » says nothing;
nor does one key held down or two struck in turn (« xxxxx », « ababab »), which is
refused as well: the minimum is there so that a reason is one.

A reason that seems to hold a credential is refused (csu.services.credential_text):
here by the shape of a grouped code of any election; the service that knows the voter
then by its election's shapes and the voter's credentials' hashes.
"""

from csu.domain.errors import InvalidValue
from csu.domain.masking import mask_personal_data
from csu.domain.text import free_text
from csu.services.context import ServiceError
from csu.services.credential_text import refuse_codes

MIN_REASON_LENGTH = 5
MIN_DISTINCT = 3  # different letters or digits: « xxxxx » is no reason
MAX_REASON_LENGTH = 300


def minimum_words(minimum: int = MIN_REASON_LENGTH) -> str:
    """How the minimum is said, in every field, refusal and hint alike: « 5 lettres ou
    chiffres au moins »."""
    return f"{minimum} lettres ou chiffres au moins"


def long_enough(value: str, minimum: int = MIN_REASON_LENGTH) -> bool:
    """Whether ``value`` has ``minimum`` letters and digits: the rule a screen checks
    before asking the service, which checks it again."""
    return sum(char.isalnum() for char in value) >= minimum


def typed_reason(
    value: str,
    *,
    minimum: int = MIN_REASON_LENGTH,
    maximum: int = MAX_REASON_LENGTH,
) -> str:
    """``value`` as the journal keeps it, or a French refusal: too short (fewer than
    ``minimum`` letters and digits), too long (over ``maximum`` characters), holding
    a character no one means to type (``csu.domain.text``), or what has the shape of
    any election's grouped code. A service that knows the voter then holds the reason
    up against the voter's own credentials too (``credential_text.refuse_codes``)."""
    text = " ".join(free_text(value, "Motif").split())
    if not long_enough(text, minimum):
        raise ServiceError(f"Motif trop court : indiquez pourquoi en {minimum_words(minimum)}.")
    if len(text) > maximum:
        raise InvalidValue("Motif", f"{maximum} caractères au plus ({len(text)} ici)")
    if len({char.casefold() for char in text if char.isalnum()}) < MIN_DISTINCT:
        raise ServiceError(
            f"Motif illisible (« {text[:20]} ») : indiquez pourquoi, en quelques mots."
        )
    masked = mask_personal_data(text)
    refuse_codes(masked, "Le motif", "un motif", None)
    return masked


def optional_reason(value: str | None, *, maximum: int = MAX_REASON_LENGTH) -> str | None:
    """A reason the operator may leave out (None when blank); when given, the rules of
    :func:`typed_reason`."""
    if value is None or not value.strip():
        return None
    return typed_reason(value, maximum=maximum)
