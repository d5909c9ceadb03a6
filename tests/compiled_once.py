"""SQLAlchemy's compiled statements, shared by the tests' engines.

An engine keeps what it compiled keyed by its own dialect object, so each test's new
engine compiled again every statement the test before had: a fifth of the services'
tests' CPU. One workstation's engine compiles each statement once, and the statements
compiled for one engine are those for another of the same driver and server: here they
are kept by what the compiler reads of the dialect.
"""

from typing import Any

from sqlalchemy import Engine
from sqlmodel import SQLModel


class _CompiledForAlikeEngines(dict[tuple[Any, ...], Any]):
    """A compiled cache (``get`` and item assignment, as SQLAlchemy uses it) whose keys
    name the dialect by its class, parameter style and server version."""

    @staticmethod
    def _alike(key: tuple[Any, ...]) -> tuple[Any, ...]:
        dialect = key[0]
        return ((type(dialect), dialect.paramstyle, dialect.server_version_info), *key[1:])

    def get(self, key: tuple[Any, ...], default: Any = None) -> Any:
        return super().get(self._alike(key), default)

    def __setitem__(self, key: tuple[Any, ...], value: Any) -> None:
        super().__setitem__(self._alike(key), value)


_compiled = _CompiledForAlikeEngines()


def compiled_once(engine: Engine) -> Engine:
    """``engine``, finding what an earlier test's engine compiled."""
    engine.update_execution_options(compiled_cache=_compiled)
    # The ORM writes with each mapper's own compiled cache (100 statements, keyed by the
    # dialect object too): set again each time, as configuring a mapper forgets it.
    for mapper in SQLModel._sa_registry.mappers:
        mapper.__dict__["_compiled_cache"] = _compiled
    return engine
