"""The shape of each answer a caller gives, checked before anything is compared: a
date that is none, a NIR, IBAN tail, agent card or key's first characters of the
wrong length, a code not of its 6 digits. A wrong shape tells nothing of the record,
so it is said (« Format incorrect ») and counts no failure: a NIR typed « 18304 »
counted one, the third locking the voter. Shared by the verification window and
``verify_identity``."""

from collections.abc import Callable, Mapping
from datetime import date

from csu.domain.credentials import parse_said_prefix
from csu.domain.errors import InvalidValue
from csu.domain.identifiers import (
    card_head,
    iban_tail,
    nir_factor,
    parse_birth_date,
    parse_department,
    parse_numen,
)
from csu.domain.verification import answer_field, one_time_code


def answer_parsers(today: Callable[[], date]) -> dict[str, Callable[[str], object]]:
    """The parser of each factor that has a fixed shape; ``today`` dates a birth."""
    return {
        "birth_date": lambda value: parse_birth_date(value, today()),
        "birth_department": parse_department,
        "numen": parse_numen,
        "nir10": nir_factor,
        "iban": iban_tail,
        "agent_card": card_head,
        "security_key_prefix": parse_said_prefix,
        "otp_mobile": one_time_code,
        "otp_email": one_time_code,
    }


def refuse_malformed_answers(answers: Mapping[str, str], today: date) -> None:
    """Raises a French :class:`InvalidValue` naming the field of the first answer whose
    shape is wrong; blank answers are left to the policy (« Réponse manquante »)."""
    parsers = answer_parsers(lambda: today)
    for factor, said in answers.items():
        parse = parsers.get(factor)
        if parse is None or not said.strip():
            continue
        try:
            parse(said)
        except InvalidValue as error:
            raise InvalidValue(answer_field(factor), error.fault) from None
