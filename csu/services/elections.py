"""Loading election definitions and reading them back."""

import functools
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import LargeBinary, bindparam, cast, func
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from csu.domain.clock import paris_text
from csu.domain.credential_words import words
from csu.domain.election import (
    CREDENTIAL_LABELS,
    ElectionDefinition,
    ElectionState,
    definition_from_text,
    election_to_json,
    parse_election,
    state_at,
    stored_source,
)
from csu.domain.errors import InvalidValue
from csu.domain.plural import counted, plural_of
from csu.domain.scrutins import ballots, listed
from csu.services.context import (
    Deps,
    NotFound,
    OperatorContext,
    ServiceError,
    journal_refusal_apart,
    require_role,
)
from csu.services.files import MIB, file_name, read_text
from csu.store import journal
from csu.store.prepared import Prepared
from csu.store.tables import Credential, Election, Emargement, Material, core_tables

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
    source = file_name(path)
    text = read_text(path, "Définition de scrutin", MAX_DEFINITION_BYTES)
    return parse_election(text, source)


def store_definition(
    deps: Deps,
    who: OperatorContext,
    definition: ElectionDefinition,
    source: str,
    *,
    close_now: bool = False,
) -> ElectionLoaded:
    """Create or update the election of an already validated definition (see
    :func:`store_definitions`)."""
    return store_definitions(deps, who, [(definition, source)], close_now=close_now)[0]


def store_definitions(
    deps: Deps,
    who: OperatorContext,
    loaded: Sequence[tuple[ElectionDefinition, str]],
    *,
    close_now: bool = False,
) -> list[ElectionLoaded]:
    """Create or update the elections of already validated definitions (each with the
    file it came from), all in one transaction: a refusal of one leaves every election
    as it was.

    Raises ``ServiceError``, naming the file, when two files give the same election, or
    when an update would contradict what is stored (see :func:`_refusal_of_update`):
    nothing is changed. ``close_now``: the operator confirmed an update that closes an
    open election now, or makes its data due for purge at once."""
    require_role(deps, who, "admin")
    _refuse_twice_the_same(loaded)
    now = deps.clock()
    stored: list[ElectionLoaded] = []
    with deps.writing() as session:
        for definition, source in loaded:
            stored.append(_store(session, who, definition, source, now, close_now))
    return stored


def _refuse_twice_the_same(loaded: Sequence[tuple[ElectionDefinition, str]]) -> None:
    seen: dict[str, str] = {}
    for definition, source in loaded:
        if definition.id in seen:
            raise ServiceError(
                f"{seen[definition.id]} et {source} définissent tous deux l'élection "
                f"{definition.id} : chargez-en un seul. Rien n'a été modifié."
            )
        seen[definition.id] = source


def _store(
    session: Session,
    who: OperatorContext,
    definition: ElectionDefinition,
    source: str,
    now: datetime,
    close_now: bool,
) -> ElectionLoaded:
    # FOR UPDATE: a feed recording against a scrutin holds the row FOR SHARE until
    # it commits, so the checks below see its émargements (see get_definition).
    row = session.get(Election, definition.id, with_for_update=True)
    created = row is None
    if row is not None:
        try:
            before: ElectionDefinition | None = parsed_definition(row.definition)
        except InvalidValue:
            # Stored by an older CSU, it breaks a rule added since (a weak code format,
            # a template without its code…): the election cannot be read until a file
            # that keeps the rules replaces it, so this one does, unchecked against it.
            before = None
        refused = (
            None if before is None
            else _refusal_of_update(session, before, definition, now, close_now)
        )  # fmt: skip
        if refused is not None:
            raise ServiceError(f"{source} : {refused} Chargement refusé, rien n'a été modifié.")
    if row is None:
        row = Election(id=definition.id)  # type: ignore[call-arg]
    row.title = definition.title
    row.organiser = definition.organiser
    row.opens_at = definition.opens_at
    row.closes_at = definition.closes_at
    row.definition = json.dumps(election_to_json(definition), ensure_ascii=False)
    session.info.get(_DEFINITIONS, {}).pop(definition.id, None)
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


def _refusal_of_update(
    session: Session,
    stored: ElectionDefinition,
    loaded: ElectionDefinition,
    now: datetime,
    close_now: bool,
) -> str | None:
    """Why an update may not replace the stored definition (None: it may): it drops
    scrutins or capacities in use, leaves votes outside their scrutin, changes the form
    of credentials voters hold, or closes the vote now without ``close_now``."""
    return (
        _dropping_used_scrutins(session, stored, loaded)
        or _dropping_used_capacities(session, stored, loaded)
        or _votes_left_outside(session, stored, loaded)
        or _credentials_reshaped(session, stored, loaded)
        or (None if close_now else _closing_now(session, stored, loaded, now))
    )


def _dropping_used_scrutins(
    session: Session, stored: ElectionDefinition, loaded: ElectionDefinition
) -> str | None:
    """An émargement or a material naming a scrutin the new file no longer has would
    point at nothing: the votes recorded would stop counting, the material would give
    access to an unknown ballot. Such a file is refused, naming each scrutin."""
    kept = {scrutin.id for scrutin in ballots(loaded)}
    dropped = [scrutin.id for scrutin in ballots(stored) if scrutin.id not in kept]
    if not dropped:
        return None
    votes = dict(
        session.exec(
            select(Emargement.scrutin_id, func.count())
            .where(Emargement.election_id == stored.id,
                   col(Emargement.scrutin_id).in_(dropped))
            .group_by(Emargement.scrutin_id)
        ).all()
    )
    # Each distinct list of the roll's « scrutins » column, with its materials.
    lists = session.exec(
        select(Material.scrutins, func.count())
        .where(Material.election_id == stored.id, col(Material.scrutins).is_not(None))
        .group_by(Material.scrutins)
    ).all()
    named: dict[str, int] = {}
    for stored_list, count in lists:
        for scrutin in listed(stored_list):
            named[scrutin] = named.get(scrutin, 0) + count
    used = []
    for scrutin in dropped:
        uses = []
        if votes.get(scrutin):
            uses.append(counted(votes[scrutin], "émargement"))
        if named.get(scrutin):
            naming = plural_of(named[scrutin], "qui le nomme", "qui le nomment")
            uses.append(f"{counted(named[scrutin], 'matériel')} {naming}")
        if uses:
            used.append(f"« {scrutin} » ({', '.join(uses)})")
    if not used:
        return None
    return (
        f"Le fichier retire de l'élection {stored.id} des scrutins déjà utilisés : "
        f"{' ; '.join(used)} ; gardez ces scrutins dans le fichier (leur titre peut "
        "changer)."
    )


def _dropping_used_capacities(
    session: Session, stored: ElectionDefinition, loaded: ElectionDefinition
) -> str | None:
    """A material of a capacity the file no longer has would belong to no part of the
    election: the organiser's roll could no longer be imported again over it."""
    in_use = session.exec(
        select(Material.capacity, func.count())
        .where(Material.election_id == stored.id,
               col(Material.capacity).not_in(loaded.capacities))
        .group_by(Material.capacity)
    ).all()  # fmt: skip
    if not in_use:
        return None
    named = " ; ".join(
        f"« {capacity} » ({counted(count, 'matériel')})" for capacity, count in in_use
    )
    return (
        f"Le fichier retire de l'élection {stored.id} des qualités déjà utilisées : {named} ; "
        "gardez-les dans « capacities »."
    )


def _votes_left_outside(
    session: Session, stored: ElectionDefinition, loaded: ElectionDefinition
) -> str | None:
    """A vote recorded in a scrutin that would no longer take its material (by the
    file's capacities and bureaus, when the roll did not list the material's scrutins)
    would stop counting, and the material would show that scrutin to vote again."""
    scrutins = {scrutin.id: scrutin for scrutin in ballots(loaded)}
    voted = session.exec(
        select(Emargement.scrutin_id, Material.capacity, Material.bureau_code, func.count())
        .join(Material, col(Material.id) == Emargement.material_id)
        .where(Emargement.election_id == stored.id, col(Material.scrutins).is_(None))
        .group_by(Emargement.scrutin_id, Material.capacity, Material.bureau_code)
    ).all()
    outside = [
        f"« {scrutin} » ne prendrait plus la qualité « {capacity} » du bureau {bureau} "
        f"({counted(count, 'émargement')})"
        for scrutin, capacity, bureau, count in voted
        if scrutin in scrutins and not scrutins[scrutin].takes(capacity, bureau)
    ]
    if not outside:
        return None
    return (
        f"Des votes déjà émargés de l'élection {stored.id} sortiraient de leur scrutin : "
        f"{' ; '.join(outside[:5])}{' ; …' if len(outside) > 5 else ''}."
    )


def _credentials_reshaped(
    session: Session, stored: ElectionDefinition, loaded: ElectionDefinition
) -> str | None:
    """A credential the cell issued is checked by its kind's format (its alphabet, to
    read what the voter types): a kind dropped, or its alphabet changed, while voters
    hold active ones, would turn them all down at the platform."""
    changed = [
        kind for kind, fmt in stored.credentials.items()
        if (new := loaded.credentials.get(kind)) is None or new.alphabet != fmt.alphabet
    ]  # fmt: skip
    if not changed:
        return None
    held = session.exec(
        select(Credential.kind, func.count())
        .join(Material, col(Material.id) == Credential.material_id)
        .where(Material.election_id == stored.id, Credential.status == "active",
               col(Credential.kind).in_(changed))
        .group_by(Credential.kind)
    ).all()  # fmt: skip
    if not held:
        return None
    named = " ; ".join(
        f"{CREDENTIAL_LABELS.get(kind, kind)} "
        f"({counted(count, words(kind).pick('actif', 'active'))})"
        for kind, count in held
    )
    return (
        f"Le fichier retire ou change l'alphabet de codes que des électeurs de {stored.id} "
        f"détiennent : {named} ; ils ne seraient plus reconnus. Gardez leur forme "
        "(la longueur peut changer pour les prochains)."
    )


def _closing_now(
    session: Session, stored: ElectionDefinition, loaded: ElectionDefinition, now: datetime
) -> str | None:
    """A file that closes an open vote at once (a file of past dates loaded over the
    running election), or makes its personal data due for purge at once, is refused
    unless the operator confirms it: voters would be cut off, and ``csu purge`` would
    erase their data."""
    closes = state_at(loaded, now) is ElectionState.CLOSED and (
        state_at(stored, now) is not ElectionState.CLOSED
    )
    purges = loaded.purge_after <= now < stored.purge_after
    if not (closes or purges):
        return None
    voters = session.exec(
        select(func.count(func.distinct(Material.voter_id)))
        .where(Material.election_id == stored.id)
    ).one()  # fmt: skip
    effect = "clôt le vote dès maintenant" if closes else "rend ses données à purger dès maintenant"
    electorate = counted(voters, "électeur")
    return (
        f"Ce fichier {effect} : l'élection {stored.id} ({electorate}) fermerait le "
        f"{paris_text(loaded.closes_at)} au lieu du {paris_text(stored.closes_at)}, données à "
        f"purger dès le {paris_text(loaded.purge_after)}. Si c'est voulu, relancez avec "
        "--close-now."
    )


def get_definition(
    session: Session, election_id: str, *, for_share: bool = False
) -> ElectionDefinition:
    """The election's definition. ``for_share``: in a write transaction that records
    against its scrutins (émargements), the row is read ``FOR SHARE`` on PostgreSQL,
    so that a reload cannot drop a scrutin between this read and the commit (the
    reload reads it ``FOR UPDATE`` before checking what refers to its scrutins).

    Read once per session: the identity map keeps rows only while referred to, and a
    service asks three or four times (a key issue: 4 selects -> 1)."""
    known: dict[str, ElectionDefinition] = session.info.setdefault(_DEFINITIONS, {})
    if not for_share and election_id in known:
        return known[election_id]
    loaded = session.identity_map.get(session.identity_key(Election, election_id))
    if loaded is not None and not for_share:  # as this session changed it, maybe
        known[election_id] = parsed_definition(loaded.definition)
        return known[election_id]
    # Its text alone, on the driver's cursor: every action reads it, and the parsed
    # definition is kept by text (parsed_definition), so a whole ORM row is not needed.
    statement = _DEFINITION_SHARED if for_share else _DEFINITION
    known[election_id] = _found(statement.rows_in(session, election=election_id), election_id)
    return known[election_id]


class ElectionPurged(ServiceError):
    """The election's personal data was purged: nothing that brings it back is taken."""


def refuse_purged(session: Session, election_id: str, what: str) -> None:
    """Stops an import of ``what`` into a purged election: its voters' personal data was
    erased at the end of its retention (``csu purge``), and a list imported again would
    bring them back where no later purge clears them (one purge per election)."""
    purged = session.execute(
        core_select(Election.purged_at).where(col(Election.id) == election_id)  # type: ignore[arg-type]
    ).scalar_one_or_none()
    if purged is not None:
        raise ElectionPurged(
            f"Scrutin {election_id} purgé le {paris_text(purged)} : ses données personnelles "
            f"ont été effacées, {what} ne s'y importe plus. Pour un nouveau scrutin, "
            "chargez un fichier d'élection d'un autre identifiant."
        )


@contextmanager
def purged_refusal_journalled(
    deps: Deps, who: OperatorContext, action: str, election_id: str, source: str
) -> Iterator[None]:
    """Around an import of ``source`` (``action``: ``roll_import``…) into ``election_id``:
    its refusal by :func:`refuse_purged` is journalled (``action``, refused, the election,
    the file and why) in a transaction of its own, once the refused one has rolled back,
    as every refused action of an administrator leaves its entry; then it is raised."""
    try:
        yield
    except ElectionPurged as refused:
        journal_refusal_apart(
            deps, who, action, {"file": source, "reason": str(refused)}, election=election_id
        )
        raise


def definition_on(cursor: Any, dialect: Any, election_id: str) -> ElectionDefinition:
    """``get_definition`` on the driver's cursor, for a service without a Session."""
    return _found(_DEFINITION.rows(cursor, dialect, election=election_id), election_id)


def _found(rows: list[tuple[Any, ...]], election_id: str) -> ElectionDefinition:
    if not rows:
        raise unknown_election(election_id)
    return parsed_definition(rows[0][0])


def unknown_election(election_id: str) -> NotFound:
    """What an operator reads about an election the store does not hold."""
    return NotFound(
        f"Scrutin inconnu : « {election_id} ». Chargez-le d'abord avec « csu election load »."
    )


(_election,) = core_tables(Election)
_DEFINITION = Prepared(
    lambda: core_select(_election.c.definition).where(_election.c.id == bindparam("election"))
)
_DEFINITION_SHARED = Prepared(
    lambda: core_select(_election.c.definition)
    .where(_election.c.id == bindparam("election"))
    .with_for_update(read=True)
)


# session.info's key for the definitions a session has read (get_definition).
_DEFINITIONS = "csu_election_definitions"


@functools.lru_cache(maxsize=64)
def parsed_definition(text: str) -> ElectionDefinition:
    """Definitions are frozen and rebuilt through every check (~2 ms): parsed once per
    stored text, so a reloaded election (new text) is parsed again."""
    return definition_from_text(text)


def list_elections(deps: Deps) -> list[ElectionDefinition]:
    with deps.reading() as session:
        rows = session.exec(select(Election).order_by(Election.opens_at)).all()
        return [definition_from_text(row.definition, row.id) for row in rows]


def unreadable_definitions(deps: Deps) -> list[tuple[str, str]]:
    """The stored elections this version of CSU no longer reads, each with the rule it
    breaks (one added since it was loaded: RE2 for the matricule pattern, say), said
    with the election's id. Until a corrected file is loaded over it, every listing of
    the elections fails with that rule, for the whole cell: ``csu db upgrade`` names
    them first."""
    definition: Any = col(Election.definition)
    if deps.engine.dialect.name == "sqlite":
        # As bytes: one text that is no UTF-8 (a hand on the file) fails a read of them
        # all as text, naming no election.
        definition = cast(definition, LargeBinary)
    with deps.reading() as session:
        rows = session.exec(
            select(Election.id, definition).order_by(col(Election.opens_at))
        ).all()
    faults = []
    for election_id, stored in rows:
        try:
            text = stored.decode() if isinstance(stored, bytes) else stored
            definition_from_text(text, election_id)
        except UnicodeDecodeError:
            faults.append((election_id, f"{stored_source(election_id)} : texte non UTF-8"))
        except InvalidValue as error:  # « définition enregistrée ID : champ : faute »
            faults.append((election_id, str(error)))
    return faults


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


def operator_election(deps: Deps, who: OperatorContext) -> ElectionDefinition | None:
    """The election an operator works on by default: a president's, the one of their
    bureau (closing first, if it holds several); anyone else's, the cell's
    :func:`election_in_focus`."""
    if who.role == "president" and who.bureau:
        with deps.reading() as session:
            ids = set(
                session.exec(
                    select(Material.election_id).where(Material.bureau_code == who.bureau)
                ).all()
            )
        mine = [e for e in list_elections(deps) if e.id in ids]
        if mine:
            now = deps.clock()
            open_now = [e for e in mine if e.opens_at <= now < e.closes_at]
            return min(open_now or mine, key=lambda e: e.closes_at)
    return election_in_focus(deps)
