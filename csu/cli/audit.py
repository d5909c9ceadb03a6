"""``csu audit``: verify the journal, integrate queued entries, sign checkpoints, export."""

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, TextIO

import typer
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

from csu.cli.common import (
    MAX_ROW_NUMBER,
    DbOption,
    err,
    friendly,
    open_deps,
    out,
    resolve_db,
    who,
)
from csu.config import load_settings
from csu.domain.clock import parse_typed_moment
from csu.domain.identifiers import typed_matricule
from csu.domain.plural import counted
from csu.services.context import ServiceError
from csu.services.files import describe_os_error

app = typer.Typer(help="Journal : vérification d'intégrité, intégration et export.")


@app.command("verify")
@friendly
def audit_verify(
    checkpoint: Annotated[
        Path | None,
        typer.Option(
            "--checkpoint",
            help="Point de contrôle signé (csu audit checkpoint) que le journal doit contenir.",
            show_default=False,
        ),
    ] = None,
    public_key: Annotated[
        str | None,
        typer.Option(
            "--public-key",
            help="Clé publique de la cellule (nom+empreinte+clé, ou le fichier .pub) : "
            "vérifie la signature du point de contrôle donné, ou sans --checkpoint celle du "
            "dernier en base (défaut : CSU_CHECKPOINT_PUBLIC_KEY).",
            show_default=False,
        ),
    ] = None,
    db: DbOption = None,
) -> None:
    """Vérifie que le journal est complet et inaltéré, qu'il contient encore chaque
    point de contrôle qu'il mentionne ou que la base garde, et le point de contrôle
    signé donné ; que rien n'attend d'y être intégré depuis plus d'une minute (code 1
    sinon)."""
    from csu.services.audit import describe_backlog, queue_health
    from csu.services.checkpoints import (
        CheckpointProof,
        IntegrityReport,
        check_integrity,
        load_verifier,
        read_note,
        verify_checkpoint,
    )

    settings = load_settings(resolve_db(db))
    key: str | None = public_key or settings.checkpoint_public_key or None
    if not key and settings.checkpoint_key_file is not None:
        public = Path(f"{settings.checkpoint_key_file}.pub")
        # With --checkpoint the key is needed: a missing file is then named.
        key = str(public) if checkpoint is not None or public.exists() else None
    if checkpoint is not None and not key:
        raise ServiceError(
            "Indiquez la clé publique de la cellule : --public-key (nom+empreinte+clé ou "
            "fichier .pub)."
        )
    verifier = load_verifier(key) if key else None
    note = read_note(checkpoint) if checkpoint is not None else None
    settings, deps = open_deps(db, settings)
    operator = who(settings)
    # First chain what waits (PostgreSQL): what still waits after is stuck.
    health = queue_health(deps, operator)
    described: IntegrityReport | CheckpointProof
    with _verify_progress() as told:
        if note is None:
            described = check_integrity(deps, operator, verifier, progress=told)
        else:
            assert verifier is not None
            try:
                described = verify_checkpoint(deps, operator, note, verifier, progress=told)
            except ServiceError as error:  # its signature: name the file it came from
                raise ServiceError(f"{checkpoint} : {error}") from None
    lines = [described.describe(), describe_backlog(health.backlog)]
    lines.extend(f"- {problem}" for problem in health.problems)
    # markup=False: the description quotes the note's origin line, the file's words.
    if described.ok and health.ok:
        out.print("\n".join(lines), highlight=False, markup=False)
        return
    err.print("\n".join(lines), highlight=False, markup=False)
    raise typer.Exit(1)


@app.command("integrate")
@friendly
def audit_integrate(
    follow: Annotated[
        bool,
        typer.Option(
            "--suivre",
            help="Rester en service : intégrer toutes les 0,25 s ce qui attend (Ctrl+C pour "
            "arrêter).",
        ),
    ] = False,
    db: DbOption = None,
) -> None:
    """Intègre à la chaîne du journal les entrées en attente (PostgreSQL)."""
    from csu.services.audit import (
        describe_backlog,
        integrate_journal,
        journal_backlog,
        journal_size,
        set_aside_after,
    )

    settings, deps = open_deps(db)
    operator = who(settings)
    if not follow:
        before = journal_size(deps)
        count = integrate_journal(deps, operator)
        out.print(f"{counted(count, 'entrée intégrée', 'entrées intégrées')} ; "
                  f"{describe_backlog(journal_backlog(deps, operator))}.", markup=False)
        for entry in set_aside_after(deps, operator, before):
            err.print(f"Attention : {entry.describe()}.", highlight=False, markup=False)
        return
    import threading

    from csu.store import sequencer

    journal_backlog(deps, operator)  # the role is checked before going on duty
    if deps.engine.dialect.name != "postgresql":
        out.print("SQLite : chaque entrée est intégrée dès son écriture.", markup=False)
        return
    out.print("Intégration du journal en service (Ctrl+C pour arrêter).", markup=False)
    stop = threading.Event()
    try:
        sequencer.watch(deps.engine, stop)
    except KeyboardInterrupt:
        stop.set()
    out.print(describe_backlog(journal_backlog(deps, operator)), markup=False)


@app.command("acknowledge")
@friendly
def audit_acknowledge(
    number: Annotated[
        int,
        typer.Argument(help="N° de l'entrée mise à l'écart (csu audit verify la nomme).",
                       metavar="N°", min=1, max=MAX_ROW_NUMBER),
    ],
    reason: Annotated[
        str,
        typer.Option("--reason", help="Ce que c'était, ce qui a été fait (journalisé)."),
    ],
    db: DbOption = None,
) -> None:
    """Enregistre qu'une entrée mise à l'écart de la file d'attente a été examinée :
    csu audit verify la nomme encore, sans plus déclarer le journal non conforme."""
    from csu.services.audit import acknowledge_set_aside

    settings, deps = open_deps(db)
    entry = acknowledge_set_aside(deps, who(settings), number, reason)
    out.print(f"{entry.describe()}.", highlight=False, markup=False)


@contextmanager
def _verify_progress() -> Iterator[Callable[[int, int], None]]:
    """A progress bar over the entries checked, on a terminal only."""
    progress = Progress(
        TextColumn("Vérification"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=err,
        disable=not err.is_terminal,
    )
    with progress:
        task = progress.add_task("verify", total=None)

        def told(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        yield told


@app.command("keygen")
@friendly
def audit_keygen(
    out_file: Annotated[
        Path,
        typer.Option(
            "--out",
            help="Fichier de la clé privée (hors de la base ; .pub à côté).",
            show_default=False,
        ),
    ],
    name: Annotated[
        str | None,
        typer.Option(
            "--name",
            help="Nom de la clé (défaut : dérivé du poste et de la base).",
            show_default=False,
        ),
    ] = None,
    db: DbOption = None,
) -> None:
    """Crée la paire de clés Ed25519 qui signe les points de contrôle du journal."""
    from csu.services.checkpoints import create_key_pair

    settings = load_settings(resolve_db(db))
    signer = create_key_pair(out_file, name or settings.checkpoint_log_name())
    out.print("Clé publique (à remettre aux auditeurs) :", highlight=False)
    out.print(str(signer.verifier), highlight=False, markup=False)
    out.print(
        f"Clé privée : {out_file} (lisible par ce compte seul, à garder hors de la base et "
        f"de ses sauvegardes) ; clé publique aussi dans {out_file}.pub.\n"
        f"Signature automatique par le terminal : CSU_CHECKPOINT_KEY_FILE={out_file.resolve()}",
        highlight=False,
        markup=False,
    )


@app.command("checkpoint")
@friendly
def audit_checkpoint(
    out_file: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Fichier où écrire le point de contrôle (défaut : sortie standard).",
            show_default=False,
        ),
    ] = None,
    key: Annotated[
        Path | None,
        typer.Option(
            "--key", help="Clé privée (défaut : CSU_CHECKPOINT_KEY_FILE).", show_default=False
        ),
    ] = None,
    origin: Annotated[
        str | None,
        typer.Option(
            "--origin",
            help="Origine (défaut : CSU_CHECKPOINT_ORIGIN ou le nom de la clé).",
            show_default=False,
        ),
    ] = None,
    db: DbOption = None,
) -> None:
    """Signe un point de contrôle du journal (C2SP tlog-checkpoint) et l'enregistre."""
    from csu.services.checkpoints import load_signer, sign_checkpoint

    settings = load_settings(resolve_db(db))
    key_file = key or settings.checkpoint_key_file
    if key_file is None:
        raise ServiceError(
            "Aucune clé de signature : --key FICHIER ou CSU_CHECKPOINT_KEY_FILE "
            "(créez-la avec « csu audit keygen »)."
        )
    signer = load_signer(key_file)
    if out_file is None:
        settings, deps = open_deps(db, settings)
        signed = sign_checkpoint(
            deps, who(settings), signer, origin or settings.checkpoint_origin or None
        )
        sys.stdout.write(signed.note)
        return
    # The file is made first: a checkpoint signed and recorded must reach its file.
    handle = _new_note_file(out_file)
    note: str | None = None  # once signed and recorded
    try:
        with handle:
            settings, deps = open_deps(db, settings)
            signed = sign_checkpoint(
                deps, who(settings), signer, origin or settings.checkpoint_origin or None
            )
            note = signed.note
            handle.write(note)
    except BaseException as error:
        out_file.unlink(missing_ok=True)  # made above, empty or cut short: no note
        if note is None or not isinstance(error, OSError):
            raise
        sys.stdout.write(note)  # recorded in the base: not lost with the file
        raise ServiceError(
            f"Point de contrôle signé et enregistré dans la base, mais {out_file} n'a pu "
            f"être écrit ({describe_os_error(error)}) : le voici sur la sortie standard."
        ) from None
    out.print(
        f"Point de contrôle signé : {counted(signed.size, 'entrée')}, clé "
        f"« {signed.key_name} » ({signed.key_id}), écrit dans {out_file} et enregistré dans "
        "la base.",
        highlight=False,
        markup=False,
    )


def _new_note_file(path: Path) -> TextIO:
    """``path`` created for the checkpoint's note, never over a file or a link already
    there, or a French refusal naming it (before anything is signed)."""
    try:
        return path.open("x", encoding="utf-8", newline="\n")
    except FileExistsError:  # a dangling link too: exists() says no, open() follows it
        raise ServiceError(
            f"{path} existe déjà (fichier ou lien) : il n'est pas remplacé ; aucun point "
            "de contrôle n'a été signé."
        ) from None
    except OSError as error:
        raise ServiceError(
            f"Impossible de créer {path} : {describe_os_error(error)} ; aucun point de contrôle "
            "n'a été signé."
        ) from None


@app.command("export")
@friendly
def audit_export(
    fmt: Annotated[str, typer.Option("--format", help="jsonl ou csv.")] = "jsonl",
    since: Annotated[
        str | None, typer.Option("--since", help="Depuis (jj/mm/aaaa ou ISO, heure de Paris).")
    ] = None,
    until: Annotated[str | None, typer.Option("--until", help="Jusqu'à (exclu).")] = None,
    operator: Annotated[str | None, typer.Option("--operator", help="Identifiant.")] = None,
    matricule: Annotated[str | None, typer.Option("--matricule", help="Électeur.")] = None,
    action: Annotated[
        str | None,
        typer.Option(
            "--action",
            help="Action, par son code (verification, operator_totp_reset…) : la liste est "
            "dans csu/domain/actions.py, et un code inconnu est refusé en la donnant.",
        ),
    ] = None,
    outcome: Annotated[
        str | None,
        typer.Option("--outcome", help="Résultat (ok, refusé…) : un inconnu est refusé."),
    ] = None,
    election: Annotated[str | None, typer.Option("--election", help="Scrutin.")] = None,
    intervention: Annotated[
        str | None, typer.Option("--intervention", help="Intervention.")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Fichier (défaut : sortie standard).")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Remplacer le fichier --output s'il existe.")
    ] = False,
    db: DbOption = None,
) -> None:
    """Exporte le journal filtré (JSON Lines ou CSV)."""
    from csu.services.audit import (
        ExportFileExists,
        ExportFilter,
        export_filter_warnings,
        export_journal,
        export_journal_file,
    )

    if fmt not in ("jsonl", "csv"):
        raise ServiceError(f"Format « {fmt} » inconnu : jsonl ou csv.")
    where = ExportFilter(
        since=parse_typed_moment(since, "--since") if since else None,
        until=parse_typed_moment(until, "--until", end_of_day=True) if until else None,
        operator=operator.strip().lower() if operator else None,
        matricule=typed_matricule(matricule) if matricule else None,
        action=action,
        outcome=outcome,
        election=election,
        intervention=intervention,
    )
    settings, deps = open_deps(db)
    actor = who(settings)
    # An unknown code or an inverted period is refused; an unknown name, warned of.
    for warning in export_filter_warnings(deps, actor, where):
        err.print(warning, highlight=False, markup=False)
    notices: list[str] = []
    if output is None:
        count = export_journal(
            deps, actor, sys.stdout, fmt=fmt, where=where, notices=notices  # type: ignore[arg-type]
        )
    else:
        # A new file readable by its owner only (it names voters), never over another.
        try:
            count = export_journal_file(
                deps, actor, output, fmt=fmt, where=where, force=force,  # type: ignore[arg-type]
                notices=notices,
            )  # fmt: skip
        except ExportFileExists as error:
            raise ServiceError(f"{error} Ajoutez --force pour le remplacer.") from None
        out.print(f"{counted(count, 'entrée exportée', 'entrées exportées')} vers {output}.")
    for notice in notices:
        err.print(f"Attention : {notice}", highlight=False, markup=False)
