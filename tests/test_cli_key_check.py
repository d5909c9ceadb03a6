"""A store opened with another key than the one it was built with is refused, before
anything is read or written with it: a leftover CSU_SECRET_KEY, a key file replaced or
edited. The key's fingerprint (a keyed hash of a fixed text, never the key) is kept in
the store from its first opening."""

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from csu.services.deployment_key import FINGERPRINT
from tests.cli_support import assert_done, assert_refused, csu, said
from tests.test_cli import db, key_of, loaded, query  # noqa: F401  (fixtures)

OTHER_KEY = "une-autre-cle-de-cellule-0123456789"


def test_init_records_the_key_s_fingerprint_and_never_the_key(db: Path) -> None:  # noqa: F811
    [(stored,)] = query(db, f"SELECT value FROM csu_meta WHERE key = '{FINGERPRINT}'")
    assert len(stored) == 64 and key_of(db).decode() not in stored


def test_another_secret_key_in_the_environment_is_refused(
    loaded: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CSU_SECRET_KEY", OTHER_KEY)
    result = csu("election", "list", "--db", loaded)
    assert_refused(result, "La clé secrète (CSU_SECRET_KEY) n'est pas celle de cette base")
    assert OTHER_KEY not in said(result)


def test_a_replaced_key_file_is_refused_naming_it(loaded: Path) -> None:  # noqa: F811
    key_file = loaded.with_name(loaded.name + ".key")
    key_file.write_text(OTHER_KEY + "\n")
    assert_refused(csu("audit", "verify", "--db", loaded), f"La clé secrète ({key_file})")


def test_a_key_file_saved_with_a_byte_order_mark_is_the_same_key(loaded: Path) -> None:  # noqa: F811
    key_file = loaded.with_name(loaded.name + ".key")
    key_file.write_bytes(b"\xef\xbb\xbf" + key_file.read_bytes())
    assert "journal intègre" in said(csu("audit", "verify", "--db", loaded))


def test_a_store_from_before_the_check_records_the_key_at_its_first_opening(
    loaded: Path,  # noqa: F811
) -> None:
    with closing(sqlite3.connect(loaded)) as connection, connection:
        connection.execute("DELETE FROM csu_meta WHERE key = ?", (FINGERPRINT,))
    assert_done(csu("election", "list", "--db", loaded))
    assert query(loaded, f"SELECT count(*) FROM csu_meta WHERE key = '{FINGERPRINT}'") == [(1,)]


def test_init_again_with_another_key_is_refused(
    loaded: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CSU_SECRET_KEY", OTHER_KEY)
    assert_refused(csu("init", "--db", loaded), "n'est pas celle de cette base")
