"""The journal's own alarms among the supervisors' alerts (SQLite and PostgreSQL): a
checkpoint the terminal refused to sign (the journal altered, a checkpoint deleted or
damaged), and an entry set aside from the journal's queue. Each fires on a journal that
holds such an entry, keeps its key as time goes by, and stays silent otherwise."""

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine

from csu.domain import alerts as rules
from csu.domain.checkpoint import NoteSigner
from csu.domain.clock import fixed_clock
from csu.services.alerts import current_alerts, review_alerts
from csu.services.checkpoints import (
    ACTION,
    CheckpointPolicy,
    CheckpointRefused,
    sign_checkpoint,
    sign_due_checkpoint,
)
from csu.services.context import Deps, Forbidden
from csu.store import journal, sequencer
from csu.store.journal import Actor
from tests.conftest import AGENT, NOW, SUPERVISOR, TEST_KEY
from tests.services.test_checkpoint_whitewash import SIGNER as FORGED_KEY
from tests.services.test_checkpoint_whitewash import (
    checkpoint_entries,
    delete_checkpoint_rows,
    forge_checkpoint_row,
)
from tests.store.test_journal import append_entries, spoil_body

SIGNER = NoteSigner.generate("csu.test/alertes")
SYSTEM = Actor(operator="système", role=None, workstation="serveur")
INTEGRITY_KINDS = {rules.CHECKPOINT_REFUSED, rules.SET_ASIDE}


def policy() -> CheckpointPolicy:
    """The terminal signs after every entry (and waits an hour after a refusal)."""
    return CheckpointPolicy(SIGNER, "csu.test/alertes", every_entries=1, every_minutes=60)


def at(deps: Deps, later: timedelta) -> Deps:
    """The same store, its clock ``later`` after NOW."""
    return Deps(deps.engine, deps.key, fixed_clock(NOW + later))


def refuse(deps: Deps) -> int:
    """The terminal tries to sign and refuses: the seq of the refusal it journalled."""
    with pytest.raises(CheckpointRefused):
        sign_due_checkpoint(deps, policy(), "poste-1")
    refusal = checkpoint_entries(deps)[-1]
    assert refusal["outcome"] == "refusé"
    with deps.reading() as session:
        return journal.head(session)[0]


def of_kind(deps: Deps, kind: str) -> list[rules.Alert]:
    return [alert for alert in current_alerts(deps, SUPERVISOR) if alert.kind == kind]


def integrity_alerts(deps: Deps) -> list[rules.Alert]:
    return [alert for alert in current_alerts(deps, SUPERVISOR) if alert.kind in INTEGRITY_KINDS]


# --- a checkpoint refused ------------------------------------------------------------


def test_a_checkpoint_refused_over_an_altered_journal_raises_an_alert(deps: Deps) -> None:
    append_entries(deps.engine, 3)
    assert sign_due_checkpoint(deps, policy(), "poste-1") is not None
    append_entries(deps.engine, 2)
    spoil_body(deps.engine, 2)
    refusal = refuse(deps)
    [alert] = of_kind(deps, rules.CHECKPOINT_REFUSED)
    assert alert.seqs == (refusal,)
    assert alert.kind_label == "point de contrôle refusé"
    assert alert.title.startswith(
        "Le terminal a refusé de signer un point de contrôle : le journal ne vérifie plus. "
        "Motif : journal altéré : entrée 2 : empreinte incorrecte"
    )
    assert "F8" in alert.advice and "responsable de la sécurité" in alert.advice
    assert alert.subject is None and alert.operator is None  # names no voter


def test_a_checkpoint_deleted_from_the_base_raises_a_suppression_alert(deps: Deps) -> None:
    append_entries(deps.engine, 2)
    sign_checkpoint(deps, SUPERVISOR, SIGNER)  # its entry is n° 3
    append_entries(deps.engine, 1)
    delete_checkpoint_rows(deps.engine)
    refusal = refuse(deps)
    [alert] = of_kind(deps, rules.CHECKPOINT_REFUSED)
    assert alert.seqs == (refusal,)
    assert "un point de contrôle signé a disparu de la base (suppression suspecte)" in alert.title
    assert "absent de la base : suppression suspecte" in alert.title
    assert "csu audit verify --checkpoint" in alert.advice


def test_a_damaged_checkpoint_row_raises_an_alert(deps: Deps) -> None:
    append_entries(deps.engine, 3)
    sign_checkpoint(deps, SUPERVISOR, FORGED_KEY)  # the key whose rows the helper forges
    forge_checkpoint_row(deps.engine, "une note inventée", 30, "00")
    append_entries(deps.engine, 1)
    refuse(deps)
    [alert] = of_kind(deps, rules.CHECKPOINT_REFUSED)
    assert "un point de contrôle en base est endommagé" in alert.title
    assert "note illisible" in alert.title
    assert "sa note signée" in alert.advice


def test_checkpoints_signed_and_an_ordinary_journal_raise_none(deps: Deps) -> None:
    append_entries(deps.engine, 3)
    assert sign_due_checkpoint(deps, policy(), "poste-1") is not None
    append_entries(deps.engine, 2)
    assert sign_due_checkpoint(deps, policy(), "poste-1") is not None
    with deps.writing() as session:  # refusals of other actions are not the journal's
        journal.append(session, actor=SYSTEM, action="login", outcome="refusé", at=NOW)
    assert [entry["outcome"] for entry in checkpoint_entries(deps)] == ["ok", "ok"]
    assert integrity_alerts(deps) == []


def test_refusals_of_one_cause_make_one_alert_whose_key_stays(deps: Deps) -> None:
    append_entries(deps.engine, 2)
    spoil_body(deps.engine, 1)
    first = refuse(deps)
    [before] = of_kind(deps, rules.CHECKPOINT_REFUSED)
    later = at(deps, timedelta(minutes=61))  # the terminal's next try, the same day
    second = refuse(later)
    [after] = of_kind(later, rules.CHECKPOINT_REFUSED)
    assert after.key == before.key  # not notified again as the refusals repeat
    assert after.seqs == (first, second)
    assert "(2 refus depuis le 02/12 à 11:30)" in after.title


def test_a_refusal_leaves_the_alerts_after_a_week(deps: Deps) -> None:
    append_entries(deps.engine, 2)
    spoil_body(deps.engine, 1)
    refuse(deps)
    assert of_kind(at(deps, rules.INTEGRITY_WINDOW), rules.CHECKPOINT_REFUSED)
    assert of_kind(at(deps, rules.INTEGRITY_WINDOW + timedelta(seconds=1)),
                   rules.CHECKPOINT_REFUSED) == []  # fmt: skip


# --- an entry set aside from the queue ----------------------------------------------


def set_aside(deps: Deps, reason: str = "contenu illisible (ni texte UTF-8 ni JSON)") -> int:
    """An entry as the sequencer chains in place of a row of the queue it cannot chain
    (migration 0021): the same action, outcome, operator and details."""
    with deps.writing() as session:
        appended = journal.append(
            session,
            actor=SYSTEM,
            action=sequencer.SET_ASIDE,
            outcome="refusé",
            at=deps.clock(),
            details={"reason": reason, "queue": 7, "event_id": "e-7", "length": 8,
                     "sha256": "0" * 64, "truncated": False, "body": "bm90IGpzb24="},
        )  # fmt: skip
    seq = journal.position(deps.engine, appended)  # PostgreSQL: once chained
    assert seq is not None
    return seq


def test_an_entry_set_aside_raises_an_alert_of_its_own(deps: Deps) -> None:
    append_entries(deps.engine, 2)
    seq = set_aside(deps)
    append_entries(deps.engine, 1)
    [alert] = of_kind(deps, rules.SET_ASIDE)
    assert (alert.key, alert.seqs, alert.at) == (f"journal_set_aside:{seq}", (seq,), NOW)
    assert alert.kind_label == "entrée écartée de la file"
    assert alert.title == (
        f"Entrée n° {seq} : une ligne de la file d'attente du journal n'était pas une entrée "
        "(contenu illisible (ni texte UTF-8 ni JSON)) et a été mise à l'écart."
    )
    assert "sans passer par CSU" in alert.advice


def test_two_entries_set_aside_are_two_alerts_kept_for_a_week(deps: Deps) -> None:
    first, second = set_aside(deps), set_aside(deps, "champ « ts » absent")
    found = of_kind(at(deps, timedelta(days=6)), rules.SET_ASIDE)
    assert [alert.seqs for alert in found] == [(second,), (first,)]  # newest first
    assert of_kind(at(deps, timedelta(days=8)), rules.SET_ASIDE) == []


def test_a_journal_without_an_entry_set_aside_raises_none(deps: Deps) -> None:
    append_entries(deps.engine, 3)
    with deps.writing() as session:  # the same operator's other entries are not one
        journal.append(session, actor=SYSTEM, action="consultation", outcome="refusé", at=NOW)
    assert of_kind(deps, rules.SET_ASIDE) == []


def test_the_review_shows_them_journalled_and_an_agent_is_refused(deps: Deps) -> None:
    append_entries(deps.engine, 1)
    set_aside(deps)
    views = review_alerts(deps, SUPERVISOR)
    assert [view.alert.kind for view in views] == [rules.SET_ASIDE]
    assert views[0].matricule is None
    with pytest.raises(Forbidden):
        current_alerts(deps, AGENT)


# --- a row the PostgreSQL sequencer truly set aside ------------------------------------


@pytest.fixture
def live(postgres_store: Engine) -> Iterator[Deps]:
    """PostgreSQL on the system's clock: the server dates the entries it sets aside."""
    yield Deps(engine=postgres_store, key=TEST_KEY)


@pytest.mark.postgres
def test_a_row_the_sequencer_set_aside_raises_an_alert(live: Deps) -> None:
    from csu.services.audit import integrate_journal
    from tests.store.test_journal_queue_checks import EVENT, insert_unchecked

    append_entries(live.engine, 1)
    insert_unchecked(live.engine, b"not json", EVENT)
    assert integrate_journal(live, SUPERVISOR) == 1
    [alert] = of_kind(live, rules.SET_ASIDE)
    assert alert.seqs == (2,)
    assert "(contenu illisible (ni texte UTF-8 ni JSON))" in alert.title


# --- the rules alone ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reason", "cause"),
    [
        ("journal altéré : entrée 2 : empreinte incorrecte", rules.ALTERED),
        ("le dernier point de contrôle ne correspond plus au journal : journal plus court "
         "que le point de contrôle : 3 entrées, le point de contrôle en certifie 5",
         rules.ALTERED),
        ("le journal mentionne un point de contrôle (entrée n° 3, 2 entrées) absent de la "
         "base : suppression suspecte", rules.DELETED),
        ("point de contrôle n° 2 en base : note illisible", rules.DAMAGED),
        ("point de contrôle n° 2 en base : sa taille ou sa racine diffère de sa note signée",
         rules.DAMAGED),
        ("entrée n° 4 absente", rules.ALTERED),
        ("quelque chose d'autre", ""),
    ],
)  # fmt: skip
def test_the_cause_of_a_refusal_is_read_from_its_reason(reason: str, cause: str) -> None:
    assert rules.checkpoint_cause(reason) == cause


def test_a_reason_is_shown_on_one_line_and_cut() -> None:
    refusal = rules.JournalAlarm(1, NOW, "ligne\nsuivante " + "x" * 400)
    [alert] = rules.checkpoint_refusal_alerts([refusal], NOW)
    assert "\n" not in alert.title and alert.title.endswith("…")
    assert len(alert.title) < 450


def test_the_rules_take_the_actions_the_services_write() -> None:
    assert ACTION == "journal_checkpoint" and sequencer.SET_ASIDE == "journal_queue_rejected"
