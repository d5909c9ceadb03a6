"""The default wording of messages to voters: what a code message tells the voter
(issue L10), and defaults an SMS carries without losing a letter (issue M3)."""

import pytest

from csu.domain.messages import DEFAULTS, SMS_PURPOSES, render
from csu.domain.sms import is_gsm7


def otp_body() -> str:
    return render({}, "otp", sender="CSU", code="123456", validity="2 minutes")[1]


def test_the_code_is_to_be_given_only_to_the_cell_the_voter_called() -> None:
    body = otp_body()
    assert "qui vous parle" not in body
    assert "à l'agent de la cellule de support que vous avez appelée" in body
    assert "jamais à quelqu'un qui vous appelle" in body


@pytest.mark.parametrize("purpose", SMS_PURPOSES)
def test_a_default_sms_wording_needs_no_transliteration(purpose: str) -> None:
    _, body = DEFAULTS[purpose]
    assert is_gsm7(body), body
