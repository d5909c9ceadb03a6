"""Time-ordered identifiers (UUID version 7): what a busy cell inserts all day goes to
the right edge of its index, as a sequence would, yet cannot be guessed."""

import time
import uuid

from csu.domain.ids import time_ordered_uuid


def test_a_time_ordered_id_is_a_version_7_uuid_in_its_canonical_text() -> None:
    made = time_ordered_uuid()
    parsed = uuid.UUID(made)
    assert (str(parsed), parsed.version, parsed.variant) == (made, 7, uuid.RFC_4122)


def test_a_time_ordered_id_starts_with_the_time_it_was_made_in_milliseconds() -> None:
    before = time.time_ns() // 1_000_000
    made = time_ordered_uuid()
    after = time.time_ns() // 1_000_000
    assert before <= uuid.UUID(made).int >> 80 <= after


def test_ids_made_in_later_milliseconds_sort_after_earlier_ones() -> None:
    earlier = time_ordered_uuid()
    time.sleep(0.002)
    assert time_ordered_uuid() > earlier  # as text too: what an index compares


def test_ids_of_the_same_millisecond_still_differ_by_their_random_bits() -> None:
    made = {time_ordered_uuid() for _ in range(10_000)}
    assert len(made) == 10_000
    # 74 random bits: no two ids share them, whatever their millisecond.
    assert len({uuid.UUID(one).int & ((1 << 74) - 1) for one in made}) == 10_000


def test_a_webhook_message_id_is_time_ordered_behind_its_prefix() -> None:
    from csu.domain.webhooks import MESSAGE_ID_PREFIX, new_message_id

    made = new_message_id()
    assert made.startswith(MESSAGE_ID_PREFIX)
    assert uuid.UUID(made.removeprefix(MESSAGE_ID_PREFIX)).version == 7
