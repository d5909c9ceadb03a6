"""A login check's secrets not those its election needs: the 422's ``errors`` names
each secret by its key (``secrets.vote_code``), not the secrets as a whole."""

from tests.api.conftest import Api, login_path

MININT_ASKS = (
    "(l'élection minint-2022 demande : clé de sécurité, mot de passe ; "
    "clés : security_key, password)"
)


def check(api: Api, secrets: dict[str, str]):
    return api.post(login_path(), {"identifier": "MI-0000001", "secrets": secrets})


def test_an_unexpected_secret_is_named_by_its_key(api: Api) -> None:
    secrets = {"security_key": "K7MP-X2QD-9RFA-H3TW", "password": "k7Mpx2QD9rfa",
               "vote_code": "ABCD"}  # fmt: skip
    response = check(api, secrets)
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "secrets.vote_code", "message": f"secret inattendu {MININT_ASKS}"}
    ]


def test_each_secret_missing_or_unexpected_is_named_by_its_own_key(api: Api) -> None:
    response = check(api, {"password": "k7Mpx2QD9rfa", "vote_code": "ABCD"})
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "secrets.security_key", "message": f"secret absent {MININT_ASKS}"},
        {"field": "secrets.vote_code", "message": f"secret inattendu {MININT_ASKS}"},
    ]
