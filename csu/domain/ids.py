"""Identifiers CSU makes for its rows (journal entries' event ids, interventions,
presence checks, webhook messages): time-ordered UUIDs.

A random UUID (version 4) lands anywhere in its unique index: each insert reads and
rewrites a leaf page of its own, far from the last one, and a SQLite checkpoint (or a
PostgreSQL full-page write) copies as many distinct pages as there were inserts. A
journal entry's ``event_id`` cost SQLite a fifth of an append that way, more as the
journal grows. A version 7 UUID (RFC 9562, section 5.7) starts with the time in
milliseconds: new ids go to the right edge of the index, as a sequence would, and stay
unguessable by their 74 random bits.

Written here rather than taken from a package: Python has ``uuid.uuid7`` from 3.14
only, and the ``uuid6`` package makes its ids strictly increasing by moving their time
one millisecond ahead at each id of the same millisecond, seconds ahead of the clock in
a burst (the émargement feed writes thousands of entries a second). Order within a
millisecond does not matter here: the ids stay on the same few pages.
"""

import os
import time


def time_ordered_uuid() -> str:
    """A new UUID version 7, as text (``0192f0c4-3b1a-7c2e-9d4f-…``): the Unix time in
    milliseconds, then random bits."""
    raw = bytearray((time.time_ns() // 1_000_000).to_bytes(6, "big") + os.urandom(10))
    raw[6] = raw[6] & 0x0F | 0x70  # version 7
    raw[8] = raw[8] & 0x3F | 0x80  # RFC 9562 variant
    text = raw.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"
