"""A journal entry's details read as its window lays them out: the before and after of
a change, the factors a verification tried, then every other detail labelled.

The entry's window (csu.screens.journal_entry), an intervention's timeline and the CSV
export's « précisions » (csu.services.audit) all read an entry through this module, so
that a spreadsheet says a change as the window does: « rôle : agent → superviseur ».
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from csu.domain.labels import detail_label, detail_value, factor_label, labelled


@dataclass(frozen=True, slots=True)
class Change:
    """A value before and after a change, as the entry's details record it."""

    label: str
    before: str
    after: str


@dataclass(frozen=True, slots=True)
class FactorTried:
    label: str
    passed: bool


# Details shown as before/after or as factors rather than as lines.
_CHANGE_KEYS = ("changes", "was_locked_until", "was_locked")
_FACTOR_KEYS = ("factors_tried", "factors_failed")


def changes_of(action: str, details: Mapping[str, Any]) -> tuple[Change, ...]:
    """Before and after, when the details hold them: ``before``/``after`` objects,
    ``changes`` as {name: [before, after]}, replaced materials, a lifted lock."""
    found: list[Change] = []
    before, after = details.get("before"), details.get("after")
    if isinstance(before, dict) or isinstance(after, dict):
        before = before if isinstance(before, dict) else {}
        after = after if isinstance(after, dict) else {}
        for name in sorted(set(before) | set(after), key=lambda n: (detail_label(n), n)):
            if before.get(name) != after.get(name):
                found.append(
                    Change(detail_label(name), detail_value(name, before.get(name)),
                           detail_value(name, after.get(name)))
                )  # fmt: skip
    changes = details.get("changes")
    if isinstance(changes, dict):
        for name, pair in changes.items():
            if isinstance(pair, list | tuple) and len(pair) == 2:
                found.append(
                    Change(detail_label(name), detail_value(name, pair[0]),
                           detail_value(name, pair[1]))
                )  # fmt: skip
            elif isinstance(pair, dict):
                found.append(
                    Change(detail_label(name), detail_value(name, pair.get("before")),
                           detail_value(name, pair.get("after")))
                )  # fmt: skip
    materials = details.get("materials")
    if isinstance(materials, list):
        for item in materials:
            if isinstance(item, dict) and "old" in item and "new" in item:
                capacity = f" ({item['capacity']})" if item.get("capacity") else ""
                found.append(Change(f"matériel{capacity}", str(item["old"]), str(item["new"])))
    if "was_locked_until" in details:
        found.append(
            Change(detail_label("locked_until"),
                   detail_value("locked_until", details["was_locked_until"]), "déverrouillé")
        )  # fmt: skip
    if "was_locked" in details:
        found.append(Change("verrouillé", detail_value("", details["was_locked"]), "non"))
    if action == "vote_code_redeem" and details.get("credential") is not None:
        found.append(
            Change("code de vote", detail_value("revoked", details.get("revoked")),
                   f"n° {details['credential']}")
        )  # fmt: skip
    return tuple(found)


def factors_of(details: Mapping[str, Any]) -> tuple[FactorTried, ...]:
    """The factors a verification tried, each with whether it checked."""
    tried = details.get("factors_tried")
    if not isinstance(tried, list):
        return ()
    failed = set(details.get("factors_failed") or ())
    return tuple(FactorTried(factor_label(str(name)), name not in failed) for name in tried)


def others(action: str, details: Mapping[str, Any]) -> dict[str, Any]:
    """The details not shown as a change or as factors."""
    shown = set(_CHANGE_KEYS + _FACTOR_KEYS)
    if isinstance(details.get("before"), dict) or isinstance(details.get("after"), dict):
        shown |= {"before", "after"}
    if action == "vote_code_redeem":
        shown |= {"credential", "revoked"}
    materials = details.get("materials")
    if isinstance(materials, list) and all(
        isinstance(item, dict) and "old" in item for item in materials
    ):
        shown.add("materials")
    return {name: value for name, value in details.items() if name not in shown}


def in_french(action: str, details: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """The entry's details as labelled lines, in the window's order: each change « avant
    → après », the factors tried with how each checked, then the other details."""
    lines = [(c.label, f"{c.before} → {c.after}") for c in changes_of(action, details)]
    factors = factors_of(details)
    if factors:
        said = (f"{f.label} ({'concordant' if f.passed else 'faux'})" for f in factors)
        lines.append(("facteurs essayés", ", ".join(said)))
    return (*lines, *labelled(others(action, details)))
