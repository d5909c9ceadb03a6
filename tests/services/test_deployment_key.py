"""The store recognises the deployment key it was built with (SQLite and PostgreSQL)."""

from dataclasses import replace

import pytest

from csu.services.context import Deps
from csu.services.deployment_key import KeyMismatch, check_deployment_key


def test_the_first_opening_records_the_key_and_the_next_ones_accept_it(deps: Deps) -> None:
    check_deployment_key(deps, "CSU_SECRET_KEY")
    check_deployment_key(deps, "CSU_SECRET_KEY")


def test_another_key_is_refused_once_one_is_recorded(deps: Deps) -> None:
    check_deployment_key(deps, "CSU_SECRET_KEY")
    other = replace(deps, key=b"another-deployment-key-0123456789")
    with pytest.raises(KeyMismatch, match=r"La clé secrète \(CSU_SECRET_KEY\) n'est pas celle"):
        check_deployment_key(other, "CSU_SECRET_KEY")
