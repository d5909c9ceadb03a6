"""The originals' PHC strings take ASCII digits only in their parameters: « m=８１９２ »
passed the pattern (``\\d``) and the bounds (``int`` reads it), and argon2, which cannot
encode it, then failed every login check of the material."""

import pytest
from argon2 import PasswordHasher

from csu.domain.errors import InvalidValue
from csu.domain.hashing import argon2_verifies
from csu.domain.originals import parse_phc

HASHER = PasswordHasher(time_cost=1, memory_cost=7 * 1024, parallelism=1)
GOOD = HASHER.hash("k7Mpx2QD9rfa")
# Seven, in fullwidth, Arabic-Indic, Devanagari and mathematical bold digits.
SEVENS = ["\uff17", "\u0667", "\u096d", "\U0001d7d5"]


def with_digit(phc: str, parameter: str, digit: str) -> str:
    """``phc`` with its ``parameter``'s first digit written as ``digit``."""
    head, rest = phc.split(f"{parameter}=", 1)
    return f"{head}{parameter}={digit}{rest[1:]}"


def test_a_platform_s_string_is_taken_as_it_is() -> None:
    assert parse_phc(GOOD) == GOOD


@pytest.mark.parametrize("digit", SEVENS)
@pytest.mark.parametrize("parameter", ["m", "t", "p"])
def test_a_parameter_written_with_another_script_s_digit_is_refused(
    parameter: str, digit: str
) -> None:
    with pytest.raises(InvalidValue, match=r"^hash : chaîne PHC argon2id attendue"):
        parse_phc(with_digit(GOOD, parameter, digit))


@pytest.mark.parametrize("digit", SEVENS)
def test_such_a_string_already_stored_matches_nothing_instead_of_failing(digit: str) -> None:
    assert not argon2_verifies(HASHER, with_digit(GOOD, "m", digit), "k7Mpx2QD9rfa")


def with_cost(memory_kib: int, passes: int) -> str:
    """``GOOD`` as if hashed with these parameters (its salt and digest unchanged)."""
    return GOOD.replace("m=7168,t=1", f"m={memory_kib},t={passes}")


@pytest.mark.parametrize(
    ("memory_kib", "passes"), [(262144, 1), (65536, 4), (65536, 3), (26214, 10)]
)
def test_parameters_within_the_work_bound_are_taken(memory_kib: int, passes: int) -> None:
    assert parse_phc(with_cost(memory_kib, passes)) == with_cost(memory_kib, passes)


@pytest.mark.parametrize(("memory_kib", "passes"), [(262144, 10), (262144, 2), (65536, 5)])
def test_memory_times_passes_over_the_bound_is_refused_though_each_is_within_its_own(
    memory_kib: int, passes: int
) -> None:
    # m=256 MiB with t=10 made each login check of the election take 6 to 7 s (attack run).
    with pytest.raises(InvalidValue) as refused:
        parse_phc(with_cost(memory_kib, passes))
    assert str(refused.value) == (
        f"hash : paramètres trop coûteux : m × t = {memory_kib * passes} Kio (262144 au plus, "
        "par exemple m=65536 et t=4) ; chaque vérification d'une connexion au scrutin en "
        "attendrait le coût"
    )
