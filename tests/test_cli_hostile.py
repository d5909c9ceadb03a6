"""Hostile files, arguments and settings: every door of the ``csu`` command answers with
a French sentence naming what is wrong, never hangs, never shows a traceback, and keeps
its memory bounded whatever the file holds."""

import json
import os
import random
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import Result

from csu.launch import build_app
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


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """minint-2022 loaded in a fresh database."""
    path = tmp_path / "base" / "cellule.sqlite"
    assert_done(csu("init", "--db", path))
    assert_done(csu("election", "load", MININT, "--db", path))
    return path


@pytest.fixture
def key(tmp_path: Path) -> Path:
    path = tmp_path / "cles" / "cellule.key"
    path.parent.mkdir()
    assert_done(csu("audit", "keygen", "--out", path, "--name", "csu.test/cellule"))
    return path


@pytest.fixture
def note(db: Path, key: Path, tmp_path: Path) -> Path:
    path = tmp_path / "point.txt"
    assert_done(csu("audit", "checkpoint", "--key", key, "--out", path, "--db", db))
    return path


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


def run_measured(args: list[str | Path], tmp_path: Path) -> dict:
    """``csu ARGS`` in its own process (the installed entry point, csu.launch), under a
    wrapper that reports its exit status, what it said and its peak resident memory."""
    wrapper = (
        "import json, resource, subprocess, sys\n"
        "done = subprocess.run([sys.executable, '-m', 'csu.launch', *sys.argv[1:]],\n"
        "                      capture_output=True, text=True, timeout=120)\n"
        "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
        "print(json.dumps({'code': done.returncode, 'said': done.stdout + done.stderr,\n"
        "                  'rss_kib': peak}))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("CSU_")}
    env.update(CSU_DATA_DIR=str(tmp_path), COLUMNS="400")
    done = subprocess.run(
        [sys.executable, "-c", wrapper, *map(str, args)],
        capture_output=True, text=True, timeout=180, env=env, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.parametrize("kind", ["/dev/zero", "tube nommé (FIFO)", "1 Gio de zéros"])
@pytest.mark.parametrize("door", ["import voters", "election load", "point de contrôle"])
def test_an_endless_or_blocking_file_is_refused_at_once_in_bounded_memory(
    door: str, kind: str, db: Path, key: Path, note: Path, tmp_path: Path
) -> None:
    make = {"/dev/zero": dev_zero, "tube nommé (FIFO)": fifo, "1 Gio de zéros": sparse_zeros}
    path = make[kind](tmp_path)
    ran = run_measured(DOORS[door](path, db, key, note), tmp_path)
    assert ran["code"] == 1, ran["said"]
    assert str(path) in ran["said"] or path.name in ran["said"]
    assert "Traceback" not in ran["said"]
    assert ran["rss_kib"] < MAX_RSS_KIB, f"{ran['rss_kib'] // 1024} Mo"


def test_a_fifo_is_named_for_what_it_is(db: Path, tmp_path: Path) -> None:
    ran = run_measured(
        ["import", "votes", fifo(tmp_path), "--election", "minint-2022", "--db", db], tmp_path
    )
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
    assert "Erreur : argument(s) en trop : en-trop." in said(result)


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


@pytest.mark.parametrize(("variable", "value", "sentence"), SETTINGS, ids=lambda v: str(v)[:24])
async def test_csu_run_ends_with_the_sentence_naming_the_setting(
    variable: str, value: str, sentence: str,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    monkeypatch.setenv(variable, value)
    app = build_app(None)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.1)
        await app.workers.wait_for_complete()
        await pilot.pause()
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
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.1)
        await app.workers.wait_for_complete()
        await pilot.pause()
    assert app.return_code == 1
    assert "--db : adresse de base illisible" in " ".join(capsys.readouterr().err.split())
