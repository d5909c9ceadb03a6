"""The address a substitution request's new material goes to (S5), in clear, for the
supervisor about to grant it: the window asked them to check it against the signed
request while showing it masked (newcomer run), so a slip (« d.dupont@laposte.net » for
« d.dupond@… ») could not be seen before the material went out.

Kept sealed while the request waits; shown to a supervisor only, journalled as a reveal
(« révélation », the request's number, never the address)."""

from csu.domain import sealing
from csu.domain.substitution import PENDING
from csu.services.context import (
    Deps,
    NotFound,
    OperatorContext,
    ServiceError,
    require_role,
    retried,
)
from csu.services.sessions import require_live_in
from csu.services.substitution import SEAL_PURPOSE
from csu.store import journal
from csu.store.tables import SubstitutionRequest, Voter

REQUEST_ADDRESS = "substitution_email"
"""The ``field`` of the reveal's entry (csu.domain.labels names it)."""


@retried
def request_address(deps: Deps, who: OperatorContext, request_id: int) -> str:
    """The address of a pending request in clear, for a supervisor deciding it."""
    require_role(deps, who, "superviseur")
    now = deps.clock()
    with deps.writing() as session:
        require_live_in(session, who)
        request = session.get(SubstitutionRequest, request_id)
        if request is None:
            raise NotFound(f"Demande n° {request_id} introuvable.")
        if request.state != PENDING or request.email_sealed is None:
            raise ServiceError(f"La demande n° {request_id} n'attend plus de décision.")
        address = sealing.unseal(deps.key, SEAL_PURPOSE, request.email_sealed)
        voter = session.get(Voter, request.voter_id)
        journal.append(
            session,
            actor=who.actor,
            action="révélation",
            outcome="ok",
            at=now,
            election=request.election_id,
            subject=voter.pseudonym if voter is not None else None,
            details={"field": REQUEST_ADDRESS, "request": request_id},
        )
    return address
