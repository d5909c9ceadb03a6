"""A value wider than the column that keeps it is refused in French, naming the field,
before anything is written: PostgreSQL enforces the widths (SQLite does not) and used
to answer with a bare DataError; a journal entry that overflowed its column, once
queued, stopped the sequencer's every batch and with it the journal of the cell."""

from pathlib import Path

import pytest
from sqlmodel import select

from csu.config import ConfigError
from csu.domain.errors import InvalidValue
from csu.services.context import Deps, OperatorContext, retried
from csu.services.operators import add_operator
from csu.services.platform_clients import add_platform_client
from csu.services.voters import search_voters
from csu.startup import open_store
from csu.store import sequencer
from csu.store.tables import Operator, PlatformClient
from tests.conftest import ADMIN, AGENT
from tests.services.intervention_support import (  # noqa: F401  (desk_fixture: "desk")
    Desk,
    desk_fixture,
)
from tests.services.test_typed_text import journal_size, refused_revocation

PASSWORD = "Un-mot-de-passe-solide-42!"


def operators(desk: Desk) -> set[str]:
    with desk.deps.reading() as session:
        return set(session.exec(select(Operator.login)).all())


def test_an_operator_login_longer_than_64_characters_is_refused(desk: Desk) -> None:
    with pytest.raises(InvalidValue, match=r"^Identifiant : 64 caractères au plus$"):
        add_operator(desk.deps, ADMIN, "a" * 65, role="agent", password=PASSWORD)
    assert "a" * 65 not in operators(desk)


def test_an_operator_login_of_64_characters_is_created(desk: Desk) -> None:
    add_operator(desk.deps, ADMIN, "a" * 64, role="agent", password=PASSWORD)
    assert "a" * 64 in operators(desk)


def test_a_display_name_longer_than_200_characters_is_refused(desk: Desk) -> None:
    with pytest.raises(InvalidValue, match=r"^Nom affiché : 200 caractères au plus$"):
        add_operator(desk.deps, ADMIN, "nouvel.agent", role="agent", password=PASSWORD,
                     display_name="N" * 201)  # fmt: skip
    assert "nouvel.agent" not in operators(desk)


def test_an_invalidation_reason_longer_than_300_characters_keeps_the_credential(
    desk: Desk,
) -> None:
    refused = refused_revocation(desk, "carte volée " * 30)
    assert str(refused) == "Motif : 300 caractères au plus (359 ici)"


def test_a_workstation_named_in_more_than_100_characters_is_refused() -> None:
    with pytest.raises(InvalidValue, match=r"^Poste de travail \(CSU_WORKSTATION\) : 100 "):
        OperatorContext(login="agent", role="agent", workstation="p" * 101)


def test_a_workstation_setting_of_more_than_100_characters_stops_the_store_opening(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CSU_WORKSTATION", "p" * 101)
    with pytest.raises(ConfigError, match=r"^CSU_WORKSTATION \(nom du poste\) : 100 caract"):
        open_store(str(tmp_path / "absent.sqlite"))


def test_an_entry_wider_than_its_journal_column_is_refused_and_nothing_is_queued(
    desk: Desk,
) -> None:
    who = OperatorContext(login="x" * 65, role="agent", workstation="poste-1")
    before = journal_size(desk.deps)
    with pytest.raises(InvalidValue, match=r"^Opérateur : 64 caractères au plus"):
        search_voters(desk.deps, who, desk.caller.matricule)
    with desk.deps.reading() as session:
        assert sequencer.pending(session).count == 0
    # The journal goes on: the next entry is chained.
    search_voters(desk.deps, AGENT, desk.caller.matricule)
    if desk.deps.engine.dialect.name == "postgresql":
        assert sequencer.settle(desk.deps.engine)
    assert journal_size(desk.deps) == before + 1


@pytest.mark.postgres
def test_a_value_no_check_caught_is_refused_in_french_and_nothing_is_written(
    postgres_deps: Deps,
) -> None:
    @retried
    def store_wide_login() -> None:
        with postgres_deps.writing() as session:
            session.add(Operator(login="w" * 80, display_name="W", role="agent",
                                 password_hash="x", totp_secret_sealed="x"))  # fmt: skip

    with pytest.raises(InvalidValue) as refused:
        store_wide_login()
    assert str(refused.value) == (
        "Saisie : valeur trop longue (64 caractères au plus) : rien n'a été enregistré"
    )
    # The driver's error, which names the statement's parameters, is not carried along.
    assert refused.value.__cause__ is None and refused.value.__suppress_context__
    with postgres_deps.reading() as session:
        assert session.exec(select(Operator).where(Operator.login == "w" * 80)).all() == []


@pytest.mark.parametrize(
    ("url", "fault"),
    [
        ("https://plateforme.example/" + "a" * 474, "500 caractères au plus"),
        ("https://plateforme.example/\x00", "caractère interdit en position 28"),
    ],
    ids=["501 characters", "NUL"],
)
def test_a_webhook_address_too_long_or_with_a_control_character_is_refused(
    desk: Desk, url: str, fault: str
) -> None:
    with pytest.raises(InvalidValue, match=rf"^Adresse des webhooks : {fault}"):
        add_platform_client(desk.deps, ADMIN, "neovote", ["minint-2022"], webhook_url=url)
    with desk.deps.reading() as session:
        assert session.exec(select(PlatformClient)).all() == []
