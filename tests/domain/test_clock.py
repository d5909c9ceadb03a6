"""Moments typed by an operator, in the review screen or on the command line."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from csu.domain.clock import (
    PARIS,
    paris_seconds_text,
    paris_text,
    parse_typed_moment,
    rfc3339,
    to_paris,
)
from csu.domain.errors import InvalidValue


def test_a_french_date_and_time_is_paris_time() -> None:
    moment = parse_typed_moment("02/12/2022 14:30", "Du")
    assert moment == datetime(2022, 12, 2, 14, 30, tzinfo=PARIS)


def test_an_iso_date_time_keeps_its_own_offset() -> None:
    moment = parse_typed_moment("2022-12-02T13:30:00+00:00", "--since")
    assert moment == datetime(2022, 12, 2, 13, 30, tzinfo=UTC)


def test_an_iso_day_as_an_end_includes_that_day() -> None:
    end = parse_typed_moment("2022-12-02", "--until", end_of_day=True)
    assert end - parse_typed_moment("02/12/2022", "--since") == timedelta(days=1)


def test_an_unreadable_moment_names_the_field_and_the_formats() -> None:
    with pytest.raises(InvalidValue, match="--before : « demain » illisible : jj/mm/aaaa"):
        parse_typed_moment("demain", "--before")


@pytest.mark.parametrize(
    ("typed", "end_of_day"),
    [
        ("31/12/9999", True),  # the day after it is no datetime
        ("9999-12-31", False),  # a week on, as filters reckon, neither
        ("01/01/0001", False),  # midnight in Paris is in year 0 in UTC
        ("0001-01-01T00:00+01:00", False),
        ("9999-12-31T23:00-05:00", False),
    ],
)
def test_a_moment_at_the_calendars_edge_is_refused_in_french(typed: str, end_of_day: bool) -> None:
    with pytest.raises(InvalidValue, match=re.escape(f"Au : « {typed} » hors des dates possibles")):
        parse_typed_moment(typed, "Au", end_of_day=end_of_day)


def test_a_moment_reads_in_paris_time_whatever_its_zone() -> None:
    assert paris_text(datetime(2022, 12, 8, 16, 0, tzinfo=UTC)) == "08/12/2022 17:00"
    assert paris_text(datetime(2022, 7, 1, 8, 0)) == "01/07/2022 10:00"  # naive: the store's UTC


def test_a_naive_moment_from_the_store_reads_as_utc() -> None:
    from datetime import UTC, datetime

    from csu.domain.clock import as_utc

    assert as_utc(datetime(2022, 12, 2, 10, 30)) == datetime(2022, 12, 2, 10, 30, tzinfo=UTC)
    assert as_utc(None) is None


def test_a_lock_holds_until_its_end_only() -> None:
    from datetime import UTC, datetime, timedelta

    from csu.domain.clock import still_until

    now = datetime(2022, 12, 2, 10, 30, tzinfo=UTC)
    assert still_until(now + timedelta(minutes=1), now) == now + timedelta(minutes=1)
    assert still_until(now, now) is None and still_until(None, now) is None
    assert still_until((now + timedelta(minutes=1)).replace(tzinfo=None), now) is not None


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2040, 12, 31),
                    timezones=st.just(UTC)))  # fmt: skip
def test_a_journal_moment_reads_in_paris_as_the_long_way_says(moment: datetime) -> None:
    """The export's fast way (Paris's offset looked up once an hour) agrees with the
    zone's own, across every change of summer time."""
    assert paris_seconds_text(rfc3339(moment)) == f"{to_paris(moment):%d/%m/%Y %H:%M:%S}"


@pytest.mark.parametrize(
    ("stamp", "read"),
    [
        ("2022-03-27T00:59:59.000000Z", "27/03/2022 01:59:59"),  # the hour before summer
        ("2022-03-27T01:00:00.000000Z", "27/03/2022 03:00:00"),
        ("2022-10-30T00:59:59.000000Z", "30/10/2022 02:59:59"),  # winter: 02:xx twice
        ("2022-10-30T01:00:00.000000Z", "30/10/2022 02:00:00"),
        ("2022-11-28T10:00:00+01:00", "28/11/2022 10:00:00"),  # another offset: read as is
    ],
)
def test_a_journal_moment_across_summer_time(stamp: str, read: str) -> None:
    assert paris_seconds_text(stamp) == read
