"""How many examples a property test draws: all of them in ``make test``, a fifth in
``make test-fast`` (``CSU_TEST_FAST=1``), the inner loop, which the full suite follows."""

import os

FAST = os.environ.get("CSU_TEST_FAST") == "1"


def examples(count: int) -> int:
    """``count``, or a fifth of it (at least 10) in the inner loop."""
    return max(count // 5, 10) if FAST else count
