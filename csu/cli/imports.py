"""``csu import``: electoral rolls, émargement files and the platform's original
credentials (their hashes)."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    Progress,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)

from csu.cli.common import DbOption, err, friendly, more_rejected, open_deps, out, who
from csu.domain.numbers import french_number
from csu.domain.plural import counted

if TYPE_CHECKING:
    from csu.services.rolls import ImportReport

app = typer.Typer(help="Imports : listes électorales, émargements et codes d'origine.")


@app.command("voters")
@friendly
def import_voters_command(
    file: Annotated[
        Path, typer.Argument(help="Liste électorale CSV (UTF-8, ; ou ,).", metavar="FICHIER")
    ],
    election: Annotated[str, typer.Option("--election", help="Identifiant du scrutin.")],
    skip_invalid: Annotated[
        bool, typer.Option("--skip-invalid", help="Écrire les lignes valides, ignorer les autres.")
    ] = False,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers", help="Processus de validation (défaut : cœurs).", min=1, max=64
        ),
    ] = None,
    db: DbOption = None,
) -> None:
    """Importe une liste électorale (tout ou rien par défaut)."""
    from csu.services.rolls import import_voters

    settings, deps = open_deps(db)
    size = file.stat().st_size if file.is_file() else 0
    with _progress(size) as (bar, task):
        report = import_voters(
            deps,
            who(settings),
            file,
            election,
            skip_invalid=skip_invalid,
            workers=workers,
            progress=lambda rows, read: bar.update(task, completed=read, rows=french_number(rows)),
        )
    _print_faults(report)
    if not report.committed:
        _refused(report, "Corrigez le fichier ou relancez avec --skip-invalid.")
        raise typer.Exit(1)
    rate = report.rows / report.elapsed if report.elapsed else 0
    out.print(
        f"Import terminé : {counted(report.written, 'ligne écrite', 'lignes écrites')}, "
        f"{counted(report.voters, 'électeur')}, "
        f"{counted(report.rejected, 'ligne ignorée', 'lignes ignorées')}, "
        f"en {french_number(report.elapsed, 1)} s ({french_number(rate)} lignes/s)."
    )
    if report.abandoned:
        closed = counted(
            report.abandoned, "intervention en personne close", "interventions en personne closes"
        )
        out.print(f"{closed} comme « abandonné » : l'électeur a quitté le bureau de son président.")
    if report.declined:
        declined = counted(
            report.declined, "vérification en personne en attente refusée",
            "vérifications en personne en attente refusées",
        )  # fmt: skip
        out.print(f"{declined} : l'électeur a quitté le bureau du président sollicité.")


@app.command("votes")
@friendly
def import_votes_command(
    file: Annotated[
        Path,
        typer.Argument(
            help="CSV identifiant;scrutin;vote_le (un scrutin par ligne) ou identifiant;vote_le "
            "(tous les scrutins du matériel).",
            metavar="FICHIER",
        ),
    ],
    election: Annotated[str, typer.Option("--election", help="Identifiant du scrutin.")],
    db: DbOption = None,
) -> None:
    """Enregistre l'émargement de la plateforme : les scrutins où des matériels ont voté."""
    from csu.services.rolls import import_votes

    settings, deps = open_deps(db)
    report = import_votes(deps, who(settings), file, election)
    _print_faults(report)
    if not report.committed:
        _refused(report, "Corrigez le fichier.")
        raise typer.Exit(1)
    out.print(f"Émargement importé : {counted(report.written, 'vote')}.")


@app.command("credentials")
@friendly
def import_credentials_command(
    file: Annotated[
        Path,
        typer.Argument(
            help="CSV identifiant;type;hash[;prefixe_hash] (empreintes PHC argon2id).",
            metavar="FICHIER",
        ),
    ],
    election: Annotated[str, typer.Option("--election", help="Identifiant du scrutin.")],
    skip_invalid: Annotated[
        bool, typer.Option("--skip-invalid", help="Écrire les lignes valides, ignorer les autres.")
    ] = False,
    db: DbOption = None,
) -> None:
    """Charge les empreintes des codes d'origine envoyés par la plateforme."""
    from csu.services.originals import import_originals

    settings, deps = open_deps(db)
    report = import_originals(deps, who(settings), file, election, skip_invalid=skip_invalid)
    _print_faults(report)
    if not report.committed:
        _refused(report, "Corrigez le fichier ou relancez avec --skip-invalid.")
        raise typer.Exit(1)
    out.print(
        f"Codes d'origine importés : {counted(report.written, 'écrit')}, "
        f"{counted(report.already, 'déjà chargé', 'déjà chargés')}, "
        f"{counted(report.rejected, 'ligne ignorée', 'lignes ignorées')}.",
        highlight=False,
    )


def _print_faults(report: "ImportReport") -> None:
    """Each fault as « liste.csv, ligne 12, colonne nir : … »: the file named, as every
    refusal names it (several files may be imported one after another)."""
    for error in report.errors:
        err.print(
            f"{report.source}, {error.describe()}", highlight=False, markup=False, soft_wrap=True
        )
    if report.more_rejected:
        err.print(more_rejected(report.more_rejected), highlight=False)


def _refused(report: "ImportReport", advice: str) -> None:
    # No row read (csu import credentials does not say header_refused): the header is at
    # fault, and there is nothing to count.
    if report.header_refused or not report.rows:
        summary = f"l'en-tête de {escape(report.source)} est à corriger, aucune ligne n'a été lue"
        advice = "Corrigez les colonnes nommées ci-dessus."
    else:
        rejected = counted(report.rejected, "ligne en erreur", "lignes en erreur")
        summary = f"{rejected} sur {french_number(report.rows)}"
    err.print(
        f"[red]Import refusé :[/red] {summary} ; rien n'a été écrit. {advice}",
        highlight=False,
    )


@contextmanager
def _progress(total: int) -> Iterator[tuple[Progress, TaskID]]:
    """A progress bar over the bytes of the file, on a terminal only."""
    progress = Progress(
        TextColumn("Import"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[rows]} lignes"),  # French already: french_number
        TimeElapsedColumn(),
        console=err,
        disable=not err.is_terminal,
    )
    with progress:
        yield progress, progress.add_task("import", total=total or None, rows="0")
