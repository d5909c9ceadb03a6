"""A refusal's notice is titled « Saisie à corriger » (a value to correct) or « Action
refusée » (what the rules refuse), never « Refusé »: a newcomer read that title, the
word of an intervention's outcome, as the call's."""

import pytest

from csu.app import CsuApp
from csu.domain.errors import InvalidValue
from csu.services.context import ServiceError
from tests.screens.conftest import SIZE, log_in, settle


@pytest.mark.parametrize(
    ("error", "title"),
    [(InvalidValue("Date de naissance", "format attendu jj/mm/aaaa"), "Saisie à corriger"),
     (ServiceError("L'intervention est déjà close."), "Action refusée")],
    ids=["a-value", "an-action"],
)  # fmt: skip
async def test_a_refusal_s_notice_says_what_kind_of_refusal_it_is(
    app: CsuApp, error: Exception, title: str
) -> None:
    def refused() -> None:
        raise error

    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "agent")
        app.run_worker(refused, thread=True, exit_on_error=False)
        await settle(pilot)
        [notice] = [n for n in app._notifications if n.message == str(error)]
        assert notice.title == title
