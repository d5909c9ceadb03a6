"""Numbers as French writes them: « 5183 », « 30 028 », « 1 234 567 », « 2,5 ».

From five digits on, the thousands are grouped by a narrow no-break space (U+202F, the
« espace fine insécable »: a number is never cut at the end of a line); a number of four
digits stays whole, as French typography writes it (« 3200 entrées »). The decimals
follow a comma. Python's ``f"{n:,}"`` writes English (« 5,183 », « 2.5 »).
"""

THOUSANDS_SEPARATOR = "\u202f"
DECIMAL_SEPARATOR = ","
GROUPED_FROM = 10_000  # « 9999 », « 10 000 »


def french_number(value: float, decimals: int = 0) -> str:
    """« 30 028 », « 5183 », « 2,5 » (``decimals=1``), « -12 000 »: rounded to
    ``decimals`` places."""
    grouping = "," if abs(round(value, decimals)) >= GROUPED_FROM else ""
    if isinstance(value, int) and decimals == 0:
        english = f"{value:{grouping}d}"  # exact, however large (a float holds 53 bits)
    else:
        english = f"{value:{grouping}.{decimals}f}"
        if english.startswith("-") and not english.strip("-0.,"):
            english = english[1:]  # « 0,0 », not « -0,0 », for a small negative rounded
    return english.replace(",", THOUSANDS_SEPARATOR).replace(".", DECIMAL_SEPARATOR)


def french_shortest(value: float) -> str:
    """``value`` with as many decimals as it has (« 3 », « 2,5 », « 12 000 »): a median,
    a bound of a setting."""
    if float(value).is_integer():
        return french_number(int(value))
    return f"{value:g}".replace(".", DECIMAL_SEPARATOR)
