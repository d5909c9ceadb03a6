"""Seed 003 on the link's own page: « Vous saisissez votre NUMEN et sélectionnez les
6ème et 7ème caractères de votre carte Vitale (Dpt de naissance) puis validez »; only
« après validation de votre identité » does the password show. men-2011's file asks
for those factors at redemption (``redeem_factors``); 3 wrong answers void the link (the
cell's policy, ``redeem_failures_limit``). men-2022's vote-code link keeps the token
alone (seeds 001, 004: « Après clic sur le lien … RÉGÉNÉRER »)."""

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from csu.domain.election import definition_from_json, election_to_json, parse_election
from csu.domain.errors import InvalidValue
from csu.services.context import ServiceError
from csu.services.interventions import close_intervention
from csu.services.platform import check_login
from csu.services.verification import verify_identity
from csu.services.vote_codes import (
    MISSING,
    UNEXPECTED,
    IdentityIncomplete,
    IdentityRefused,
    LinkGone,
    redeem_link,
    send_vote_code_link,
)
from csu.store.tables import LinkToken, Voter
from tests.conftest import AGENT
from tests.services.intervention_support import (  # noqa: F401  (desk_fixture: "desk")
    Desk,
    bodies,
    desk_fixture,
    entries,
    open_call,
    wrong,
)
from tests.services.test_election_routes import (
    TOKEN,
    password_link,
    verified_teacher,
    verified_without_notice,
)

ELECTIONS = Path(__file__).parents[2] / "data" / "elections"


def answers(desk: Desk) -> dict[str, str]:
    return desk.without_notice.without_notice_answers()


def link_checks(desk: Desk) -> list[dict]:
    return [e for e in entries(desk.deps, "verification") if e["details"]["channel"] == "link"]


def sent_token(desk: Desk) -> str:
    return password_link(desk, verified_without_notice(desk))


def spent(desk: Desk) -> list[LinkToken]:
    with desk.deps.reading() as session:
        return list(session.execute(select(LinkToken)).scalars())


# --------------------------------------------------------------------- men-2011


def test_the_password_link_asks_numen_and_department_before_anything(desk: Desk) -> None:
    token = sent_token(desk)
    with pytest.raises(IdentityIncomplete) as refused:
        redeem_link(desk.deps, token)
    assert refused.value.faults == [("numen", MISSING), ("birth_department", MISSING)]
    assert str(refused.value) == (
        "Identité : validation requise avant d'afficher le mot de passe : NUMEN et "
        "département de naissance à saisir sur la page du lien."
    )
    assert link_checks(desk) == []  # nothing typed: nothing counted
    [link] = spent(desk)
    assert link.used_at is None and link.voided_at is None
    assert redeem_link(desk.deps, token, answers=answers(desk)).kind == "password"


def test_a_blank_answer_is_a_missing_one(desk: Desk) -> None:
    token = sent_token(desk)
    typed = answers(desk) | {"birth_department": "  "}
    with pytest.raises(IdentityIncomplete) as refused:
        redeem_link(desk.deps, token, answers=typed)
    assert refused.value.missing == ("birth_department",)


def test_right_answers_show_the_password_and_the_journal_keeps_names_only(desk: Desk) -> None:
    token = sent_token(desk)
    typed = answers(desk)
    password = redeem_link(desk.deps, token, answers=typed)
    teacher = desk.without_notice
    assert check_login(
        desk.deps, teacher.election, teacher.identifier, teacher.birth_date,
        password=password.value,
    )  # fmt: skip
    [check] = link_checks(desk)
    assert (check["operator"], check["outcome"]) == ("plateforme", "vérifié")
    assert check["details"]["factors_tried"] == ["birth_department", "numen"]
    assert check["details"]["factors_failed"] == []
    actions = [e["action"] for e in entries(desk.deps, intervention=check["intervention"])]
    assert actions.index("verification", actions.index("vote_code_link_send")) < actions.index(
        "credential_issue"
    )
    assert typed["numen"] not in bodies(desk.deps)


def test_a_wrong_answer_is_refused_without_spending_the_link(desk: Desk) -> None:
    token = sent_token(desk)
    typed = answers(desk) | {"numen": wrong(answers(desk)["numen"])}
    with pytest.raises(IdentityRefused) as refused:
        redeem_link(desk.deps, token, answers=typed)
    assert str(refused.value) == (
        "Identité non validée : les réponses ne correspondent pas à la liste électorale "
        "(1re erreur sur 3 : encore 2 essais avant l'annulation du lien)."
    )
    assert (refused.value.failures, refused.value.limit, refused.value.voided) == (1, 3, False)
    [check] = link_checks(desk)
    assert check["outcome"] == "non vérifié"
    assert check["details"]["factors_failed"] == ["numen"]  # for supervisors, never the voter
    assert typed["numen"] not in bodies(desk.deps)
    assert entries(desk.deps, "credential_issue") == []
    # The voter types it right: the same link serves.
    assert redeem_link(desk.deps, token, answers=answers(desk)).kind == "password"


def test_a_hidden_character_in_an_answer_is_a_format_error_that_counts_nothing(
    desk: Desk,
) -> None:
    token = sent_token(desk)
    typed = answers(desk) | {"numen": answers(desk)["numen"] + "\u202e"}
    with pytest.raises(InvalidValue, match="caractère interdit"):
        redeem_link(desk.deps, token, answers=typed)
    assert link_checks(desk) == []  # neither journalled nor counted
    assert redeem_link(desk.deps, token, answers=answers(desk)).kind == "password"


def test_a_wrong_department_alone_is_refused_too(desk: Desk) -> None:
    token = sent_token(desk)
    department = answers(desk)["birth_department"]
    other = "2A" if department != "2A" else "75"
    with pytest.raises(IdentityRefused):
        redeem_link(desk.deps, token, answers=answers(desk) | {"birth_department": other})


def test_three_wrong_answers_void_the_link(desk: Desk) -> None:
    token = sent_token(desk)
    typed = answers(desk) | {"numen": wrong(answers(desk)["numen"])}
    for _ in range(2):
        with pytest.raises(IdentityRefused):
            redeem_link(desk.deps, token, answers=typed)
    with pytest.raises(IdentityRefused) as third:
        redeem_link(desk.deps, token, answers=typed)
    assert third.value.voided
    assert str(third.value) == (
        "Identité non validée (3e erreur sur 3) : ce lien est désormais annulé. Appelez le "
        "01 99 00 20 11 pour en recevoir un nouveau."
    )
    [link] = spent(desk)
    assert link.voided_at is not None and link.used_at is None
    with pytest.raises(LinkGone):  # even the right answers now
        redeem_link(desk.deps, token, answers=answers(desk))
    checks = link_checks(desk)
    assert [c["details"]["failures"] for c in checks] == [1, 2, 3]
    assert [c["details"]["link_voided"] for c in checks] == [False, False, True]


def test_the_voter_is_told_when_wrong_answers_void_their_link(desk: Desk) -> None:
    token = sent_token(desk)
    typed = answers(desk) | {"numen": wrong(answers(desk)["numen"])}
    for _ in range(2):
        with pytest.raises(IdentityRefused):
            redeem_link(desk.deps, token, answers=typed)
    delivered = len(desk.outbox.sent)
    with pytest.raises(IdentityRefused):
        redeem_link(desk.deps, token, answers=typed)
    assert len(desk.outbox.sent) == delivered + 1  # the third error alone: link voided
    notice = desk.outbox.last_email()  # to the professional address of record
    assert notice["To"].addresses[0].addr_spec == desk.without_notice.row["email_pro"]
    assert notice["Subject"] == "Lien à usage unique annulé"
    text = " ".join(str(notice.get_content()).split())
    assert (
        "votre lien affichant le mot de passe de vote a été annulé après des réponses "
        "d'identité erronées sur sa page ; votre mot de passe n'a pas changé. Si vous "
        "attendiez ce lien, appelez le"
    ) in text


def test_a_new_link_gets_its_own_tries(desk: Desk) -> None:
    call_id = verified_without_notice(desk)
    first = password_link(desk, call_id)
    typed = answers(desk) | {"numen": wrong(answers(desk)["numen"])}
    for _ in range(2):
        with pytest.raises(IdentityRefused):
            redeem_link(desk.deps, first, answers=typed)
    close_intervention(desk.deps, AGENT, call_id, "résolu")
    desk.clock.advance(minutes=61)  # past the cell's 3 messages an hour
    second = password_link(desk, verified_without_notice(desk))  # voids the first
    with pytest.raises(IdentityRefused) as refused:
        redeem_link(desk.deps, second, answers=typed)
    assert refused.value.failures == 1
    assert redeem_link(desk.deps, second, answers=answers(desk)).kind == "password"


def test_wrong_answers_on_a_link_do_not_lock_the_voter_for_the_phone(desk: Desk) -> None:
    call_id = verified_without_notice(desk)
    token = password_link(desk, call_id)
    close_intervention(desk.deps, AGENT, call_id, "résolu")
    typed = answers(desk) | {"numen": wrong(answers(desk)["numen"])}
    for _ in range(3):
        with pytest.raises(IdentityRefused):
            redeem_link(desk.deps, token, answers=typed)
    with desk.deps.reading() as session:
        voter = session.get(Voter, desk.without_notice.voter_id)
        assert voter is not None and voter.locked_until is None
    call = open_call(desk, desk.without_notice)
    assert verify_identity(desk.deps, AGENT, call.id, answers(desk)).verified


def test_factors_the_link_does_not_ask_are_refused(desk: Desk) -> None:
    token = sent_token(desk)
    with pytest.raises(IdentityIncomplete) as refused:
        redeem_link(desk.deps, token, answers=answers(desk) | {"iban": "123456"})
    assert refused.value.faults == [("iban", UNEXPECTED)]
    assert "non demandé : iban" in str(refused.value)


def test_an_unknown_token_is_unknown_whatever_the_answers(desk: Desk) -> None:
    with pytest.raises(ServiceError, match="Lien invalide"):
        redeem_link(desk.deps, "x" * 32, answers={"numen": "12A1234567ABC"})


# --------------------------------------------------------------------- men-2022


def test_the_vote_code_link_keeps_the_token_alone(desk: Desk) -> None:
    call_id = verified_teacher(desk)
    send_vote_code_link(desk.deps, AGENT, call_id, desk.teacher.material_id, "sms",
                        "06 12 34 56 78")  # fmt: skip
    sms = [path for path in desk.outbox.sent if path.suffix == ".json"]  # a notice may follow
    [token] = TOKEN.findall(json.loads(sms[-1].read_text(encoding="utf-8"))["text"])
    with pytest.raises(IdentityIncomplete) as refused:
        redeem_link(desk.deps, token, answers={"numen": "12A1234567ABC"})
    assert refused.value.faults == [("numen", UNEXPECTED)]
    assert redeem_link(desk.deps, token).kind == "vote_code"
    assert link_checks(desk) == []


# ------------------------------------------------------------ the election file


def men_2011(replace: tuple[str, str] | None = None) -> str:
    text = (ELECTIONS / "men-2011.toml").read_text(encoding="utf-8")
    if replace is not None:
        assert replace[0] in text
        text = text.replace(*replace)
    return text


def test_men_2011_declares_its_factors_and_they_round_trip() -> None:
    definition = parse_election(men_2011(), "men-2011.toml")
    route = definition.route_of("password")
    assert (route.redeem_factors, route.redeem_failures_limit) == (
        ("numen", "birth_department"), 3
    )
    data = election_to_json(definition)
    assert data["delivery"]["password"]["redeem_factors"] == ["numen", "birth_department"]
    assert data["delivery"]["password"]["redeem_failures_limit"] == 3
    assert definition_from_json(data) == definition


def test_men_2022_asks_nothing_on_its_link() -> None:
    text = (ELECTIONS / "men-2022.toml").read_text(encoding="utf-8")
    definition = parse_election(text, "men-2022.toml")
    assert definition.route_of("vote_code").redeem_factors == ()
    assert "redeem_factors" not in election_to_json(definition)["delivery"]["vote_code"]


FACTORS = 'redeem_factors = ["numen", "birth_department"]'


@pytest.mark.parametrize(
    ("replace", "path", "fault"),
    [
        (
            (FACTORS, 'redeem_factors = ["birth_department"]'),
            "delivery.password.redeem_factors",
            "aucun facteur secret",
        ),
        (
            (FACTORS, 'redeem_factors = ["numen", "otp_mobile"]'),
            "delivery.password.redeem_factors[2]",
            "facteur inconnu ou impossible sur la page du lien « otp_mobile »",
        ),
        (
            (FACTORS, 'redeem_factors = ["numen", "iban"]'),
            "delivery.password.redeem_factors[2]",
            "exige le champ iban dans identity_fields",
        ),
        (
            ("redeem_failures_limit = 3", "redeem_failures_limit = 0"),
            "delivery.password.redeem_failures_limit",
            "doit valoir au moins 1",
        ),
        (
            (FACTORS + "\n", ""),
            "delivery.password.redeem_failures_limit",
            "sans objet sans redeem_factors",
        ),
        (
            ('by = ["email"]\naddress_final', 'by = ["email"]\nredeem_factors = ["numen"]\n'
             "address_final"),
            "delivery.identifier.redeem_factors",
            "exige la voie link",
        ),
    ],
)
def test_the_file_refuses_what_no_page_could_ask(
    replace: tuple[str, str], path: str, fault: str
) -> None:
    with pytest.raises(InvalidValue) as refused:
        parse_election(men_2011(replace), "men-2011.toml")
    assert refused.value.field == f"men-2011.toml : {path}"
    assert fault in refused.value.fault
