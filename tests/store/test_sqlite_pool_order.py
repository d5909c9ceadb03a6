"""A SQLite store hands out the connection used last: in WAL mode a connection drops its
page cache whenever another one wrote since its last transaction, so connections handed
out in turn each re-read the pages of a search after every journalled action."""

from pathlib import Path

import pytest
from sqlalchemy.pool import NullPool

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


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_a_database_in_memory_still_opens(url: str) -> None:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT 1").scalar() == 1
    finally:
        engine.dispose()


def test_a_pool_chosen_by_the_caller_is_kept(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'csu.sqlite'}", poolclass=NullPool)
    try:
        assert isinstance(engine.pool, NullPool)
    finally:
        engine.dispose()
