"""``POST /v1/tokens/redeem``: the voter opened a one-time link (S6); the platform
spends its token and shows the new vote code."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from csu.api.problems import URL_SAFE, documented
from csu.api.refusals import AnsweredAsUnknown, journalled
from csu.api.routes import resource_router
from csu.api.security import CurrentPlatform, Store
from csu.services.context import Deps, Forbidden
from csu.services.credentials import IssuedCredential
from csu.services.platform_clients import Platform
from csu.services.vote_codes import INVALID_LINK, redeem_link

ACTION = "vote_code_redeem"
router = resource_router("liens à usage unique")


class TokenRedeemRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"token": "mJ3x0bQ2bH6cYtJ9Kq1w8ZrT5uVnA4sE"}]},
    )
    token: str = Field(
        min_length=1,
        max_length=200,
        pattern=URL_SAFE,
        description="Le jeton du lien (après « jeton= »).",
    )


class RedeemedCode(BaseModel):
    kind: Literal["vote_code", "password"] = Field(
        description="Ce que le lien délivre : un code de vote (S6) ou, pour une élection "
        "dont le mot de passe s'affiche sur l'écran de l'électeur (2011), un mot de passe."
    )
    credential: str = Field(
        description="Le nouveau code, par groupes séparés de « - » (séparateurs facultatifs "
        "à la saisie) : à afficher une fois, puis à oublier."
    )
    vote_code: str | None = Field(
        description="Le même code quand c'est un code de vote (compatibilité), sinon null."
    )
    display_seconds: int = Field(description="Durée d'affichage du code, en secondes.")


@router.post(
    "/tokens/redeem",
    name=ACTION,
    operation_id="redeemToken",
    response_description="Le nouveau code de vote, à afficher une seule fois.",
    summary="Utiliser un lien de réassort du code de vote",
    description=(
        "La première fois : délivre le nouveau code de vote (l'ancien cesse de valoir). "
        "410 pour un lien déjà utilisé, remplacé par un plus récent, expiré ou dont le "
        "matériel ne peut plus voter ; 404 pour un jeton inconnu, ou d'une élection que "
        "la clé n'atteint pas (la même réponse)."
    ),
    response_model=RedeemedCode,
    responses=documented(401, 404, 410, 413, 422, 503),
)
def redeem_token(body: TokenRedeemRequest, platform: CurrentPlatform, deps: Store) -> RedeemedCode:
    issued = journalled(deps, platform, ACTION, lambda: _redeem(deps, body.token, platform))
    kind = "password" if issued.kind == "password" else "vote_code"
    return RedeemedCode(
        kind=kind,
        credential=issued.display,
        vote_code=issued.display if kind == "vote_code" else None,
        display_seconds=issued.display_seconds,
    )


def _redeem(deps: Deps, token: str, platform: Platform) -> IssuedCredential:
    """:func:`redeem_link` within the platform's reach; a link of another election is
    answered as an unknown one (404, the same body), so that a key learns nothing of the
    links of an election it does not reach; the journal says why."""
    try:
        return redeem_link(deps, token, actor=platform.actor, elections=platform.elections)
    except Forbidden as refused:
        raise AnsweredAsUnknown(INVALID_LINK, reason=str(refused)) from None
