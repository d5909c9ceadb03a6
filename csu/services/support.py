"""Whom a voter calls (issue 14 §3): the election's support numbers and, for a CCI voter,
the local chamber (CCIL) of the constituency the roll gives.

:func:`voter_support` is the service the voter file calls; :func:`with_support` is what
the outbox appends to every message to a voter (csu.services.outbox.enqueue), so that
codes, links, notices and material all carry the numbers of the voter's election.
"""

from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session, col

from csu.domain.contacts import Ccil, SupportNumber, VoterSupport
from csu.domain.contacts import voter_support as support_of
from csu.domain.election import ElectionDefinition
from csu.services.context import Deps, NotFound, OperatorContext, Role, ServiceError, require_role
from csu.services.elections import get_definition
from csu.store.tables import Material, Voter

READERS: tuple[Role, ...] = ("agent", "president", "superviseur", "admin")


@dataclass(frozen=True, slots=True)
class SupportView:
    """What the voter file shows of whom the voter calls (no personal data but the
    constituency's name)."""

    election_id: str
    constituency: str | None
    ccil: Ccil | None  # CCI: the voter's local chamber (phone, e-mail, hours)
    numbers: tuple[SupportNumber, ...]  # the election's numbers, e.g. Interior's CSU
    lines: tuple[str, ...]  # the same, one French line each, the CCIL first
    unmatched: bool  # the election has CCILs but the roll names none of this voter's


def support_for(definition: ElectionDefinition, voter: Voter) -> VoterSupport:
    """The numbers of ``definition`` for ``voter`` (its CCIL by constituency)."""
    return support_of(definition.contacts, voter.circonscription, definition.support_phone)


def phone_for(definition: ElectionDefinition, voter: Voter) -> str:
    """The one number a short message names (« appelez le … »): the voter's CCIL, else
    the election's ``support_phone``."""
    ccil = support_for(definition, voter).ccil
    return ccil.phone if ccil is not None else definition.support_phone


def voter_support(
    deps: Deps, who: OperatorContext, voter_id: int, election_id: str | None = None
) -> SupportView:
    """Whom the voter calls for one of their elections (the only one when not named)."""
    require_role(who, *READERS)
    with deps.reading() as session:
        voter = session.get(Voter, voter_id)
        if voter is None:
            raise NotFound("Électeur introuvable.")
        query = select(col(Material.election_id)).where(col(Material.voter_id) == voter_id)
        if who.role == "president":
            query = query.where(col(Material.bureau_code) == who.bureau)
        elections = sorted(set(session.execute(query).scalars()))
        if election_id is not None:
            if election_id not in elections:
                raise NotFound("Cet électeur ne vote pas à ce scrutin.")
        elif len(elections) != 1:
            if not elections:
                raise NotFound("Cet électeur n'a pas de matériel de vote.")
            raise ServiceError("Cet électeur vote à plusieurs scrutins : précisez lequel.")
        else:
            election_id = elections[0]
        definition = get_definition(session, election_id)
        support = support_for(definition, voter)
        return SupportView(
            election_id=definition.id,
            constituency=voter.circonscription,
            ccil=support.ccil,
            numbers=support.numbers,
            lines=tuple(support.lines()),
            unmatched=bool(definition.contacts.ccils) and support.ccil is None,
        )


def with_support(session: Session, voter: Voter, election_id: str | None, body: str) -> str:
    """``body`` ending with the support numbers of the voter's election (unchanged
    when there is no election, or when the body already gives them)."""
    if not election_id:
        return body
    footer = support_for(get_definition(session, election_id), voter).footer()
    if not footer or footer in body:
        return body
    return f"{body.rstrip()}\n\n{footer}"
