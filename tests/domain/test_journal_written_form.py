"""What the verification asks of a body that reads as an entry: that it be what the
journal writes (the canonical form byte for byte, its fields and no other, no value
``canonical_form`` refuses, its time in the one form ``append`` writes). Times are not
held up against each other: each is a workstation's clock (a demo's fixed one beside the
real one read as tampering in a first version)."""

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from csu.domain.clock import rfc3339
from csu.domain.entry_body import read_entry
from csu.domain.journal import (
    NOT_CANONICAL,
    NotCanonical,
    canonical_bytes,
    canonical_form,
    written_fault,
)
from tests.conftest import NOW
from tests.examples import examples

ENTRY: dict[str, Any] = {
    "action": "consultation", "details": {"number": 2, "query": "AB***"}, "election": None,
    "event_id": "e-1", "intervention": None, "operator": "agent", "outcome": "refusé",
    "role": "agent", "subject": None, "ts": rfc3339(NOW), "workstation": "poste-1",
}  # fmt: skip
TS = rfc3339(NOW)


def fault_of(body: bytes) -> str | None:
    fields = read_entry(body)
    assert fields is not None
    return written_fault(fields, body)


def test_a_body_as_append_writes_it_is_as_written() -> None:
    assert fault_of(canonical_bytes(ENTRY)) is None


def test_a_note_with_spaces_and_escapes_as_append_writes_it_is_as_written() -> None:
    note = 'il a dit "oui" :\tappel clos\nZoé'
    assert fault_of(canonical_bytes(ENTRY | {"details": {"note": note, "n": 0}})) is None


def test_a_body_with_spaces_between_its_tokens_is_not_canonical() -> None:
    assert fault_of(json.dumps(ENTRY, sort_keys=True, ensure_ascii=False).encode()) == (
        NOT_CANONICAL
    )


def test_a_body_with_its_keys_out_of_order_is_not_canonical() -> None:
    body = json.dumps(dict(reversed(ENTRY.items())), separators=(",", ":"), ensure_ascii=False)
    assert fault_of(body.encode()) == NOT_CANONICAL


def test_a_body_with_its_details_keys_out_of_order_is_not_canonical() -> None:
    body = canonical_bytes(ENTRY).replace(
        b'"number":2,"query":"AB***"', b'"query":"AB***","number":2'
    )
    assert fault_of(body) == NOT_CANONICAL


def test_a_letter_escaped_that_append_writes_as_is_is_not_canonical() -> None:
    assert fault_of(canonical_bytes(ENTRY).replace("é".encode(), b"\\u00e9")) == NOT_CANONICAL


def test_a_minus_zero_is_not_canonical() -> None:
    body = canonical_bytes(ENTRY | {"details": {"n": 0}}).replace(b'"n":0', b'"n":-0')
    assert fault_of(body) == NOT_CANONICAL


def test_text_not_in_nfc_is_not_canonical() -> None:
    body = canonical_bytes(ENTRY).replace("é".encode(), "e\u0301".encode())
    assert fault_of(body) == NOT_CANONICAL


def test_a_key_besides_the_entrys_fields_is_named() -> None:
    body = canonical_bytes(ENTRY | {"extra": 1})
    assert fault_of(body) == "clé « extra » que le journal n'écrit pas"


def test_a_float_in_the_details_is_a_value_the_journal_does_not_write() -> None:
    body = canonical_bytes(ENTRY).replace(b'"number":2', b'"number":1.5')
    assert fault_of(body) == "valeur que le journal n'écrit pas (1.5)"


def test_a_lone_surrogate_is_a_value_the_journal_does_not_write() -> None:
    body = canonical_bytes(ENTRY).replace(b'"AB***"', b'"\\ud800"')
    assert fault_of(body) == (
        "valeur que le journal n'écrit pas (texte qui n'est pas de l'Unicode valide)"
    )


def test_a_time_in_another_form_than_appends_is_named() -> None:
    body = canonical_bytes(ENTRY | {"ts": "2022-12-02T10:30:00Z"})
    assert fault_of(body) == (
        "horodatage « 2022-12-02T10:30:00Z » sous une forme que le journal n'écrit pas"
    )


# Text mostly plain (the bodies the shortcut clears), else often not in NFC or escaped by
# JSON: combining accents, a quote, a backslash, a control character, any character.
_plain = st.text(st.sampled_from("abz\u00e9\u0301"), max_size=4)
_text = st.one_of(_plain, _plain, _plain, st.text(
    st.sampled_from('eE \u0301\u00e9"\\\n\x01/') | st.characters(), max_size=4
))  # fmt: skip
_scalars = st.none() | st.booleans() | st.integers(-2, 2) | _text | st.floats(allow_nan=False)
_values = _scalars | st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(_text, inner, max_size=2),
    max_leaves=6,
)


@settings(max_examples=examples(1000), deadline=None)
@given(
    data=st.data(),
    fields=st.fixed_dictionaries(
        {name: st.none() | _text for name in ("election", "subject", "role")},
        optional={"details": st.dictionaries(_text, _values, max_size=4)},
    ),
    separators=st.sampled_from([(",", ":"), (",", ":"), (", ", ": "), (",", ": ")]),
    ensure_ascii=st.sampled_from([False, False, True]),
    minus_zero=st.booleans(),
)
def test_a_body_is_as_written_exactly_when_it_is_its_fields_canonical_form(
    data: st.DataObject,
    fields: dict[str, Any],
    separators: tuple[str, str],
    ensure_ascii: bool,
    minus_zero: bool,
) -> None:
    """The shortcut that spares encoding most bodies again says what comparing them with
    ``canonical_form`` says, whatever JSON wrote them, in whatever order."""
    entry = ENTRY | fields
    order = data.draw(st.sampled_from([sorted(entry)] * 3) | st.permutations(sorted(entry)))
    text = json.dumps({name: entry[name] for name in order}, separators=separators,
                      ensure_ascii=ensure_ascii)  # fmt: skip
    body = text.encode("utf-8", "surrogatepass")
    if minus_zero:
        body = body.replace(b'":0', b'":-0')  # an integer 0 as JSON may write it
    read = read_entry(body)
    if read is None:  # not even an entry (a lone surrogate in UTF-8): another check's
        return
    try:
        expected = None if canonical_form(read)[1] == body else NOT_CANONICAL
    except (NotCanonical, UnicodeEncodeError):
        expected = "refused"
    said = written_fault(read, body)
    if expected == "refused":
        assert said is not None and said.startswith("valeur que le journal n'écrit pas")
    else:
        assert said == expected
