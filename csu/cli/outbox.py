"""``csu outbox``: messages to voters, their state and their delivery."""

import dataclasses
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from csu.cli.common import DbOption, friendly, open_deps, out, who
from csu.domain.numbers import french_number
from csu.domain.plural import counted

app = typer.Typer(help="Messages aux électeurs : état et envoi des messages en attente.")


@app.command("deliver")
@friendly
def outbox_deliver(db: DbOption = None) -> None:
    """Envoie les messages en attente dont l'heure est venue."""
    from csu.delivery.factory import build_delivery
    from csu.services.outbox import STATE_LABELS, deliver_due

    settings, deps = open_deps(db)
    deps = dataclasses.replace(deps, delivery=build_delivery(settings))
    states = deliver_due(deps, who(settings).actor)
    counts = {label: 0 for label in STATE_LABELS.values()}
    for state in states.values():
        counts[STATE_LABELS.get(state, state)] += 1
    summary = ", ".join(f"{label} : {french_number(n)}" for label, n in counts.items() if n)
    done = counted(len(states), "message traité", "messages traités")
    out.print(done + (f" — {summary}" if summary else "."))


@app.command("list")
@friendly
def outbox_list(
    limit: Annotated[
        int, typer.Option("--limit", help="Nombre de messages.", min=1, max=100_000)
    ] = 50,
    db: DbOption = None,
) -> None:
    """Les derniers messages, destinataires masqués."""
    from csu.services.outbox import list_messages

    settings, deps = open_deps(db)
    table = Table("N°", "Créé le", "Objet", "Canal", "Destinataire", "État", "Essais", "Erreur")
    for m in list_messages(deps, who(settings), limit=limit):
        cells = (m.purpose, m.channel, m.recipient, m.state, str(m.attempts), m.last_error or "")
        # escape: a relay's error text may hold brackets, never to be read as markup
        table.add_row(str(m.id), f"{m.created_at:%d/%m %H:%M}", *map(escape, cells))
    out.print(table)
