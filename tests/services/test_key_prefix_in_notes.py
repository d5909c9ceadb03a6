"""The first characters of the voter's security key (what an S3 caller reads out to
prove who they are) written alone in a note, a reason or an outcome are refused, as
the whole key is: compared with the key's prefix hash (the keyed hash of a key the cell
issued, the argon2 hash of an original the platform exported). Prose, and any other
stretch of the prefix's length, is stored as written."""

from collections.abc import Callable

import pytest

from csu.services.context import ServiceError
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
