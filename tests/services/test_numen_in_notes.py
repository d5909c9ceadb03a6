"""A NUMEN an operator writes into a note, a reason or a case's outcome reaches no
table, no journal entry and no export in clear: it is an identity factor (S6, S7), kept
masked like the other personal data. Every free-text writer, on both stores."""

import pytest

from tests.services.intervention_support import (  # noqa: F401  (desk_fixture: "desk")
    Desk,
    desk_fixture,
    entries,
)
from tests.services.test_notes_hold_no_credential import assert_nowhere, texts
from tests.services.test_notes_masked import WRITERS

NUMEN_NOTE = "appelant vérifié par son NUMEN 07K4815162FQZ et le 75 (ou numen 19b2718281xyz)"


@pytest.mark.parametrize("field", WRITERS)
def test_a_numen_in_any_free_text_is_stored_masked(desk: Desk, field: str) -> None:
    before = len(entries(desk.deps))
    WRITERS[field](desk, NUMEN_NOTE)
    assert len(entries(desk.deps)) > before  # what was written was recorded
    assert_nowhere(desk.deps, "07K4815162", "19B2718281")
    assert any("NUMEN**********FQZ" in text for _, text in texts(desk.deps))  # compacted
