"""The originals: the hashes of the credentials the platform mailed, loaded by
``csu import credentials``. They log in until the cell replaces them, and the first
characters of an original security key verify a caller (S3) through the argon2id hash
of that prefix the platform exported."""

from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from csu.services.context import Forbidden
from csu.services.files import UnreadableFile
from csu.services.interventions import close_intervention
from csu.services.originals import OriginalsReport, import_originals
from csu.services.platform import check_login
from csu.services.verification import verify_identity
from csu.store.tables import Credential
from tests.cli_support import assert_done, assert_refused, clean_environment, csu, said
from tests.conftest import ADMIN, AGENT, TEST_KEY
from tests.services.intervention_support import (  # noqa: F401  (desk_fixture: "desk")
    Caller,
    Desk,
    bodies,
    desk_fixture,
    entries,
    handed_over,
    open_call,
    verified_call,
)

# What a platform would use (the lowest memory CSU accepts, to keep the tests quick).
PLATFORM_HASHER = PasswordHasher(time_cost=1, memory_cost=7 * 1024, parallelism=1)
KEY = "K7MPX2QD9RFAH3TW"  # as printed: K7MP-X2QD-9RFA-H3TW
PASSWORD = "k7Mpx2QD9rfa"
HEADER = "identifiant;type;hash;prefixe_hash"


def phc(value: str) -> str:
    return PLATFORM_HASHER.hash(value)


def export(desk: Desk, *lines: str, header: str = HEADER) -> Path:
    """The platform's export, as a file."""
    path = desk.tmp_path / "originaux.csv"
    path.write_text("\n".join((header, *lines)) + "\n", encoding="utf-8")
    return path


def originals_of(caller: Caller, key: str = KEY, password: str = PASSWORD) -> list[str]:
    return [
        f"{caller.identifier};cle_securite;{phc(key)};{phc(key[:6])}",
        f"{caller.identifier};mot_de_passe;{phc(password)};",
    ]


def imported(desk: Desk, *lines: str, skip_invalid: bool = False) -> OriginalsReport:
    return import_originals(desk.deps, ADMIN, export(desk, *lines), "minint-2022",
                            skip_invalid=skip_invalid)


def logs_in(desk: Desk, **secrets: str) -> bool:
    caller = desk.caller
    return check_login(desk.deps, "minint-2022", caller.identifier, caller.birth_date, **secrets)


def prefix_verifies(desk: Desk, prefix: str) -> bool:
    """S3: date of birth + first 6 characters of the security key + IBAN tail."""
    caller = desk.caller
    call = open_call(desk, caller)
    answers = {
        "birth_date": caller.row["date_naissance"],
        "security_key_prefix": prefix,
        "iban": caller.row["iban"][-6:],
    }
    verified = verify_identity(desk.deps, AGENT, call.id, answers).verified
    close_intervention(desk.deps, AGENT, call.id, "résolu")
    return verified


def credentials(desk: Desk) -> list[Credential]:
    with desk.deps.reading() as session:
        return list(session.execute(select(Credential).order_by(Credential.id)).scalars())


def new_key(desk: Desk) -> str:
    call_id = verified_call(desk, desk.caller)
    key = handed_over(desk.deps, AGENT, call_id, desk.caller.material_id, "security_key")
    close_intervention(desk.deps, AGENT, call_id, "résolu")
    return key.value


# ------------------------------------------------------------------ logging in


def test_the_originals_imported_log_in(desk: Desk) -> None:
    report = imported(desk, *originals_of(desk.caller))
    assert (report.committed, report.written, report.errors) == (True, 2, [])
    assert logs_in(desk, security_key="K7MP-X2QD-9RFA-H3TW", password=PASSWORD)
    assert not logs_in(desk, security_key=KEY, password=PASSWORD.upper())


def test_an_original_replaced_by_the_cell_no_longer_logs_in(desk: Desk) -> None:
    imported(desk, *originals_of(desk.caller))
    replaced_by = new_key(desk)
    assert not logs_in(desk, security_key=KEY)
    assert logs_in(desk, security_key=replaced_by, password=PASSWORD)
    [original] = [c for c in credentials(desk) if c.kind == "security_key" and c.prefix_phc]
    assert (original.status, original.revoke_reason) == ("revoked", "réassort")


# ------------------------------------------------------------- S3: key prefix


def test_the_first_characters_of_an_original_key_verify_the_caller(desk: Desk) -> None:
    imported(desk, *originals_of(desk.caller))
    assert prefix_verifies(desk, "k7mp-x2")  # read out with a dash, in lower case
    assert not prefix_verifies(desk, "K7MPX3")


def test_once_replaced_the_original_prefix_no_longer_verifies_but_the_new_one_does(
    desk: Desk,
) -> None:
    imported(desk, *originals_of(desk.caller))
    replaced_by = new_key(desk)
    assert not prefix_verifies(desk, KEY[:6])
    assert prefix_verifies(desk, replaced_by[:6])


def test_without_a_prefix_hash_an_original_key_cannot_verify_a_caller(desk: Desk) -> None:
    imported(desk, f"{desk.caller.identifier};cle_securite;{phc(KEY)};")
    assert logs_in(desk, security_key=KEY)
    assert not prefix_verifies(desk, KEY[:6])


def test_an_original_argon2_cannot_read_stored_before_the_check_logs_in_no_one(
    desk: Desk,
) -> None:
    """A store holding a hash the import took before it refused « m=８１９２ »: the
    platform's check and the agent's identity check answered with an error, every time."""
    imported(desk, *originals_of(desk.caller))
    with desk.deps.writing() as session:
        for credential in session.execute(select(Credential)).scalars():
            credential.hash = credential.hash.replace("m=7168", "m=\uff17168")
            if credential.prefix_phc:
                credential.prefix_phc = credential.prefix_phc.replace("m=7168", "m=\uff17168")
    assert not logs_in(desk, security_key=KEY, password=PASSWORD)
    assert not prefix_verifies(desk, KEY[:6])


# --------------------------------------------------------------- bad lines


def test_bad_lines_are_named_with_their_reason_and_nothing_is_written(desk: Desk) -> None:
    caller, neighbour = desk.caller, desk.neighbour
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    report = imported(
        desk,
        f"{caller.identifier};cle_securite;{phc(KEY)};{phc(KEY[:6])}",  # line 2: good
        f"INCONNU-0001;mot_de_passe;{phc(PASSWORD)};",
        f"{neighbour.identifier};badge;{phc(KEY)};",
        f"{neighbour.identifier};mot_de_passe;{weak};",
        f"{neighbour.identifier};mot_de_passe;motdepasseenclair;",
        f"{neighbour.identifier};code_vote;{phc(KEY)};",
        f"{neighbour.identifier};mot_de_passe;{phc(PASSWORD)};{phc(PASSWORD[:6])}",
        f"{caller.identifier};cle_securite;{phc(KEY)};",
        f"{neighbour.identifier}",
        f"{neighbour.identifier};mot_de_passe;{phc(PASSWORD).replace('m=7168', 'm=７168')};",
    )
    assert not report.committed
    assert [error.describe() for error in report.errors] == [
        "ligne 3, colonne identifiant : identifiant inconnu pour le scrutin minint-2022",
        "ligne 4, colonne type : cle_securite, mot_de_passe ou code_vote attendu",
        "ligne 5, colonne hash : mémoire m=8 Kio trop faible (7168 au moins)",
        "ligne 6, colonne hash : chaîne PHC argon2id attendue "
        "($argon2id$v=19$m=…,t=…,p=…$sel$empreinte)",
        "ligne 7, colonne type : le scrutin ne prévoit pas de code de vote",
        "ligne 8, colonne prefixe_hash : seulement pour une clé de sécurité (cle_securite)",
        "ligne 9, colonne identifiant : déjà présent ligne 2 pour ce type",
        "ligne 10, colonne (ligne) : 3 colonnes attendues, 1 trouvée",
        "ligne 11, colonne hash : chaîne PHC argon2id attendue "
        "($argon2id$v=19$m=…,t=…,p=…$sel$empreinte)",
    ]
    assert credentials(desk) == []
    [entry] = entries(desk.deps, "credentials_import")
    assert entry["outcome"] == "refusé"
    assert entry["details"]["rejected"] == 9


def test_with_skip_invalid_the_good_lines_are_written(desk: Desk) -> None:
    report = imported(desk, *originals_of(desk.caller), f"INCONNU-0001;mot_de_passe;"
                      f"{phc(PASSWORD)};", skip_invalid=True)
    assert (report.committed, report.written, report.rejected) == (True, 2, 1)
    assert logs_in(desk, security_key=KEY, password=PASSWORD)


def test_a_missing_column_is_named(desk: Desk) -> None:
    report = import_originals(
        desk.deps, ADMIN, export(desk, "X;Y", header="identifiant;type"), "minint-2022"
    )
    assert [error.describe() for error in report.errors] == [
        "ligne 1, colonne hash : colonne obligatoire absente"
    ]


def test_a_directory_is_refused_with_a_french_sentence(desk: Desk) -> None:
    with pytest.raises(UnreadableFile, match="est un dossier, pas un fichier"):
        import_originals(desk.deps, ADMIN, desk.tmp_path, "minint-2022")


def test_a_line_too_long_is_refused_naming_it(desk: Desk) -> None:
    with pytest.raises(Exception, match="ligne 2"):
        imported(desk, f"{desk.caller.identifier};mot_de_passe;{'A' * 100_000};")
    assert credentials(desk) == []


# ------------------------------------------------------------- re-imports


def test_loading_the_same_file_twice_writes_nothing_new(desk: Desk) -> None:
    lines = originals_of(desk.caller)
    imported(desk, *lines)
    again = imported(desk, *lines)
    assert (again.committed, again.written, again.already) == (True, 0, 2)
    assert len(credentials(desk)) == 2


def test_a_reimport_never_revives_an_original_the_cell_replaced(desk: Desk) -> None:
    lines = originals_of(desk.caller)
    imported(desk, *lines)
    new_key(desk)
    again = imported(desk, *lines)
    assert (again.committed, again.written, again.already) == (True, 0, 2)
    assert not logs_in(desk, security_key=KEY)


def test_an_original_never_takes_the_place_of_a_credential_the_cell_issued(desk: Desk) -> None:
    issued = new_key(desk)
    report = imported(desk, *originals_of(desk.caller)[:1])
    assert [error.describe() for error in report.errors] == [
        "ligne 2, colonne type : ce matériel a déjà une clé de sécurité (délivrée par la "
        "cellule ou importée avec une autre empreinte) : l'original n'est pas chargé"
    ]
    assert logs_in(desk, security_key=issued)


# ------------------------------------------------------------------- journal


def test_the_journal_counts_the_import_and_names_no_identifier_nor_hash(desk: Desk) -> None:
    lines = originals_of(desk.caller)
    imported(desk, *lines)
    [entry] = entries(desk.deps, "credentials_import")
    assert entry["outcome"] == "ok"
    assert {k: entry["details"][k] for k in ("file", "rows", "written", "already")} == {
        "file": "originaux.csv", "rows": 2, "written": 2, "already": 0,
    }
    journal = bodies(desk.deps)
    assert desk.caller.identifier not in journal
    assert "$argon2id$" not in journal


def test_only_an_administrator_imports(desk: Desk) -> None:
    with pytest.raises(Forbidden):
        import_originals(desk.deps, AGENT, export(desk, *originals_of(desk.caller)),
                         "minint-2022")


# ------------------------------------------------------------------- command


def test_the_command_loads_the_file_and_says_how_many(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    clean_environment(desk.tmp_path, monkeypatch)
    monkeypatch.setenv("CSU_SECRET_KEY", TEST_KEY.decode())
    database = desk.deps.engine.url.render_as_string(hide_password=False)
    path = export(desk, *originals_of(desk.caller))
    result = csu("import", "credentials", path, "--election", "minint-2022", "--db", database)
    assert_done(result)
    assert "Codes d'origine importés : 2 écrits, 0 déjà chargé, 0 ligne ignorée." in said(result)
    assert logs_in(desk, security_key=KEY, password=PASSWORD)


def test_the_command_refuses_a_bad_file_naming_the_line(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    clean_environment(desk.tmp_path, monkeypatch)
    monkeypatch.setenv("CSU_SECRET_KEY", TEST_KEY.decode())
    database = desk.deps.engine.url.render_as_string(hide_password=False)
    path = export(desk, f"{desk.caller.identifier};cle_securite;pas-un-hash;")
    result = csu("import", "credentials", path, "--election", "minint-2022", "--db", database)
    assert_refused(result, "ligne 2, colonne hash : chaîne PHC argon2id attendue",
                   "Import refusé : 1 ligne en erreur sur 1 ; rien n'a été écrit.")
