"""The supervisor deciding a substitution request sees its address in clear, to check it
against the signed request (it showed masked: nothing could be checked); the reveal is
journalled by the request's number, never the address."""

import pytest

from csu.domain.labels import detail_value
from csu.services.context import Forbidden, ServiceError
from csu.services.substitution import decide_substitution
from csu.services.substitution_address import request_address
from tests.conftest import AGENT, SUPERVISOR
from tests.services import test_substitution
from tests.services.intervention_support import bodies, entries
from tests.services.test_substitution import ADDRESS, Cell, ask

cell = test_substitution.cell  # the fixture: a copy of the prepared CCI store per test


def test_the_supervisor_reads_a_pending_request_s_address_in_clear(cell: Cell) -> None:
    view = ask(cell)
    assert request_address(cell.deps, SUPERVISOR, view.id) == ADDRESS


def test_the_reveal_is_journalled_by_request_never_the_address(cell: Cell) -> None:
    view = ask(cell)
    request_address(cell.deps, SUPERVISOR, view.id)
    [entry] = entries(cell.deps, "révélation")
    assert entry["operator"] == SUPERVISOR.login
    assert entry["details"] == {"field": "substitution_email", "request": view.id}
    assert detail_value("field", "substitution_email").startswith("adresse d'envoi")
    assert ADDRESS not in bodies(cell.deps)


def test_an_agent_reads_no_request_s_address(cell: Cell) -> None:
    view = ask(cell)
    with pytest.raises(Forbidden):
        request_address(cell.deps, AGENT, view.id)
    assert entries(cell.deps, "révélation") == []


def test_a_decided_request_s_address_is_no_longer_shown(cell: Cell) -> None:
    view = ask(cell)
    decide_substitution(cell.deps, SUPERVISOR, view.id, False, "signature absente")
    with pytest.raises(ServiceError, match="n'attend plus de décision"):
        request_address(cell.deps, SUPERVISOR, view.id)
