"""An import refused because its election was purged leaves its journal entry, as every
refused action of an administrator does: who, which election, which import (its action
and file), refused, in a transaction of its own once the refused one rolled back."""

from typing import Any

import pytest

from csu.services import rolls
from csu.services.audit import verify_journal
from csu.services.elections import ElectionPurged
from csu.services.originals import import_originals
from csu.services.rolls import import_voters, import_votes
from tests.conftest import ADMIN, SUPERVISOR
from tests.services.intervention_support import (  # noqa: F401  (desk_fixture: "desk")
    Desk,
    desk_fixture,
    entries,
)
from tests.services.test_purged_election_imports import MININT, named_voters, roll
from tests.services.test_retention import purged


def refusal(desk: Desk, action: str) -> dict[str, Any]:
    """The one refused entry of ``action``."""
    [entry] = [e for e in entries(desk.deps, action) if e["outcome"] == "refusé"]
    return entry


def test_a_roll_refused_for_a_purged_election_is_journalled(desk: Desk) -> None:
    path = roll(desk)
    purged(desk)
    with pytest.raises(ElectionPurged) as refused:
        import_voters(desk.deps, ADMIN, path, MININT)
    entry = refusal(desk, "roll_import")
    assert (entry["operator"], entry["role"], entry["election"]) == ("admin", "admin", MININT)
    assert entry["details"] == {"file": "again.csv", "reason": str(refused.value)}


def test_a_vote_file_refused_for_a_purged_election_is_journalled(desk: Desk) -> None:
    path = desk.tmp_path / "votes.csv"
    path.write_text(f"identifiant;vote_le\n{desk.caller.identifier};02/12/2022 10:15\n")
    purged(desk)
    with pytest.raises(ElectionPurged):
        import_votes(desk.deps, ADMIN, path, MININT)
    entry = refusal(desk, "votes_import")
    assert (entry["operator"], entry["election"]) == ("admin", MININT)
    assert entry["details"]["file"] == "votes.csv"
    assert "un fichier d'émargement ne s'y importe plus" in entry["details"]["reason"]


def test_original_codes_refused_for_a_purged_election_are_journalled(desk: Desk) -> None:
    path = desk.tmp_path / "originaux.csv"
    path.write_text("identifiant;type;hash\n")
    purged(desk)
    with pytest.raises(ElectionPurged):
        import_originals(desk.deps, ADMIN, path, MININT)
    entry = refusal(desk, "credentials_import")
    assert (entry["operator"], entry["election"]) == ("admin", MININT)
    assert entry["details"]["file"] == "originaux.csv"
    assert "codes d'origine ne s'y importe plus" in entry["details"]["reason"]


def test_a_roll_refused_by_a_purge_during_its_reading_is_journalled_alone(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The purge comes between the first check and the write: the writing transaction
    refuses and rolls back, and the refusal alone is written, in one of its own."""
    path = roll(desk)
    opened = rolls._open_csv
    left: list[int] = []  # voters named once the purge is done

    def purged_while_opening(*args: Any) -> Any:
        purged(desk)
        left.append(named_voters(desk))
        return opened(*args)

    monkeypatch.setattr(rolls, "_open_csv", purged_while_opening)
    with pytest.raises(ElectionPurged):
        import_voters(desk.deps, ADMIN, path, MININT)
    assert [named_voters(desk)] == left
    assert [e["outcome"] for e in entries(desk.deps, "roll_import")][-1] == "refusé"
    assert refusal(desk, "roll_import")["details"]["file"] == "again.csv"
    assert verify_journal(desk.deps, SUPERVISOR).ok
