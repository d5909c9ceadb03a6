"""Numbers as French writes them: « 5 183 », « 1 234 567 », « 2,5 ».

The thousands are grouped by a narrow no-break space (U+202F, the « espace fine
insécable »: a number is never cut at the end of a line), and the decimals follow a
comma. Python's ``f"{n:,}"`` writes English (« 5,183 », « 2.5 »), and ``f"{n}"`` no
grouping at all (« 5183 »).
"""

THOUSANDS_SEPARATOR = "\u202f"
DECIMAL_SEPARATOR = ","


def french_number(value: float, decimals: int = 0) -> str:
    """« 5 183 », « 2,5 » (``decimals=1``), « -1 200 »: rounded to ``decimals`` places."""
    if isinstance(value, int) and decimals == 0:
        english = f"{value:,d}"  # exact, however large (a float holds 53 bits)
    else:
        english = f"{value:,.{decimals}f}"
        if english.startswith("-") and not english.strip("-0.,"):
            english = english[1:]  # « 0,0 », not « -0,0 », for a small negative rounded
    return english.replace(",", THOUSANDS_SEPARATOR).replace(".", DECIMAL_SEPARATOR)
