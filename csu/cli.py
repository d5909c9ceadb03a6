"""The ``csu`` command: parses arguments and settings, then calls the services."""

import dataclasses
import errno
import functools
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TaskID,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from csu.config import ConfigError, Settings, load_settings
from csu.domain.clock import PARIS, parse_typed_moment
from csu.domain.errors import InvalidValue
from csu.domain.identifiers import parse_matricule
from csu.services.context import Deps, OperatorContext, ServiceError
from csu.startup import demo_url, open_store, open_workplace, settings_engine
from csu.store.migrate import current_revision, head_revision, upgrade

app = typer.Typer(
    help="CSU : poste opérateur de la cellule de support aux électeurs.",
    no_args_is_help=False,
    add_completion=False,
    rich_markup_mode=None,
)
db_app = typer.Typer(help="Schéma de la base (migrations).")
election_app = typer.Typer(help="Scrutins : chargement et liste.")
import_app = typer.Typer(help="Imports : listes électorales et émargements.")
audit_app = typer.Typer(help="Journal : vérification d'intégrité et export.")
operator_app = typer.Typer(help="Opérateurs de la cellule.")
app.add_typer(db_app, name="db")
app.add_typer(election_app, name="election")
app.add_typer(import_app, name="import")
app.add_typer(audit_app, name="audit")
outbox_app = typer.Typer(help="Messages aux électeurs : état et envoi des messages en attente.")
app.add_typer(operator_app, name="operator")
app.add_typer(outbox_app, name="outbox")
token_app = typer.Typer(help="Liens à usage unique (essais et démonstrations).")
app.add_typer(token_app, name="token")

# soft_wrap: messages are not cut at 80 columns when the output is a pipe or a log.
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

_OS_ERRORS = {
    errno.ENOENT: "fichier ou dossier introuvable",
    errno.EACCES: "accès refusé",
    errno.EISDIR: "c'est un dossier, pas un fichier",
    errno.ENOSPC: "disque plein",
    errno.EROFS: "système de fichiers en lecture seule",
}

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db", help="URL de la base (ou chemin d'un fichier SQLite).", show_default=False
    ),
]

F = TypeVar("F", bound=Callable[..., Any])
_global_db: ContextVar[str | None] = ContextVar("global_db", default=None)


def friendly(command: F) -> F:
    """Bad input and refusals end in a French sentence and exit status 1, never a traceback."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except (InvalidValue, ServiceError, ConfigError) as error:
            err.print(f"[red]Erreur :[/red] {error}", highlight=False)
        except OperationalError as error:
            reason = str(error.orig).splitlines()[0] if error.orig else str(error)
            err.print(f"[red]Base de données injoignable ou verrouillée :[/red] {reason}")
        except SQLAlchemyError as error:
            err.print(f"[red]Erreur de la base de données :[/red] {type(error).__name__}")
        except OSError as error:
            reason = _OS_ERRORS.get(error.errno or 0, "erreur d'entrée-sortie")
            err.print(f"[red]Erreur :[/red] {error.filename or ''} : {reason}", highlight=False)
        raise typer.Exit(1)

    return wrapper  # type: ignore[return-value]


def open_deps(db: str | None, settings: Settings | None = None) -> tuple[Settings, Deps]:
    """Settings, key and a migrated store, or a French error saying what to do."""
    return open_store(_db(db), settings)


def who(settings: Settings) -> OperatorContext:
    return OperatorContext.command_line(settings.workstation)


@app.callback(invoke_without_command=True)
def main_callback(ctx: typer.Context, db: DbOption = None) -> None:
    """Sans sous-commande : ouvre le terminal sur la base indiquée."""
    _global_db.set(db)  # `csu --db X cmd` means the same as `csu cmd --db X`
    if ctx.invoked_subcommand is None:
        ctx.invoke(run, db=db, demo=False)


def _db(db: str | None) -> str | None:
    """The command's --db, else the one given before the command."""
    return db or _global_db.get()


@app.command()
@friendly
def init(db: DbOption = None) -> None:
    """Crée le schéma de la base (et sa clé secrète à côté d'un fichier SQLite)."""
    settings = load_settings(_db(db))
    settings.ensure_key()
    upgrade(_engine(settings))
    out.print(f"Base prête : {_display_url(settings)}")
    if settings.key_file and settings.secret_key is None:
        out.print(f"Clé secrète : {settings.key_file} (à sauvegarder, ne pas diffuser)")


@db_app.command("upgrade")
@friendly
def db_upgrade(db: DbOption = None) -> None:
    """Applique les migrations en attente."""
    settings = load_settings(_db(db))
    settings.key_bytes()
    engine = _engine(settings)
    upgrade(engine)
    out.print(f"Schéma à jour (révision {current_revision(engine)}).")


@election_app.command("load")
@friendly
def election_load(
    files: Annotated[list[Path], typer.Argument(help="Fichiers TOML de définition.")],
    db: DbOption = None,
) -> None:
    """Valide puis crée ou met à jour des scrutins."""
    from csu.domain.election import parse_election
    from csu.services.elections import store_definition

    settings, deps = open_deps(db)
    definitions = []
    for path in files:  # every file is checked before any is stored
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as error:
            raise ServiceError(f"{path} : le fichier n'est pas encodé en UTF-8.") from error
        definitions.append((parse_election(text, path.name), path.name))
    for definition, source in definitions:
        loaded = store_definition(deps, who(settings), definition, source)
        verb = "créé" if loaded.created else "mis à jour"
        out.print(f"Scrutin {definition.id} {verb} : {definition.title}")


@election_app.command("list")
@friendly
def election_list(db: DbOption = None) -> None:
    """Liste les scrutins chargés."""
    from csu.domain.election import state_at
    from csu.services.elections import list_elections

    _, deps = open_deps(db)
    table = Table("Scrutin", "Intitulé", "Ouverture", "Clôture", "État")
    for definition in list_elections(deps):
        table.add_row(
            definition.id,
            definition.title,
            _paris(definition.opens_at),
            _paris(definition.closes_at),
            state_at(definition, deps.clock()).label,
        )
    out.print(table)


@import_app.command("voters")
@friendly
def import_voters_command(
    file: Annotated[Path, typer.Argument(help="Liste électorale CSV (UTF-8, ; ou ,).")],
    election: Annotated[str, typer.Option("--election", help="Identifiant du scrutin.")],
    skip_invalid: Annotated[
        bool, typer.Option("--skip-invalid", help="Écrire les lignes valides, ignorer les autres.")
    ] = False,
    workers: Annotated[
        int | None, typer.Option("--workers", help="Processus de validation (défaut : cœurs).")
    ] = None,
    db: DbOption = None,
) -> None:
    """Importe une liste électorale (tout ou rien par défaut)."""
    from csu.services.rolls import import_voters

    settings, deps = open_deps(db)
    size = file.stat().st_size if file.exists() else 0
    with _progress(size) as (bar, task):
        report = import_voters(
            deps,
            who(settings),
            file,
            election,
            skip_invalid=skip_invalid,
            workers=workers,
            progress=lambda rows, read: bar.update(task, completed=read, rows=rows),
        )
    _print_errors(report.errors)
    if not report.committed:
        err.print(
            f"[red]Import refusé :[/red] {report.rejected} ligne(s) en erreur sur "
            f"{report.rows} ; rien n'a été écrit. Corrigez le fichier ou relancez "
            "avec --skip-invalid."
        )
        raise typer.Exit(1)
    rate = report.rows / report.elapsed if report.elapsed else 0
    out.print(
        f"Import terminé : {report.written} ligne(s) écrite(s), {report.voters} électeur(s), "
        f"{report.rejected} ligne(s) ignorée(s), en {report.elapsed:.1f} s ({rate:,.0f} lignes/s)."
    )


@import_app.command("votes")
@friendly
def import_votes_command(
    file: Annotated[Path, typer.Argument(help="CSV identifiant;vote_le.")],
    election: Annotated[str, typer.Option("--election", help="Identifiant du scrutin.")],
    db: DbOption = None,
) -> None:
    """Marque des matériels comme ayant servi à voter."""
    from csu.services.rolls import import_votes

    settings, deps = open_deps(db)
    report = import_votes(deps, who(settings), file, election)
    _print_errors(report.errors)
    if not report.committed:
        err.print(f"[red]Import refusé :[/red] {report.rejected} ligne(s) en erreur.")
        raise typer.Exit(1)
    out.print(f"Émargement importé : {report.written} vote(s).")


@audit_app.command("verify")
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
            help="Clé publique de la cellule (nom+empreinte+clé, ou le fichier .pub).",
            show_default=False,
        ),
    ] = None,
    db: DbOption = None,
) -> None:
    """Vérifie que le journal est complet et inaltéré, et qu'il contient le point de
    contrôle signé donné (code 1 sinon)."""
    from csu.services.audit import verify_journal
    from csu.services.checkpoints import load_verifier, verify_checkpoint

    if checkpoint is None:
        if public_key is not None:
            raise ServiceError("--public-key va avec --checkpoint FICHIER.")
        settings, deps = open_deps(db)
        with _verify_progress() as told:
            check = verify_journal(deps, who(settings), progress=told)
        if check.ok:
            out.print(check.describe())
            return
        err.print(check.describe())
        raise typer.Exit(1)
    settings = load_settings(_db(db))
    key = public_key or settings.checkpoint_public_key
    if not key and settings.checkpoint_key_file is not None:
        key = f"{settings.checkpoint_key_file}.pub"
    if not key:
        raise ServiceError(
            "Indiquez la clé publique de la cellule : --public-key (nom+empreinte+clé ou "
            "fichier .pub)."
        )
    verifier = load_verifier(key)
    note = _read_note(checkpoint)
    settings, deps = open_deps(db, settings)
    with _verify_progress() as told:
        proof = verify_checkpoint(deps, who(settings), note, verifier, progress=told)
    if proof.ok:
        out.print(proof.describe(), highlight=False)
        return
    err.print(proof.describe(), highlight=False)
    raise typer.Exit(1)


def _read_note(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ServiceError(f"{path} : ce n'est pas un point de contrôle (texte UTF-8).") from None


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


@audit_app.command("keygen")
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

    settings = load_settings(_db(db))
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


@audit_app.command("checkpoint")
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

    settings = load_settings(_db(db))
    key_file = key or settings.checkpoint_key_file
    if key_file is None:
        raise ServiceError(
            "Aucune clé de signature : --key FICHIER ou CSU_CHECKPOINT_KEY_FILE "
            "(créez-la avec « csu audit keygen »)."
        )
    signer = load_signer(key_file)
    if out_file is not None and out_file.exists():
        raise ServiceError(f"{out_file} existe déjà : il n'est pas remplacé.")
    settings, deps = open_deps(db, settings)
    signed = sign_checkpoint(
        deps, who(settings), signer, origin or settings.checkpoint_origin or None
    )
    if out_file is None:
        sys.stdout.write(signed.note)
        return
    with out_file.open("x", encoding="utf-8", newline="\n") as handle:
        handle.write(signed.note)
    out.print(
        f"Point de contrôle signé : {signed.size} entrées, clé « {signed.key_name} » "
        f"({signed.key_id}), écrit dans {out_file} et enregistré dans la base.",
        highlight=False,
        markup=False,
    )


@audit_app.command("export")
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
        str | None, typer.Option("--action", help="Action (code : verification...).")
    ] = None,
    outcome: Annotated[str | None, typer.Option("--outcome", help="Résultat.")] = None,
    election: Annotated[str | None, typer.Option("--election", help="Scrutin.")] = None,
    intervention: Annotated[
        str | None, typer.Option("--intervention", help="Intervention.")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Fichier (défaut : sortie standard).")
    ] = None,
    db: DbOption = None,
) -> None:
    """Exporte le journal filtré (JSON Lines ou CSV)."""
    from csu.services.audit import ExportFilter, export_journal

    if fmt not in ("jsonl", "csv"):
        raise ServiceError(f"Format « {fmt} » inconnu : jsonl ou csv.")
    where = ExportFilter(
        since=parse_typed_moment(since, "--since") if since else None,
        until=parse_typed_moment(until, "--until", end_of_day=True) if until else None,
        operator=operator.strip().lower() if operator else None,
        matricule=parse_matricule(matricule) if matricule else None,
        action=action,
        outcome=outcome,
        election=election,
        intervention=intervention,
    )
    settings, deps = open_deps(db)
    if output is None:
        count = export_journal(deps, who(settings), sys.stdout, fmt=fmt, where=where)  # type: ignore[arg-type]
    else:
        with output.open("w", encoding="utf-8", newline="") as handle:
            count = export_journal(deps, who(settings), handle, fmt=fmt, where=where)  # type: ignore[arg-type]
        out.print(f"{count} entrée(s) exportée(s) vers {output}.")


@operator_app.command("list")
@friendly
def operator_list(db: DbOption = None) -> None:
    """Liste les opérateurs."""
    from csu.services.context import ROLE_LABELS
    from csu.services.operators import list_operators

    settings, deps = open_deps(db)
    table = Table("Identifiant", "Nom", "Rôle", "Bureau", "Actif")
    for op in list_operators(deps, who(settings)):
        table.add_row(
            op.login,
            op.display_name,
            ROLE_LABELS[op.role],
            op.bureau or "",
            "oui" if op.active else "non",
        )
    out.print(table)


@operator_app.command("add")
@friendly
def operator_add(
    login: Annotated[str, typer.Argument(help="Identifiant de connexion.")],
    role: Annotated[str, typer.Option("--role", help="agent, president, superviseur ou admin.")],
    bureau: Annotated[
        str | None, typer.Option("--bureau", help="Bureau de vote (président).")
    ] = None,
    name: Annotated[str | None, typer.Option("--name", help="Nom affiché.")] = None,
    password_stdin: Annotated[
        bool,
        typer.Option("--password-stdin", help="Lire le mot de passe sur l'entrée standard."),
    ] = False,
    db: DbOption = None,
) -> None:
    """Crée un opérateur et affiche son QR code TOTP (une seule fois)."""
    from csu.services.context import ROLE_LABELS
    from csu.services.operators import add_operator

    settings, deps = _operator_deps(db)  # before the prompt: a wrong --db asks nothing
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Mot de passe", hide_input=True)
        if typer.prompt("Mot de passe (confirmation)", hide_input=True) != password:
            raise ServiceError("Les deux mots de passe saisis diffèrent : rien n'a été créé.")
    created = add_operator(
        deps,
        who(settings),
        login,
        role=role,
        password=password,
        display_name=name,
        bureau=bureau,
    )
    out.print(f"Opérateur « {created.login} » créé ({ROLE_LABELS[created.role]}).", highlight=False)
    _show_enrolment(created.provisioning_uri)


@operator_app.command("disable")
@friendly
def operator_disable(
    login: Annotated[str, typer.Argument(help="Identifiant de l'opérateur.")],
    reason: Annotated[str | None, typer.Option("--reason", help="Motif (journalisé).")] = None,
    db: DbOption = None,
) -> None:
    """Désactive un opérateur : il ne peut plus se connecter."""
    from csu.services.operators import disable_operator

    settings, deps = _operator_deps(db)
    disable_operator(deps, who(settings), login, reason)
    out.print(f"Opérateur « {login.strip().lower()} » désactivé.", highlight=False)


@operator_app.command("reset-totp")
@friendly
def operator_reset_totp(
    login: Annotated[str, typer.Argument(help="Identifiant de l'opérateur.")],
    reason: Annotated[str | None, typer.Option("--reason", help="Motif (journalisé).")] = None,
    db: DbOption = None,
) -> None:
    """Remplace le secret TOTP d'un opérateur et affiche le nouveau QR code."""
    from csu.services.operators import reset_totp

    settings, deps = _operator_deps(db)
    created = reset_totp(deps, who(settings), login, reason)
    out.print(
        f"Nouveau secret TOTP pour « {created.login} » : les anciens codes ne valent plus.",
        highlight=False,
    )
    _show_enrolment(created.provisioning_uri)


@operator_app.command("unlock")
@friendly
def operator_unlock(
    login: Annotated[str, typer.Argument(help="Identifiant de l'opérateur.")],
    reason: Annotated[str | None, typer.Option("--reason", help="Motif (journalisé).")] = None,
    db: DbOption = None,
) -> None:
    """Déverrouille un opérateur bloqué après des échecs de connexion."""
    from csu.services.operators import unlock_operator

    settings, deps = _operator_deps(db)
    unlock_operator(deps, who(settings), login, reason)
    out.print(f"Opérateur « {login.strip().lower()} » déverrouillé.", highlight=False)


def _operator_deps(db: str | None) -> tuple[Settings, Deps]:
    """open_deps, with the argon2id cost of the settings for operators' passwords."""
    settings, deps = open_deps(db)
    return settings, dataclasses.replace(deps, hasher=settings.hasher())


def _show_enrolment(uri: str) -> None:
    """The TOTP enrolment, shown once: a QR code for the phone, and its URI."""
    import segno

    out.print(
        "Scannez maintenant ce QR code avec une application d'authentification "
        "(FreeOTP, Google Authenticator, Aegis…) : il ne sera plus affiché.",
        highlight=False,
    )
    sys.stdout.flush()
    segno.make(uri).terminal(out=sys.stdout, compact=True)
    sys.stdout.flush()
    out.print("Ou saisissez ce lien dans l'application :", highlight=False)
    out.print(uri, highlight=False, markup=False, soft_wrap=True)


@app.command("purge")
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
    from csu.services.retention import purge

    moment = parse_typed_moment(before, "--before") if before else None
    settings, deps = open_deps(db)
    report = purge(deps, who(settings), before=moment, election=election, dry_run=dry_run)
    if report.dry_run:
        out.print("Simulation : rien n'a été effacé.", highlight=False)
    verb = "serait purgé" if report.dry_run else "purgé"
    for done in report.purged:
        c = done.counts
        out.print(
            f"Scrutin {done.election_id} (clos le {_paris(done.closes_at)}) {verb} : "
            f"{c.voters} électeur(s) effacé(s), {c.voters_kept} conservé(s) (inscrits à un "
            f"scrutin non purgé) ; {c.credentials} code(s), {c.interventions} "
            f"intervention(s), {c.one_time_codes} code(s) à usage unique, {c.link_tokens} "
            f"lien(s), {c.messages} message(s), {c.substitutions} demande(s) de "
            "substitution effacés.",
            highlight=False,
        )
    for skipped in report.skipped:
        out.print(f"Scrutin {skipped.election_id} non purgé : {skipped.reason}", highlight=False)
    if not report.purged:
        out.print("Aucun scrutin à purger.", highlight=False)


@app.command()
@friendly
def demo(
    voters: Annotated[int, typer.Option("--voters", help="Nombre d'électeurs fictifs.")] = 3000,
    force: Annotated[
        bool, typer.Option("--force", help="Remplacer une base de démo existante.")
    ] = False,
    if_absent: Annotated[
        bool, typer.Option("--if-absent", help="Ne rien faire si la base existe déjà.")
    ] = False,
    db: DbOption = None,
) -> None:
    """Construit une base de démonstration (électeurs fictifs, un opérateur par rôle)."""
    from csu.services.demo import DEMO_OPERATORS, DEMO_PASSWORD, build_demo

    if voters < 3:
        raise ServiceError("--voters : 3 électeurs au moins.")
    settings = load_settings(_db(db) or demo_url())
    path = settings.sqlite_path
    if path is None:
        raise ServiceError("La base de démo est un fichier SQLite : --db CHEMIN.")
    if path.exists():
        if not _is_demo_file(settings):
            raise ServiceError(f"{path} n'est pas une base de démo : elle ne sera pas remplacée.")
        if if_absent:
            engine = _engine(settings)
            if current_revision(engine) != head_revision():
                upgrade(engine)  # a demo built by an older CSU: bring its schema up to date
                out.print(f"Base de démo mise à jour : {path}")
            else:
                out.print(f"Base de démo déjà présente : {path}")
            return
        if not force:
            raise ServiceError(f"{path} existe déjà : ajoutez --force pour la remplacer.")
        _remove_sqlite(path)
    try:
        settings.ensure_key()
        engine = _engine(settings)
        upgrade(engine)
        deps = Deps(engine=engine, key=settings.key_bytes())
        with out.status("Construction de la base de démo…"):
            built = build_demo(deps, who(settings), voters=voters)
        engine.dispose()
    except BaseException:
        _remove_sqlite(path)  # never leave a half-built demo behind
        raise
    out.print(f"Base de démo prête : {_display_url(settings)} ({built.voters} électeurs).")
    table = Table("Identifiant", "Rôle", "Mot de passe", "Secret TOTP")
    for login, role, _, secret in DEMO_OPERATORS:
        table.add_row(login, role, DEMO_PASSWORD, secret)
    out.print(table)


@outbox_app.command("deliver")
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
    summary = ", ".join(f"{label} : {n}" for label, n in counts.items() if n)
    out.print(f"{len(states)} message(s) traité(s)" + (f" — {summary}" if summary else "."))


@outbox_app.command("list")
@friendly
def outbox_list(
    limit: Annotated[int, typer.Option("--limit", help="Nombre de messages.")] = 50,
    db: DbOption = None,
) -> None:
    """Les derniers messages, destinataires masqués."""
    from csu.services.outbox import list_messages

    settings, deps = open_deps(db)
    table = Table("N°", "Créé le", "Objet", "Canal", "Destinataire", "État", "Essais", "Erreur")
    for m in list_messages(deps, who(settings), limit=limit):
        table.add_row(
            str(m.id), f"{m.created_at:%d/%m %H:%M}", m.purpose, m.channel, m.recipient,
            m.state, str(m.attempts), m.last_error or "",
        )
    out.print(table)


@token_app.command("redeem")
@friendly
def token_redeem(
    token: Annotated[str, typer.Argument(help="Le jeton du lien reçu (après « jeton= »).")],
    db: DbOption = None,
) -> None:
    """Ouvre un lien de réassort comme la plateforme de vote : délivre le nouveau code."""
    from csu.delivery.factory import build_delivery
    from csu.services.vote_codes import redeem_link

    settings, deps = open_deps(db)
    deps = dataclasses.replace(deps, hasher=settings.hasher(), delivery=build_delivery(settings))
    issued = redeem_link(deps, token)
    out.print(
        f"Nouveau {issued.label} du matériel {issued.material_identifier} : "
        f"[bold]{issued.display}[/bold] (à afficher {issued.display_seconds} s, une seule fois)",
        highlight=False,
    )


@app.command("demo-callers")
@friendly
def demo_callers_command(
    count: Annotated[int, typer.Option("--count", help="Électeurs par scrutin.")] = 3,
    db: DbOption = None,
) -> None:
    """Fiches d'appelants fictifs de la base de démo : ce qu'ils répondraient au téléphone."""
    from csu.services.demo import demo_callers

    short = {
        "birth_date": "né(e) le",
        "agent_card": "carte agent (6 premiers)",
        "iban": "IBAN (6 derniers)",
        "numen": "NUMEN",
        "nir10": "NIR (10 premiers)",
        "birth_department": "dépt de naissance",
        "challenge_answer": "réponse défi",
    }
    _, deps = open_deps(_db(db) or demo_url())
    table = Table("Scrutin", "Matricule", "Nom", "Bureau", "Réponses")
    for caller in demo_callers(deps, count):
        answers = "\n".join(
            f"{short.get(factor, factor)} : {value}" for factor, value in caller.answers.items()
        )
        table.add_row(caller.election, caller.matricule, caller.name, caller.bureau, answers)
    out.print(table)


def _is_demo_file(settings: Settings) -> bool:
    from csu.services.demo import is_demo

    try:
        engine = _engine(settings)
        if current_revision(engine) is None:
            return False
        return is_demo(Deps(engine=engine, key=b""))  # csu_meta exists since the first revision
    except SQLAlchemyError:
        return False


def _remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", ".key"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


@app.command()
@friendly
def run(
    db: DbOption = None,
    demo: Annotated[bool, typer.Option("--demo", help="Ouvrir la base de démo.")] = False,
) -> None:
    """Ouvre le terminal."""
    from csu.app import CsuApp

    # Reached when `csu.launch` hands over (e.g. tests); it opens the store first.
    CsuApp.at(open_workplace(_db(db), demo)).run()


@app.command()
@friendly
def serve(
    host: Annotated[
        str, typer.Option("--host", help="Adresse d'écoute (locale par défaut).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port d'écoute (1 à 65535).")] = 8000,
    db: DbOption = None,
    demo: Annotated[bool, typer.Option("--demo", help="Servir la base de démo.")] = False,
    public_url: Annotated[
        str | None,
        typer.Option(
            "--public-url",
            help="Adresse de la page vue des navigateurs (derrière un proxy HTTPS).",
            show_default=False,
        ),
    ] = None,
    allow_remote: Annotated[
        bool,
        typer.Option(
            "--allow-remote", help="Accepter une adresse non locale (HTTP en clair : déconseillé)."
        ),
    ] = False,
) -> None:
    """Sert le terminal dans un navigateur (une session CSU par onglet)."""
    from csu.serve import serve as serve_app

    serve_app(
        host,
        port,
        db=_db(db),
        demo=demo,
        public_url=public_url,
        allow_remote=allow_remote,
        warn=lambda message: err.print(f"[bold red]{message}[/bold red]", highlight=False),
    )


def _engine(settings: Settings) -> Any:
    return settings_engine(settings)


def _display_url(settings: Settings) -> str:
    path = settings.sqlite_path
    if path is not None:
        return str(path)
    from sqlalchemy.engine import make_url

    return make_url(settings.database_url).render_as_string(hide_password=True)


def _paris(moment: datetime) -> str:
    return moment.astimezone(PARIS).strftime("%d/%m/%Y %H:%M")


def _print_errors(errors: list[Any]) -> None:
    for error in errors:
        err.print(error.describe(), highlight=False, soft_wrap=True)


@contextmanager
def _progress(total: int) -> Iterator[tuple[Progress, TaskID]]:
    """A progress bar over the bytes of the file, on a terminal only."""
    progress = Progress(
        TextColumn("Import"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[rows]:,} lignes"),
        TimeElapsedColumn(),
        console=err,
        disable=not err.is_terminal,
    )
    with progress:
        yield progress, progress.add_task("import", total=total or None, rows=0)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
