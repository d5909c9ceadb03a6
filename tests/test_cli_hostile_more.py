"""More hostile arguments, settings and stores: each ends in a French sentence naming what
is wrong (exit status 1, or 2 for a bad option value), never a traceback, and leaves
nothing half-written."""

import os
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from typer.testing import Result

from csu.store.migrate import NewerStore, current_revision, upgrade
from tests.cli_support import assert_done, assert_refused, clean_environment, csu, initialised, said
from tests.test_cli import MININT, query

ELECTIONS = MININT.parent
ENGLISH = ("Traceback", "Error:", "Usage:", "Invalid", "expected", "Input ")


@pytest.fixture(autouse=True)
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clean_environment(tmp_path, monkeypatch)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """minint-2022 and men-2022 loaded."""
    return initialised(tmp_path / "base" / "cellule.sqlite", MININT, ELECTIONS / "men-2022.toml")


def assert_french_refusal(result: Result, *phrases: str) -> None:
    assert_refused(result, *phrases)
    for word in ENGLISH:
        assert word not in said(result), said(result)


def assert_bad_value(result: Result, *phrases: str) -> None:
    """Refused by the parser, as Typer refuses an option's bad value: status 2."""
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    for phrase in phrases:
        assert phrase in said(result), said(result)
    for word in ENGLISH:
        assert word not in said(result), said(result)


def journal_size(db: Path) -> int:
    return query(db, "SELECT count(*) FROM journal_entry")[0][0]


# --- 1. webhook addresses ---------------------------------------------------------


def add_with_webhook(db: Path, url: str) -> Result:
    return csu("platform", "add", "neovote", "--election", "men-2022", "--webhook-url", url,
               "--db", db)  # fmt: skip


def test_a_webhook_url_with_an_unclosed_ipv6_bracket_is_refused(db: Path) -> None:
    result = add_with_webhook(db, "https://[::1/")
    assert_french_refusal(result, "Adresse des webhooks : adresse mal formée")
    assert query(db, "SELECT count(*) FROM platform_client") == [(0,)]


def test_a_webhook_url_with_a_user_and_password_is_refused(db: Path) -> None:
    result = add_with_webhook(db, "https://neovote:s3cr3t@hooks.example.fr/csu")
    assert_french_refusal(result, "Adresse des webhooks : pas d'identifiant ni de mot de passe")
    assert "s3cr3t" not in result.output
    assert query(db, "SELECT count(*) FROM platform_client") == [(0,)]


@pytest.mark.parametrize("port", ["0", "65536", "99999", "abc"])
def test_a_webhook_url_with_a_port_out_of_range_is_refused(db: Path, port: str) -> None:
    result = add_with_webhook(db, f"https://hooks.example.fr:{port}/csu")
    assert_french_refusal(result, "Adresse des webhooks : port attendu entre 1 et 65535")
    assert query(db, "SELECT count(*) FROM platform_client") == [(0,)]


def test_a_webhook_url_with_a_port_in_range_is_accepted(db: Path) -> None:
    assert_done(add_with_webhook(db, "https://hooks.example.fr:8443/csu"))


@pytest.mark.parametrize(
    ("url", "fault"),
    [
        ("https://hooks.example.fr/ b", "en position 26 (espace, U+0020) : encodez-le (%20)"),
        ("https://hooks.example.fr/\u00a0b", "en position 26 (espace, U+00A0) : encodez-le"),
    ],
    ids=["espace", "espace insécable"],
)
def test_a_webhook_url_with_a_space_is_refused_naming_it(db: Path, url: str, fault: str) -> None:
    """Accepted, every delivery failed with « réponse illisible du récepteur »: http.client
    refuses to send a request to it."""
    result = add_with_webhook(db, url)
    assert_french_refusal(
        result, f"Adresse des webhooks : caractère interdit dans une adresse {fault}"
    )
    assert query(db, "SELECT count(*) FROM platform_client") == [(0,)]


def test_a_webhook_url_with_a_character_outside_ascii_after_its_host_is_refused(
    db: Path,
) -> None:
    result = add_with_webhook(db, "https://hooks.example.fr/élection")
    assert_french_refusal(
        result,
        "Adresse des webhooks : caractère « é » en position 26, hors ASCII : écrivez-le encodé "
        "(%C3%A9)",
    )


def test_a_webhook_url_whose_host_no_name_can_be_is_refused(db: Path) -> None:
    result = add_with_webhook(db, "https://hooks..example.fr/csu")
    assert_french_refusal(
        result, "Adresse des webhooks : nom d'hôte « hooks..example.fr » invalide"
    )


def test_an_election_whose_platform_url_leaves_an_ipv6_bracket_open_is_refused(
    db: Path, tmp_path: Path
) -> None:
    hostile = tmp_path / "X.toml"
    hostile.write_text(
        MININT.read_text(encoding="utf-8").replace(
            "sms_sender =", 'platform_url = "https://[::1/"\nsms_sender =', 1
        ),
        encoding="utf-8",
    )
    assert_french_refusal(
        csu("election", "load", hostile, "--db", db),
        "X.toml : platform_url : adresse mal formée (crochets d'une adresse IPv6 non refermés ?)",
    )


@pytest.mark.parametrize(
    "url", ["https://xn--nterieur-shh.gouv.fr/csu", "https://\u0456nterieur.gouv.fr/csu"]
)
def test_a_webhook_url_on_a_look_alike_host_is_refused_however_written(db: Path, url: str) -> None:
    # « xn--nterieur-shh » is « іnterieur », a Cyrillic « і »: it reads as the ministry's.
    assert_french_refusal(
        add_with_webhook(db, url),
        "Adresse des webhooks : nom d'hôte mêlant des alphabets (ex. une lettre cyrillique "
        "parmi des latines)",
    )


def test_a_webhook_url_on_an_accented_host_is_taken(db: Path) -> None:
    assert add_with_webhook(db, "https://élections.exemple.fr/csu").exit_code == 0


@pytest.mark.parametrize(
    ("url", "told"),
    [
        ("https://xn--nterieur-shh.gouv.fr", "nom d'hôte mêlant des alphabets"),
        ("https://vote.exemple.fr:99999", "port attendu entre 1 et 65535"),
    ],
)
def test_an_election_whose_platform_url_misleads_or_cannot_be_reached_is_refused(
    db: Path, tmp_path: Path, url: str, told: str
) -> None:
    # Every link sent to a voter starts with it.
    hostile = tmp_path / "X.toml"
    hostile.write_text(
        MININT.read_text(encoding="utf-8").replace(
            "sms_sender =", f'platform_url = "{url}"\nsms_sender =', 1
        ),
        encoding="utf-8",
    )
    assert_french_refusal(
        csu("election", "load", hostile, "--db", db), f"X.toml : platform_url : {told}"
    )


# --- 2. numbers wider than the store's ---------------------------------------------


def test_a_webhook_number_out_of_range_is_refused_as_a_bad_value(db: Path) -> None:
    result = csu("platform", "webhooks", "--resend", "999999999999999999999", "--db", db)
    assert_bad_value(result, "--resend : doit valoir au plus 2 147 483 647")


def test_a_set_aside_entry_number_out_of_range_is_refused_as_a_bad_value(db: Path) -> None:
    before = journal_size(db)
    result = csu("audit", "acknowledge", "999999999999999999999", "--reason",
                 "vu avec l'exploitant", "--db", db)  # fmt: skip
    assert_bad_value(result, "N° : doit valoir au plus 2 147 483 647")
    assert journal_size(db) == before


# --- 3. CSU_KEYMAP -------------------------------------------------------------------


@pytest.mark.parametrize("value", ["[" * 100_000, '{"a":' * 100_000], ids=["crochets", "objets"])
def test_a_keymap_nested_too_deep_is_refused_naming_csu_keymap(
    db: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("CSU_KEYMAP", value)
    result = csu("election", "list", "--db", db)
    assert_french_refusal(result, "CSU_KEYMAP : objet JSON attendu")


def test_a_keymap_that_is_no_flat_object_is_refused_naming_csu_keymap(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CSU_KEYMAP", '{"help": ' + "[" * 500 + "]" * 500 + "}")
    assert_french_refusal(csu("election", "list", "--db", db), "CSU_KEYMAP : objet JSON attendu")
    monkeypatch.setenv("CSU_KEYMAP", '{"help": "f2"}')
    assert_done(csu("election", "list", "--db", db))


# --- 4. a store a newer CSU migrated ------------------------------------------------

NEWER = [["init"], ["db", "upgrade"], ["election", "list"], ["audit", "verify"],
         ["audit", "export"], ["platform", "list"], ["operator", "list"]]  # fmt: skip


def made_newer(db: Path) -> Path:
    with closing(sqlite3.connect(db)) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0099'")
        conn.commit()
    return db


@pytest.mark.parametrize("command", NEWER, ids=" ".join)
def test_a_store_made_by_a_newer_csu_is_named_by_every_command(
    db: Path, command: list[str]
) -> None:
    made_newer(db)
    before = journal_size(db)
    result = csu(*command, "--db", db)
    assert_french_refusal(
        result,
        "révision 0099 inconnue de cette version de CSU",
        "par un CSU plus récent",
        "mettez CSU à jour",
    )
    assert "lancez" not in said(result)
    assert query(db, "SELECT version_num FROM alembic_version") == [("0099",)]
    assert journal_size(db) == before


def test_upgrade_refuses_a_store_made_by_a_newer_csu(engine: Engine) -> None:
    """On PostgreSQL too (the command line's tests above run on SQLite)."""
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    with pytest.raises(NewerStore, match="révision 0099 inconnue"):
        upgrade(engine)
    assert current_revision(engine) == "0099"


# --- 5. export filters wider than their column --------------------------------------


@pytest.mark.parametrize(
    ("option", "named"),
    [("--operator", "Opérateur : 64"), ("--election", "Scrutin : 64"),
     ("--intervention", "Intervention : 36"), ("--action", "Action : 64"),
     ("--outcome", "Résultat : 32")],
)  # fmt: skip
def test_an_export_filter_longer_than_its_column_is_refused_before_anything_is_journalled(
    db: Path, tmp_path: Path, option: str, named: str
) -> None:
    before = journal_size(db)
    for output in ([], ["--output", tmp_path / "journal.csv"]):
        result = csu("audit", "export", option, "b" * 100_000, *output, "--db", db)
        assert_french_refusal(result, f"{named} caractères au plus, 100000 reçus")
        assert len(result.output) < 1000  # the value is not quoted back
    assert not (tmp_path / "journal.csv").exists()
    assert journal_size(db) == before


# --- 6. a checkpoint's file, made before anything is signed --------------------------


@pytest.fixture
def key(tmp_path: Path) -> Path:
    path = tmp_path / "cles" / "cellule.key"
    path.parent.mkdir()
    assert_done(csu("audit", "keygen", "--out", path, "--name", "csu.test/cellule"))
    return path


def checkpoints_recorded(db: Path) -> tuple[int, int]:
    """Rows of the checkpoint table, and checkpoint entries of the journal."""
    [(rows,)] = query(db, "SELECT count(*) FROM checkpoint")
    [(entries,)] = query(
        db, "SELECT count(*) FROM journal_entry WHERE action = 'journal_checkpoint'"
    )
    return rows, entries


def test_a_checkpoint_to_a_missing_folder_is_neither_signed_nor_recorded(
    db: Path, key: Path, tmp_path: Path
) -> None:
    out = tmp_path / "absent" / "point.txt"
    result = csu("audit", "checkpoint", "--key", key, "--out", out, "--db", db)
    assert_french_refusal(result, f"Impossible de créer {out} : fichier ou dossier introuvable",
                          "aucun point de contrôle n'a été signé")  # fmt: skip
    assert checkpoints_recorded(db) == (0, 0)


def test_a_checkpoint_to_a_dangling_link_is_neither_signed_nor_recorded(
    db: Path, key: Path, tmp_path: Path
) -> None:
    out = tmp_path / "point.txt"
    os.symlink(tmp_path / "absent" / "ailleurs.txt", out)
    result = csu("audit", "checkpoint", "--key", key, "--out", out, "--db", db)
    assert_french_refusal(result, f"{out} existe déjà (fichier ou lien)",
                          "aucun point de contrôle n'a été signé")  # fmt: skip
    assert checkpoints_recorded(db) == (0, 0)
    assert out.is_symlink() and not (tmp_path / "absent").exists()


def test_a_checkpoint_whose_store_is_missing_leaves_no_file(key: Path, tmp_path: Path) -> None:
    out = tmp_path / "point.txt"
    result = csu("audit", "checkpoint", "--key", key, "--out", out,
                 "--db", tmp_path / "absente.sqlite")  # fmt: skip
    assert_french_refusal(result, "Base introuvable")
    assert not out.exists()


def test_a_checkpoint_written_to_its_file_is_recorded_once(
    db: Path, key: Path, tmp_path: Path
) -> None:
    out = tmp_path / "point.txt"
    assert_done(csu("audit", "checkpoint", "--key", key, "--out", out, "--db", db))
    assert out.read_text(encoding="utf-8").startswith("csu.test/cellule\n")
    assert checkpoints_recorded(db) == (1, 1)
