"""Whom a voter calls (issue 14 §3): the election's support numbers and, for a CCI voter,
the local chamber (CCIL) of the constituency the roll gives.

:func:`voter_support` is the service the voter file calls; :func:`with_support` is what
the outbox appends to every message to a voter (csu.services.outbox.enqueue), so that
codes, links, notices and material all carry the numbers of the voter's election: an
e-mail every number with its hours, an SMS the one number the voter calls
(:func:`contact_for`), in the GSM-7 alphabet (issue M3: one « — » made a code 9 SMS).
"""

from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session, col

from csu.domain.contacts import FALLBACK_LABEL, Ccil, SupportNumber, VoterSupport, first_number
from csu.domain.contacts import voter_support as support_of
from csu.domain.election import ElectionDefinition, describe_support_hours
from csu.domain.roles import Role
from csu.domain.sms import to_gsm7, with_contact
from csu.services.context import Deps, NotFound, OperatorContext, ServiceError, require_role
from csu.services.elections import get_definition
from csu.services.sessions import require_live_session
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
    """The numbers of ``definition`` for ``voter`` (its CCIL by constituency); with no
    number listed, the election's ``support_phone`` and the cell's hours, as every
    number of an e-mail's footer has its hours."""
    hours = describe_support_hours(definition) if definition.support_windows else None
    fallback = SupportNumber(FALLBACK_LABEL, definition.support_phone, hours=hours)
    return support_of(definition.contacts, voter.circonscription, fallback)


def contact_for(definition: ElectionDefinition, voter: Voter) -> SupportNumber:
    """The one number a short message names, with its label: the voter's CCIL, else the
    cell's own ``csu_phone`` (Interior: the CSU, not the platform's helpline, undoes a
    change the voter did not ask for; seed 002), else the election's ``support_phone``
    (csu.domain.contacts.first_number)."""
    return first_number(
        definition.contacts, voter.circonscription, definition.csu_phone,
        definition.support_phone,
    )  # fmt: skip


def phone_for(definition: ElectionDefinition, voter: Voter) -> str:
    """The number every « appelez le $support_phone » names (:func:`contact_for`)."""
    return contact_for(definition, voter).phone


def sms_text(definition: ElectionDefinition, voter: Voter, body: str) -> str:
    """An SMS to ``voter``: ``body`` and the one number they call, unless the body gives
    it already, in GSM-7 (csu.domain.sms.with_contact)."""
    number = contact_for(definition, voter)
    return with_contact(body, number.short(), number.phone)


def voter_support(
    deps: Deps, who: OperatorContext, voter_id: int, election_id: str | None = None
) -> SupportView:
    """Whom the voter calls for one of their elections (the only one when not named)."""
    require_role(deps, who, *READERS)
    require_live_session(deps, who)
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


def with_support(
    session: Session,
    voter: Voter,
    election_id: str | None,
    body: str,
    channel: str | None = None,
) -> str:
    """``body`` ending with whom to call. An e-mail (any ``channel`` but ``"sms"``):
    the support numbers of the voter's election (unchanged when there is no election,
    or when the body already gives them). An SMS: :func:`sms_text`, short and GSM-7."""
    if channel == "sms":
        if not election_id:
            return to_gsm7(body)
        return sms_text(get_definition(session, election_id), voter, body)
    if not election_id:
        return body
    footer = support_for(get_definition(session, election_id), voter).footer()
    if not footer or footer in body:
        return body
    return f"{body.rstrip()}\n\n{footer}"
