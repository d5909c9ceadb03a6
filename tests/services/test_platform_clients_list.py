"""``list_platform_clients``: what ``csu platform list`` shows, each client's last call
of the API included (SQLite and PostgreSQL)."""

from csu.services.context import Deps
from csu.services.elections import load_election
from csu.services.platform_clients import (
    add_platform_client,
    authenticate,
    list_platform_clients,
    note_call,
)
from tests.conftest import ADMIN, NOW, SUPERVISOR
from tests.services.intervention_support import ELECTIONS


def with_clients(deps: Deps) -> str:
    """minint-2022 and two clients reaching it; the key of « neovote »."""
    text = (ELECTIONS / "minint-2022.toml").read_text(encoding="utf-8")
    load_election(deps, ADMIN, text, "minint-2022.toml")
    add_platform_client(deps, ADMIN, "autre", ["minint-2022"])
    return add_platform_client(deps, ADMIN, "neovote", ["minint-2022"]).key


def test_a_client_that_never_called_has_no_last_call(deps: Deps) -> None:
    with_clients(deps)
    assert [c.last_seen_at for c in list_platform_clients(deps, SUPERVISOR)] == [None, None]


def test_the_list_gives_the_time_of_a_clients_last_call(deps: Deps) -> None:
    key = with_clients(deps)
    note_call(deps, authenticate(deps, key))
    seen = {c.name: c.last_seen_at for c in list_platform_clients(deps, SUPERVISOR)}
    assert seen == {"autre": None, "neovote": NOW}
