"""The first characters of the voter's security key (what an S3 caller reads out to
prove who they are) written alone in a note, a reason or an outcome are refused, as
the whole key is: compared with the key's prefix hash (the keyed hash of a key the cell
issued, the argon2 hash of an original the platform exported). Prose, and any other
stretch of the prefix's length, is stored as written."""

import itertools
from collections.abc import Callable

import pytest

from csu.services import credential_text
from csu.services.context import ServiceError
from csu.services.credential_text import MAX_SLOW_COMPARISONS
from csu.services.escalation import close_escalation
from csu.services.interventions import close_intervention
from csu.services.voters import reveal_field
from tests.conftest import AGENT, SUPERVISOR
from tests.services.intervention_support import (  # noqa: F401  (desk_fixture: "desk")
    Desk,
    desk_fixture,
    open_call,
)
from tests.services.test_notes_hold_no_credential import (
    PROSE,
    assert_nowhere,
    close_note,
    escalated_case,
    issued,
)
from tests.services.test_originals import KEY, imported, originals_of

REFUSED = (
    "contient ce qui ressemble au début de la clé de sécurité de l'électeur : "
    "n'écrivez jamais un code dans"
)


@pytest.mark.parametrize(
    "typed",
    [
        lambda head: head,
        lambda head: f"{head[:4]}-{head[4:]}",
        lambda head: f"{head[:4].lower()} {head[4:].lower()}",
    ],
    ids=["one piece", "as shown", "spaced small letters"],
)
def test_the_issued_keys_prefix_in_a_note_is_refused(
    desk: Desk, typed: Callable[[str], str]
) -> None:
    call, [key] = issued(desk, "security_key")
    head = key.value[:6]
    with pytest.raises(ServiceError, match=f"La note {REFUSED} une note"):
        close_intervention(desk.deps, AGENT, call, "résolu", f"préfixe {typed(head)} vérifié")
    assert_nowhere(desk.deps, head)


def test_an_original_keys_prefix_in_a_note_is_refused_by_its_argon2_hash(desk: Desk) -> None:
    imported(desk, *originals_of(desk.caller))
    call = open_call(desk, desk.caller)
    with pytest.raises(ServiceError, match=REFUSED):
        close_intervention(desk.deps, AGENT, call.id, "résolu", f"S3 : début lu {KEY[:6]}, ok")
    assert_nowhere(desk.deps, KEY[:6])


def test_the_prefix_in_a_reason_about_the_voter_is_refused(desk: Desk) -> None:
    _, [key] = issued(desk, "security_key")
    with pytest.raises(ServiceError, match=f"Le motif {REFUSED} un motif"):
        reveal_field(desk.deps, SUPERVISOR, desk.caller.voter_id, "email_pro",
                     f"appelant a lu {key.value[:6]}")  # fmt: skip
    assert_nowhere(desk.deps, key.value[:6])


def test_the_prefix_in_a_case_outcome_is_refused(desk: Desk) -> None:
    case, [key] = escalated_case(desk, "security_key")
    with pytest.raises(ServiceError, match=f"La suite donnée {REFUSED}"):
        close_escalation(desk.deps, SUPERVISOR, case, "résolu", f"rappelé, {key.value[:6]} lu")
    assert_nowhere(desk.deps, key.value[:6])


def test_prose_and_other_six_character_stretches_are_stored_beside_a_key(desk: Desk) -> None:
    # Six-letter words and a stretch of the key's alphabet that is not its prefix: the
    # hash tells them apart, none is refused.
    call, [key] = issued(desk, "security_key")
    other = "".join("23456789ABCDEFGHJKMNPQRSTVWXYZ"[i] for i in (4, 9, 12, 20, 2, 28))
    assert other != key.value[:6]
    note = f"{PROSE} ; client rappel ; repère {other} ; {key.value[1:7]}"
    close_intervention(desk.deps, AGENT, call, "résolu", note)
    assert close_note(desk, call) == note


# ------------------------------------------------ however the prefix is written


@pytest.mark.parametrize(
    "typed",
    [
        lambda key: f"{key[:4]}-{key[4:8]}",
        lambda key: key[:12],
        lambda key: f"{key[:2]} {key[2:4]} {key[4:6]}",
        lambda key: f"{key[:3]}-{key[3:6]}",
        lambda key: "-".join(key[:6]),
        lambda key: f"{key[:4]}\u00a0{key[4:6]}",
        lambda key: f"{key[:4]}\u202f{key[4:6]}",
        lambda key: f"{key[:4]}/{key[4:6]}",
        lambda key: f"{key[:4]} -{key[4:6]}".lower(),
    ],
    ids=[
        "first two groups", "run on", "three pairs", "three and three", "one by one",
        "no-break space", "narrow no-break space", "slash", "two in a row, small letters",
    ],
)  # fmt: skip
def test_the_prefix_is_refused_however_it_is_cut_or_run_on(
    desk: Desk, typed: Callable[[str], str]
) -> None:
    call, [key] = issued(desk, "security_key")
    with pytest.raises(ServiceError, match=f"La note {REFUSED} une note"):
        close_intervention(desk.deps, AGENT, call, "résolu", f"lu {typed(key.value)} ok")
    assert_nowhere(desk.deps, key.value[:6])


def test_an_original_keys_first_groups_are_refused(desk: Desk) -> None:
    imported(desk, *originals_of(desk.caller))
    call = open_call(desk, desk.caller)
    with pytest.raises(ServiceError, match=REFUSED):
        close_intervention(desk.deps, AGENT, call.id, "résolu", f"début {KEY[:4]}-{KEY[4:8]}")
    assert_nowhere(desk.deps, KEY[:6])


def test_three_separators_in_a_row_end_the_candidate(desk: Desk) -> None:
    call, [key] = issued(desk, "security_key")
    head = key.value[:6]
    note = f"{PROSE} ; {head[:3]} - - {head[3:]}"
    close_intervention(desk.deps, AGENT, call, "résolu", note)
    assert close_note(desk, call) == note


# ------------------------------------------------------------ what it may cost


def _words(count: int, length: int, letters: str) -> list[str]:
    """``count`` distinct words of ``length`` small letters, all beginning alike."""
    tails = ("".join(t) for t in itertools.product(letters, repeat=3))
    return ["bcdefghjkmnpqrs"[: length - 3] + tail for tail in itertools.islice(tails, count)]


def test_whole_key_candidates_do_not_use_up_the_prefix_comparisons(desk: Desk) -> None:
    # 70 stretches of a whole key's length and alphabet (more than the keyed
    # comparisons of whole codes allow), all with the same first six letters: the
    # prefix still has its own allowance.
    call, [key] = issued(desk, "security_key")
    words = _words(70, 16, "abcdefgh")
    assert len(set(words)) == 70 and all(w[:6] == "bcdefg" for w in words)
    assert key.value[:6] != "BCDEFG"
    with pytest.raises(ServiceError, match=REFUSED):
        close_intervention(desk.deps, AGENT, call, "résolu",
                           f"{' '.join(words)} {key.value[:6]}")  # fmt: skip


class _Counted:
    """csu.services.credential_text's argon2 comparisons, counted."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        real = credential_text.argon2_verifies

        def counted(*args: object) -> bool:
            self.calls += 1
            return real(*args)  # type: ignore[arg-type]

        monkeypatch.setattr(credential_text, "argon2_verifies", counted)


def test_password_length_words_do_not_use_up_the_argon2_prefix_comparisons(desk: Desk) -> None:
    imported(desk, *originals_of(desk.caller))
    call = open_call(desk, desk.caller)
    words = _words(MAX_SLOW_COMPARISONS + 1, 12, "abcdefgh")
    with pytest.raises(ServiceError, match=REFUSED):
        close_intervention(desk.deps, AGENT, call.id, "résolu", f"{' '.join(words)} {KEY[:6]}")
    assert_nowhere(desk.deps, KEY[:6])


def test_prose_costs_no_argon2_prefix_comparison(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Six-letter words of the key's alphabet, no digit: no drawn key's prefix looks so.
    imported(desk, *originals_of(desk.caller))
    call = open_call(desk, desk.caller)
    counted = _Counted(monkeypatch)
    note = "rappel patent absent cadets tracts payant banane vendre"
    close_intervention(desk.deps, AGENT, call.id, "résolu", note)
    assert counted.calls == 0


def test_at_most_two_argon2_prefix_comparisons_a_text(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    imported(desk, *originals_of(desk.caller))
    call = open_call(desk, desk.caller)
    counted = _Counted(monkeypatch)
    note = " ".join(f"{letter}2bcde" for letter in "ABCDEFGH")
    close_intervention(desk.deps, AGENT, call.id, "résolu", note)
    assert counted.calls == credential_text.MAX_PREFIX_SLOW_COMPARISONS == 2
