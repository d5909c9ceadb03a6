"""``POST /v1/tokens/redeem``: the voter opened a one-time link (S6, S7); the platform
spends its token and shows the new vote code, or the new password. A link whose
election asks the voter to prove who they are on its page (seed 003: NUMEN +
département of birth) takes those answers in ``identity``."""

from collections.abc import Mapping
from typing import Literal

from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from csu.api.problems import URL_SAFE, ProblemField, documented, problem
from csu.api.refusals import AnsweredAsUnknown, journalled
from csu.api.routes import resource_router
from csu.api.security import CurrentPlatform, Store
from csu.domain.errors import InvalidValue
from csu.domain.verification import answer_field
from csu.services.context import Deps, Forbidden
from csu.services.credentials import IssuedCredential
from csu.services.platform_clients import Platform
from csu.services.vote_codes import (
    INVALID_LINK,
    IdentityIncomplete,
    IdentityRefused,
    redeem_link,
)

ACTION = "vote_code_redeem"
router = resource_router("liens à usage unique")


IDENTITY_MAX_LENGTH = 200


def _factor(description: str) -> str | None:
    """An answer typed on the link's page: optional, one line of text. A control or
    invisible character is refused by the service, as in a login's secrets: a 422 naming
    the field and the position, nothing counted."""
    return Field(
        default=None,
        min_length=1,
        max_length=IDENTITY_MAX_LENGTH,
        description=description,
    )


class RedeemIdentity(BaseModel):
    """What the voter typed on the link's page to prove who they are, when the
    election's file asks for it (``redeem_factors``): exactly those factors."""

    model_config = ConfigDict(extra="forbid")
    numen: str | None = _factor("NUMEN (2 chiffres, 1 majuscule, 7 chiffres, 3 majuscules).")
    birth_department: str | None = _factor(
        "Département de naissance : 6e et 7e caractères du n° de sécurité sociale (ex. 75, 2A)."
    )
    birth_date: str | None = _factor("Date de naissance (JJ/MM/AAAA).")
    nir10: str | None = _factor("Les 10 premiers chiffres du n° de sécurité sociale.")
    iban: str | None = _factor("Les 6 derniers caractères de l'IBAN.")
    agent_card: str | None = _factor("Les 6 premiers caractères du n° de série de la carte agent.")
    challenge_answer: str | None = _factor("La réponse secrète à la question défi.")


# The body's field of each answer, by the name a refusal gives it (« Date de naissance »:
# csu.domain.verification.answer_field).
_ANSWER_FIELDS = {
    answer_field(factor): f"identity.{factor}" for factor in RedeemIdentity.model_fields
}


class TokenRedeemRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"token": "mJ3x0bQ2bH6cYtJ9Kq1w8ZrT5uVnA4sE"},
                {
                    "token": "mJ3x0bQ2bH6cYtJ9Kq1w8ZrT5uVnA4sE",
                    "identity": {"numen": "12A1234567ABC", "birth_department": "75"},
                },
            ]
        },
    )
    token: str = Field(
        min_length=1,
        max_length=200,
        pattern=URL_SAFE,
        description="Le jeton du lien (après « jeton= »).",
    )
    identity: RedeemIdentity | None = Field(
        default=None,
        description="Ce que l'électeur a saisi sur la page du lien pour valider son identité, "
        "quand l'élection le demande (men-2011 : numen et birth_department, « Étape 1 - "
        "Validation de votre identité »). Sans ces champs, la réponse 422 nomme ceux à "
        "demander (identity.numen…) sans rien consommer ; des réponses fausses : 403, le "
        "lien reste utilisable jusqu'à la limite d'erreurs de l'élection (3, politique de "
        "la cellule), puis il est annulé.",
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
    response_description="Le nouveau code (de vote, ou mot de passe), à afficher une seule fois.",
    summary="Utiliser un lien à usage unique (code de vote ou mot de passe)",
    description=(
        "La première fois : délivre le nouveau code de vote, ou le nouveau mot de passe "
        "(l'ancien cesse de valoir). Si l'élection demande de valider l'identité sur la "
        "page du lien (men-2011 : NUMEN + département de naissance), le corps porte ces "
        "réponses dans identity : 422 nomme les champs manquants (ou non demandés) sans "
        "rien consommer ; 403 pour des réponses fausses, sans dire laquelle : le lien "
        "n'est pas consommé, mais chaque erreur est journalisée et comptée, et la "
        "dernière permise (3, politique de la cellule) l'annule. 410 pour un lien déjà "
        "utilisé, remplacé par un plus récent, annulé, expiré ou dont le matériel ne peut "
        "plus voter ; 404 pour un jeton inconnu, ou d'une élection que la clé n'atteint "
        "pas (la même réponse)."
    ),
    response_model=RedeemedCode,
    responses=documented(401, 403, 404, 410, 413, 415, 422, 503),
)
def redeem_token(
    body: TokenRedeemRequest, platform: CurrentPlatform, deps: Store
) -> RedeemedCode | JSONResponse:
    answers = body.identity.model_dump(exclude_none=True) if body.identity else {}
    try:
        issued = journalled(
            deps, platform, ACTION, lambda: _redeem(deps, body.token, answers, platform)
        )
    except IdentityIncomplete as incomplete:  # each field named, as a body's 422 does
        return problem(
            422,
            str(incomplete),
            errors=[
                ProblemField(field=f"identity.{factor}", message=message)
                for factor, message in incomplete.faults
            ],
        )
    except InvalidValue as refused:  # a hidden character: the answer named, not the body
        field = _ANSWER_FIELDS.get(refused.field)
        if field is None:
            raise
        return problem(422, str(refused), errors=[ProblemField(field=field, message=refused.fault)])
    kind = "password" if issued.kind == "password" else "vote_code"
    return RedeemedCode(
        kind=kind,
        credential=issued.display,
        vote_code=issued.display if kind == "vote_code" else None,
        display_seconds=issued.display_seconds,
    )


def _redeem(
    deps: Deps, token: str, answers: Mapping[str, str], platform: Platform
) -> IssuedCredential:
    """:func:`redeem_link` within the platform's reach; a link of another election is
    answered as an unknown one (404, the same body), so that a key learns nothing of the
    links of an election it does not reach; the journal says why. Wrong identity
    answers stay the 403 they are."""
    try:
        return redeem_link(
            deps, token, answers=answers, actor=platform.actor, elections=platform.elections
        )
    except IdentityRefused:
        raise
    except Forbidden as refused:
        raise AnsweredAsUnknown(INVALID_LINK, reason=str(refused)) from None
