"""``csu token``: redeem a one-time link the way the voting platform would.

A link whose election asks the voter to prove who they are on its page (seed 003:
NUMEN + département of birth) takes those answers as options; those missing are asked
for (hidden as typed), the way the platform's page would ask them. The prompt is the
safer way: an option stays in the shell's history and shows in ``ps``; the help says so.
The link's token likewise: a bearer secret (where the link asks no identity, it alone
issues the new code), asked at a hidden prompt when left out of the command line."""

import dataclasses
from typing import Annotated

import typer

from csu.cli.common import (
    DbOption,
    at_a_terminal,
    err,
    friendly,
    hidden_prompt,
    open_deps,
    out,
)

app = typer.Typer(help="Liens à usage unique (essais et démonstrations).")

# Secrets are typed hidden, the département of birth too (the NIR's 6th and 7th
# characters, a secret of seed 003's page); the date of birth, no secret, in clear.
_SHOWN_AS_TYPED = frozenset({"birth_date"})
_TOKEN_PROMPT = "Jeton du lien"
_PREFER_PROMPT = " (préférez l'invite masquée : omettez l'option)"


def _answer(help_text: str) -> object:
    return typer.Option(help=help_text, show_default=False)


def _secret(help_text: str) -> object:
    """An identity secret's option: its help points to the hidden prompt."""
    return _answer(help_text.removesuffix(".") + _PREFER_PROMPT + ".")


@app.command("redeem")
@friendly
def token_redeem(
    token: Annotated[
        str | None,
        typer.Argument(
            help=(
                "Le jeton du lien reçu (après « jeton= ») ; omis, il est demandé à une "
                "invite masquée : donné ici, il reste dans l'historique du shell et se "
                "voit dans ps."
            ),
            metavar="JETON",
            show_default=False,
        ),
    ] = None,
    numen: Annotated[str | None, _secret("NUMEN, si la page du lien le demande.")] = None,
    birth_department: Annotated[
        str | None,
        _secret("Département de naissance : 6e et 7e caractères du n° de sécurité sociale."),
    ] = None,
    birth_date: Annotated[str | None, _answer("Date de naissance (JJ/MM/AAAA).")] = None,
    nir10: Annotated[
        str | None, _secret("Les 10 premiers chiffres du n° de sécurité sociale.")
    ] = None,
    iban: Annotated[str | None, _secret("Les 6 derniers caractères de l'IBAN.")] = None,
    agent_card: Annotated[
        str | None, _secret("Les 6 premiers caractères du n° de série de la carte agent.")
    ] = None,
    challenge_answer: Annotated[
        str | None, _secret("La réponse secrète à la question défi.")
    ] = None,
    db: DbOption = None,
) -> None:
    """Ouvre un lien à usage unique comme la plateforme de vote : délivre le nouveau code
    (ou mot de passe), après les réponses d'identité que demande la page du lien.

    Une réponse donnée en option reste dans l'historique du shell et se voit dans la
    liste des processus (ps) : mieux vaut l'omettre, elle est alors demandée à une
    invite masquée (seule la date de naissance s'affiche à la frappe). Le jeton aussi :
    sans identité demandée, il suffit à délivrer un nouveau code ; omis, il est demandé
    à une invite masquée."""
    from csu.delivery.factory import build_delivery
    from csu.domain.verification import FACTOR_LABELS
    from csu.services.vote_codes import IdentityIncomplete, redeem_link

    given = {
        "numen": numen,
        "birth_department": birth_department,
        "birth_date": birth_date,
        "nir10": nir10,
        "iban": iban,
        "agent_card": agent_card,
        "challenge_answer": challenge_answer,
    }
    answers = {name: value for name, value in given.items() if value is not None}
    # A person at a terminal is asked for nothing a wrong --db would waste; a script's
    # missing token is said first, as any missing argument.
    opened = open_deps(db) if token is not None or at_a_terminal() else None
    if token is None:
        # A bearer secret (where no identity is asked, it alone issues the code): typed
        # hidden, never in the shell's history nor in ps.
        try:
            token = hidden_prompt(_TOKEN_PROMPT)
        except typer.Abort:  # nothing typed (no terminal): as any missing argument
            err.print("[red]Erreur :[/red] argument JETON manquant.", highlight=False)
            raise typer.Exit(2) from None
    settings, deps = opened or open_deps(db)
    deps = dataclasses.replace(deps, hasher=settings.hasher(), delivery=build_delivery(settings))
    try:
        issued = redeem_link(deps, token, answers=answers)
    except IdentityIncomplete as incomplete:
        if not incomplete.missing or len(incomplete.missing) < len(incomplete.faults):
            raise  # factors this link does not ask for: said as they are
        out.print("Validation de votre identité (page du lien) :", highlight=False)
        for factor in incomplete.missing:
            label = FACTOR_LABELS[factor]
            answers[factor] = (
                typer.prompt(label) if factor in _SHOWN_AS_TYPED else hidden_prompt(label)
            )
        issued = redeem_link(deps, token, answers=answers)
    out.print(
        f"Nouveau {issued.label} du matériel {issued.material_identifier} : "
        f"[bold]{issued.display}[/bold] (à afficher {issued.display_seconds} s, une seule fois)",
        highlight=False,
    )

