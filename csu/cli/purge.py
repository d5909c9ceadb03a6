"""``csu purge``: erase voters' personal data once their elections are over."""

from typing import Annotated

import typer

from csu.cli.common import DbOption, friendly, open_deps, out, who
from csu.domain.clock import paris_text, parse_typed_moment
from csu.domain.plural import counted, plural_of


@friendly
def purge_command(
    before: Annotated[
        str | None,
        typer.Option(
            "--before",
            help="Scrutins clos avant cette date (jj/mm/aaaa, heure de Paris), quelle que "
            "soit leur durée de conservation.",
        ),
    ] = None,
    election: Annotated[
        str | None, typer.Option("--election", help="Ce scrutin seulement.")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Compter sans rien effacer.")
    ] = False,
    db: DbOption = None,
) -> None:
    """Efface les données personnelles des électeurs des scrutins clos (par défaut,
    une fois écoulée la durée de conservation de chaque scrutin) ; le journal reste
    intact et vérifiable."""
    from csu.delivery.factory import outbox_folder
    from csu.services.retention import purge

    moment = parse_typed_moment(before, "--before") if before else None
    settings, deps = open_deps(db)
    # The folder's files, whichever transports are chosen now: some may date from before.
    report = purge(
        deps, who(settings), before=moment, election=election, dry_run=dry_run,
        copies=outbox_folder(settings),
    )
    if report.dry_run:
        out.print("Simulation : rien n'a été effacé.", highlight=False)
    verb = "serait purgé" if report.dry_run else "purgé"
    for done in report.purged:
        c = done.counts
        erased = ", ".join((
            counted(c.credentials, "code"),
            counted(c.interventions, "intervention"),
            counted(c.one_time_codes, "code à usage unique", "codes à usage unique"),
            counted(c.link_tokens, "lien"),
            counted(c.messages, "message"),
            counted(
                c.substitutions, "demande de substitution", "demandes de substitution"
            ),
            counted(
                c.presence_checks,
                "motif de refus de vérification en personne",
                "motifs de refus de vérification en personne",
            ),
            counted(
                c.login_failures,
                "compteur d'échecs de connexion de la plateforme",
                "compteurs d'échecs de connexion de la plateforme",
            ),
        ))
        out.print(
            f"Scrutin {done.election_id} (clos le {paris_text(done.closes_at)}) {verb} : "
            f"{counted(c.voters, 'électeur effacé', 'électeurs effacés')}, "
            f"{counted(c.voters_kept, 'conservé')} "
            f"({plural_of(c.voters_kept, 'inscrit')} à un scrutin non purgé) ; "
            f"{erased} effacés.",
            highlight=False,
        )
    for skipped in report.skipped:
        out.print(f"Scrutin {skipped.election_id} non purgé : {skipped.reason}", highlight=False)
    if not report.purged:
        out.print("Aucun scrutin à purger.", highlight=False)
    if report.outbox_files:
        out.print(
            f"Boîte d'envoi : {counted(report.outbox_files, 'fichier')} "
            + ("à effacer." if report.dry_run else f"{plural_of(report.outbox_files, 'effacé')}."),
            highlight=False,
        )
