"""Errors in one shape: RFC 9457 problem details (``application/problem+json``),
with a French ``detail`` saying what is wrong."""

from collections.abc import Mapping, Sequence
from typing import Any

from fastapi.responses import JSONResponse
from pydantic import AfterValidator, BaseModel, Field
from pydantic_core import PydanticCustomError

from csu.domain.errors import InvalidValue
from csu.domain.text import visible_text

PROBLEM_JSON = "application/problem+json"

TITLES: dict[int, str] = {
    400: "Requête incorrecte",
    401: "Authentification requise",
    403: "Accès refusé",
    404: "Introuvable",
    405: "Méthode non autorisée",
    409: "Refusé",
    410: "Plus disponible",
    413: "Requête trop volumineuse",
    415: "Type de contenu non pris en charge",
    422: "Requête invalide",
    429: "Trop de tentatives",
    500: "Erreur interne",
    503: "Service momentanément indisponible",
}


class ProblemField(BaseModel):
    """One invalid field of a request."""

    field: str = Field(description="Le champ, en notation pointée (ex. secrets.password).")
    message: str = Field(description="Ce qui ne va pas, en français.")


class Problem(BaseModel):
    """An error (RFC 9457). ``title`` is the status's French name, ``detail`` the
    French sentence for this occurrence."""

    type: str = Field(default="about:blank", description="Toujours about:blank.")
    title: str
    status: int
    detail: str
    errors: list[ProblemField] | None = Field(
        default=None, description="Pour une requête invalide (422) : les champs fautifs."
    )


def problem(
    status: int,
    detail: str,
    *,
    headers: Mapping[str, str] | None = None,
    errors: Sequence[ProblemField] | None = None,
) -> JSONResponse:
    body = Problem(title=TITLES.get(status, "Erreur"), status=status, detail=detail,
                   errors=list(errors) if errors is not None else None)
    return JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=status,
        headers=dict(headers or {}),
        media_type=PROBLEM_JSON,
    )


def documented(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI ``responses`` of a route for these error statuses."""
    schema = {"$ref": "#/components/schemas/Problem"}
    responses: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        response: dict[str, Any] = {
            "description": TITLES.get(status, "Erreur"),
            "content": {PROBLEM_JSON: {"schema": schema}},
        }
        if status in (429, 503):
            response["headers"] = {
                "Retry-After": {
                    "description": "Secondes avant un nouvel essai.",
                    "schema": {"type": "integer", "minimum": 1},
                }
            }
        if status == 401:
            response["headers"] = {
                "WWW-Authenticate": {"description": "Bearer", "schema": {"type": "string"}}
            }
        responses[status] = response
    return responses


# ------------------------------------------------------------------ validation errors

# The forms the API's fields take, each with what a refusal says is expected.
SLUG = r"^[a-z0-9]+(-[a-z0-9]+)*$"
NO_CONTROL = r"^[^\x00-\x1f\x7f]+$"  # none is in an identifier (VISIBLE: the rest)
RFC3339 = r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$"
URL_SAFE = r"^[A-Za-z0-9_-]+$"  # URL-safe base64, as CSU makes its tokens
_FORMS: dict[str, str] = {
    SLUG: "forme invalide : minuscules, chiffres et tirets (ex. csa, minint-2022)",
    NO_CONTROL: "caractère de contrôle refusé",
    RFC3339: "forme invalide : date et heure RFC 3339 avec décalage (ex. 2022-12-02T10:15:00Z)",
    URL_SAFE: "forme invalide : lettres, chiffres, « _ » et « - »",
}


def _not_blank(value: str) -> str:
    if not value.strip():
        raise PydanticCustomError("string_blank", "only spaces")
    return value


# A text of spaces only: refused as the empty text it stands for (an identifier is
# looked up stripped, and "   " would be a failure counted for the empty one).
NOT_BLANK = AfterValidator(_not_blank)

def _visible(value: str) -> str:
    try:
        return visible_text(value, "")
    except InvalidValue as refused:
        raise PydanticCustomError(HIDDEN_CHARACTER, "{reason}", {"reason": refused.fault}) from None


# Nor a C1 control, a bidirectional character (U+202E reorders the line an identifier
# is shown on) or an invisible one (two identifiers that look alike would count apart):
# refused as csu.domain.text refuses them in what is compared with a record, naming the
# character and its position.
HIDDEN_CHARACTER = "hidden_character"
VISIBLE = AfterValidator(_visible)

# A body that parses but is not RFC 8259 JSON (csu.api.bodies): its reason in ``ctx``.
JSON_REFUSED = "json_refused"
_MESSAGES: dict[str, str] = {
    "missing": "champ obligatoire absent",
    "string_blank": "texte vide (des espaces seulement)",
    "extra_forbidden": "champ inconnu",
    "string_type": "texte attendu",
    "string_pattern_mismatch": "forme invalide",
    "json_invalid": "JSON illisible",
    "json_type": "JSON attendu",
    "model_type": "objet JSON attendu",
    "model_attributes_type": "objet JSON attendu",
    "dict_type": "objet JSON attendu",
    "string_unicode": "texte Unicode attendu",
    "list_type": "liste JSON attendue",
}


def french_message(error: Mapping[str, Any]) -> str:
    kind = str(error.get("type", ""))
    context = error.get("ctx") or {}
    if kind == "string_too_short":
        least = context.get("min_length", 1)
        return f"texte trop court (au moins {least} caractère{'s' if least > 1 else ''})"
    if kind == "string_too_long":
        return f"texte trop long (au plus {context.get('max_length')} caractères)"
    if kind == "too_long":  # a list
        return f"trop d'éléments (au plus {context.get('max_length')})"
    if kind == "too_short":
        return f"pas assez d'éléments (au moins {context.get('min_length')})"
    if kind == "string_pattern_mismatch":
        return _FORMS.get(str(context.get("pattern")), "forme invalide")
    if kind == HIDDEN_CHARACTER:  # csu.domain.text's sentence
        return str(context.get("reason", "caractère interdit"))
    if kind == JSON_REFUSED:  # csu.api.bodies.BodyRefused: its own French reason
        return str(context.get("reason", "JSON illisible"))
    return _MESSAGES.get(kind, "valeur invalide")


def field_name(location: Sequence[Any]) -> str:
    """``("body", "secrets", "password")`` -> ``secrets.password``; a path parameter
    keeps its name, the body as a whole is « corps »."""
    parts = [str(part) for part in location]
    if parts and parts[0] in ("body", "path", "query", "header"):
        where, parts = parts[0], parts[1:]
        if not parts:
            return "corps" if where == "body" else where
        if where == "body" and len(location) == 2 and isinstance(location[1], int):
            return "corps"  # JSON that does not parse: FastAPI names the character it broke at
    return ".".join(parts) or "requête"


def validation_problem(errors: Sequence[Mapping[str, Any]]) -> JSONResponse:
    fields = [
        ProblemField(field=field_name(error.get("loc", ())), message=french_message(error))
        for error in errors
    ]
    said = " ; ".join(f"{item.field} : {item.message}" for item in fields)
    return problem(422, f"Requête invalide : {said}.", errors=fields)
