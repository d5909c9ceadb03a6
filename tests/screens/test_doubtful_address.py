"""The question a window asks of an address whose domain looks like a typo reads the
address as the services do: else the screen asked nothing of an address the service
then refused, and nothing could confirm it."""

import pytest

from csu.screens.dialogs import doubtful_address


@pytest.mark.parametrize(
    "typed", ["x@gmail.con", "x@ｇｍｉａｌ.com", "x@xn--gmal-xxa.com", "x@exemple.fr.fr"]
)
def test_a_doubtful_domain_is_asked_about_however_it_was_typed(typed: str) -> None:
    assert doubtful_address(typed, typed) is not None


@pytest.mark.parametrize("typed", ["x@gmail.com", "x@exemple.fr", "pas une adresse"])
def test_an_address_that_looks_right_or_is_none_asks_nothing(typed: str) -> None:
    assert doubtful_address(typed, typed) is None


def test_two_typings_that_differ_ask_nothing_the_service_refuses_them() -> None:
    assert doubtful_address("x@gmail.con", "y@gmail.con") is None
