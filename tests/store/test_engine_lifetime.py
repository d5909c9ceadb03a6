"""An engine is freed once nobody holds it, after its write transactions too: a process
that opens stores one after another (the API's tests, a bench, a long session of
``csu`` commands in one interpreter) does not keep every one it opened."""

import gc
import weakref
from pathlib import Path

from sqlalchemy import text

from csu.store.engine import make_engine, read_session, write_session


def test_an_engine_that_ran_a_write_session_is_freed_once_dropped(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'csu.sqlite'}")
    with write_session(engine) as session:
        session.execute(text("CREATE TABLE note (text TEXT)"))
    with read_session(engine) as session:
        assert session.execute(text("SELECT count(*) FROM note")).scalar() == 0
    engine.dispose()
    dropped = weakref.ref(engine)
    del engine, session
    gc.collect()
    assert dropped() is None


def test_the_write_twin_is_built_once_per_engine(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'csu.sqlite'}")
    binds = []
    for _ in range(2):
        with write_session(engine) as session:
            binds.append(session.get_bind())
    engine.dispose()
    assert binds[0] is binds[1] and binds[0] is not engine
