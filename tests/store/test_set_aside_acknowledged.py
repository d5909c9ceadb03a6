"""An entry set aside from the journal's queue (PostgreSQL, migration 0021), once a
supervisor or an administrator looked into it and said so (``csu audit acknowledge``):
still named by every check, with who acknowledged it and why, but no longer making the
journal « NON conforme » for good."""

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from csu.domain import alerts as rules
from csu.domain.errors import InvalidValue
from csu.services.alerts import current_alerts
from csu.services.audit import ACKNOWLEDGE, SetAside, acknowledge_set_aside, integrate_journal
from csu.services.checkpoints import check_integrity
from csu.services.context import Deps, Forbidden, NotFound, ServiceError
from csu.store.tables import JournalEntry
from tests.cli_support import assert_done, clean_environment, csu, said
from tests.conftest import AGENT, SUPERVISOR, TEST_KEY
from tests.store.test_journal_queue_checks import insert_unchecked, without
from tests.store.test_sequencer import append_entries

pytestmark = pytest.mark.postgres


@pytest.fixture
def deps(postgres_store: Engine) -> Deps:
    return Deps(engine=postgres_store, key=TEST_KEY)


@pytest.fixture
def cli(postgres_store: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The database's URL for ``csu … --db``."""
    clean_environment(tmp_path, monkeypatch)
    monkeypatch.setenv("CSU_SECRET_KEY", "une-clé-de-déploiement-assez-longue")
    return postgres_store.url.render_as_string(hide_password=False)
REASON = "ligne écrite à la main lors d'un essai de restauration, sans suite"


@pytest.fixture
def set_aside(postgres_store: Engine, deps: Deps) -> int:
    """The number of an entry set aside: a row without « ts » queued past the check."""
    append_entries(postgres_store, 1)
    insert_unchecked(postgres_store, without("ts"))
    integrate_journal(deps, SUPERVISOR)
    [entry] = check_integrity(deps, SUPERVISOR).set_aside
    return entry.seq


def test_an_acknowledged_entry_no_longer_makes_the_journal_non_compliant(
    deps: Deps, set_aside: int
) -> None:
    assert not check_integrity(deps, SUPERVISOR).ok

    acknowledge_set_aside(deps, SUPERVISOR, set_aside, REASON)

    report = check_integrity(deps, SUPERVISOR)
    assert report.ok
    [entry] = report.set_aside
    assert entry.acknowledged is not None and entry.acknowledged.operator == SUPERVISOR.login
    assert f"examinée par {SUPERVISOR.login} le " in entry.describe()
    assert entry.describe().endswith(REASON)


def test_the_acknowledgement_is_a_journal_entry_naming_the_number_and_the_reason(
    deps: Deps, set_aside: int
) -> None:
    acknowledge_set_aside(deps, SUPERVISOR, set_aside, REASON)
    with deps.reading() as session:
        [body] = session.execute(
            select(JournalEntry.body).where(JournalEntry.action == ACKNOWLEDGE)
        ).scalars()
    assert json.loads(body)["details"] == {"seq": set_aside, "reason": REASON}
    assert check_integrity(deps, SUPERVISOR).check.ok  # the chain still verifies


def test_an_entry_is_acknowledged_once(deps: Deps, set_aside: int) -> None:
    acknowledge_set_aside(deps, SUPERVISOR, set_aside, REASON)
    with pytest.raises(ServiceError, match=f"L'entrée n° {set_aside} a déjà été examinée par"):
        acknowledge_set_aside(deps, SUPERVISOR, set_aside, "une seconde fois, autre motif")


def test_only_an_entry_set_aside_may_be_acknowledged(deps: Deps, set_aside: int) -> None:
    with pytest.raises(NotFound, match="n'est pas une entrée mise à l'écart"):
        acknowledge_set_aside(deps, SUPERVISOR, 1, REASON)  # an ordinary entry
    with pytest.raises(NotFound, match="n'est pas une entrée mise à l'écart"):
        acknowledge_set_aside(deps, SUPERVISOR, 10_000, REASON)


def test_an_agent_may_not_acknowledge(deps: Deps, set_aside: int) -> None:
    with pytest.raises(Forbidden):
        acknowledge_set_aside(deps, AGENT, set_aside, REASON)
    assert not check_integrity(deps, SUPERVISOR).ok


@pytest.mark.parametrize("reason", ["", "vu", "ok\u202e ok ok ok ok", "x" * 301])
def test_a_reason_too_short_long_or_with_hidden_characters_is_refused(
    deps: Deps, set_aside: int, reason: str
) -> None:
    with pytest.raises((ServiceError, InvalidValue)):
        acknowledge_set_aside(deps, SUPERVISOR, set_aside, reason)
    assert not check_integrity(deps, SUPERVISOR).ok


def test_csu_audit_verify_passes_once_the_entry_is_acknowledged_and_still_names_it(
    cli: str, set_aside: int
) -> None:
    assert csu("audit", "verify", "--db", cli).exit_code == 1

    acknowledged = csu("audit", "acknowledge", str(set_aside), "--reason", REASON, "--db", cli)
    assert_done(acknowledged)
    assert "examinée par" in said(acknowledged)

    verified = csu("audit", "verify", "--db", cli)
    assert_done(verified)
    assert "journal intègre" in said(verified) or "chaîne intègre" in said(verified)
    assert f"entrée n° {set_aside} : une ligne de la file d'attente" in said(verified)
    assert REASON in said(verified)


def test_csu_audit_acknowledge_of_an_ordinary_entry_is_refused_in_french(
    cli: str, set_aside: int
) -> None:
    refused = csu("audit", "acknowledge", "1", "--reason", REASON, "--db", cli)
    assert refused.exit_code != 0
    assert "n'est pas une entrée mise à l'écart" in said(refused)
    assert "Traceback" not in refused.output


def test_an_acknowledged_entry_is_no_longer_an_alert(deps: Deps, set_aside: int) -> None:
    def set_aside_alerts() -> list[str]:
        return [a.key for a in current_alerts(deps, SUPERVISOR) if a.kind == rules.SET_ASIDE]

    assert len(set_aside_alerts()) == 1

    acknowledge_set_aside(deps, SUPERVISOR, set_aside, REASON)

    assert set_aside_alerts() == []


def test_a_reason_from_the_server_is_named_in_french_its_text_left_in_the_entry() -> None:
    entry = SetAside(7, 3, None, "refusée par la base : duplicate key value violates unique")
    assert "duplicate key" not in entry.describe()
    assert "refusée par la base ; son message est dans le détail de l'entrée" in entry.describe()
