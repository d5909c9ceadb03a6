"""Every journal entry that names an intervention is one the call script can read: its
action and outcome (and kind of code) are among those ``JOURNAL_DETAILS`` lists, which
is kept by hand beside the services that write them. Checked after each test on the
demo database (tests/screens/conftest.py), so that a service writing a new action or
outcome into an intervention's journal fails the suite until the list says it."""

import json

from sqlalchemy import text

from csu.domain.call_script import JOURNAL_DETAILS
from csu.services.context import Deps


def unlisted_facts(deps: Deps) -> list[str]:
    """« action : outcome » of each entry naming an intervention that the list lacks."""
    with deps.engine.connect() as connection:
        bodies = connection.execute(
            text("SELECT body FROM journal_entry WHERE intervention IS NOT NULL ORDER BY seq")
        ).scalars()
        unlisted = []
        for body in bodies:
            entry = json.loads(body)
            action, outcome = entry["action"], entry["outcome"]
            kind = (entry.get("details") or {}).get("kind")
            held = JOURNAL_DETAILS.get(action)
            if held is None or outcome not in held or (kind is not None and kind not in held):
                unlisted.append(f"{action} : {outcome}" + (f" ({kind})" if kind else ""))
    return sorted(set(unlisted))
