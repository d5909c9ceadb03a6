"""The store recognises the deployment key it was built with (SQLite and PostgreSQL)."""

from dataclasses import replace
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from csu.services.context import Deps
from csu.services.deployment_key import KeyMismatch, check_deployment_key
from csu.services.operators import add_operator
from tests.conftest import ADMIN
from tests.services.busy_cell import loaded
from tests.services.intervention_support import entries


def test_the_first_opening_records_the_key_and_the_next_ones_accept_it(deps: Deps) -> None:
    check_deployment_key(deps, "CSU_SECRET_KEY")
    check_deployment_key(deps, "CSU_SECRET_KEY")


def test_another_key_is_refused_once_one_is_recorded(deps: Deps) -> None:
    check_deployment_key(deps, "CSU_SECRET_KEY")
    other = replace(deps, key=b"another-deployment-key-0123456789")
    with pytest.raises(KeyMismatch, match=r"La clé secrète \(CSU_SECRET_KEY\) n'est pas celle"):
        check_deployment_key(other, "CSU_SECRET_KEY")


def test_a_store_with_sealed_secrets_takes_no_wrong_key_at_its_first_opening(deps: Deps) -> None:
    # A store from before the check: operators sealed under its key, no fingerprint yet.
    fast = replace(deps, hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    add_operator(fast, ADMIN, "c.martin", role="agent", password="Pluie-sur-Brest-42")
    other = replace(deps, key=b"another-deployment-key-0123456789")
    with pytest.raises(KeyMismatch):
        check_deployment_key(other, "CSU_SECRET_KEY")
    check_deployment_key(deps, "CSU_SECRET_KEY")  # the right key, recorded then
    with pytest.raises(KeyMismatch):
        check_deployment_key(other, "CSU_SECRET_KEY")


def test_an_older_store_adopting_its_key_says_so_in_the_journal(deps: Deps) -> None:
    fast = replace(deps, hasher=PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    add_operator(fast, ADMIN, "c.martin", role="agent", password="Pluie-sur-Brest-42")
    check_deployment_key(deps, "CSU_SECRET_KEY", "poste-1")
    [entry] = entries(deps, "key_fingerprint")
    assert (entry["operator"], entry["workstation"], entry["outcome"]) == (
        "système", "poste-1", "ok"
    )
    check_deployment_key(deps, "CSU_SECRET_KEY", "poste-1")  # known now: no second entry
    assert len(entries(deps, "key_fingerprint")) == 1


def test_a_store_with_voters_but_no_operator_takes_no_wrong_key_at_its_first_opening(
    deps: Deps, tmp_path: Path
) -> None:
    # A roll imported before the check and before any operator: its pseudonyms and
    # hashes are keyed, so a leftover key must not be recorded as the store's.
    loaded(deps, tmp_path, voters=3)
    other = replace(deps, key=b"another-deployment-key-0123456789")
    with pytest.raises(KeyMismatch):
        check_deployment_key(other, "CSU_SECRET_KEY")
    check_deployment_key(deps, "CSU_SECRET_KEY", "poste-1")
    assert len(entries(deps, "key_fingerprint")) == 1  # an older store's key: said
    with pytest.raises(KeyMismatch):
        check_deployment_key(other, "CSU_SECRET_KEY")
