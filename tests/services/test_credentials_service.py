"""Issuing, reading out and revoking credentials inside a verified intervention."""

from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import exc, func, select

from csu.domain import credentials as creds
from csu.domain.clock import PARIS
from csu.domain.hashing import keyed_hash
from csu.fake_electorate import write_roll_csv
from csu.services.context import Forbidden, NotFound, ServiceError
from csu.services.credentials import (
    confirm_read_out,
    issue_credential,
    revoke_credential,
)
from csu.services.elections import get_definition
from csu.services.interventions import close_intervention, current_intervention
from csu.services.platform import check_login
from csu.services.rolls import import_voters
from csu.services.verification import verify_identity
from csu.store.tables import Credential
from tests.conftest import ADMIN, AGENT, NOW, TEST_KEY
from tests.services.intervention_support import (  # noqa: F401  (desk_fixture: "desk")
    PRESIDENT_NORD,
    Caller,
    Desk,
    bodies,
    desk_fixture,
    entries,
    in_person_call,
    mark_voted,
    open_call,
    verified_call,
)


def key_works(desk: Desk, caller: Caller, typed: str) -> bool:
    return check_login(
        desk.deps, caller.election, caller.identifier, caller.birth_date, security_key=typed
    )


def password_works(desk: Desk, caller: Caller, typed: str) -> bool:
    return check_login(
        desk.deps, caller.election, caller.identifier, caller.birth_date, password=typed
    )


def credential(desk: Desk, credential_id: int) -> Credential:
    with desk.deps.reading() as session:
        row = session.get(Credential, credential_id)
        assert row is not None
        return row


def columns(row: Credential) -> str:
    return " ".join(str(value) for value in row.model_dump().values())


# ------------------------------------------------------------------------ issuing


def test_a_new_security_key_works_and_the_previous_one_no_longer_does(desk: Desk) -> None:
    call_id = verified_call(desk, desk.caller)
    old = issue_credential(desk.deps, AGENT, call_id, desk.caller.material_id, "security_key")
    assert key_works(desk, desk.caller, old.display)
    new = issue_credential(desk.deps, AGENT, call_id, desk.caller.material_id, "security_key")
    assert key_works(desk, desk.caller, new.display.lower())  # typed with dashes, lower case
    assert key_works(desk, desk.caller, new.value)
    assert not key_works(desk, desk.caller, old.display)
    assert credential(desk, old.credential_id).status == "revoked"
    assert credential(desk, old.credential_id).revoke_reason == "réassort"
    issued = entries(desk.deps, "credential_issue")
    assert [e["details"]["revoked"] for e in issued] == [None, old.credential_id]
    assert issued[-1]["details"]["verified_by"] == "agent_card,birth_date,iban"


def test_a_new_key_is_shown_grouped_and_spelled(desk: Desk) -> None:
    call_id = verified_call(desk, desk.caller)
    key = issue_credential(desk.deps, AGENT, call_id, desk.caller.material_id, "security_key")
    assert (key.kind, key.label, key.material_identifier, key.display_seconds) == (
        "security_key", "clé de sécurité", desk.caller.identifier, 120
    )
    assert len(key.value) == 16 and key.display == "-".join(
        key.value[i : i + 4] for i in range(0, 16, 4)
    )
    assert len(key.spelling) == 16
    assert key.spelling[0].startswith(key.value[0])


def test_a_security_key_is_kept_as_a_keyed_hmac_never_in_clear(desk: Desk) -> None:
    call_id = verified_call(desk, desk.caller)
    key = issue_credential(desk.deps, AGENT, call_id, desk.caller.material_id, "security_key")
    row = credential(desk, key.credential_id)
    assert row.scheme == "hmac-sha256"
    assert row.hash == keyed_hash(TEST_KEY, "credential:security_key", key.value)
    assert row.prefix_hash == keyed_hash(TEST_KEY, creds.SECURITY_KEY_PREFIX, key.value[:6])
    stored = columns(row)
    for clear in (key.value, key.display, key.value[:6], key.value.lower()):
        assert clear not in stored


def test_a_password_is_kept_as_argon2id_never_in_clear(desk: Desk) -> None:
    call_id = verified_call(desk, desk.caller)
    password = issue_credential(desk.deps, AGENT, call_id, desk.caller.material_id, "password")
    row = credential(desk, password.credential_id)
    assert row.scheme == "argon2id" and row.hash.startswith("$argon2id$")
    assert row.prefix_hash is None
    assert password.value not in columns(row)
    assert password_works(desk, desk.caller, password.value)
    assert not password_works(desk, desk.caller, password.value.swapcase())


def test_an_issued_value_never_reaches_the_journal(desk: Desk) -> None:
    call_id = verified_call(desk, desk.caller)
    key = issue_credential(desk.deps, AGENT, call_id, desk.caller.material_id, "security_key")
    password = issue_credential(desk.deps, AGENT, call_id, desk.caller.material_id, "password")
    confirm_read_out(desk.deps, AGENT, call_id, key.credential_id)
    journal_text = bodies(desk.deps)
    for clear in (key.value, key.display, password.value):
        assert clear not in journal_text


def test_an_education_vote_code_is_not_issued_to_be_read_out(desk: Desk) -> None:
    call = open_call(desk, desk.teacher)
    answers = desk.teacher.education_answers()
    assert verify_identity(desk.deps, AGENT, call.id, answers).verified
    with pytest.raises(ServiceError, match="le code de vote se réassortit uniquement par lien"):
        issue_credential(desk.deps, AGENT, call.id, desk.teacher.material_id, "vote_code")


def test_a_kind_the_election_does_not_issue_is_refused(desk: Desk) -> None:
    call_id = verified_call(desk, desk.caller)
    with pytest.raises(
        ServiceError, match="Pour cette élection, le code de vote n'est pas délivré par la cellule"
    ):
        issue_credential(desk.deps, AGENT, call_id, desk.caller.material_id, "vote_code")


def test_no_two_active_credentials_of_one_kind_per_material(desk: Desk) -> None:
    call_id = verified_call(desk, desk.caller)
    for kind in ("security_key", "password", "security_key", "password", "security_key"):
        issue_credential(desk.deps, AGENT, call_id, desk.caller.material_id, kind)
    with desk.deps.reading() as session:
        active = session.execute(
            select(Credential.kind, func.count())
            .where(Credential.material_id == desk.caller.material_id,
                   Credential.status == "active")
            .group_by(Credential.kind)
            .order_by(Credential.kind)
        ).all()
        total = session.execute(select(func.count()).select_from(Credential)).scalar_one()
    assert [tuple(row) for row in active] == [("password", 1), ("security_key", 1)]
    assert total == 5


def test_the_store_itself_refuses_a_second_active_credential(desk: Desk) -> None:
    call_id = verified_call(desk, desk.caller)
    key = issue_credential(desk.deps, AGENT, call_id, desk.caller.material_id, "security_key")
    with pytest.raises(exc.IntegrityError), desk.deps.writing() as session:
        session.add(
            Credential(material_id=desk.caller.material_id, kind="security_key",
                       scheme="hmac-sha256", hash="0" * 64, issued_at=NOW, issued_by="x")
        )
    assert credential(desk, key.credential_id).status == "active"


# ------------------------------------------------------------------------ refusals


def test_no_credential_without_a_verification(desk: Desk) -> None:
    call = open_call(desk, desk.caller)
    with pytest.raises(ServiceError, match="Identité non vérifiée"):
        issue_credential(desk.deps, AGENT, call.id, desk.caller.material_id, "security_key")
    assert entries(desk.deps, "credential_issue") == []


def test_no_credential_after_the_verification_expired(desk: Desk) -> None:
    call_id = verified_call(desk, desk.caller)
    desk.clock.advance(minutes=10)
    with pytest.raises(ServiceError, match="vérification expirée"):
        issue_credential(desk.deps, AGENT, call_id, desk.caller.material_id, "security_key")


def test_no_credential_once_the_election_is_closed(desk: Desk) -> None:
    desk.clock.now = datetime(2022, 12, 8, 16, 55, tzinfo=PARIS)
    call_id = verified_call(desk, desk.caller)
    desk.clock.advance(minutes=6)  # 17:01, the verification still holds
    with pytest.raises(ServiceError, match="est clos"):
        issue_credential(desk.deps, AGENT, call_id, desk.caller.material_id, "security_key")


def test_no_credential_once_the_material_has_voted(desk: Desk) -> None:
    call_id = verified_call(desk, desk.caller)
    key = issue_credential(desk.deps, AGENT, call_id, desk.caller.material_id, "security_key")
    mark_voted(desk, desk.caller)
    with pytest.raises(ServiceError, match="déjà voté"):
        issue_credential(desk.deps, AGENT, call_id, desk.caller.material_id, "security_key")
    with pytest.raises(ServiceError, match="déjà voté"):
        revoke_credential(desk.deps, AGENT, call_id, desk.caller.material_id, "security_key",
                          "carte volée")
    assert credential(desk, key.credential_id).status == "active"


def test_no_credential_on_another_voters_material(desk: Desk) -> None:
    call_id = verified_call(desk, desk.caller)
    with pytest.raises(NotFound):
        issue_credential(desk.deps, AGENT, call_id, desk.neighbour.material_id, "security_key")


def test_a_president_resets_the_password_of_a_voter_of_their_bureau(desk: Desk) -> None:
    call_id = in_person_call(desk, desk.caller, PRESIDENT_NORD)
    password = issue_credential(
        desk.deps, PRESIDENT_NORD, call_id, desk.caller.material_id, "password"
    )
    assert password_works(desk, desk.caller, password.value)
    [issued] = entries(desk.deps, "credential_issue")
    assert (issued["operator"], issued["role"], issued["details"]["verified_by"]) == (
        "pres.nord", "president", "in_person"
    )


def test_a_president_issues_nothing_but_passwords(desk: Desk) -> None:
    call_id = in_person_call(desk, desk.caller, PRESIDENT_NORD)
    with pytest.raises(Forbidden, match="mots de passe"):
        issue_credential(desk.deps, PRESIDENT_NORD, call_id, desk.caller.material_id,
                         "security_key")


def test_a_president_issues_nothing_outside_their_bureau(desk: Desk) -> None:
    call_id = in_person_call(desk, desk.caller, PRESIDENT_NORD)
    # Meanwhile a corrected roll moves the voter to the other bureau.
    moved = desk.tmp_path / "correction.csv"
    write_roll_csv([desk.caller.row | {"bureau": "B-SUD"}], moved)
    assert import_voters(desk.deps, ADMIN, moved, "minint-2022").committed
    # The import closed the president's case (csu.services.interventions.abandon_moved_out).
    with pytest.raises(ServiceError, match=r"a été close \(abandonnée\) : électeur passé"):
        issue_credential(desk.deps, PRESIDENT_NORD, call_id, desk.caller.material_id,
                         "password")
    assert entries(desk.deps, "credential_issue") == []


# ------------------------------------------------------------- read-out and revoke


def test_reading_a_credential_out_is_journalled(desk: Desk) -> None:
    call_id = verified_call(desk, desk.caller)
    key = issue_credential(desk.deps, AGENT, call_id, desk.caller.material_id, "security_key")
    confirm_read_out(desk.deps, AGENT, call_id, key.credential_id)
    [entry] = entries(desk.deps, "credential_read_out")
    assert (entry["intervention"], entry["operator"], entry["details"]) == (
        call_id,
        "agent",
        {"kind": "security_key", "credential": key.credential_id, "channel": "phone"},
    )


def test_a_read_out_confirmed_after_the_display_ended_is_journalled_as_such(
    desk: Desk,
) -> None:
    call_id = verified_call(desk, desk.caller)
    key = issue_credential(desk.deps, AGENT, call_id, desk.caller.material_id, "security_key")
    confirm_read_out(desk.deps, AGENT, call_id, key.credential_id, after_display=True)
    [entry] = entries(desk.deps, "credential_read_out")
    assert (entry["outcome"], entry["details"]) == (
        "ok",
        {
            "kind": "security_key",
            "credential": key.credential_id,
            "channel": "phone",
            "after_display": True,
        },
    )


def test_a_credential_of_an_earlier_intervention_cannot_be_confirmed_as_read_out(
    desk: Desk,
) -> None:
    first = verified_call(desk, desk.caller)
    key = issue_credential(desk.deps, AGENT, first, desk.caller.material_id, "security_key")
    close_intervention(desk.deps, AGENT, first, "abandonné")  # the call dropped
    later = open_call(desk, desk.caller)  # the value was shown once, in the first call
    with pytest.raises(NotFound, match="dans cette intervention"):
        confirm_read_out(desk.deps, AGENT, later.id, key.credential_id)


def test_revoking_without_reissue_makes_the_login_fail(desk: Desk) -> None:
    call_id = verified_call(desk, desk.caller)
    key = issue_credential(desk.deps, AGENT, call_id, desk.caller.material_id, "security_key")
    revoke_credential(desk.deps, AGENT, call_id, desk.caller.material_id, "security_key",
                      "  carte   volée ")
    assert not key_works(desk, desk.caller, key.display)
    row = credential(desk, key.credential_id)
    assert (row.status, row.revoked_by, row.revoke_reason, row.revoked_at) == (
        "revoked", "agent", "carte volée", NOW
    )
    [entry] = entries(desk.deps, "credential_revoke")
    assert entry["details"] == {
        "kind": "security_key", "material": desk.caller.material_id,
        "credential": key.credential_id, "reason": "carte volée",
    }


def test_revoking_needs_a_reason(desk: Desk) -> None:
    call_id = verified_call(desk, desk.caller)
    key = issue_credential(desk.deps, AGENT, call_id, desk.caller.material_id, "security_key")
    with pytest.raises(ServiceError, match="Motif trop court"):
        revoke_credential(desk.deps, AGENT, call_id, desk.caller.material_id, "security_key",
                          "vol")
    assert key_works(desk, desk.caller, key.display)


@pytest.mark.parametrize(("kind", "sentence"), [
    ("security_key", "Aucune clé de sécurité délivrée par la cellule n'est active pour ce "
                     "matériel ; celle du courrier d'origine ne s'invalide qu'en en délivrant "
                     "une nouvelle, qui la remplace."),
    ("password", "Aucun mot de passe délivré par la cellule n'est actif pour ce matériel ; "
                 "celui du courrier d'origine ne s'invalide qu'en en délivrant un nouveau, "
                 "qui le remplace."),
])  # fmt: skip
def test_revoking_when_nothing_was_issued_is_refused_in_agreed_words(
    desk: Desk, kind: str, sentence: str
) -> None:
    call_id = verified_call(desk, desk.caller)
    with pytest.raises(ServiceError) as refused:
        revoke_credential(desk.deps, AGENT, call_id, desk.caller.material_id, kind, "carte volée")
    assert str(refused.value) == sentence
    assert entries(desk.deps, "credential_revoke") == []


# ---------------------------------------------------------------------- property


@st.composite
def retypings(draw: st.DrawFn) -> tuple[str, list[bool], str]:
    """How a voter may type a key back: separator, case of each character, spaces."""
    separator = draw(st.sampled_from(["-", " ", "", " - ", "."]))
    lowered = draw(st.lists(st.booleans(), min_size=16, max_size=16))
    around = draw(st.sampled_from(["", " ", "\t"]))
    return separator, lowered, around


@settings(max_examples=10, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(typing=retypings())
def test_a_displayed_key_parses_back_to_its_stored_hash(
    desk: Desk, typing: tuple[str, list[bool], str]
) -> None:
    separator, lowered, around = typing
    call = current_or_verified(desk)
    key = issue_credential(desk.deps, AGENT, call, desk.caller.material_id, "security_key")
    with desk.deps.reading() as session:
        fmt = get_definition(session, "minint-2022").credentials["security_key"]
    chars = [c.lower() if low else c for c, low in zip(key.value, lowered, strict=True)]
    groups = ["".join(chars[i : i + 4]) for i in range(0, 16, 4)]
    typed = around + separator.join(groups) + around
    value = creds.parse_typed(fmt, typed, "Clé de sécurité")
    stored = credential(desk, key.credential_id).hash
    assert keyed_hash(TEST_KEY, "credential:security_key", value) == stored
    assert key_works(desk, desk.caller, typed)


def current_or_verified(desk: Desk) -> str:
    """The agent's verified intervention, opened on the first example only."""
    call = current_intervention(desk.deps, AGENT)
    return call.id if call is not None else verified_call(desk, desk.caller)


def test_issuing_a_key_by_phone_notifies_the_professional_address(desk: Desk) -> None:
    call_id = verified_call(desk, desk.caller)
    key = issue_credential(desk.deps, AGENT, call_id, desk.caller.material_id, "security_key")
    notice = desk.outbox.last_email()
    assert notice["To"] == desk.caller.row["email_pro"]
    text = str(notice.get_content())
    assert "une nouvelle clé de sécurité vous a été délivrée" in text
    assert desk.caller.identifier in text
    assert key.value not in text and key.display not in text


def test_invalidating_a_key_notifies_the_voter_too(desk: Desk) -> None:
    call_id = verified_call(desk, desk.caller)
    issue_credential(desk.deps, AGENT, call_id, desk.caller.material_id, "security_key")
    revoke_credential(desk.deps, AGENT, call_id, desk.caller.material_id, "security_key",
                      "carte volée")
    assert "votre clé de sécurité a été invalidée" in str(desk.outbox.last_email().get_content())
