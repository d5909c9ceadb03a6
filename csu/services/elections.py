"""Loading election definitions and reading them back."""

import functools
import json
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session, select

from csu.domain.election import (
    ElectionDefinition,
    definition_from_json,
    election_to_json,
    parse_election,
)
from csu.services.context import Deps, NotFound, OperatorContext, require_role
from csu.services.files import MIB, read_text
from csu.store import journal
from csu.store.tables import Election

# A definition is a few kilobytes; anything much larger is not one.
MAX_DEFINITION_BYTES = MIB


@dataclass(frozen=True, slots=True)
class ElectionLoaded:
    definition: ElectionDefinition
    created: bool


def load_election(deps: Deps, who: OperatorContext, text: str, source: str) -> ElectionLoaded:
    """Validate a TOML definition and create or update the election it describes.

    Raises ``InvalidValue`` naming the file and key on a bad definition.
    """
    return store_definition(deps, who, parse_election(text, source), source)


def read_definition(path: Path) -> ElectionDefinition:
    """The checked definition in the TOML file ``path``: only a regular file of at most
    MAX_DEFINITION_BYTES of UTF-8 text is read; every fault names the file (and the
    line, where there is one) in French."""
    text = read_text(path, "Définition de scrutin", MAX_DEFINITION_BYTES)
    return parse_election(text, path.name)


def store_definition(
    deps: Deps, who: OperatorContext, definition: ElectionDefinition, source: str
) -> ElectionLoaded:
    """Create or update the election of an already validated definition."""
    require_role(who, "admin")
    now = deps.clock()
    with deps.writing() as session:
        row = session.get(Election, definition.id)
        created = row is None
        if row is None:
            row = Election(id=definition.id)  # type: ignore[call-arg]
        row.title = definition.title
        row.organiser = definition.organiser
        row.opens_at = definition.opens_at
        row.closes_at = definition.closes_at
        row.definition = json.dumps(election_to_json(definition), ensure_ascii=False)
        row.loaded_at = now
        session.add(row)
        journal.append(
            session,
            actor=who.actor,
            action="election_load",
            outcome="créé" if created else "mis à jour",
            at=now,
            election=definition.id,
            details={"source": source},
        )
    return ElectionLoaded(definition=definition, created=created)


def get_definition(session: Session, election_id: str) -> ElectionDefinition:
    row = session.get(Election, election_id)
    if row is None:
        raise NotFound(
            f"Scrutin inconnu : « {election_id} ». Chargez-le d'abord avec « csu election load »."
        )
    return _parsed(row.definition)


@functools.lru_cache(maxsize=64)
def _parsed(text: str) -> ElectionDefinition:
    """Definitions are frozen and rebuilt through every check (~2 ms): parsed once per
    stored text, so a reloaded election (new text) is parsed again."""
    return definition_from_json(json.loads(text))


def list_elections(deps: Deps) -> list[ElectionDefinition]:
    with deps.reading() as session:
        rows = session.exec(select(Election).order_by(Election.opens_at)).all()
        return [definition_from_json(json.loads(row.definition)) for row in rows]


def election_in_focus(deps: Deps) -> ElectionDefinition | None:
    """The election a cell is working on: the open one closing first, else the next
    to open, else the last one closed."""
    now = deps.clock()
    elections = list_elections(deps)
    open_now = [e for e in elections if e.opens_at <= now < e.closes_at]
    if open_now:
        return min(open_now, key=lambda e: e.closes_at)
    upcoming = [e for e in elections if now < e.opens_at]
    if upcoming:
        return min(upcoming, key=lambda e: e.opens_at)
    return max(elections, key=lambda e: e.closes_at, default=None)
