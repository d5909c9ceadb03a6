"""Retention: a purge erases the personal data of closed elections' voters, keeps the
journal verifiable, journals itself, follows each election's retention by default,
and leaves alone a voter still on the roll of an election not purged yet."""

import io
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from csu.domain.clock import PARIS
from csu.fake_electorate import write_roll_csv
from csu.services.audit import ExportFilter, export_journal, verify_journal
from csu.services.context import Forbidden, NotFound, ServiceError
from csu.services.credentials import issue_credential
from csu.services.elections import get_definition, load_election
from csu.services.interventions import close_intervention
from csu.services.one_time_codes import send_one_time_code
from csu.services.platform import check_platform_login, required_secrets
from csu.services.platform_clients import add_platform_client, authenticate
from csu.services.presence import decline_presence, request_presence_check
from csu.services.retention import PurgeReport, purge
from csu.services.rolls import import_voters
from csu.services.verification import verify_identity
from csu.services.vote_codes import send_vote_code_link
from csu.store.tables import (
    Credential,
    Election,
    Intervention,
    JournalEntry,
    LinkToken,
    Material,
    OneTimeCode,
    OutboundMessage,
    PlatformLoginFailures,
    PresenceCheck,
    SubstitutionRequest,
    VerificationAttempt,
    Voter,
)
from tests.conftest import ADMIN, AGENT, SUPERVISOR
from tests.services.intervention_support import (  # noqa: F401  (desk_fixture: "desk")
    ELECTIONS,
    PRESIDENT_NORD,
    Caller,
    Desk,
    desk_fixture,
    entries,
    open_call,
)

# minint-2022 and men-2022 close on 08/12/2022 at 17:00 (Paris) and keep their voters'
# data 90 days: until 08/03/2023 at 17:00.
AFTER_RETENTION = datetime(2023, 3, 10, 9, 0, tzinfo=UTC)
WITHIN_RETENTION = datetime(2023, 3, 1, 9, 0, tzinfo=UTC)
NOTE = "Rappeler Mme Martin au 06 12 34 56 78"
DECLINED = "Mme Martin absente, sa sœur s'est présentée avec sa CNI"
PERSONAL = "ines.perso@exemple.fr"
VOTES_2022 = {"minint-2022", "men-2022"}


# ------------------------------------------------------------------ a busy cell


def activity(desk: Desk) -> None:
    """What a day of the vote leaves behind: a call from the caller's work phone, a
    code by SMS, a new security key, a note; a vote-code link for the teacher; a
    substitution request naming the caller's address."""
    call = open_call(desk, desk.caller, caller_number=desk.caller.row["telephone_pro"])
    send_one_time_code(desk.deps, AGENT, call.id, "otp_mobile")
    assert verify_identity(desk.deps, AGENT, call.id, desk.caller.phone_answers()).verified
    issue_credential(desk.deps, AGENT, call.id, desk.caller.material_id, "security_key")
    close_intervention(desk.deps, AGENT, call.id, "résolu", NOTE)
    teacher = open_call(desk, desk.teacher)
    assert verify_identity(desk.deps, AGENT, teacher.id, desk.teacher.education_answers()).verified
    send_vote_code_link(
        desk.deps, AGENT, teacher.id, desk.teacher.material_id, "email", PERSONAL,
        confirm=PERSONAL,
    )
    close_intervention(desk.deps, AGENT, teacher.id, "résolu")
    with desk.deps.writing() as session:  # minint-2022 has no substitution: a stored one
        session.add(
            SubstitutionRequest(
                election_id=desk.caller.election,
                voter_id=desk.caller.voter_id,
                intervention_id=call.id,
                checklist="{}",
                identity_match=True,
                email_sealed="sealed-address",
                email_masked="c***@exemple.fr",
                declared_on=datetime(2022, 12, 2).date(),
                notes="pièce d'identité lue : CNI 123456",
                state="refused",
                reason="demande faite par erreur",
                requested_by="agent",
                requested_at=datetime(2022, 12, 2, 10, 0, tzinfo=UTC),
            )
        )


def declined_check(desk: Desk, caller: Caller) -> str:
    """An agent asks the president of B-NORD to see ``caller`` in person; the president
    declines, saying why in free text. The check's id."""
    call = open_call(desk, caller, channel="president", president_login="pres.nord")
    check = request_presence_check(desk.deps, AGENT, call.id)
    decline_presence(desk.deps, PRESIDENT_NORD, check.id, DECLINED)
    close_intervention(desk.deps, AGENT, call.id, "refusé")
    return check.id


def failed_logins(desk: Desk, election: str, *identifiers: str) -> None:
    """The platform checks wrong secrets for each identifier (some on no roll)."""
    key = add_platform_client(desk.deps, ADMIN, f"plateforme-{election}", [election]).key
    platform = authenticate(desk.deps, key)
    with desk.deps.reading() as session:
        wrong = dict.fromkeys(required_secrets(get_definition(session, election)), "ABCD-EFGH")
    for identifier in identifiers:
        assert not check_platform_login(desk.deps, platform, election, identifier, wrong).valid


def later_election(desk: Desk, *callers: Caller) -> str:
    """minint-2023, a year later, whose roll holds ``callers`` again."""
    text = (ELECTIONS / "minint-2022.toml").read_text(encoding="utf-8")
    text = text.replace('id = "minint-2022"', 'id = "minint-2023"')
    for old, new in (("2022-12-0", "2023-12-0"), ("2022-11-17", "2023-11-17")):
        text = text.replace(old, new)
    load_election(desk.deps, ADMIN, text, "minint-2023.toml")
    path = desk.tmp_path / "minint-2023.csv"
    write_roll_csv([caller.row for caller in callers], path)
    assert import_voters(desk.deps, ADMIN, path, "minint-2023").committed
    return "minint-2023"


def voter(desk: Desk, caller: Caller) -> Voter:
    with desk.deps.reading() as session:
        row = session.get(Voter, caller.voter_id)
        assert row is not None
        return row


def rows(desk: Desk, table: Any, **where: Any) -> list[Any]:
    with desk.deps.reading() as session:
        query = select(table)
        for name, value in where.items():
            query = query.where(getattr(table, name) == value)
        return list(session.execute(query).scalars())


def journal_size(desk: Desk) -> int:
    with desk.deps.reading() as session:
        return int(session.execute(select(func.count()).select_from(JournalEntry)).scalar_one())


def ids(report: PurgeReport) -> set[str]:
    """The elections a purge purged (the desk may hold older ones, long past)."""
    return {p.election_id for p in report.purged}


def purged(desk: Desk, **options: Any) -> PurgeReport:
    desk.clock.now = options.pop("at", AFTER_RETENTION)
    return purge(desk.deps, ADMIN, **options)


def erased(row: Voter) -> bool:
    personal = (
        row.last_name, row.first_name, row.search_name, row.search_name_rev, row.birth_date,
        row.email_pro, row.phone_pro, row.phone_mobile, row.numen_hash, row.nir10_hash,
        row.birth_department_hash, row.iban6_hash, row.card6_hash, row.challenge_question,
        row.challenge_answer_hash,
    )  # fmt: skip
    return not any(personal) and row.purged_at is not None


# ------------------------------------------------------------------ what goes


def test_a_purge_erases_the_voters_identity_contacts_and_secret_hashes(desk: Desk) -> None:
    activity(desk)
    before = voter(desk, desk.caller)
    assert before.last_name and before.iban6_hash and before.phone_mobile
    purged(desk, election="minint-2022")
    after = voter(desk, desk.caller)
    assert erased(after)
    assert after.matricule == after.pseudonym == f"purge-{after.id}"


def test_a_purge_replaces_material_identifiers_which_may_be_personal(desk: Desk) -> None:
    # minint-2022 identifies material by matricule, men-2022 by professional address.
    purged(desk)
    for caller in (desk.caller, desk.teacher):
        [material] = rows(desk, Material, id=caller.material_id)
        assert material.identifier == f"purge-{material.id}"


def test_a_purge_erases_credential_hashes_and_revokes_them(desk: Desk) -> None:
    activity(desk)
    purged(desk, election="minint-2022")
    [key] = rows(desk, Credential, material_id=desk.caller.material_id)
    assert (key.hash, key.prefix_hash, key.status) == ("", None, "revoked")
    assert key.revoke_reason == "purge des données personnelles"


def test_a_purge_erases_caller_numbers_notes_codes_and_addresses(desk: Desk) -> None:
    activity(desk)
    assert any(message.recipient_hash for message in rows(desk, OutboundMessage))  # typed
    purged(desk)
    for call in rows(desk, Intervention):
        assert (call.caller_masked, call.caller_region, call.caller_hash, call.note) == (
            None, None, None, None,
        )  # fmt: skip
    assert {code.secret_sealed for code in rows(desk, OneTimeCode)} == {""}
    assert all(token.token_hash.startswith("purge-") for token in rows(desk, LinkToken))
    messages = rows(desk, OutboundMessage)
    assert not any(message.recipient_hash for message in messages)
    for message in messages:
        assert (message.recipient_masked, message.recipient_sealed, message.body_sealed) == (
            "", None, None,
        )  # fmt: skip
    [request] = rows(desk, SubstitutionRequest)
    assert (request.email_masked, request.email_sealed, request.notes) == ("", None, None)


def test_a_purge_erases_the_presidents_reason_for_declining(desk: Desk) -> None:
    check_id = declined_check(desk, desk.caller)
    report = purged(desk, election="minint-2022")
    assert report.purged[0].counts.presence_checks == 1
    [check] = rows(desk, PresenceCheck, id=check_id)
    assert check.decline_reason is None
    assert (check.status, check.bureau_code) == ("declined", "B-NORD")  # the fact stays
    assert not [row for row in rows(desk, PresenceCheck) if row.decline_reason]


def test_a_purge_erases_the_platforms_failed_login_counts(desk: Desk) -> None:
    failed_logins(desk, "minint-2022", desk.caller.identifier, "MI-PERSONNE")
    assert len(rows(desk, PlatformLoginFailures, election_id="minint-2022")) == 2
    report = purged(desk, election="minint-2022")
    assert report.purged[0].counts.login_failures == 2
    assert rows(desk, PlatformLoginFailures) == []


def test_the_failed_login_counts_of_an_election_not_purged_stay(desk: Desk) -> None:
    failed_logins(desk, "minint-2022", desk.caller.identifier)
    failed_logins(desk, "men-2022", desk.teacher.identifier)
    purged(desk, election="minint-2022")
    assert [row.election_id for row in rows(desk, PlatformLoginFailures)] == ["men-2022"]
    purged(desk, election="men-2022")
    assert rows(desk, PlatformLoginFailures) == []


def test_a_purge_keeps_what_is_not_personal(desk: Desk) -> None:
    activity(desk)
    purged(desk, election="minint-2022")
    [material] = rows(desk, Material, id=desk.caller.material_id)
    assert (material.election_id, material.bureau_code, material.status) == (
        "minint-2022", desk.caller.bureau, "active",
    )  # fmt: skip
    [call] = rows(desk, Intervention, voter_id=desk.caller.voter_id)
    assert (call.channel, call.outcome, call.verified_factors) == (
        "phone", "résolu", "agent_card,birth_date,iban",
    )  # fmt: skip
    assert rows(desk, VerificationAttempt, voter_id=desk.caller.voter_id)
    [request] = rows(desk, SubstitutionRequest)
    assert (request.state, request.reason) == ("refused", "demande faite par erreur")


def test_a_purge_of_one_election_leaves_the_others_alone(desk: Desk) -> None:
    activity(desk)
    teacher = voter(desk, desk.teacher)
    purged(desk, election="minint-2022")
    assert voter(desk, desk.teacher) == teacher
    [link] = rows(desk, LinkToken, voter_id=desk.teacher.voter_id)
    assert not link.token_hash.startswith("purge-")
    [call] = rows(desk, Intervention, voter_id=desk.teacher.voter_id)
    assert call.closed_at is not None
    assert all(m.recipient_masked for m in rows(desk, OutboundMessage, voter_id=teacher.id))


# ----------------------------------------------------------------- the journal


def test_the_journal_stays_verifiable_after_a_purge(desk: Desk) -> None:
    activity(desk)
    size = journal_size(desk)
    report = purged(desk)
    assert journal_size(desk) == size + len(report.purged)  # one entry per election
    check = verify_journal(desk.deps, SUPERVISOR)
    assert check.ok, check.describe()


def test_a_purge_is_journalled_with_its_counts_election_and_date(desk: Desk) -> None:
    activity(desk)
    before = datetime(2023, 1, 1, tzinfo=PARIS)
    purged(desk, before=before, election="minint-2022")
    [entry] = entries(desk.deps, "purge")
    assert (entry["operator"], entry["election"]) == ("admin", "minint-2022")
    details = entry["details"]
    assert (details["rule"], details["before"]) == ("before", "2022-12-31T23:00:00.000000Z")
    assert details["counts"] == {
        "voters": 21,
        "voters_kept": 0,
        "credentials": 1,
        "interventions": 1,
        "one_time_codes": 1,
        "link_tokens": 0,
        "messages": 2,  # the code by SMS, the notice of a new key
        "substitutions": 1,
        "presence_checks": 0,
        "login_failures": 0,
    }


def test_the_journal_export_resolves_no_purged_voter(desk: Desk) -> None:
    activity(desk)
    purged(desk, election="minint-2022")
    out = io.StringIO()
    export_journal(desk.deps, SUPERVISOR, out, fmt="jsonl", where=ExportFilter())
    exported = [json.loads(line) for line in out.getvalue().splitlines()]
    about_caller = [
        row
        for row in exported
        if row["election"] == "minint-2022" and row["action"] == "verification"
    ]
    assert about_caller and all(row["matricule"] is None for row in about_caller)


# ------------------------------------------------------------- which elections


def test_by_default_the_purge_waits_for_each_elections_retention(desk: Desk) -> None:
    activity(desk)
    report = purged(desk, at=WITHIN_RETENTION)
    assert not ids(report) & VOTES_2022
    reasons = {skipped.election_id: skipped.reason for skipped in report.skipped}
    assert "conservées jusqu'au 08/03/2023 17:00" in reasons["minint-2022"]
    assert not erased(voter(desk, desk.caller))
    report = purged(desk)
    assert ids(report) >= VOTES_2022
    assert erased(voter(desk, desk.caller)) and erased(voter(desk, desk.teacher))
    [entry] = [e for e in entries(desk.deps, "purge") if e["election"] == "minint-2022"]
    assert (entry["details"]["rule"], entry["details"]["retention_days"]) == ("retention", 90)


def test_before_a_date_purges_elections_closed_before_it_despite_retention(desk: Desk) -> None:
    report = purged(desk, at=WITHIN_RETENTION, before=datetime(2022, 12, 9, tzinfo=PARIS))
    assert ids(report) >= VOTES_2022
    assert erased(voter(desk, desk.caller))


def test_an_election_closed_after_the_date_is_left_alone(desk: Desk) -> None:
    report = purged(desk, before=datetime(2022, 12, 8, tzinfo=PARIS))
    assert not ids(report) & VOTES_2022
    assert not erased(voter(desk, desk.caller))
    with pytest.raises(ServiceError, match="pas avant le 08/12/2022 00:00"):
        purged(desk, before=datetime(2022, 12, 8, tzinfo=PARIS), election="men-2022")


def test_an_election_not_closed_yet_is_refused_in_french(desk: Desk) -> None:
    activity(desk)
    size = journal_size(desk)
    with pytest.raises(ServiceError, match="n'est pas clos \\(ouvert, clôture le 08/12/2022"):
        purged(desk, at=datetime(2022, 12, 5, tzinfo=UTC), election="minint-2022")
    assert not erased(voter(desk, desk.caller))
    assert journal_size(desk) == size


def test_a_named_election_within_its_retention_is_refused(desk: Desk) -> None:
    with pytest.raises(ServiceError, match="--before DATE pour purger plus tôt"):
        purged(desk, at=WITHIN_RETENTION, election="men-2022")


def test_a_date_in_the_future_is_refused(desk: Desk) -> None:
    with pytest.raises(ServiceError, match="dans le futur"):
        purged(desk, before=datetime(2023, 6, 1, tzinfo=UTC))


def test_an_unknown_election_is_named(desk: Desk) -> None:
    with pytest.raises(NotFound, match="Scrutin inconnu : « minint-1999 »"):
        purged(desk, election="minint-1999")


def test_only_an_administrator_purges(desk: Desk) -> None:
    desk.clock.now = AFTER_RETENTION
    with pytest.raises(Forbidden, match="administrateur"):
        purge(desk.deps, SUPERVISOR)
    assert not erased(voter(desk, desk.caller))


def test_an_election_already_purged_is_skipped_by_default(desk: Desk) -> None:
    purged(desk, election="minint-2022")
    report = purged(desk)
    assert "men-2022" in ids(report) and "minint-2022" not in ids(report)
    reasons = {skipped.election_id: skipped.reason for skipped in report.skipped}
    assert reasons["minint-2022"].startswith("déjà purgé le 10/03/2023")


# ------------------------------------------------------------------- dry run


def test_a_dry_run_changes_nothing_and_counts_as_a_real_run_would(desk: Desk) -> None:
    activity(desk)
    size = journal_size(desk)
    caller = voter(desk, desk.caller)
    trial = purged(desk, dry_run=True)
    assert trial.dry_run
    assert voter(desk, desk.caller) == caller
    assert journal_size(desk) == size
    assert all(election.purged_at is None for election in rows(desk, Election))
    real = purged(desk)
    assert [p.counts for p in trial.purged] == [p.counts for p in real.purged]


# ----------------------------------------------------------- shared voters


def test_a_voter_also_on_a_later_roll_keeps_their_data(desk: Desk) -> None:
    activity(desk)
    later_election(desk, desk.caller)
    report = purged(desk, election="minint-2022")
    assert report.purged[0].counts.voters_kept == 1
    kept = voter(desk, desk.caller)
    assert not erased(kept) and kept.matricule == desk.caller.matricule
    assert erased(voter(desk, desk.neighbour))
    # What belonged to the closed election goes all the same.
    [call] = rows(desk, Intervention, voter_id=desk.caller.voter_id)
    assert (call.caller_masked, call.note) == (None, None)
    [key] = rows(desk, Credential, material_id=desk.caller.material_id)
    assert key.hash == ""


def test_a_shared_voter_is_erased_with_their_last_election(desk: Desk) -> None:
    later = later_election(desk, desk.caller)
    purged(desk, election="minint-2022")
    report = purged(desk, at=datetime(2024, 3, 10, tzinfo=UTC), election=later)
    assert report.purged[0].counts.voters == 1
    assert erased(voter(desk, desk.caller))


def test_a_purged_voter_can_be_put_on_a_later_roll_as_a_new_voter(desk: Desk) -> None:
    purged(desk, election="minint-2022")
    later_election(desk, desk.caller)
    [again] = rows(desk, Voter, matricule=desk.caller.matricule)
    assert again.id != desk.caller.voter_id and again.last_name == desk.caller.row["nom"]
