"""How many refused API keys reach the journal (csu.services.platform_clients): the
first of each source in each minute, for a bounded number of sources; the others are
counted and reported by the next entry."""

from datetime import timedelta

from csu.services.platform_clients import RefusalThrottle
from tests.conftest import NOW


def test_the_first_refusal_of_a_source_in_a_minute_is_journalled_alone() -> None:
    throttle = RefusalThrottle()
    assert throttle.admit("192.0.2.1", NOW) == 0
    assert throttle.admit("192.0.2.1", NOW + timedelta(seconds=30)) is None
    assert throttle.admit("192.0.2.2", NOW + timedelta(seconds=31)) == 1


def test_a_new_minute_journals_the_source_again_with_the_refusals_it_skipped() -> None:
    throttle = RefusalThrottle()
    for second in range(10):
        throttle.admit("192.0.2.1", NOW + timedelta(seconds=second))
    assert throttle.admit("192.0.2.1", NOW + timedelta(seconds=60)) == 9


def test_sources_beyond_the_limit_are_only_counted() -> None:
    throttle = RefusalThrottle(sources=3)
    admitted = [throttle.admit(f"192.0.2.{n}", NOW) for n in range(1000)]
    assert admitted[:3] == [0, 0, 0]
    assert set(admitted[3:]) == {None}
    assert throttle.admit("192.0.2.999", NOW + timedelta(minutes=1)) == 997
