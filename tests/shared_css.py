"""Textual's parsed CSS, shared by the apps a test process starts.

Each ``App`` has its own ``Stylesheet``, whose parse cache dies with it: every test that
starts CSU parsed the same widget and screen CSS again (``_parse_rules``: 1.2 of about
24 s of CPU in tests/screens/test_call_path.py; 0.1 s shared). The rules a
parse gives depend only on the text, where it was read and the theme's variables, all in
the key here; Textual only reads them once parsed. Tests only: ``csu run`` starts one app."""

from typing import Any

from textual.css.model import RuleSet
from textual.css.stylesheet import Stylesheet

_PARSED: dict[tuple[Any, ...], list[RuleSet]] = {}
_parse_rules = Stylesheet._parse_rules


def _shared_parse_rules(
    self: Stylesheet,
    css: str,
    read_from: Any,
    is_default_rules: bool = False,
    tie_breaker: int = 0,
    scope: str = "",
) -> list[RuleSet]:
    variables = self._variables
    known = self.__dict__.get("_shared_variables")
    if known is None or known[0] is not variables:  # set_variables gives a new dict
        known = self.__dict__["_shared_variables"] = (variables, frozenset(variables.items()))
    key = (css, read_from, is_default_rules, tie_breaker, scope, known[1])
    if key not in _PARSED:
        _PARSED[key] = _parse_rules(self, css, read_from, is_default_rules, tie_breaker, scope)
    return _PARSED[key]


def share_parsed_css() -> None:
    Stylesheet._parse_rules = _shared_parse_rules  # type: ignore[method-assign]
