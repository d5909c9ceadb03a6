"""What the tests put in place of the real clock and of the costly password hash: one of
each, shared by every test module (the stores are the fixtures of tests/conftest.py)."""

from datetime import datetime, timedelta

from argon2 import PasswordHasher

from tests.conftest import NOW

# argon2id at its lowest cost: the shipped one takes ~0.3 s a hash, and a test hashes
# operators' passwords and issued credentials by the dozen.
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


class Clock:
    """A clock the test moves forward (``csu.domain.clock.fixed_clock`` cannot move)."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)
