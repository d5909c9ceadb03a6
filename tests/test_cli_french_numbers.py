"""The command line writes its numbers as French does: « 51 830 » (a narrow no-break space
between the thousands), « 2,5 » (a decimal comma); never « 5,183 » nor « 2.5 ».

``said`` collapses every space, the narrow no-break one included: the numbers are read
from the output as printed."""

import re
from pathlib import Path
from typing import Any

import pytest

from csu.domain.numbers import french_number, french_shortest
from csu.domain.plural import counted
from csu.services.rolls import ImportReport
from tests.cli_support import assert_done, assert_refused, clean_environment, csu, initialised
from tests.test_cli_imports import HEADER, JEANNE, MININT, write

FINE = "\u202f"  # the narrow no-break space


@pytest.fixture(autouse=True)
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clean_environment(tmp_path, monkeypatch)


@pytest.fixture
def loaded(tmp_path: Path) -> Path:
    return initialised(tmp_path / "base" / "cellule.sqlite", MININT)


def imported_as(monkeypatch: pytest.MonkeyPatch, report: ImportReport) -> None:
    """``csu import voters`` given ``report``, whatever the file: the counts of a large
    roll without importing one."""

    def import_voters(*_args: Any, progress: Any = None, **_kwargs: Any) -> ImportReport:
        if progress is not None:
            progress(report.rows, 0)
        return report

    monkeypatch.setattr("csu.services.rolls.import_voters", import_voters)


def test_french_number_groups_thousands_with_a_narrow_no_break_space() -> None:
    assert french_number(51_830) == f"51{FINE}830"
    assert french_number(1_234_567) == f"1{FINE}234{FINE}567"
    assert french_number(999) == "999"


def test_a_number_of_four_digits_stays_whole_as_french_writes_it() -> None:
    assert french_number(5183) == "5183"
    assert french_number(9999.5, 1) == "9999,5"
    assert french_number(10_000) == f"10{FINE}000"


def test_french_number_writes_its_decimals_after_a_comma() -> None:
    assert french_number(2.5, 1) == "2,5"
    assert french_number(0.26, 1) == "0,3"
    assert french_number(12_345.5, 1) == f"12{FINE}345,5"
    assert french_number(51_830.4) == f"51{FINE}830"


def test_french_number_keeps_a_large_integer_exact() -> None:
    assert french_number(2**63) == FINE.join(["9", "223", "372", "036", "854", "775", "808"])


def test_french_number_rounds_a_small_negative_to_zero_without_a_sign() -> None:
    assert french_number(-0.04, 1) == "0,0"
    assert french_number(-12_000) == f"-12{FINE}000"


def test_counted_groups_the_number_and_agrees_the_noun() -> None:
    assert counted(1, "électeur") == "1 électeur"
    assert counted(51_830, "ligne écrite", "lignes écrites") == f"51{FINE}830 lignes écrites"


def test_the_import_summary_writes_its_counts_and_rate_in_french(
    loaded: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = ImportReport(
        source="liste.csv", election="minint-2022", rows=51_830, written=51_830,
        voters=51_830, committed=True, elapsed=10.0,
    )  # fmt: skip
    imported_as(monkeypatch, report)
    roll = write(tmp_path / "liste.csv", HEADER, JEANNE)
    result = csu("import", "voters", roll, "--election", "minint-2022", "--db", loaded)
    assert_done(result)
    assert (
        f"Import terminé : 51{FINE}830 lignes écrites, 51{FINE}830 électeurs, 0 ligne ignorée, "
        f"en 10,0 s (5183 lignes/s)."
    ) in result.output


def test_a_refused_import_counts_its_lines_in_french(
    loaded: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = ImportReport(
        source="liste.csv", election="minint-2022", rows=12_000, more_rejected=1_500
    )
    imported_as(monkeypatch, report)
    roll = write(tmp_path / "liste.csv", HEADER, JEANNE)
    result = csu("import", "voters", roll, "--election", "minint-2022", "--db", loaded)
    assert_refused(result)
    assert "… et 1500 autres lignes en erreur, non détaillées." in result.output
    assert f"Import refusé : 1500 lignes en erreur sur 12{FINE}000 ;" in result.output


def test_a_real_import_writes_its_time_with_a_decimal_comma(loaded: Path, tmp_path: Path) -> None:
    roll = write(tmp_path / "liste.csv", HEADER, JEANNE)
    result = csu("import", "voters", roll, "--election", "minint-2022", "--db", loaded)
    assert_done(result)
    assert re.search(rf", en \d+,\d s \(\d{{1,3}}({FINE}\d{{3}})* lignes/s\)\.", result.output)


def test_french_shortest_writes_as_many_decimals_as_the_value_has() -> None:
    assert french_shortest(3.0) == "3"
    assert french_shortest(2.5) == "2,5"
    assert french_shortest(12_000) == f"12{FINE}000"
