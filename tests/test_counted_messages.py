"""Counts in messages agree with their number: « 1 entrée », « 2 entrées », never
« entrée(s) » (csu.domain.plural.counted)."""

import pytest

from csu.domain.journal import ChainCheck
from csu.services.audit import describe_backlog, describe_stuck
from csu.services.emargement import MAX_LISTED, BadEvents
from csu.store.sequencer import Pending


@pytest.mark.parametrize(
    ("count", "said"),
    [(0, "journal intègre : 0 entrée"), (1, "journal intègre : 1 entrée"),
     (2, "journal intègre : 2 entrées")],
)  # fmt: skip
def test_an_intact_journal_counts_its_entries(count: int, said: str) -> None:
    assert ChainCheck(count=count, last_hash="0" * 64).describe() == said


def test_the_backlog_counts_its_entries_in_the_singular_and_the_plural() -> None:
    assert describe_backlog(Pending(1, None, 3.0)) == (
        "1 entrée en attente d'intégration à la chaîne (la plus ancienne depuis 3,0 s)"
    )
    assert describe_backlog(Pending(2, None, 3.0)).startswith(
        "2 entrées en attente d'intégration à la chaîne"
    )


def test_entries_stuck_in_the_queue_agree_with_their_number() -> None:
    assert describe_stuck(1) == (
        "1 entrée attend depuis plus de 60 s d'être intégrée à la chaîne : aucun "
        "séquenceur ne l'intègre ; lancez « csu audit integrate »"
    )
    assert describe_stuck(2) == (
        "2 entrées attendent depuis plus de 60 s d'être intégrées à la chaîne : aucun "
        "séquenceur ne les intègre ; lancez « csu audit integrate »"
    )


def faults(count: int) -> list[tuple[str, str]]:
    return [(f"events.{n}.identifier", "identifiant inconnu") for n in range(count)]


def test_a_refused_batch_counts_its_bad_events_in_the_singular_and_the_plural() -> None:
    assert "rien n'est enregistré : 1 événement invalide — " in str(BadEvents(faults(1)))
    assert "rien n'est enregistré : 2 événements invalides — " in str(BadEvents(faults(2)))


def test_the_bad_events_left_unlisted_are_one_other_or_several_others() -> None:
    assert str(BadEvents(faults(MAX_LISTED + 1))).endswith(" ; et 1 autre.")
    assert str(BadEvents(faults(MAX_LISTED + 2))).endswith(" ; et 2 autres.")
