"""Arbitrary bytes in every file CSU reads (voters roll, votes, the platform's originals,
election definition, checkpoint note, public key): each one is either taken or refused with a French
sentence, never a traceback. Inputs are random bytes, random lines of CSV-ish text,
and valid files with a few bytes flipped, inserted, removed or cut."""

import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

from csu.config import ConfigError
from csu.domain.checkpoint import NoteSigner
from csu.domain.errors import InvalidValue
from csu.services.checkpoints import load_verifier, read_note, sign_checkpoint, verify_checkpoint
from csu.services.context import Deps, ServiceError
from csu.services.elections import load_election, read_definition
from csu.services.originals import import_originals
from csu.services.rolls import import_voters, import_votes
from tests.cli_support import assert_done, clean_environment, csu, initialised, said
from tests.conftest import ADMIN, SUPERVISOR
from tests.services.test_originals import PLATFORM_HASHER
from tests.test_cli import GOOD, HEADER, MININT

FRENCH_ERRORS = (ServiceError, InvalidValue, ConfigError)
ENGLISH = ("Traceback", "Error", "error:", "Invalid", "expected", "Expected", "not ", "Input ")
FUZZ = settings(
    max_examples=120,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@st.composite
def mutated(draw: st.DrawFn, valid: bytes) -> bytes:
    """``valid`` with a few random edits: a byte changed, bytes inserted, a span removed
    or repeated, the end cut off."""
    data = bytearray(valid)
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(data)))
        edit = draw(st.sampled_from(["change", "insert", "remove", "repeat", "cut"]))
        if edit == "change" and at < len(data):
            data[at] = draw(st.integers(0, 255))
        elif edit == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif edit == "remove":
            del data[at : at + draw(st.integers(1, 40))]
        elif edit == "repeat":
            data[at:at] = data[max(0, at - 40) : at] * draw(st.integers(1, 3))
        else:
            del data[at:]
    return bytes(data)


CSV_CHARS = st.sampled_from([*';,"\n\r\t \x00é«»\ufeffAB12/-:.', "\u2028", "\ud7ff"])


def hostile(valid: bytes) -> SearchStrategy[bytes]:
    lines = st.lists(st.text(CSV_CHARS, max_size=60), max_size=12).map(
        lambda rows: "\n".join(rows).encode("utf-8", "surrogatepass")
    )
    return st.one_of(st.binary(max_size=3000), lines, mutated(valid))


def outcome(call: Callable[[], Any], path: Path) -> Any:
    """What ``call`` returned, or None once it refused in French (checked here)."""
    try:
        return call()
    except FRENCH_ERRORS as error:
        message = str(error)
        assert message.strip(), "an empty refusal"
        assert not any(word in message for word in ENGLISH), message
        return None


@pytest.fixture
def scratch() -> Iterator[Path]:
    """One file, rewritten for each example (a tmp_path would be shared anyway)."""
    with tempfile.TemporaryDirectory() as folder:
        yield Path(folder) / "fichier"


@pytest.fixture
def minint(sqlite_deps: Deps) -> Deps:
    load_election(sqlite_deps, ADMIN, MININT.read_text(encoding="utf-8"), MININT.name)
    return sqlite_deps


def imported_or_named(report: Any) -> None:
    """An import refused in French already (None), or whole, or refused naming each
    faulty line and column."""
    if report is not None:
        assert report.committed == (not report.errors)
        for error in report.errors:
            assert error.describe().startswith(f"ligne {error.line}, colonne ")


ROLL = ("\n".join([HEADER, *GOOD]) + "\n").encode()
VOTES = b"identifiant;vote_le\nID-0001;01/12/2022 10:00\nID-0002;2022-12-01T11:00:00+01:00\n"


@FUZZ
@given(data=hostile(ROLL))
def test_any_voters_roll_is_imported_or_refused_in_french(
    data: bytes, minint: Deps, scratch: Path
) -> None:
    scratch.write_bytes(data)
    imported_or_named(
        outcome(lambda: import_voters(minint, ADMIN, scratch, "minint-2022"), scratch)
    )


@FUZZ
@given(data=hostile(VOTES))
def test_any_votes_file_is_imported_or_refused_in_french(
    data: bytes, minint: Deps, scratch: Path
) -> None:
    scratch.write_bytes(data)
    report = outcome(lambda: import_votes(minint, ADMIN, scratch, "minint-2022"), scratch)
    if report is not None:
        assert report.committed == (not report.errors)


# The platform's export of the credentials it mailed (csu import credentials): hashed
# once here, argon2id at the lowest cost the import accepts.
ORIGINALS = (
    "identifiant;type;hash;prefixe_hash\n"
    f"ID-0001;cle_securite;{PLATFORM_HASHER.hash('K7MPX2QD9RFAH3TW')};"
    f"{PLATFORM_HASHER.hash('K7MPX2')}\n"
    f"ID-0002;mot_de_passe;{PLATFORM_HASHER.hash('k7Mpx2QD9rfa')};\n"
).encode()


@pytest.fixture
def minint_roll(minint: Deps, tmp_path: Path) -> Deps:
    """minint-2022 with the roll whose identifiers the originals name."""
    roll = tmp_path / "liste.csv"
    roll.write_text("\n".join([HEADER, *GOOD]) + "\n", encoding="utf-8")
    assert import_voters(minint, ADMIN, roll, "minint-2022").committed
    return minint


@FUZZ
@given(data=hostile(ORIGINALS))
def test_any_originals_file_is_imported_or_refused_in_french(
    data: bytes, minint_roll: Deps, scratch: Path
) -> None:
    scratch.write_bytes(data)
    imported_or_named(
        outcome(lambda: import_originals(minint_roll, ADMIN, scratch, "minint-2022"), scratch)
    )


@FUZZ
@given(data=hostile(MININT.read_bytes()))
def test_any_election_definition_is_read_or_refused_in_french(
    data: bytes, scratch: Path
) -> None:
    scratch.write_bytes(data)
    definition = outcome(lambda: read_definition(scratch), scratch)
    assert definition is None or definition.id


@pytest.fixture
def signed(minint: Deps, tmp_path: Path) -> tuple[Deps, NoteSigner, str]:
    """A journal with a checkpoint signed by the cell's key: the note as written."""
    signer = NoteSigner.generate("csu.test/cellule")
    note = sign_checkpoint(minint, ADMIN, signer, "csu.test/cellule").note
    return minint, signer, note


@FUZZ
@given(edit=st.data())
def test_any_checkpoint_note_is_checked_or_refused_in_french(
    edit: st.DataObject, signed: tuple[Deps, NoteSigner, str], scratch: Path
) -> None:
    deps, signer, note = signed
    scratch.write_bytes(edit.draw(hostile(note.encode())))
    read = outcome(lambda: read_note(scratch), scratch)
    if read is not None:
        proof = outcome(lambda: verify_checkpoint(deps, SUPERVISOR, read, signer.verifier), scratch)
        assert proof is None or proof.describe()


VERIFIER = str(NoteSigner.generate("csu.test/cellule").verifier).encode()


@FUZZ
@given(data=hostile(VERIFIER + b"\n"))
def test_any_public_key_file_is_read_or_refused_in_french(data: bytes, scratch: Path) -> None:
    scratch.write_bytes(data)
    verifier = outcome(lambda: load_verifier(str(scratch)), scratch)
    assert verifier is None or verifier.name


@FUZZ
@given(value=st.text(max_size=200) | mutated(VERIFIER).map(lambda b: b.decode("latin-1")))
def test_any_public_key_typed_on_the_command_line_is_read_or_refused(value: str) -> None:
    if "\x00" in value:
        value = value.replace("\x00", "")  # no argument of a command line holds a NUL
    outcome(lambda: load_verifier(value), Path(value[:50] or "."))


# --- the same through the command line -----------------------------------------


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    clean_environment(tmp_path, monkeypatch)
    path = tmp_path / "cellule.sqlite"
    return initialised(path)


@pytest.fixture
def cli_minint(cli_db: Path) -> Path:
    """minint-2022 loaded, once for all the examples (which share the fixture)."""
    assert_done(csu("election", "load", MININT, "--db", cli_db))
    return cli_db


def assert_taken_or_refused_in_french(result: Any) -> None:
    assert result.exit_code in (0, 1), said(result)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    if result.exit_code == 1:
        assert said(result).startswith("Erreur") or "Import refusé" in said(result)
        assert not any(word in said(result) for word in ENGLISH[:4]), said(result)


@settings(
    max_examples=60,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=hostile(MININT.read_bytes()))
def test_csu_election_load_takes_or_refuses_any_file_in_french(
    data: bytes, cli_db: Path, scratch: Path
) -> None:
    scratch.write_bytes(data)
    assert_taken_or_refused_in_french(csu("election", "load", scratch, "--db", cli_db))


@settings(
    max_examples=60,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=hostile(ROLL))
def test_csu_import_voters_takes_or_refuses_any_file_in_french(
    data: bytes, cli_minint: Path, scratch: Path
) -> None:
    scratch.write_bytes(data)
    result = csu("import", "voters", scratch, "--election", "minint-2022", "--db", cli_minint)
    assert_taken_or_refused_in_french(result)
