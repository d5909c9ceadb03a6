"""The demo moves the shipped elections so that the vote is open on the day it is built:
the days the organiser wrote in words move with it, since every message to a voter
repeats them."""

from datetime import UTC, datetime

from sqlalchemy import Engine

from csu.domain.clock import fixed_clock
from csu.services.context import Deps
from csu.services.demo import build_demo, shift_written_days
from csu.services.elections import get_definition
from tests.conftest import ADMIN, TEST_KEY
from tests.fakes import FAST_HASHER

BUILT = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)  # the vote opened the day before


def test_written_days_move_by_the_days_given() -> None:
    assert shift_written_days("du 01/12/22 au 08/12/22", 1462) == "du 02/12/26 au 09/12/26"


def test_written_days_move_across_a_month_and_a_year() -> None:
    assert shift_written_days("le 30/11/22 et le 31/12/22", 1) == "le 01/12/22 et le 01/01/23"


def test_what_is_not_a_real_day_is_left_as_written() -> None:
    text = "le 31/02/22, le 1/12/22, le 01/12/2022, 12/22, 2022-12-01"
    assert shift_written_days(text, 10) == text


def test_the_demo_s_interior_hours_name_the_days_of_its_vote(sqlite_store: Engine) -> None:
    deps = Deps(sqlite_store, TEST_KEY, fixed_clock(BUILT), FAST_HASHER)
    build_demo(deps, ADMIN, voters=3)
    with deps.reading() as session:
        numbers = get_definition(session, "minint-2022").contacts.numbers
    hours = {number.label: number.hours for number in numbers}
    # The seed's « du 01/12/22 au 08/12/22 … du 17/11/22 au 30/11/22 », moved: the vote
    # runs from yesterday to six days on, the support before it the two weeks before.
    assert hours["CSU électeurs"] == (
        "tous les jours du 02/12/26 au 09/12/26 de 9h00 à 18h00, "
        "et du 18/11/26 au 01/12/26 de 9h00 à 18h00 sauf week-end"
    )
