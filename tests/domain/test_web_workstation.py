"""Which workstation names read as a browser session's (« web:address ») in the journal,
where csu serve alone may name them so (csu.startup refuses the others)."""

import pytest

from csu.domain.addresses import reads_as_web_workstation, web_workstation


def test_a_browser_session_s_own_name_reads_as_one() -> None:
    assert reads_as_web_workstation(web_workstation("203.0.113.7"))


@pytest.mark.parametrize(
    "name",
    [
        "WEB:10.0.0.1",  # another case
        "ｗｅｂ:10.0.0.1",  # full width
        "  web:10.0.0.1",  # after spaces
        "w\u0435b:10.0.0.1",  # a Cyrillic « е »
        "\u051deb:10.0.0.1",  # a Cyrillic « ԝ »
        "web\u2236" "10.0.0.1",  # « ∶ », a ratio sign
        "web\ua789" "10.0.0.1",  # « ꞉ », a modifier letter colon
        "web\u02d0" "10.0.0.1",  # « ː », a modifier letter Python counts as a letter
        "web :10.0.0.1",  # a space within
        "w\u200beb:10.0.0.1",  # a zero-width space within
        "web\u00a0:10.0.0.1",  # a no-break space within
    ],
)
def test_a_look_alike_reads_as_a_browser_session_s_name(name: str) -> None:
    assert reads_as_web_workstation(name)


@pytest.mark.parametrize(
    "name",
    ["webcam:2", "poste-web:3", "web-1", "web 1", "wébmaster", "пк:1", "日本語:1", "we", ""],
)
def test_other_names_do_not(name: str) -> None:
    assert not reads_as_web_workstation(name)
