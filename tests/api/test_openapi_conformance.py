"""Schemathesis against ``/openapi.json``, on the running server, with a valid key:
no answer is a server error and every answer conforms to the schema (status,
content type, headers, body), for every endpoint, on data that fits the schema and
on data that does not. Bounded: ``EXAMPLES`` requests per generation mode."""

import itertools

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig
from schemathesis.schemas import BaseSchema

from tests.api.conftest import Api, issued_login

EXAMPLES = 40
REACHED = "minint-2022"
LOGIN_CHECK = "POST /v1/elections/{election}/logins/check"
# Every check of schemathesis. A request that fits the schema may still be refused
# for what the store holds: secrets other than those the election's file asks for
# (422), a token already used (410); the other statuses are schemathesis's defaults.
CONFIG = SchemathesisConfig.from_dict({
    "checks": {
        "positive_data_acceptance": {
            "expected-statuses": ["2XX", "401", "403", "404", "409", "410", "422", "429"]
        }
    }
})


def exercise(schema: BaseSchema, mode: GenerationMode, key: str) -> set[tuple[str, int]]:
    """Runs the cases of ``mode``; the (operation, status) pairs answered."""
    answered: set[tuple[str, int]] = set()
    turn = itertools.count()

    @given(case=schema.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    def conforms(case: schemathesis.Case) -> None:
        election = (case.path_parameters or {}).get("election")
        if mode is GenerationMode.POSITIVE and election and next(turn) % 2:
            # A drawn slug is an election of no key: every other case, one in reach.
            case.path_parameters["election"] = REACHED
        response = case.call_and_validate(headers={"Authorization": f"Bearer {key}"})
        answered.add((case.operation.label, response.status_code))

    conforms()
    return answered


def verdicts(schema: BaseSchema, api: Api, secrets: dict[str, str]) -> set[tuple[str, int]]:
    """Login checks with the set of secrets the election asks for, right and wrong: a
    drawn body rarely names exactly that set, so real verdicts are not left to chance."""
    operation = schema["/v1/elections/{election}/logins/check"]["POST"]
    answered = set()
    for typed in (secrets, {kind: "X" + value for kind, value in secrets.items()}):
        case = operation.Case(
            path_parameters={"election": REACHED},
            body={"identifier": api.desk.caller.identifier, "secrets": typed},
        )
        response = case.call_and_validate(headers={"Authorization": f"Bearer {api.key}"})
        answered.add((case.operation.label, response.status_code))
    return answered


def test_every_answer_conforms_to_the_schema(api: Api) -> None:
    secrets = issued_login(api.desk, api.desk.caller)  # some checks meet real credentials
    schema = schemathesis.openapi.from_url(f"{api.url}/openapi.json", config=CONFIG)
    answered = exercise(schema, GenerationMode.POSITIVE, api.key)
    answered |= exercise(schema, GenerationMode.NEGATIVE, api.key)
    answered |= verdicts(schema, api, secrets)
    every = {result.ok().label for result in schema.get_all_operations()}
    assert {
        "GET /v1/health",
        LOGIN_CHECK,
        "POST /v1/tokens/redeem",
        "POST /v1/elections/{election}/emargements",
    } <= every
    assert {operation for operation, _ in answered} == every  # each one was called
    assert (LOGIN_CHECK, 200) in answered  # real verdicts were checked too
