"""Bytes from the terminal that are not UTF-8 read as « � » and are said, instead of
ending the app in its input thread (csu.terminal_input)."""

import pytest
from textual.drivers import headless_driver, linux_driver
from textual.drivers.headless_driver import HeadlessDriver
from textual.drivers.linux_driver import LinuxDriver

from csu.terminal_input import ReplacingDecoder, tolerate_bytes_not_utf8


class Told:
    def __init__(self) -> None:
        self.times = 0

    def __call__(self) -> None:
        self.times += 1


def test_a_byte_that_is_not_utf8_reads_as_a_replacement_and_is_told() -> None:
    told = Told()
    decoder = ReplacingDecoder(told)
    assert decoder.decode(b"Andr\xe9 (latin-1)") == "Andr\ufffd (latin-1)"
    assert told.times == 1


def test_utf8_split_between_two_reads_is_read_whole_and_not_told() -> None:
    told = Told()
    decoder = ReplacingDecoder(told)
    encoded = "André".encode()
    assert decoder.decode(encoded[:5]) + decoder.decode(encoded[5:]) == "André"
    assert told.times == 0


def test_a_replacement_character_typed_as_such_is_not_told() -> None:
    told = Told()
    assert ReplacingDecoder(told).decode("a\ufffdb".encode()) == "a\ufffdb"
    assert told.times == 0


def test_a_sequence_cut_by_a_bad_byte_in_the_next_read_is_told() -> None:
    told = Told()
    decoder = ReplacingDecoder(told)
    assert decoder.decode(b"\xc3") == ""  # the start of « é », kept for the next read
    assert decoder.decode(b"(x") == "\ufffd(x"
    assert told.times == 1


def test_the_terminal_driver_decodes_with_the_replacing_decoder(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Put back after the test: the driver's module keeps the name replaced.
    monkeypatch.setattr(linux_driver, "getincrementaldecoder", linux_driver.getincrementaldecoder)
    told = Told()
    assert tolerate_bytes_not_utf8(LinuxDriver, told)
    # As the driver's input thread builds its decoder:
    decode = linux_driver.getincrementaldecoder("utf-8")().decode
    assert decode(b"\xff") == "\ufffd" and told.times == 1


def test_a_driver_that_reads_no_bytes_is_left_alone() -> None:
    assert not tolerate_bytes_not_utf8(HeadlessDriver, Told())
    assert not hasattr(headless_driver, "getincrementaldecoder")
