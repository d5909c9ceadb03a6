"""``csu api``: the HTTP API that the voting platform calls (uvicorn)."""

import dataclasses
from pathlib import Path
from typing import Annotated

import typer

from csu.cli.common import DbOption, err, friendly, open_deps, out, resolve_db
from csu.services.context import ServiceError


@friendly
def api(
    host: Annotated[
        str, typer.Option("--host", help="Adresse d'écoute : locale par défaut, [::1] en IPv6.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port d'écoute (1 à 65535).")] = 8765,
    certfile: Annotated[
        Path | None,
        typer.Option("--certfile", help="Certificat TLS (PEM) : l'API parle HTTPS.",
                     show_default=False),
    ] = None,
    keyfile: Annotated[
        Path | None,
        typer.Option("--keyfile", help="Clé privée du certificat TLS (PEM).", show_default=False),
    ] = None,
    allow_remote: Annotated[
        bool,
        typer.Option(
            "--allow-remote",
            help="Accepter une adresse non locale sans TLS (clés d'API en clair : déconseillé).",
        ),
    ] = False,
    db: DbOption = None,
) -> None:
    """Sert l'API de la plateforme de vote (OpenAPI : /openapi.json, documentation : /docs).

    Locale par défaut : la plateforme l'atteint par un proxy inverse HTTPS (voir le
    README), ou directement en HTTPS avec --certfile et --keyfile."""
    from csu.api.app import THREADS
    from csu.api.server import check_tls, listen, serve
    from csu.config import load_settings
    from csu.delivery.factory import build_delivery
    from csu.serve import bare_host, is_loopback

    host = bare_host(host)
    check_tls(certfile, keyfile)
    tls = certfile is not None
    if not tls and not allow_remote and not is_loopback(host):
        raise ServiceError(
            f"{host} n'est pas une adresse locale : les clés d'API et les codes passeraient "
            "en clair (HTTP). Écoutez sur 127.0.0.1 derrière un proxy HTTPS, donnez "
            "--certfile et --keyfile, ou ajoutez --allow-remote pour exposer quand même."
        )
    settings = load_settings(resolve_db(db))
    # One connection per worker thread at most: the pool never makes a request wait.
    pool = max(settings.database_pool_size, THREADS)
    settings, deps = open_deps(db, settings.model_copy(update={"database_pool_size": pool}))
    deps = dataclasses.replace(deps, hasher=settings.hasher(), delivery=build_delivery(settings))
    sock = listen(host, port)
    shown = f"[{host}]" if ":" in host else host
    where = f"{'https' if tls else 'http'}://{shown}:{port}"
    if not tls and not is_loopback(host):
        err.print(
            f"[bold red]ATTENTION : l'API écoute sur {where} sans chiffrement : les clés "
            "d'API et les codes de vote circulent en clair.[/bold red]",
            highlight=False,
        )
    out.print(f"API de la plateforme de vote sur {where} (documentation : {where}/docs).",
              highlight=False)
    serve(deps, sock, certfile=certfile, keyfile=keyfile, threads=THREADS,
          store_wait_s=settings.api_store_wait_seconds)
