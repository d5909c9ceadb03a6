"""``POST /v1/elections/{election}/emargements``: the platform reports votes (a batch)."""

from typing import Annotated

from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from csu.api.problems import NO_CONTROL, NOT_BLANK, RFC3339, SLUG, VISIBLE, documented, problem
from csu.api.refusals import invalid_fields, journalled
from csu.api.routes import resource_router
from csu.api.routes.logins import ElectionId
from csu.api.security import CurrentPlatform, Store
from csu.services.emargement import (
    ACTION,
    MAX_EVENT_ID,
    MAX_EVENTS,
    BadEvents,
    EmargementEvent,
    ingest_emargements,
)

router = resource_router("émargements")


class EmargementIn(BaseModel):
    """One vote: the material (its identifier) voted in one scrutin, at that time."""

    model_config = ConfigDict(extra="forbid")
    event_id: Annotated[str, NOT_BLANK, VISIBLE] = Field(
        min_length=1,
        max_length=MAX_EVENT_ID,
        pattern=NO_CONTROL,
        description="L'identifiant de l'événement chez la plateforme : un même event_id "
        "renvoyé compte comme doublon (rejouer un lot est sans effet). Unique par élection, "
        "pour tous les clients de plateforme qui l'atteignent.",
    )
    # Blank refused, spaces around dropped, as a login check's (NOT_BLANK, then
    # csu.services.emargement.platform_identifier).
    identifier: Annotated[str, NOT_BLANK, VISIBLE] = Field(
        min_length=1, max_length=100, pattern=NO_CONTROL,
        description="L'identifiant de vote du matériel (les espaces autour sont ignorés).",
    )  # fmt: skip
    scrutin: str = Field(
        max_length=64,
        pattern=SLUG,
        description="L'identifiant du scrutin (ceux du fichier d'élection ; sans "
        "[[scrutins]], l'identifiant de l'élection).",
    )
    voted_at: str = Field(
        max_length=40,
        pattern=RFC3339,
        description="L'heure du vote, RFC 3339 avec son décalage (ex. 2022-12-02T10:15:00Z).",
    )


class EmargementBatch(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "events": [
                        {
                            "event_id": "nv-000184467",
                            "identifier": "MI-0000123",
                            "scrutin": "csa",
                            "voted_at": "2022-12-02T10:15:00Z",
                        }
                    ]
                }
            ]
        },
    )
    events: list[EmargementIn] = Field(
        min_length=1, max_length=MAX_EVENTS, description="Les votes, 10 000 au plus par appel."
    )


class EmargementsRecorded(BaseModel):
    accepted: int = Field(description="Événements enregistrés par cet appel.")
    duplicates: int = Field(
        description="Événements déjà reçus (même event_id) ou scrutins déjà émargés."
    )


@router.post(
    "/elections/{election}/emargements",
    name=ACTION,
    operation_id="recordEmargements",
    summary="Déclarer des émargements",
    response_description="Combien d'événements sont enregistrés, combien étaient déjà connus.",
    description=(
        "Déclare un lot de votes (un événement par matériel et scrutin). Tout ou rien : "
        "un seul événement invalide (identifiant ou scrutin inconnu, heure hors de la "
        "période de vote, champ mal formé) refuse le lot entier (422), et `errors` les "
        "nomme tous (`events.N.champ`). Un lot mal formé est refusé avant que ses "
        "événements soient cherchés. Idempotent : un `event_id` déjà reçu compte comme "
        "doublon. Dès qu'un scrutin est émargé, la cellule applique la règle de "
        "l'élection aux réassorts et aux substitutions de ce matériel. Le corps fait "
        "8 Mio au plus (413 au-delà : découpez le lot)."
    ),
    response_model=EmargementsRecorded,
    responses=documented(401, 403, 404, 413, 415, 422, 503),
)
def record_emargements(
    election: ElectionId, body: EmargementBatch, platform: CurrentPlatform, deps: Store
) -> EmargementsRecorded | JSONResponse:
    events = [
        EmargementEvent(e.event_id, e.identifier, e.scrutin, e.voted_at) for e in body.events
    ]
    try:
        result = journalled(
            deps,
            platform,
            ACTION,
            lambda: ingest_emargements(deps, platform, election, events),
            election=election,
        )
    except BadEvents as refused:  # journalled; every bad event named in ``errors``
        return problem(422, str(refused), errors=invalid_fields(refused))
    return EmargementsRecorded(accepted=result.accepted, duplicates=result.duplicates)
