"""A purged election takes no import that would bring its voters' data back: its roll,
its émargement file and the platform's original codes are refused with the date of the
purge, and nothing is written (a later purge would not clear it: one per election)."""

from pathlib import Path

import pytest
from sqlalchemy import func, select

from csu.fake_electorate import generate_roll, write_roll_csv
from csu.services.elections import ElectionPurged
from csu.services.originals import import_originals
from csu.services.rolls import import_voters, import_votes
from csu.store.tables import Voter
from tests.conftest import ADMIN
from tests.services.intervention_support import (  # noqa: F401  (desk_fixture: "desk")
    MININT_BUREAUS,
    Desk,
    desk_fixture,
)
from tests.services.test_retention import purged

MININT = "minint-2022"


def roll(desk: Desk) -> Path:
    """The roll the desk was built from, as an administrator would import it again."""
    path = desk.tmp_path / "again.csv"
    write_roll_csv(list(generate_roll(MININT, 20, bureaus=MININT_BUREAUS)), path)
    return path


def named_voters(desk: Desk) -> int:
    """Voters whose personal data is held (a purged voter keeps no name)."""
    with desk.deps.reading() as session:
        return session.execute(
            select(func.count()).select_from(Voter).where(Voter.purged_at.is_(None))  # type: ignore[union-attr]
        ).scalar_one()


def test_a_roll_imported_again_into_a_purged_election_is_refused(desk: Desk) -> None:
    path = roll(desk)
    purged(desk)
    before = named_voters(desk)
    with pytest.raises(ElectionPurged) as refused:
        import_voters(desk.deps, ADMIN, path, MININT)
    assert str(refused.value).startswith(f"Scrutin {MININT} purgé le ")
    assert "une liste électorale ne s'y importe plus" in str(refused.value)
    assert named_voters(desk) == before


def test_a_roll_into_an_election_not_purged_is_still_imported(desk: Desk) -> None:
    assert import_voters(desk.deps, ADMIN, roll(desk), MININT).committed


def test_a_vote_file_for_a_purged_election_is_refused(desk: Desk) -> None:
    path = desk.tmp_path / "votes.csv"
    path.write_text(f"identifiant;vote_le\n{desk.caller.identifier};02/12/2022 10:15\n")
    purged(desk)
    with pytest.raises(ElectionPurged, match="un fichier d'émargement ne s'y importe plus"):
        import_votes(desk.deps, ADMIN, path, MININT)


def test_original_codes_for_a_purged_election_are_refused(desk: Desk) -> None:
    path = desk.tmp_path / "originaux.csv"
    path.write_text("identifiant;type;empreinte\n")
    purged(desk)
    with pytest.raises(ElectionPurged, match="codes d'origine ne s'y importe plus"):
        import_originals(desk.deps, ADMIN, path, MININT)
