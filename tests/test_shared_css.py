"""The tests' shared CSS parse (tests.shared_css): the same rules for the same text and
theme, parsed again for another theme."""

from textual.css.stylesheet import Stylesheet

CSS = "Static { color: $accent; }"


def rules_of(variables: dict[str, str]) -> list[object]:
    sheet = Stylesheet(variables=variables)
    return sheet._parse_rules(CSS, ("tests", "Static"))


def test_two_apps_with_one_theme_share_the_parsed_rules() -> None:
    assert rules_of({"accent": "red"}) is rules_of({"accent": "red"})


def test_another_theme_parses_again_with_its_own_colours() -> None:
    red, blue = rules_of({"accent": "red"}), rules_of({"accent": "blue"})
    assert red is not blue
    assert red[0].styles.color != blue[0].styles.color
