"""A reason typed for an act on a voter is read for the voter's own credentials too:
a password, which no shape tells from a word, is refused by its hash (the closing
note's rule, tests/services/test_notes_hold_no_credential.py)."""

import pytest

from csu.services.context import ServiceError
from csu.services.credentials import revoke_credential
from csu.services.interventions import close_intervention
from csu.services.presence import decline_presence, request_presence_check
from csu.services.verification import unlock_voter
from csu.services.voters import reveal_field
from tests.conftest import AGENT, SUPERVISOR
from tests.services.intervention_support import (  # noqa: F401  (desk_fixture: "desk")
    PRESIDENT_NORD,
    Desk,
    desk_fixture,
    open_call,
)
from tests.services.test_notes_hold_no_credential import assert_nowhere, issued


def test_a_password_in_a_revocation_reason_is_refused(desk: Desk) -> None:
    call, [password, _key] = issued(desk, "password", "security_key")
    reason = f"carte volée, l'électeur avait noté {password.value} dessus"

    with pytest.raises(ServiceError, match="Le motif contient ce qui ressemble à un mot de passe"):
        revoke_credential(desk.deps, AGENT, call, desk.caller.material_id, "security_key", reason)

    assert_nowhere(desk.deps, password.value)


def test_a_plain_revocation_reason_is_kept(desk: Desk) -> None:
    call, _ = issued(desk, "security_key")
    revoke_credential(desk.deps, AGENT, call, desk.caller.material_id, "security_key",
                      "carte agent volée, déclarée au commissariat")  # fmt: skip


def test_a_password_in_an_unlock_reason_is_refused(desk: Desk) -> None:
    _, [password] = issued(desk, "password")
    with pytest.raises(ServiceError, match="Le motif contient ce qui ressemble à un mot de passe"):
        unlock_voter(desk.deps, SUPERVISOR, desk.caller.voter_id,
                     f"appel confirmé, mot de passe {password.value} relu")  # fmt: skip
    assert_nowhere(desk.deps, password.value)


def test_a_key_in_a_reveal_reason_is_refused(desk: Desk) -> None:
    _, [key] = issued(desk, "security_key")
    with pytest.raises(ServiceError, match="Le motif contient ce qui ressemble à une clé"):
        reveal_field(desk.deps, SUPERVISOR, desk.caller.voter_id, "phone_mobile",
                     f"contrôle demandé, clé {key.value} dictée")  # fmt: skip
    assert_nowhere(desk.deps, key.value)


def test_a_key_in_a_presidents_decline_reason_is_refused(desk: Desk) -> None:
    first, [key] = issued(desk, "security_key")
    close_intervention(desk.deps, AGENT, first, "abandonné")
    call = open_call(desk, desk.caller, channel="president", president_login="pres.nord")
    check = request_presence_check(desk.deps, AGENT, call.id)
    with pytest.raises(ServiceError, match="Le motif contient ce qui ressemble à une clé"):
        decline_presence(desk.deps, PRESIDENT_NORD, check.id,
                         f"la personne lisait la clé {key.value} sur un papier")  # fmt: skip
    assert_nowhere(desk.deps, key.value)
