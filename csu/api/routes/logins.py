"""``POST /v1/elections/{election}/logins/check``: the platform checks a login."""

from typing import Annotated

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from csu.api.problems import NO_CONTROL, NOT_BLANK, SLUG, VISIBLE, documented
from csu.api.refusals import journalled
from csu.api.routes import resource_router
from csu.api.security import CurrentPlatform, Store
from csu.services.platform import ACTION, LoginCheck, LoginSecrets, check_platform_login

router = resource_router("connexions")

ElectionId = Annotated[
    str,
    Path(
        description="Identifiant de l'élection (ex. minint-2022).",
        pattern=SLUG,
        max_length=64,
        examples=["minint-2022"],
    ),
]


class LoginCheckRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "identifier": "MI-0000123",
                    "secrets": {"security_key": "K7MP-X2QD-9RFA-H3TW", "password": "k7Mpx2QD9rfa"},
                }
            ]
        },
    )
    identifier: Annotated[str, NOT_BLANK, VISIBLE] = Field(
        min_length=1,
        max_length=100,
        pattern=NO_CONTROL,
        description="L'identifiant de vote saisi.",
    )
    secrets: LoginSecrets = Field(
        description="Les secrets saisis : ceux que demande la connexion à cette élection "
        "(les codes de son fichier d'élection), et seulement ceux-là."
    )


@router.post(
    "/elections/{election}/logins/check",
    name=ACTION,
    operation_id="checkLogin",
    response_description="Le verdict, et les scrutins encore ouverts à ce matériel.",
    summary="Vérifier une connexion",
    description=(
        "Dit si les secrets saisis sont ceux du matériel de vote, sans jamais dire lequel "
        "est faux, et les scrutins où il peut encore voter. Chaque échec compte pour "
        "l'identifiant ; la limite de l'élection atteinte, les vérifications sont refusées "
        "(429, en-tête Retry-After) le temps du blocage.\n\n"
        "Les secrets gardés par argon2id se vérifient dans une file bornée : pleine, la "
        "vérification est refusée aussitôt (503, en-tête Retry-After), sans être faite, "
        "comptée comme un échec ni inscrite au journal ; réessayez après le délai dit."
    ),
    response_model=LoginCheck,
    responses=documented(401, 403, 413, 415, 422, 429, 503),
)
async def check_login(
    election: ElectionId, body: LoginCheckRequest, platform: CurrentPlatform, deps: Store
) -> LoginCheck:
    # async, the service in a worker thread: its answer is then serialised on the event
    # loop, where a sync route would wait for a worker thread a second time (behind
    # every request queued meanwhile) only to validate it.
    return await run_in_threadpool(
        journalled,
        deps,
        platform,
        ACTION,
        lambda: check_platform_login(deps, platform, election, body.identifier, body.secrets),
        election=election,
    )
