"""A SQLite store hands out the connection used last: in WAL mode a connection drops its
page cache whenever another one wrote since its last transaction, so connections handed
out in turn each re-read the pages of a search after every journalled action."""

from pathlib import Path

from csu.store.engine import make_engine


def test_the_connection_returned_last_is_handed_out_first(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'csu.sqlite'}")
    try:
        first, second = engine.raw_connection(), engine.raw_connection()
        returned_last = second.driver_connection
        first.close()
        second.close()
        again = engine.raw_connection()
        try:
            assert again.driver_connection is returned_last
        finally:
            again.close()
    finally:
        engine.dispose()
