"""Counted nouns in French: « 0 électeur », « 1 électeur », « 2 électeurs ».

French puts 0 and 1 in the singular and everything from 2 in the plural. The noun
given is the singular; the plural is that noun with an « s » unless told otherwise,
for irregular or multi-word forms (« ligne écrite » / « lignes écrites », « code à
usage unique » / « codes à usage unique »).
"""

from csu.domain.numbers import french_number


def plural_of(count: int, singular: str, plural: str | None = None) -> str:
    """The form of the noun (or adjective) that goes with `count`, without the number."""
    if -2 < count < 2:
        return singular
    return plural if plural is not None else singular + "s"


def counted(count: int, singular: str, plural: str | None = None) -> str:
    """« 1 électeur », « 2 électeurs », « 30 028 électeurs » (grouped by thousands from
    10 000, see csu.domain.numbers); « 2 lignes écrites » with `plural` given."""
    return f"{french_number(count)} {plural_of(count, singular, plural)}"
