"""Operators: created by an administrator, password hashed (and strong enough), TOTP
seed sealed, no control character in a login or name; disabled, re-enrolled and
unlocked by an administrator."""

import re
from collections.abc import Callable
from datetime import timedelta

import pyotp
import pytest
from sqlmodel import select

from csu.domain import sealing
from csu.domain.clock import fixed_clock, to_paris
from csu.domain.errors import InvalidValue
from csu.services.auth import (
    LOCK_MINUTES,
    LOGIN_FAILED,
    MAX_ACCOUNT_FAILURES,
    MAX_FAILURES,
    LoginRefused,
    log_in,
)
from csu.services.context import Deps, Forbidden, OperatorContext, ServiceError
from csu.services.operators import (
    TOTP_PURPOSE,
    OperatorUnlocked,
    add_demo_operator,
    add_operator,
    disable_operator,
    list_operators,
    reset_totp,
    unlock_operator,
)
from csu.store import journal
from csu.store.tables import Bureau, JournalEntry, Operator
from tests.conftest import ADMIN, AGENT, NOW, SUPERVISOR
from tests.fakes import FAST_HASHER

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
PASSWORD = "Pluie-sur-Brest-42"


@pytest.fixture
def ops(deps: Deps) -> Deps:
    return Deps(engine=deps.engine, key=deps.key, clock=deps.clock, hasher=FAST_HASHER)


def stored(deps: Deps, login: str) -> Operator:
    with deps.reading() as session:
        return session.exec(select(Operator).where(Operator.login == login)).one()


def test_an_operator_is_stored_with_hashes_only(ops: Deps) -> None:
    created = add_operator(ops, ADMIN, "Camille", role="agent", password=PASSWORD)
    row = stored(ops, "camille")
    assert FAST_HASHER.verify(row.password_hash, PASSWORD)
    assert PASSWORD not in row.password_hash
    secret = sealing.unseal(ops.key, TOTP_PURPOSE, row.totp_secret_sealed)
    assert created.provisioning_uri == pyotp.TOTP(secret).provisioning_uri(
        name="camille", issuer_name="CSU électeurs"
    )


def test_creating_an_operator_is_journalled(ops: Deps) -> None:
    add_operator(ops, ADMIN, "camille", role="agent", password=PASSWORD)
    with ops.reading() as session:
        entry = session.exec(
            select(JournalEntry).where(JournalEntry.action == "operator_add")
        ).one()
    assert b'"login":"camille"' in entry.body
    assert PASSWORD.encode() not in entry.body


def test_a_president_needs_an_existing_bureau(ops: Deps) -> None:
    with pytest.raises(InvalidValue, match="Bureau"):
        add_operator(ops, ADMIN, "p", role="president", password=PASSWORD)
    with pytest.raises(InvalidValue, match="Bureau : bureau de vote inconnu « B1 »"):
        add_operator(ops, ADMIN, "p", role="president", password=PASSWORD, bureau="B1")
    with ops.writing() as session:
        session.add(Bureau(code="B1", name="Bureau 1"))
    add_operator(ops, ADMIN, "p", role="president", password=PASSWORD, bureau="B1")
    assert stored(ops, "p").bureau_code == "B1"


def test_a_login_is_unique(ops: Deps) -> None:
    add_operator(ops, ADMIN, "camille", role="agent", password=PASSWORD)
    with pytest.raises(InvalidValue, match="Identifiant : l'opérateur « camille » existe déjà"):
        add_operator(ops, ADMIN, "CAMILLE", role="agent", password="Neige-sur-Lyon-7")


def test_an_unknown_role_is_refused_in_french(ops: Deps) -> None:
    with pytest.raises(InvalidValue, match="Rôle : « chef » inconnu"):
        add_operator(ops, ADMIN, "camille", role="chef", password=PASSWORD)


def test_a_too_short_totp_seed_stores_nothing(ops: Deps) -> None:
    with pytest.raises(InvalidValue, match="Secret TOTP"):
        add_operator(ops, ADMIN, "c", role="agent", password=PASSWORD, totp_secret="AAAA")
    assert list_operators(ops, ADMIN) == []


def test_a_weak_password_is_refused_and_nothing_is_stored(ops: Deps) -> None:
    with pytest.raises(InvalidValue, match=r"^Mot de passe : 12 caractères au moins \(6 saisis\)$"):
        add_operator(ops, ADMIN, "camille", role="agent", password="secret")
    with pytest.raises(InvalidValue, match=r"^Mot de passe : trop courant ou trop prévisible"):
        add_operator(ops, ADMIN, "camille", role="agent", password="motdepasse123")
    assert list_operators(ops, ADMIN) == []
    assert entries(ops, "operator_add") == []


def test_a_password_derived_from_the_login_is_refused(ops: Deps) -> None:
    with pytest.raises(
        InvalidValue, match=r"^Mot de passe : dérivé de l'identifiant « c\.martin »"
    ):
        add_operator(ops, ADMIN, "C.Martin", role="agent", password="Martin-2024-Bleu")


def test_a_password_derived_from_the_display_name_is_refused(ops: Deps) -> None:
    with pytest.raises(InvalidValue, match=r"^Mot de passe : dérivé du nom « Hélène Dupont »"):
        add_operator(
            ops, ADMIN, "h.d", role="agent", password="Helene-Velo-Lune-7",
            display_name="Hélène Dupont",
        )  # fmt: skip


def test_the_demo_builder_alone_keeps_the_demo_password(ops: Deps) -> None:
    with pytest.raises(InvalidValue, match="Mot de passe"):
        add_operator(ops, ADMIN, "agent", role="agent", password="demo")
    add_demo_operator(
        ops, ADMIN, "agent", role="agent", password="demo", display_name="Camille Agent (démo)",
        bureau=None, totp_secret=SECRET,
    )  # fmt: skip
    assert FAST_HASHER.verify(stored(ops, "agent").password_hash, "demo")


@pytest.mark.parametrize(
    ("login", "code_point"),
    [
        ("cam\x00ille", "U+0000"),
        ("camille\n", "U+000A"),
        ("\x1b[2Jcamille", "U+001B"),
        ("cam\x85ille", "U+0085"),
        ("camille\u202e", "U+202E"),
        ("\u2066camille", "U+2066"),
    ],
    ids=["nul", "line-feed", "escape", "c1", "override", "isolate"],
)
def test_a_login_with_a_control_character_is_refused_naming_the_field(
    ops: Deps, login: str, code_point: str
) -> None:
    with pytest.raises(InvalidValue, match=r"^Identifiant : caractère interdit") as refused:
        add_operator(ops, ADMIN, login, role="agent", password=PASSWORD)
    assert code_point in str(refused.value)
    assert list_operators(ops, ADMIN) == []


@pytest.mark.parametrize(
    "name",
    # an invisible character too: « Camille\u200b Agent » passed for « Camille Agent »
    ["Camille\u202eMartin", "Camille\tMartin", "Camille\x9bMartin", "Camille\u200b Agent",
     "\u2060\u2060"],
)
def test_a_name_with_a_control_character_is_refused_naming_the_field(ops: Deps, name: str) -> None:
    with pytest.raises(InvalidValue, match=r"^Nom affiché : caractère interdit"):
        add_operator(ops, ADMIN, "camille", role="agent", password=PASSWORD, display_name=name)
    assert list_operators(ops, ADMIN) == []


def test_a_name_keeps_accents_apostrophes_and_any_alphabet(ops: Deps) -> None:
    name = "Zoé N'Diaye-Łukasiewicz — Ζωή 李"
    add_operator(ops, ADMIN, "zoe", role="agent", password=PASSWORD, display_name=f" {name} ")
    assert stored(ops, "zoe").display_name == name


def test_only_an_administrator_creates_operators(ops: Deps) -> None:
    with pytest.raises(Forbidden):
        add_operator(ops, AGENT, "camille", role="agent", password=PASSWORD)


# --- disable, reset the TOTP seed, unlock --------------------------------------------


@pytest.fixture
def camille(ops: Deps) -> str:
    add_operator(ops, ADMIN, "camille", role="agent", password=PASSWORD, totp_secret=SECRET)
    return "camille"


def entries(deps: Deps, action: str) -> list[dict]:
    with deps.reading() as session:
        rows = session.exec(select(JournalEntry).where(JournalEntry.action == action)).all()
        return [journal.entry_fields(row) for row in rows]


def current_code(secret: str = SECRET) -> str:
    return pyotp.TOTP(secret).at(NOW)


def lock(
    ops: Deps, login: str, origin: str = "poste-test", password: str = "wrong-password"
) -> None:
    for _ in range(MAX_FAILURES):
        with pytest.raises(LoginRefused):
            log_in(ops, login, password, "000000", origin)


@pytest.mark.parametrize("who", [AGENT, SUPERVISOR])
@pytest.mark.parametrize(
    "action",
    [
        lambda deps, who: disable_operator(deps, who, "camille"),
        lambda deps, who: reset_totp(deps, who, "camille"),
        lambda deps, who: unlock_operator(deps, who, "camille"),
    ],
    ids=["disable", "reset_totp", "unlock"],
)
def test_only_an_administrator_disables_resets_or_unlocks(
    ops: Deps, camille: str, who: OperatorContext, action: Callable[[Deps, OperatorContext], object]
) -> None:
    with pytest.raises(Forbidden, match="administrateur"):
        action(ops, who)


@pytest.mark.parametrize(
    "action",
    [
        lambda deps: disable_operator(deps, ADMIN, "Inconnu"),
        lambda deps: reset_totp(deps, ADMIN, "inconnu"),
        lambda deps: unlock_operator(deps, ADMIN, " inconnu "),
    ],
    ids=["disable", "reset_totp", "unlock"],
)
def test_an_unknown_operator_is_named_in_french(
    ops: Deps, action: Callable[[Deps], object]
) -> None:
    with pytest.raises(ServiceError, match=r"^Opérateur inconnu : « inconnu »\.$"):
        action(ops)


def test_a_disabled_operator_is_listed_inactive_and_cannot_log_in(ops: Deps, camille: str) -> None:
    disable_operator(ops, ADMIN, "Camille")
    assert [op.active for op in list_operators(ops, ADMIN)] == [False]
    with pytest.raises(LoginRefused, match=f"^{re.escape(LOGIN_FAILED)}$"):
        log_in(ops, "camille", PASSWORD, current_code(), "poste-test")


def test_disabling_is_journalled_with_the_reason(ops: Deps, camille: str) -> None:
    disable_operator(ops, ADMIN, "camille", reason="  départ de la cellule ")
    [entry] = entries(ops, "operator_disable")
    assert entry["operator"] == "admin"
    assert entry["details"] == {"login": "camille", "reason": "départ de la cellule"}


def test_an_operator_already_disabled_is_said_so(ops: Deps, camille: str) -> None:
    disable_operator(ops, ADMIN, "camille")
    with pytest.raises(ServiceError, match="déjà désactivé"):
        disable_operator(ops, ADMIN, "camille")


def test_an_administrator_cannot_disable_their_own_account(ops: Deps) -> None:
    add_operator(ops, ADMIN, "admin", role="admin", password=PASSWORD)
    with pytest.raises(ServiceError, match="votre propre compte"):
        disable_operator(ops, ADMIN, "admin")
    assert stored(ops, "admin").active


def test_a_totp_reset_gives_a_new_seed_and_its_uri(ops: Deps, camille: str) -> None:
    created = reset_totp(ops, ADMIN, "camille")
    secret = sealing.unseal(ops.key, TOTP_PURPOSE, stored(ops, "camille").totp_secret_sealed)
    assert secret != SECRET
    assert created.login == "camille" and created.role == "agent"
    assert created.provisioning_uri == pyotp.TOTP(secret).provisioning_uri(
        name="camille", issuer_name="CSU électeurs"
    )


def test_after_a_totp_reset_only_the_new_seed_logs_in(ops: Deps, camille: str) -> None:
    reset_totp(ops, ADMIN, "camille")
    with pytest.raises(LoginRefused):
        log_in(ops, "camille", PASSWORD, current_code(), "poste-test")
    secret = sealing.unseal(ops.key, TOTP_PURPOSE, stored(ops, "camille").totp_secret_sealed)
    assert log_in(ops, "camille", PASSWORD, current_code(secret), "poste-test").login


def test_a_totp_reset_forgets_the_last_step_used(ops: Deps, camille: str) -> None:
    log_in(ops, "camille", PASSWORD, current_code(), "poste-test")
    reset_totp(ops, ADMIN, "camille")
    assert stored(ops, "camille").last_totp_step is None


def test_a_totp_reset_is_journalled_without_the_seed(ops: Deps, camille: str) -> None:
    created = reset_totp(ops, ADMIN, "camille")
    [entry] = entries(ops, "operator_totp_reset")
    assert entry["details"] == {"login": "camille", "reason": None}
    secret = pyotp.parse_uri(created.provisioning_uri).secret
    with ops.reading() as session:
        assert not any(
            secret.encode() in row.body for row in session.exec(select(JournalEntry)).all()
        )


def test_unlocking_clears_the_lock_and_the_count(ops: Deps, camille: str) -> None:
    lock(ops, "camille")
    unlock_operator(ops, ADMIN, "camille")
    row = stored(ops, "camille")
    assert (row.failed_logins, row.locked_until) == (0, None)
    assert log_in(ops, "camille", PASSWORD, current_code(), "poste-test").login == "camille"


def test_unlocking_is_journalled(ops: Deps, camille: str) -> None:
    lock(ops, "camille")
    unlock_operator(ops, ADMIN, "camille")
    [entry] = entries(ops, "operator_unlock")
    assert entry["operator"] == "admin"
    assert entry["details"] == {
        "login": "camille",
        "was_locked": True,
        "failures": MAX_FAILURES,
        "reason": None,
    }


def test_unlocking_a_locked_operator_says_it_was_locked(ops: Deps, camille: str) -> None:
    lock(ops, "camille")
    assert unlock_operator(ops, ADMIN, "camille") == OperatorUnlocked(
        "camille", was_locked=True, failures=MAX_FAILURES
    )


def test_unlocking_an_operator_who_was_not_locked_says_so(ops: Deps, camille: str) -> None:
    assert unlock_operator(ops, ADMIN, "camille") == OperatorUnlocked(
        "camille", was_locked=False, failures=0
    )


def test_unlocking_an_operator_who_was_not_locked_is_journalled_as_a_no_op(
    ops: Deps, camille: str
) -> None:
    unlock_operator(ops, ADMIN, "camille")
    [entry] = entries(ops, "operator_unlock")
    assert entry["details"] == {
        "login": "camille",
        "was_locked": False,
        "failures": 0,
        "reason": None,
    }


def test_unlocking_an_operator_not_locked_says_which_failures_it_forgot(
    ops: Deps, camille: str
) -> None:
    for _ in range(MAX_FAILURES - 1):
        with pytest.raises(LoginRefused):
            log_in(ops, "camille", "wrong-password", "000000", "poste-test")
    unlocked = unlock_operator(ops, ADMIN, "camille")
    assert (unlocked.was_locked, unlocked.failures) == (False, MAX_FAILURES - 1)
    assert stored(ops, "camille").failed_logins == 0


def test_unlocking_after_the_lock_has_run_out_says_it_was_not_locked(
    ops: Deps, camille: str
) -> None:
    lock(ops, "camille")
    later = Deps(
        ops.engine, ops.key, fixed_clock(NOW + timedelta(minutes=LOCK_MINUTES)), FAST_HASHER
    )
    assert not unlock_operator(later, ADMIN, "camille").was_locked


def test_a_totp_reset_and_an_unlock_journal_the_administrators_reason(
    ops: Deps, camille: str
) -> None:
    reset_totp(ops, ADMIN, "camille", reason="  téléphone   perdu ")
    lock(ops, "camille")
    unlock_operator(ops, ADMIN, "camille", reason="appel de l'agente, identité vérifiée")
    [reset] = entries(ops, "operator_totp_reset")
    [unlock] = entries(ops, "operator_unlock")
    assert reset["details"]["reason"] == "téléphone perdu"
    assert unlock["details"]["reason"] == "appel de l'agente, identité vérifiée"


def test_the_list_shows_who_is_locked_out_from_where_and_until_when(
    ops: Deps, camille: str
) -> None:
    add_operator(ops, ADMIN, "dominique", role="agent", password=PASSWORD)
    lock(ops, "camille")
    views = {view.login: view for view in list_operators(ops, ADMIN)}
    until = NOW + timedelta(minutes=LOCK_MINUTES)
    assert (views["camille"].origins_locked, views["camille"].origins_locked_until) == (1, until)
    assert views["camille"].failed_logins == MAX_FAILURES
    assert views["camille"].lock_words == f"1 poste jusqu'à {to_paris(until):%H:%M}"
    assert not views["dominique"].locked and views["dominique"].lock_words == "non"


def test_the_list_shows_an_account_locked_and_its_origins_locked(
    ops: Deps, camille: str
) -> None:
    origins = MAX_ACCOUNT_FAILURES // MAX_FAILURES
    for number in range(origins):  # wrong codes after the right password
        lock(ops, "camille", origin=f"web:203.0.113.{number}", password=PASSWORD)
    [view] = list_operators(ops, ADMIN)
    until = NOW + timedelta(minutes=LOCK_MINUTES)
    assert view.locked_until == until
    assert view.lock_words == f"compte jusqu'à {to_paris(until):%H:%M}, {origins} postes"


def test_a_lock_run_out_counts_no_failure_in_the_list(ops: Deps, camille: str) -> None:
    lock(ops, "camille")
    later = Deps(
        ops.engine, ops.key, fixed_clock(NOW + timedelta(minutes=LOCK_MINUTES)), FAST_HASHER
    )
    [view] = list_operators(later, ADMIN)
    assert (view.failed_logins, view.lock_words) == (0, "non")


def test_unlocking_lifts_the_lock_of_every_origin(ops: Deps, camille: str) -> None:
    lock(ops, "camille", origin="web:203.0.113.1")
    lock(ops, "camille", origin="web:203.0.113.2")
    assert unlock_operator(ops, ADMIN, "camille").was_locked
    [view] = list_operators(ops, ADMIN)
    assert (view.locked, view.failed_logins) == (False, 0)
    assert log_in(ops, "camille", PASSWORD, current_code(), "web:203.0.113.1").login == "camille"


def test_a_lock_that_has_run_out_is_not_listed(ops: Deps, camille: str) -> None:
    lock(ops, "camille")
    later = Deps(
        ops.engine, ops.key, fixed_clock(NOW + timedelta(minutes=LOCK_MINUTES)), FAST_HASHER
    )
    [view] = list_operators(later, ADMIN)
    assert view.locked_until is None


def test_unlocking_a_login_with_a_nul_names_the_field_before_the_store_sees_it(
    ops: Deps,
) -> None:
    with pytest.raises(InvalidValue, match="Identifiant"):
        unlock_operator(ops, ADMIN, "cam\x00ille", reason="appel de Camille")


def test_the_list_counts_wrong_codes_after_the_right_password_once_origins_forget_them(
    ops: Deps, camille: str
) -> None:
    lock(ops, "camille", password=PASSWORD)  # 5 wrong codes: a sign the password is known
    later = Deps(
        ops.engine, ops.key, fixed_clock(NOW + timedelta(minutes=LOCK_MINUTES)), FAST_HASHER
    )
    [view] = list_operators(later, ADMIN)
    assert (view.failed_logins, view.lock_words) == (MAX_FAILURES, f"non ({MAX_FAILURES} échecs)")


def test_a_login_that_reads_as_another_s_is_refused_as_it_is(ops: Deps) -> None:
    """A fullwidth « ａgent » was created beside « agent »: two logins alike in the
    journal, and a filter on one left the other's entries out."""
    add_operator(ops, ADMIN, "agent", role="agent", password=PASSWORD)
    with pytest.raises(InvalidValue, match=r"^Identifiant : l'opérateur « agent » existe déjà"):
        add_operator(ops, ADMIN, "\uff41gent", role="agent", password="Neige-sur-Lyon-7")
    with pytest.raises(InvalidValue, match=r"^Identifiant : lettres \(accents compris\)"):
        add_operator(ops, ADMIN, "\u0430gent", role="agent", password="Neige-sur-Lyon-7")
    assert [row.login for row in list_operators(ops, ADMIN)] == ["agent"]


def test_a_login_typed_in_fullwidth_letters_logs_in_as_its_plain_form(
    ops: Deps, camille: str
) -> None:
    who = log_in(ops, "ＣＡＭＩＬＬＥ", PASSWORD, current_code(), "poste-test")
    assert who.login == "camille"


def test_an_operator_created_before_logins_were_folded_still_logs_in(
    ops: Deps, camille: str
) -> None:
    """A login an older CSU stored as typed (fullwidth letters), which its NFKC form no
    longer names: looked up as stored too."""
    with ops.writing() as session:
        session.exec(select(Operator).where(Operator.login == "camille")).one().login = "ｃamille"
    who = log_in(ops, "ｃamille", PASSWORD, current_code(), "poste-test")
    assert who.login == "ｃamille"


def test_an_old_unfolded_login_and_its_folded_twin_each_log_in_as_themselves(
    ops: Deps, camille: str
) -> None:
    with ops.writing() as session:
        session.exec(select(Operator).where(Operator.login == "camille")).one().login = "ｃamille"
    add_operator(ops, ADMIN, "camille", role="superviseur", password="Neige-sur-Lyon-7",
                 totp_secret=SECRET)  # fmt: skip
    assert log_in(ops, "ｃamille", PASSWORD, current_code(), "poste-a").role == "agent"
    assert log_in(ops, "camille", "Neige-sur-Lyon-7", current_code(), "poste-b").role == (
        "superviseur"
    )
