"""``csu purge``: erase voters' personal data once their elections are over."""

from typing import Annotated

import typer

from csu.cli.common import DbOption, friendly, open_deps, out, who
from csu.domain.clock import paris_text, parse_typed_moment


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
        out.print(
            f"Scrutin {done.election_id} (clos le {paris_text(done.closes_at)}) {verb} : "
            f"{c.voters} électeur(s) effacé(s), {c.voters_kept} conservé(s) (inscrits à un "
            f"scrutin non purgé) ; {c.credentials} code(s), {c.interventions} "
            f"intervention(s), {c.one_time_codes} code(s) à usage unique, {c.link_tokens} "
            f"lien(s), {c.messages} message(s), {c.substitutions} demande(s) de "
            f"substitution, {c.presence_checks} motif(s) de refus de vérification en "
            f"personne, {c.login_failures} compteur(s) d'échecs de connexion de la "
            "plateforme effacés.",
            highlight=False,
        )
    for skipped in report.skipped:
        out.print(f"Scrutin {skipped.election_id} non purgé : {skipped.reason}", highlight=False)
    if not report.purged:
        out.print("Aucun scrutin à purger.", highlight=False)
    if report.outbox_files:
        out.print(
            f"Boîte d'envoi : {report.outbox_files} fichier(s) "
            + ("à effacer." if report.dry_run else "effacé(s)."),
            highlight=False,
        )
