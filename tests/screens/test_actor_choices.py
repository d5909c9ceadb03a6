"""The journal's « Opérateur » list says what kind of author an entry has when it is no
operator: « cli:root » and « système » alone read as internal names to a supervisor."""

import pytest

from csu.domain.labels import actor_choice


@pytest.mark.parametrize(
    ("login", "name", "said"),
    [
        ("admin", "Alix Admin", "admin (Alix Admin)"),
        ("cli:root", None, "cli:root (ligne de commande)"),
        ("plateforme:evote", None, "plateforme:evote (plateforme de vote)"),
        ("système", None, "système (envois et tâches automatiques)"),
        ("ancien", None, "ancien"),
    ],
)
def test_each_author_is_offered_with_what_it_is(login: str, name: str | None, said: str) -> None:
    assert actor_choice(login, name) == said
