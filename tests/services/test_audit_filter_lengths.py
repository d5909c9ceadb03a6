"""An export's or a review's filter wider than its journal column (csu/store/tables.py
JournalEntry) can match no entry: it is refused in French before anything is written or
journalled, rather than quoted back and journalled whole with the export's or the
search's entry."""

import io
from pathlib import Path

import pytest
from sqlmodel import func, select

from csu.domain.errors import InvalidValue
from csu.services.audit import (
    ExportFilter,
    export_filter_warnings,
    export_journal,
    export_journal_file,
)
from csu.services.context import Deps
from csu.services.journal_review import ReviewFilter, count_entries, search_journal
from csu.store import journal
from csu.store.tables import JournalEntry
from tests.conftest import SUPERVISOR

# The filter, its French name, its column's width.
TOO_LONG = [
    ("operator", "Opérateur", 64),
    ("election", "Scrutin", 64),
    ("intervention", "Intervention", 36),
    ("action", "Action", 64),
    ("outcome", "Résultat", 32),
]


def journalled(deps: Deps) -> int:
    """Entries chained and entries waiting to be (PostgreSQL)."""
    with deps.reading() as session:
        chained = session.execute(select(func.count()).select_from(JournalEntry)).scalar_one()
        return chained + len(list(journal.waiting(session)))


@pytest.mark.parametrize(("name", "label", "width"), TOO_LONG, ids=[t[0] for t in TOO_LONG])
def test_an_export_filter_longer_than_its_column_is_refused_before_anything_is_journalled(
    deps: Deps, tmp_path: Path, name: str, label: str, width: int
) -> None:
    where = ExportFilter(**{name: "b" * 100_000})
    written = io.StringIO()
    before = journalled(deps)
    with pytest.raises(InvalidValue) as refused:
        export_filter_warnings(deps, SUPERVISOR, where)
    assert str(refused.value) == f"{label} : {width} caractères au plus, 100000 reçus"
    with pytest.raises(InvalidValue, match=f"{label} : {width} caractères au plus"):
        export_journal(deps, SUPERVISOR, written, where=where)
    with pytest.raises(InvalidValue, match=f"{label} : {width} caractères au plus"):
        export_journal_file(deps, SUPERVISOR, tmp_path / "journal.csv", where=where)
    assert not (tmp_path / "journal.csv").exists()
    assert written.getvalue() == ""
    assert journalled(deps) == before


@pytest.mark.parametrize(("name", "label", "width"), TOO_LONG[:3], ids=[t[0] for t in TOO_LONG[:3]])
def test_an_export_filter_as_wide_as_its_column_is_accepted(
    deps: Deps, tmp_path: Path, name: str, label: str, width: int
) -> None:
    where = ExportFilter(**{name: "b" * width})
    warnings = export_filter_warnings(deps, SUPERVISOR, where)
    assert len(warnings) == 1 and "inconnu" in warnings[0]  # unknown, warned of: not refused
    assert export_journal_file(deps, SUPERVISOR, tmp_path / "journal.csv", where=where) == 0


@pytest.mark.parametrize(("name", "label", "width"), TOO_LONG, ids=[t[0] for t in TOO_LONG])
def test_a_review_filter_longer_than_its_column_is_refused_before_the_search_is_journalled(
    deps: Deps, name: str, label: str, width: int
) -> None:
    where = ReviewFilter(**{name: "b" * 100_000})
    before = journalled(deps)
    with pytest.raises(InvalidValue) as refused:
        search_journal(deps, SUPERVISOR, where)
    assert str(refused.value) == f"{label} : {width} caractères au plus, 100000 reçus"
    with pytest.raises(InvalidValue, match=f"{label} : {width} caractères au plus"):
        count_entries(deps, SUPERVISOR, where)
    assert journalled(deps) == before
