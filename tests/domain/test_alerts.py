"""The alert rules on plain records: each fires at its threshold, not one below."""

from datetime import UTC, datetime, timedelta

from csu.domain import alerts as rules
from csu.domain.alerts import ContactUse, Entry, Failure
from csu.domain.escalation import overdue_alert
from csu.domain.hashing import keyed_hash

NOW = datetime(2022, 12, 2, 10, 30, tzinfo=UTC)
KEY = b"k" * 32


def entries(
    login: str,
    count: int,
    action: str = "credential_issue",
    start: int = 0,
    role: str = "agent",
    **fields: str,
) -> list[Entry]:
    return [
        Entry(
            seq=start + n,
            at=NOW - timedelta(minutes=50 - n),
            operator=login,
            role=role,
            action=action,
            **fields,
        )  # type: ignore[arg-type]
        for n in range(count)
    ]


def colleagues(*counts: int) -> list[Entry]:
    """Agents with these numbers of issues in the last hour (each active)."""
    found: list[Entry] = []
    for number, count in enumerate(counts):
        login = f"agent{number}"
        found += entries(login, 1, action="intervention_open", start=1000 * number + 900)
        found += entries(login, count, start=1000 * number)
    return found


def test_an_agent_issuing_more_than_three_times_the_median_is_flagged() -> None:
    found = rules.issue_rate_alerts([*colleagues(2, 2, 2), *entries("fast", 7, start=5000)], NOW)
    assert [a.operator for a in found] == ["fast"]
    assert found[0].seqs == tuple(range(5000, 5007))


def test_an_agent_at_three_times_the_median_is_not_flagged() -> None:
    found = rules.issue_rate_alerts([*colleagues(2, 2, 2), *entries("fast", 6, start=5000)], NOW)
    assert found == []


def test_a_handful_of_issues_is_not_flagged_even_when_colleagues_issue_none() -> None:
    quiet = colleagues(0, 0, 0)
    assert rules.issue_rate_alerts([*quiet, *entries("busy", 4, start=5000)], NOW) == []
    assert len(rules.issue_rate_alerts([*quiet, *entries("busy", 5, start=5000)], NOW)) == 1


def test_issues_older_than_an_hour_do_not_count() -> None:
    old = [
        Entry(
            seq=n,
            at=NOW - timedelta(hours=2),
            operator="fast",
            role="agent",
            action="credential_issue",
        )
        for n in range(20)
    ]
    assert rules.issue_rate_alerts([*colleagues(1, 1), *old], NOW) == []


def test_a_voter_with_three_credential_changes_in_a_day_is_flagged() -> None:
    changes = [
        Entry(
            seq=n,
            at=NOW - timedelta(hours=20 - n),
            operator="a",
            role="agent",
            action=action,
            subject="p1",
        )
        for n, action in enumerate(("credential_issue", "vote_code_redeem", "credential_revoke"))
    ]
    found = rules.credential_change_alerts(changes, NOW)
    assert [(a.subject, a.seqs) for a in found] == [("p1", (0, 1, 2))]
    assert rules.credential_change_alerts(changes[:2], NOW) == []


def test_changes_spread_over_more_than_a_day_are_not_flagged() -> None:
    changes = [
        Entry(
            seq=n,
            at=NOW - timedelta(hours=30 - 10 * n),
            operator="a",
            role="agent",
            action="credential_issue",
            subject="p1",
        )
        for n in range(3)
    ]
    assert rules.credential_change_alerts(changes, NOW) == []


def use(seq: int, voter: int, contact: str = "h1", typed: bool = True) -> ContactUse:
    return ContactUse(
        seq=seq,
        at=NOW - timedelta(hours=1),
        contact_hash=contact,
        voter_id=voter,
        typed=typed,
        masked="+33 6 ** ** ** 78",
    )


def test_an_address_typed_for_two_voters_is_flagged() -> None:
    found = rules.shared_contact_alerts([use(1, 10), use(2, 11)], NOW)
    assert [a.seqs for a in found] == [(1, 2)]
    assert rules.shared_contact_alerts([use(1, 10), use(2, 10)], NOW) == []


def test_a_caller_number_needs_three_voters() -> None:
    two = [use(1, 10, typed=False), use(2, 11, typed=False)]
    assert rules.shared_contact_alerts(two, NOW) == []
    three = [*two, use(3, 12, typed=False)]
    assert [a.seqs for a in rules.shared_contact_alerts(three, NOW)] == [(1, 2, 3)]


def test_a_number_typed_for_an_sms_hashes_as_a_callers_number() -> None:
    assert rules.contact_hash(KEY, "sms", "+33612345678") == keyed_hash(
        KEY, "phone", "+33612345678"
    )
    assert rules.contact_hash(KEY, "email", " Jean@Exemple.FR") == rules.contact_hash(
        KEY, "email", "jean@exemple.fr"
    )


def test_activity_outside_support_hours_is_flagged_per_operator() -> None:
    night = NOW.replace(hour=21)  # 22:00 in Paris
    found = [
        Entry(seq=1, at=night, operator="a", role="agent", action="consultation", election="e1"),
        Entry(seq=2, at=NOW, operator="a", role="agent", action="consultation", election="e1"),
        Entry(
            seq=3,
            at=night,
            operator="sup",
            role="superviseur",
            action="consultation",
            election="e1",
        ),
    ]
    alerts = rules.off_hours_alerts(
        found, night + timedelta(minutes=5), lambda election, at: at.hour < 17
    )
    assert [(a.operator, a.seqs) for a in alerts] == [("a", (1,))]


def test_actions_outside_support_hours_are_counted_in_the_singular_and_the_plural() -> None:
    night = NOW.replace(hour=21)  # 22:00 in Paris
    found = [
        Entry(seq=1, at=night, operator="a", role="agent", action="consultation", election="e1"),
        *(
            Entry(seq=n, at=night + timedelta(minutes=n), operator="b", role="agent",
                  action="consultation", election="e1")
            for n in (2, 3, 4)
        ),
    ]  # fmt: skip
    alerts = rules.off_hours_alerts(
        found, night + timedelta(minutes=10), lambda election, at: at.hour < 17
    )
    assert [a.title for a in alerts] == [
        "a : 1 action hors des heures de support le 02/12/2022 à 22:30.",
        "b : 3 actions hors des heures de support le 02/12/2022 de 22:32 à 22:34.",
    ]


def test_an_alert_keeps_its_key_while_its_window_slides() -> None:
    busy = [*colleagues(2, 2, 2), *entries("fast", 9, start=5000)]
    [before] = rules.issue_rate_alerts(busy, NOW)
    [after] = rules.issue_rate_alerts(busy, NOW + timedelta(minutes=10.5))  # the first left
    assert len(after.seqs) < len(before.seqs)
    assert after.key == before.key  # the same alert: not notified again


def failures(login: str, count: int, minutes: float) -> list[Failure]:
    step = timedelta(minutes=minutes) / max(count - 1, 1)
    start = NOW - timedelta(minutes=30)
    return [Failure(seq=n, at=start + n * step, operator=login, voter_id=n) for n in range(count)]


def test_five_failed_verifications_within_ten_minutes_are_a_burst() -> None:
    found = rules.verification_burst_alerts(failures("a", 5, 10), NOW)
    assert [(a.operator, a.seqs) for a in found] == [("a", (0, 1, 2, 3, 4))]


def test_a_burst_counts_its_voters_in_the_singular_and_the_plural() -> None:
    [several] = rules.verification_burst_alerts(failures("a", 5, 10), NOW)
    assert "(5 électeurs)" in several.title
    one_voter = [
        Failure(seq=f.seq, at=f.at, operator=f.operator, voter_id=7) for f in failures("a", 5, 10)
    ]
    [one] = rules.verification_burst_alerts(one_voter, NOW)
    assert "(1 électeur)" in one.title


def test_four_failures_or_five_spread_wider_are_not_a_burst() -> None:
    assert rules.verification_burst_alerts(failures("a", 4, 2), NOW) == []
    assert rules.verification_burst_alerts(failures("a", 5, 11), NOW) == []


OPENS = datetime(2022, 12, 1, 8, 0, tzinfo=UTC)
CLOSES = datetime(2022, 12, 8, 16, 0, tzinfo=UTC)


def feed(last_minutes_ago: float | None, silence: int = 30, **fields: object) -> rules.Feed:
    """neovote's feed of minint-2022, its last batch that many minutes before NOW."""
    values: dict[str, object] = {
        "platform": "neovote",
        "election": "minint-2022",
        "opens_at": OPENS,
        "closes_at": CLOSES,
        "silence": timedelta(minutes=silence),
        "since": OPENS - timedelta(days=10),
        "last_at": None if last_minutes_ago is None else NOW - timedelta(minutes=last_minutes_ago),
        "last_seq": None if last_minutes_ago is None else 42,
    }
    return rules.Feed(**{**values, **fields})  # type: ignore[arg-type]


def test_a_feed_silent_for_its_threshold_raises_an_alert_naming_its_last_batch() -> None:
    [alert] = rules.feed_silence_alerts([feed(30)], NOW)
    assert alert.kind == "feed_silence"
    assert alert.seqs == (42,)
    assert alert.at == NOW
    assert "neovote" in alert.title and "depuis 30 min" in alert.title
    assert "dernier lot reçu le 02/12 à 11:00" in alert.title  # Paris time


def test_a_feed_silent_one_minute_less_raises_none() -> None:
    assert rules.feed_silence_alerts([feed(29)], NOW) == []


def test_the_threshold_is_the_elections() -> None:
    assert rules.feed_silence_alerts([feed(45, silence=60)], NOW) == []
    assert len(rules.feed_silence_alerts([feed(45, silence=40)], NOW)) == 1


def test_a_feed_that_never_sent_counts_from_the_opening() -> None:
    [alert] = rules.feed_silence_alerts([feed(None)], OPENS + timedelta(minutes=30))
    assert alert.seqs == ()
    assert "aucun lot reçu depuis l'ouverture du vote" in alert.title
    assert rules.feed_silence_alerts([feed(None)], OPENS + timedelta(minutes=29)) == []


def test_a_client_created_during_the_vote_counts_from_its_creation() -> None:
    created = NOW - timedelta(minutes=10)
    assert rules.feed_silence_alerts([feed(None, since=created)], NOW) == []


def test_no_alert_outside_the_vote() -> None:
    assert rules.feed_silence_alerts([feed(None)], OPENS - timedelta(hours=5)) == []
    assert rules.feed_silence_alerts([feed(600)], CLOSES) == []


def test_a_new_silence_after_a_batch_is_a_new_alert() -> None:
    [first] = rules.feed_silence_alerts([feed(40)], NOW)
    later = NOW + timedelta(hours=2)
    [second] = rules.feed_silence_alerts(
        [feed(40, last_at=later - timedelta(minutes=40), last_seq=99)], later
    )
    assert first.key != second.key
    assert second.seqs == (99,)


# --- escalated cases past their deadline (made by csu.domain.escalation) -------------


def overdue(case_id: int) -> rules.Alert:
    return overdue_alert(
        case_id=case_id, election="minint-2022", escalated_at=NOW - timedelta(minutes=90),
        deadline_at=NOW - timedelta(minutes=30), now=NOW, operator="agent", subject=None,
    )  # fmt: skip


def test_an_escalated_case_past_its_deadline_is_labelled_en_retard() -> None:
    assert overdue(7).kind_label == "dossier escaladé en retard"


def test_an_overdue_alert_names_its_escalated_case() -> None:
    assert overdue(42).escalation_case == 42


def test_other_alerts_name_no_escalated_case() -> None:
    [alert] = rules.issue_rate_alerts([*colleagues(2, 2, 2), *entries("fast", 7, start=5000)], NOW)
    assert alert.escalation_case is None


def test_texts_refused_twice_for_one_voters_secret_are_flagged() -> None:
    """Each refusal says what the text resembles: written again, texts are guesses."""
    refused = entries("agent", 2, action="code_in_text", subject="p1")
    [found] = rules.secret_in_text_alerts(refused, NOW)
    assert (found.kind, found.operator, found.subject, found.seqs) == (
        "secret_in_text", "agent", "p1", (0, 1)
    )
    assert found.title == (
        "agent : 2 textes refusés en 24 h pour un secret du même électeur (une tentative de "
        "le deviner ?)."
    )


def test_one_text_refused_or_two_about_two_voters_are_not_flagged() -> None:
    once = entries("agent", 1, action="code_in_text", subject="p1")
    assert rules.secret_in_text_alerts(once, NOW) == []
    two = [
        *entries("agent", 1, action="code_in_text", subject="p1"),
        *entries("agent", 1, action="code_in_text", subject="p2", start=5),
    ]
    assert rules.secret_in_text_alerts(two, NOW) == []
