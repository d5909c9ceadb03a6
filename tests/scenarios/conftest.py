"""Each seed's procedures walked through the real app, as a caller of that election
would: the demo database and the Pilot helpers of the screens' tests."""

from tests.screens.conftest import app, demo_deps, demo_template, outbox  # noqa: F401
