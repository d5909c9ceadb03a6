"""Hostile files, arguments and settings: every door of the ``csu`` command answers with
a French sentence naming what is wrong, never hangs, never shows a traceback, and keeps
its memory bounded whatever the file holds."""

import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
import typer
from textual.app import App
from typer.testing import Result

from csu.cli.common import friendly
from csu.launch import build_app
from csu.services.context import SYSTEM_USER_FIELD
from tests.cli_support import assert_done, assert_refused, clean_environment, csu, said
from tests.screens.conftest import SIZE
from tests.test_cli import HEADER, MININT

ROOT = Path(__file__).resolve().parents[1]
# Words of Click, Typer, pydantic or Python that would mean an untranslated message.
ENGLISH = ("Traceback", "Error:", "Usage:", "Invalid", "invalid literal", "expected", "Input ")
MAX_RSS_KIB = 200 * 1024


@pytest.fixture(autouse=True)
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clean_environment(tmp_path, monkeypatch)


@pytest.fixture(scope="module")
def originals(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """Made once for the module: a database with minint-2022 loaded, the cell's key and
    a checkpoint of that database's journal. The tests only read the key and the note;
    each gets its own copy of the database (``db``)."""
    folder = tmp_path_factory.mktemp("originaux")
    with pytest.MonkeyPatch.context() as patch:
        clean_environment(folder, patch)
        db = folder / "base" / "cellule.sqlite"
        assert_done(csu("init", "--db", db))
        assert_done(csu("election", "load", MININT, "--db", db))
        key = folder / "cles" / "cellule.key"
        key.parent.mkdir()
        assert_done(csu("audit", "keygen", "--out", key, "--name", "csu.test/cellule"))
        note = folder / "point.txt"
        assert_done(csu("audit", "checkpoint", "--key", key, "--out", note, "--db", db))
    return db, key, note


@pytest.fixture
def db(originals: tuple[Path, Path, Path], tmp_path: Path) -> Path:
    """minint-2022 loaded in a database of this test's own (a copy of the original's
    folder: its write-ahead log with it)."""
    shutil.copytree(originals[0].parent, tmp_path / "base")
    return tmp_path / "base" / originals[0].name


@pytest.fixture
def key(originals: tuple[Path, Path, Path]) -> Path:
    return originals[1]


@pytest.fixture
def note(originals: tuple[Path, Path, Path]) -> Path:
    return originals[2]


def assert_french_refusal(result: Result, *phrases: str) -> None:
    assert_refused(result, *phrases)
    for word in ENGLISH:
        assert word not in said(result), said(result)


# --- hostile files ---------------------------------------------------------------


def huge_header(tmp_path: Path) -> Path:
    path = tmp_path / "entete-10-mo.csv"
    path.write_text(HEADER + ";" + "x" * 10_000_000 + "\n", encoding="utf-8")
    return path


def open_quote_header(tmp_path: Path) -> Path:
    path = tmp_path / "guillemet.csv"
    rows = "\n".join(f"AB{n:04d};Dupont;Jeanne;12/03/1970" for n in range(50_000))
    path.write_text('"' + HEADER + "\n" + rows + "\n", encoding="utf-8")
    return path


def directory(tmp_path: Path) -> Path:
    path = tmp_path / "un-dossier"
    path.mkdir()
    return path


def binary_junk(tmp_path: Path) -> Path:
    path = tmp_path / "octets.bin"
    path.write_bytes(random.Random(12).randbytes(200_000))
    return path


def sparse_zeros(tmp_path: Path) -> Path:
    """1 GiB of zero bytes, without a line break (a sparse file: no disk used)."""
    path = tmp_path / "zeros.bin"
    with path.open("wb") as handle:
        handle.truncate(1 << 30)
    return path


def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "tube"
    os.mkfifo(path)
    return path


def dev_zero(tmp_path: Path) -> Path:
    return Path("/dev/zero")


FILES: dict[str, tuple[Callable[[Path], Path], tuple[str, ...]]] = {
    # factory, and what the refusal says besides the file's name
    "en-tête de 10 Mo": (huge_header, ()),
    "guillemet ouvert dans l'en-tête": (open_quote_header, ()),
    "dossier": (directory, ("dossier",)),
    "octets au hasard": (binary_junk, ()),
    "1 Gio de zéros": (sparse_zeros, ()),
}

# Each door that reads a file the operator names: the arguments, given that file.
Door = Callable[[Path, Path, Path, Path], list[str | Path]]
DOORS: dict[str, Door] = {
    "import voters": lambda f, db, key, note: [
        "import", "voters", f, "--election", "minint-2022", "--db", db,
    ],
    "import votes": lambda f, db, key, note: [
        "import", "votes", f, "--election", "minint-2022", "--db", db,
    ],
    "election load": lambda f, db, key, note: ["election", "load", f, "--db", db],
    "point de contrôle": lambda f, db, key, note: [
        "audit", "verify", "--checkpoint", f, "--public-key", f"{key}.pub", "--db", db,
    ],
    "clé publique": lambda f, db, key, note: [
        "audit", "verify", "--checkpoint", note, "--public-key", f, "--db", db,
    ],
}  # fmt: skip


@pytest.mark.parametrize("kind", list(FILES))
@pytest.mark.parametrize("door", list(DOORS))
def test_a_hostile_file_gets_a_french_sentence_naming_it(
    door: str, kind: str, db: Path, key: Path, note: Path, tmp_path: Path
) -> None:
    make, phrases = FILES[kind]
    path = make(tmp_path)
    result = csu(*DOORS[door](path, db, key, note))
    assert_french_refusal(result, path.name, *phrases)


@pytest.mark.parametrize(
    ("kind", "where"),
    [
        ("en-tête de 10 Mo", "ligne 1 : ligne trop longue"),
        ("guillemet ouvert dans l'en-tête", "ligne 1"),
    ],
)
def test_a_roll_whose_header_cannot_be_read_is_refused_at_its_line(
    kind: str, where: str, db: Path, tmp_path: Path
) -> None:
    path = FILES[kind][0](tmp_path)
    result = csu("import", "voters", path, "--election", "minint-2022", "--db", db)
    assert_french_refusal(result, f"{path.name}, {where}")


def test_binary_junk_is_refused_at_the_line_of_its_first_bad_byte(
    db: Path, tmp_path: Path
) -> None:
    path = tmp_path / "melange.csv"
    path.write_bytes((HEADER + "\n").encode() + b"AB1234;Dupont\n" + b"\xff\xfe\x00junk\n")
    result = csu("import", "voters", path, "--election", "minint-2022", "--db", db)
    assert_french_refusal(result, "melange.csv, ligne 3 : le fichier n'est pas encodé en UTF-8")


# Runs the measured commands: one process imports the entry point (csu.launch) and the
# command tree once, then forks a child per command that runs ``csu ARGS`` as the
# installed ``csu`` does, and reads each child's exit status, output and peak resident
# memory (wait4). One interpreter start instead of one per command (~2 s of CPU each).
RUNNER = """
import json, os, signal, sys, tempfile, traceback
import csu.cli, csu.launch
results = []
for args in json.load(sys.stdin):
    with tempfile.TemporaryFile() as out:
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:
            code = 70
            try:
                os.dup2(out.fileno(), 1)
                os.dup2(out.fileno(), 2)
                signal.alarm(120)  # a command still running by then is killed: it failed
                sys.argv = ["csu", *args]
                csu.launch.main()
                code = 0
            except SystemExit as stop:
                code = stop.code if isinstance(stop.code, int) else int(stop.code is not None)
            except BaseException:
                traceback.print_exc()
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        _, status, usage = os.wait4(pid, 0)
        out.seek(0)
        said = out.read().decode("utf-8", "replace")
        results.append({"code": os.waitstatus_to_exitcode(status), "said": said,
                        "rss_kib": usage.ru_maxrss})
print(json.dumps(results))
"""


def run_measured(commands: list[list[str | Path]], tmp_path: Path) -> list[dict[str, Any]]:
    """Each ``csu ARGS`` of ``commands`` in a process of its own (see ``RUNNER``): its
    exit status, what it said and its peak resident memory, in order."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CSU_")}
    env.update(CSU_DATA_DIR=str(tmp_path), COLUMNS="400")
    done = subprocess.run(
        [sys.executable, "-c", RUNNER], input=json.dumps([list(map(str, c)) for c in commands]),
        capture_output=True, text=True, timeout=600, env=env, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


ENDLESS = {"/dev/zero": dev_zero, "tube nommé (FIFO)": fifo, "1 Gio de zéros": sparse_zeros}
ENDLESS_DOORS = ["import voters", "election load", "point de contrôle"]
Ran = dict[tuple[str, str], tuple[Path, dict[str, Any]]]


@pytest.fixture(scope="module")
def measured(originals: tuple[Path, Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Ran:
    """Every door given every endless or blocking file, and ``import votes`` given a
    FIFO, run once for the module (one batch, see ``RUNNER``): (door, kind) -> (file,
    what the process did). The tests using it stay on one xdist worker (conftest)."""
    folder = tmp_path_factory.mktemp("mesures")
    shutil.copytree(originals[0].parent, folder / "base")
    db, key, note = folder / "base" / originals[0].name, originals[1], originals[2]
    files = {kind: make(folder) for kind, make in ENDLESS.items()}
    cases = {
        (door, kind): (path, DOORS[door](path, db, key, note))
        for door in ENDLESS_DOORS
        for kind, path in files.items()
    }
    votes = ["import", "votes", files["tube nommé (FIFO)"], "--election", "minint-2022", "--db", db]
    cases["import votes", "tube nommé (FIFO)"] = (files["tube nommé (FIFO)"], votes)
    ran = run_measured([args for _, args in cases.values()], folder)
    return {case: (path, done) for (case, (path, _)), done in zip(cases.items(), ran, strict=True)}


@pytest.mark.parametrize("kind", list(ENDLESS))
@pytest.mark.parametrize("door", ENDLESS_DOORS)
def test_an_endless_or_blocking_file_is_refused_at_once_in_bounded_memory(
    door: str, kind: str, measured: Ran
) -> None:
    path, ran = measured[door, kind]
    assert ran["code"] == 1, ran["said"]
    assert str(path) in ran["said"] or path.name in ran["said"]
    assert "Traceback" not in ran["said"]
    assert ran["rss_kib"] < MAX_RSS_KIB, f"{ran['rss_kib'] // 1024} Mo"


def test_a_fifo_is_named_for_what_it_is(measured: Ran) -> None:
    _, ran = measured["import votes", "tube nommé (FIFO)"]
    assert ran["code"] == 1
    assert "n'est pas un fichier ordinaire (tube, périphérique ou socket)" in ran["said"]


# --- hostile arguments -----------------------------------------------------------


def test_an_unknown_option_is_refused_in_french_with_the_usage() -> None:
    result = csu("outbox", "list", "--nope")
    assert result.exit_code == 2
    assert "Utilisation : " in said(result) and "outbox list [OPTIONS]" in said(result)
    assert "Erreur : option inconnue : --nope." in said(result)
    assert "pour l'aide" in said(result)
    assert not any(word in said(result) for word in ENGLISH)


def test_a_missing_argument_is_named_in_french() -> None:
    result = csu("import", "voters")
    assert result.exit_code == 2
    assert "Erreur : argument FICHIER manquant." in said(result)


@pytest.mark.parametrize(
    ("command", "named"),
    [(["operator", "disable"], "IDENTIFIANT"), (["platform", "add"], "NOM"),
     (["token", "redeem"], "JETON")],
)  # fmt: skip
def test_every_missing_argument_is_named_by_a_french_word(command: list[str], named: str) -> None:
    result = csu(*command)
    assert result.exit_code == 2
    assert f"Erreur : argument {named} manquant." in said(result)


def test_a_missing_required_option_is_named_in_french(tmp_path: Path) -> None:
    result = csu("import", "voters", tmp_path / "liste.csv")
    assert result.exit_code == 2
    assert "Erreur : option --election obligatoire manquante." in said(result)


def test_a_number_out_of_range_says_the_bound() -> None:
    result = csu("outbox", "list", "--limit", "100000000000000000000")
    assert result.exit_code == 2
    assert "--limit : doit valoir au plus 100" in said(result)
    assert not any(word in said(result) for word in ENGLISH)


def test_a_word_where_a_number_is_expected_says_so() -> None:
    result = csu("demo", "--voters", "beaucoup")
    assert result.exit_code == 2
    assert "--voters : nombre entier attendu (reçu « beaucoup »)." in said(result)


def test_an_unknown_command_is_named_with_a_suggestion() -> None:
    result = csu("outbox", "lst")
    assert result.exit_code == 2
    assert "commande inconnue : « lst » (vouliez-vous dire 'list' ?)" in said(result)


def test_an_option_without_its_value_says_it_expects_one() -> None:
    result = csu("outbox", "list", "--limit")
    assert result.exit_code == 2
    assert "Erreur : l'option --limit attend une valeur." in said(result)


def test_extra_arguments_are_refused_in_french() -> None:
    result = csu("outbox", "list", "en-trop")
    assert result.exit_code == 2
    assert "Erreur : argument en trop : en-trop." in said(result)


def test_several_extra_arguments_are_refused_in_the_plural() -> None:
    result = csu("outbox", "list", "un", "deux")
    assert result.exit_code == 2
    assert "Erreur : arguments en trop : un deux." in said(result)


def test_the_help_is_in_french() -> None:
    result = csu("--help")
    assert_done(result)
    text = result.output
    assert text.startswith("Utilisation : ")
    assert "Options\u00a0:" in text and "Commandes\u00a0:" in text
    assert "Affiche cette aide et s'arrête." in text
    assert "COMMANDE [ARGUMENTS]..." in text
    assert not any(word in text for word in ("Usage:", "Show this message", "Commands:"))


def test_a_command_help_names_its_values_in_french() -> None:
    result = csu("import", "voters", "--help")
    assert_done(result)
    assert "Utilisation : " in result.output and "FICHIER" in result.output
    assert "[obligatoire]" in result.output and "<entier>" in result.output
    assert "[required]" not in result.output


# Bytes of an argument that are not UTF-8 reach Python as lone surrogates (0xFF -> U+DCFF),
# which no table, journal body or terminal can hold: each text argument names itself.
NOT_UTF8 = "ab\udcff"
TEXT_ARGUMENTS = [
    (["operator", "add", NOT_UTF8, "--role", "agent"], "IDENTIFIANT"),
    (["operator", "add", "jdupont", "--role", "agent", "--name", NOT_UTF8], "--name"),
    (["operator", "disable", NOT_UTF8], "IDENTIFIANT"),
    (["operator", "unlock", "jdupont", "--reason", NOT_UTF8], "--reason"),
    (["token", "redeem", NOT_UTF8], "JETON"),
    (["platform", "add", NOT_UTF8, "--election", "minint-2022"], "NOM"),
    (["platform", "add", "neovote", "--election", NOT_UTF8], "--election"),
    (["audit", "export", "--operator", NOT_UTF8], "--operator"),
    (["audit", "export", "--matricule", NOT_UTF8], "--matricule"),
]


@pytest.mark.parametrize(("command", "named"), TEXT_ARGUMENTS, ids=lambda v: str(v)[:40])
def test_an_argument_that_is_not_utf8_is_named_with_its_bad_byte(
    db: Path, command: list[str], named: str
) -> None:
    result = csu(*command, "--db", db)
    assert_refused(result, f"Erreur : {named} : « ab\\xff » n'est pas du texte UTF-8")
    assert not any(word in said(result) for word in ENGLISH)


# A file's name is journalled (the election's source) and quoted in messages: one whose
# bytes are not UTF-8 (made on a Latin-1 system) is named, with what to do.
FILE_ARGUMENTS = [
    (["import", "voters", "liste\udce9.csv", "--election", "minint-2022"], "FICHIER"),
    (["import", "votes", "votes\udce9.csv", "--election", "minint-2022"], "FICHIER"),
    (["election", "load", "minint\udce9.toml"], "FICHIERS"),
    (["audit", "export", "--output", "journal\udce9.jsonl"], "--output / -o"),
]


@pytest.mark.parametrize(("command", "named"), FILE_ARGUMENTS, ids=lambda v: str(v)[:40])
def test_a_file_name_that_is_not_utf8_is_named_with_what_to_do(
    db: Path, tmp_path: Path, command: list[str], named: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.chdir(tmp_path)
    for argument in command:
        if "\udce9" in argument and argument.startswith(("liste", "votes", "minint")):
            (tmp_path / argument).write_bytes(MININT.read_bytes())  # there, readable
    result = csu(*command, "--db", db)
    assert_refused(result, f"Erreur : {named} : le nom « ", "\\xe9", "renommez le fichier")
    assert not list(tmp_path.glob("journal*"))  # no export written under that name


def test_a_surrogate_from_no_byte_is_shown_escaped_and_the_accents_as_typed(db: Path) -> None:
    result = csu("token", "redeem", "é\ud800", "--db", db)  # not from argv's bytes: \ud800
    assert_refused(result, "Erreur : JETON : « é\\ud800 » n'est pas du texte UTF-8")


def test_text_that_fails_to_encode_later_still_ends_in_french(
    capsys: pytest.CaptureFixture[str],
) -> None:
    def command() -> None:
        "x\udcff".encode()

    with pytest.raises(typer.Exit):
        friendly(command)()
    assert "Erreur : un texte n'est pas de l'UTF-8 valide." in capsys.readouterr().err


def test_a_malformed_database_url_on_the_command_line_is_refused() -> None:
    result = csu("election", "list", "--db", "postgresql://[::1")
    assert_french_refusal(result, "--db : adresse de base illisible", "postgresql+psycopg://")


# --- hostile settings ------------------------------------------------------------

SETTINGS = [
    ("CSU_SMTP_PORT", "abc", "CSU_SMTP_PORT : nombre entier attendu (reçu « abc »)"),
    ("CSU_KEYMAP", "notjson", "CSU_KEYMAP : objet JSON attendu"),
    (
        "CSU_SQLITE_SYNCHRONOUS",
        "BAD",
        "CSU_SQLITE_SYNCHRONOUS : valeurs admises : « NORMAL », « FULL » ou « EXTRA »",
    ),
    ("CSU_ARGON2_MEMORY_KIB", "1", "CSU_ARGON2_MEMORY_KIB : doit valoir au moins 8"),
    ("CSU_DATABASE_URL", "postgresql://[::1", "CSU_DATABASE_URL : adresse de base illisible"),
    ("CSU_IDLE_MINUTES", "nan", "CSU_IDLE_MINUTES : nombre fini attendu"),
]
COMMANDS = [
    ["init"],
    ["db", "upgrade"],
    ["election", "list"],
    ["election", "load", MININT],
    ["import", "voters", "liste.csv", "--election", "minint-2022"],
    ["import", "votes", "votes.csv", "--election", "minint-2022"],
    ["audit", "verify"],
    ["audit", "export"],
    ["audit", "checkpoint", "--key", "cle"],
    ["audit", "keygen", "--out", "cle"],
    ["operator", "list"],
    ["outbox", "list"],
    ["outbox", "deliver"],
    ["token", "redeem", "jeton"],
    ["purge", "--dry-run"],
    ["demo"],
    ["demo-callers"],
    ["run"],
    ["serve"],
    ["api"],
    ["platform", "list"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(map(str, c)))
@pytest.mark.parametrize(("variable", "value", "sentence"), SETTINGS, ids=lambda v: str(v)[:24])
def test_a_setting_of_the_wrong_type_is_named_by_every_command(
    command: list[str], variable: str, value: str, sentence: str,
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:  # fmt: skip
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(variable, value)
    result = csu(*command)
    assert_french_refusal(result, sentence)


def test_argon2_memory_must_cover_its_lanes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CSU_ARGON2_MEMORY_KIB", "16")
    monkeypatch.setenv("CSU_ARGON2_PARALLELISM", "4")
    result = csu("operator", "list")
    assert_french_refusal(result, "CSU_ARGON2_MEMORY_KIB : 32 Kio au moins")


def test_a_database_url_with_a_password_is_not_quoted_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CSU_DATABASE_URL", "postgresql://csu:s3cr3t@[::1/csu")
    result = csu("election", "list")
    assert_french_refusal(result, "CSU_DATABASE_URL")
    assert "s3cr3t" not in result.output


# The command line acts as « cli: » and the system user: a name no login could have is
# refused before the command runs (an export refused at its own entry had already
# written every row to its output, unjournalled).
@pytest.mark.parametrize(
    ("user", "told"),
    [
        ("a" * 70, "60 caractères au plus"),
        ("x\x1b[31mRED", "caractère interdit"),
        ("\u202e=1+1", "caractère interdit"),
        ("ab\udcffcd", "caractère interdit"),
        (" ", "vide"),
    ],
)
def test_a_system_user_no_login_could_name_stops_the_command_before_it_runs(
    user: str, told: str, db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = entries_in(db)
    monkeypatch.setenv("USER", user)
    monkeypatch.setenv("LOGNAME", user)
    result = csu("audit", "export", "--format", "csv", "--db", db)
    assert_french_refusal(result, f"{SYSTEM_USER_FIELD} : {told}")
    assert "horodatage" not in result.output  # no row written
    assert entries_in(db) == before


def entries_in(db: Path) -> int:
    with closing(sqlite3.connect(db)) as connection:
        return int(connection.execute("SELECT count(*) FROM journal_entry").fetchone()[0])


# A variable set from bytes that are not UTF-8 (0xFF: U+DCFF to Python) is named at once,
# rather than failing where its value is first encoded (a journal entry, a message).
@pytest.mark.parametrize(
    ("variable", "value"),
    [("CSU_WORKSTATION", "poste\udcff"), ("CSU_SMTP_FROM", "cellule\udcff@example.fr"),
     ("CSU_CHECKPOINT_ORIGIN", "csu\udcff"), ("CSU_KEYMAP", '{"help": "f\udcff"}')],
)  # fmt: skip
def test_a_setting_holding_bytes_that_are_not_utf8_is_named(
    variable: str, value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(variable, value)
    result = csu("election", "list")
    assert_french_refusal(result, f"{variable} : octets qui ne sont pas de l'UTF-8")


def test_a_secret_holding_bytes_that_are_not_utf8_is_named_not_quoted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CSU_SMTP_PASSWORD", "s3cr3t\udcff")
    result = csu("election", "list")
    assert_french_refusal(result, "CSU_SMTP_PASSWORD : octets qui ne sont pas de l'UTF-8")
    assert "s3cr3t" not in result.output


def test_a_data_folder_whose_name_is_not_utf8_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The database's URL holds the folder, and a URL is UTF-8 (SQLAlchemy could not write it).
    monkeypatch.setenv("CSU_DATA_DIR", str(tmp_path / "donn\udcffes"))
    assert_french_refusal(csu("init"), "CSU_DATA_DIR : octets qui ne sont pas de l'UTF-8")


async def run_until_it_stops(app: App[Any]) -> None:
    """Runs the terminal headless until it stops by itself (10 s at most). Its store
    opener's worker may end cancelled as the app exits: the exit is what is waited for."""
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(200):
            if app.return_code is not None:
                break
            await pilot.pause(0.05)


@pytest.mark.parametrize(("variable", "value", "sentence"), SETTINGS, ids=lambda v: str(v)[:24])
async def test_csu_run_ends_with_the_sentence_naming_the_setting(
    variable: str, value: str, sentence: str,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    monkeypatch.setenv(variable, value)
    app = build_app(None)
    await run_until_it_stops(app)
    assert app.return_code == 1
    told = " ".join(capsys.readouterr().err.split())
    assert sentence in told and "Traceback" not in told


BIG = "100000000000000000000"


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["outbox", "list", "--limit", BIG], "--limit : doit valoir au plus"),
        (["demo", "--voters", BIG], "--voters : doit valoir au plus"),
        (["demo-callers", "--count", BIG], "--count : doit valoir au plus"),
        (["import", "voters", "l.csv", "--election", "x", "--workers", BIG], "--workers"),
        (["serve", "--port", BIG], f"Port {BIG} impossible"),
        (["api", "--port", BIG], f"Port {BIG} impossible"),
    ],
    ids=lambda v: v[0] if isinstance(v, list) else "",
)
def test_every_number_out_of_range_is_refused_in_french(
    args: list[str], named: str, db: Path
) -> None:
    result = csu(*args, "--db", db)
    assert result.exit_code in (1, 2), said(result)
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert named in said(result)
    assert not any(word in said(result) for word in ENGLISH)


async def test_csu_run_with_a_malformed_database_url_says_so(
    capsys: pytest.CaptureFixture[str],
) -> None:
    app = build_app("postgresql://[::1")
    await run_until_it_stops(app)
    assert app.return_code == 1
    assert "--db : adresse de base illisible" in " ".join(capsys.readouterr().err.split())
