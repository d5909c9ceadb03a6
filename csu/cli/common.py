"""What every command shares: consoles, the ``--db`` and ``--demo`` options, French errors,
opening the store."""

import functools
import os
import sqlite3
import stat
import sys
from collections.abc import Callable, Iterable
from contextlib import closing
from contextvars import ContextVar
from pathlib import Path, PurePath
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.text import Text
from typer._click.globals import get_current_context

from csu.cli.french import param_name
from csu.config import ConfigError, Settings
from csu.domain.errors import InvalidValue
from csu.domain.plural import counted, plural_of
from csu.domain.text import holds_lone_surrogate, terminal_safe
from csu.services.context import Deps, OperatorContext, ServiceError, StoreBusy
from csu.services.files import describe_os_error
from csu.startup import DB_AND_DEMO, demo_url, open_store, settings_engine
from csu.store.failures import cannot_open, describe_store_error


class ShownConsole(Console):
    """A console on which a string's control characters show as their codes: what a
    command prints quotes what CSU did not write (a stored election's id, a checkpoint's
    signer, a file's name), which must never move the cursor, erase a line or retitle
    the window. The sequences of the console's own styles come after, as Rich renders."""

    def render_str(self, text: str, **options: Any) -> Text:
        return super().render_str(terminal_safe(text), **options)


# soft_wrap: messages are not cut at 80 columns when the output is a pipe or a log.
out = ShownConsole(soft_wrap=True)
err = ShownConsole(stderr=True, soft_wrap=True)


def hidden_prompt(label: str) -> str:
    """A secret typed at a prompt that does not show it: at the terminal, as getpass
    reads it, even when stdin is a pipe from an interactive shell (``echo … | csu …``
    still reads the terminal; ``ssh host csu …`` without -t has none). Without any
    terminal (a script, a service) there is nothing to hide: the line is read from
    stdin, the prompt on stderr, where getpass would print its English warning that it
    cannot hide it. Nothing left to read, or an empty line: ``typer.Abort``. Bytes that
    are not UTF-8: an ``InvalidValue`` naming the prompt."""
    fault = "n'est pas du texte UTF-8 : réglez le terminal en UTF-8"
    try:
        if at_a_terminal():
            typed = str(typer.prompt(label, hide_input=True))
        else:
            err.print(f"{label}: ", end="", highlight=False, markup=False)  # as typer.prompt
            typed = sys.stdin.readline().rstrip("\r\n")
            err.print()  # what follows on a line of its own: nothing echoed the line
            if not typed:
                raise typer.Abort()
    except UnicodeDecodeError:
        raise InvalidValue(label, fault) from None
    if holds_lone_surrogate(typed):  # bytes a C locale's stdin decoded as surrogates
        raise InvalidValue(label, fault)
    return typed


def at_a_terminal() -> bool:
    """Whether a person may be asked at a prompt: stdin is a terminal, or the process
    has one where getpass reads hidden (unless stdin was replaced inside the process,
    as a test's runner does: the prompt then reads it)."""
    return sys.stdin.isatty() or (sys.stdin is sys.__stdin__ and _has_terminal())


def _has_terminal() -> bool:
    """Whether the process has a controlling terminal, where getpass reads hidden."""
    try:
        with open("/dev/tty", "rb"):
            return True
    except OSError:
        return False

# The largest number an id or a journal entry's n° can be: PostgreSQL's INTEGER columns
# (SQLite's are wider). A larger one is refused as a bad value, not sent to the store.
MAX_ROW_NUMBER = 2_147_483_647

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db", help="URL de la base (ou chemin d'un fichier SQLite).", show_default=False
    ),
]

DemoOption = Annotated[
    bool,
    typer.Option(
        "--demo",
        help="Travailler sur la base de démonstration (celle de « make run » et « csu demo »)."
        " Admis avant ou après la commande.",
    ),
]

F = TypeVar("F", bound=Callable[..., Any])
global_db: ContextVar[str | None] = ContextVar("global_db", default=None)
# Set by the root command's --demo (the root group moves a --demo given after a command
# to it): every command opens its store through resolve_db, so all of them honour it.
global_demo: ContextVar[bool] = ContextVar("global_demo", default=False)


def friendly(command: F) -> F:
    """Bad input and refusals end in a French sentence and exit status 1, never a traceback."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            _refuse_bytes_not_utf8(kwargs)
            return command(*args, **kwargs)
        except (InvalidValue, ServiceError, ConfigError) as error:
            text = str(error)
            if isinstance(error, StoreBusy):  # retried in vain: say which store, and why
                told = describe_store_error(error.__cause__)
                text = f"{told} Rien n'a été enregistré." if told else text
            # escape: the message may quote a file's content, never to be read as markup
            err.print(f"[red]Erreur :[/red] {escape(text)}", highlight=False)
        except OSError as error:
            reason = describe_os_error(error)
            where = escape(str(error.filename or ""))
            err.print(f"[red]Erreur :[/red] {where} : {reason}", highlight=False)
        except UnicodeError:  # text that no check above named: still no traceback
            err.print("[red]Erreur :[/red] un texte n'est pas de l'UTF-8 valide.")
        except Exception as error:
            # The store's failures (SQLAlchemy's, or its driver's let through bare), whose
            # drivers speak English: told in French, naming the file or the server.
            told = describe_store_error(error)
            if told is None:
                raise
            err.print(f"[red]Erreur :[/red] {escape(told)}", highlight=False)
        raise typer.Exit(1)

    return wrapper  # type: ignore[return-value]


def _refuse_bytes_not_utf8(arguments: dict[str, Any]) -> None:
    """Refuses an argument holding bytes that are not UTF-8, naming it as typed.

    Python decodes such bytes of the command line as lone surrogates (0xFF -> U+DCFF),
    which no table, journal body or terminal can hold: left there, the first encoding
    of the value fails (a file's name is journalled and quoted in messages too)."""
    for name, value in arguments.items():
        values = value if isinstance(value, list | tuple) else [value]
        for each in values:
            if isinstance(each, PurePath) and holds_lone_surrogate(str(each)):
                raise InvalidValue(
                    _argument_label(name),
                    f"le nom « {_shown(str(each))} » n'est pas de l'UTF-8 : renommez le "
                    "fichier, ou choisissez-en un autre",
                )
            if isinstance(each, str) and holds_lone_surrogate(each):
                raise InvalidValue(
                    _argument_label(name),
                    f"« {_shown(each)} » n'est pas du texte UTF-8 : retapez-le, ou réglez "
                    "le terminal en UTF-8",
                )


def _argument_label(name: str) -> str:
    """``--reason`` or ``FICHIER``: the argument as usage errors name it."""
    context = get_current_context(silent=True)  # Typer's own copy of Click's
    for parameter in context.command.params if context else ():
        if parameter.name == name:
            return param_name(parameter)
    return name


def _shown(value: str) -> str:
    """The value with its bytes that are not UTF-8 written as \\xFF."""
    try:
        raw = value.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate that came from no byte (\\ud800)
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    return raw.decode("utf-8", "backslashreplace")


def resolve_db(db: str | None) -> str | None:
    """The command's --db, else the one given before the command, else the demo
    database with --demo (None: the settings' database)."""
    chosen = db or global_db.get()
    if global_demo.get():
        if chosen:
            raise ConfigError(DB_AND_DEMO)
        return demo_url()
    return chosen


def open_deps(db: str | None, settings: Settings | None = None) -> tuple[Settings, Deps]:
    """Settings, key and a migrated store, or a French error saying what to do."""
    chosen = resolve_db(db)
    try:
        return open_store(chosen, settings)
    except ConfigError as error:
        if chosen is None and settings is None and _demo_exists():
            # The usual slip after `make run`: the demo is not the default database.
            raise ConfigError(
                f"{error} La base de démonstration s'ouvre avec --demo "
                "(par exemple « csu audit export --demo »)."
            ) from None
        raise


def _demo_exists() -> bool:
    from csu.config import load_settings

    path = load_settings(demo_url()).sqlite_path
    return path is not None and path.exists()


def who(settings: Settings) -> OperatorContext:
    return OperatorContext.command_line(settings.workstation)


def engine_of(settings: Settings) -> Any:
    return settings_engine(settings)


# --- a SQLite path checked before anything is made there (csu init, csu demo) -------

SQLITE_HEADER = b"SQLite format 3\x00"  # the first 16 bytes of every SQLite file
_CHECK_PATH = "Vérifiez le chemin donné à --db ou à CSU_DATABASE_URL."


def refuse_unusable_sqlite_path(path: Path) -> None:
    """Stops, in French and naming it, at a ``path`` that cannot be a SQLite base: a
    folder, a file on the way where a folder should be, a device or a pipe, a file that
    SQLite did not write. Told before anything is made or changed there (the key file
    beside it, its folders, the modes the store gives its files); what this account may
    not read or write is left for SQLite to find, and the store to tell."""
    where = f"Base {path}"
    mode = _mode(path)
    if mode is not None and stat.S_ISDIR(mode):
        raise ConfigError(f"{where} : {cannot_open(path)}")
    if mode is None:
        blocking = _file_on_the_way(path)
        if blocking is not None:
            raise ConfigError(
                f"{where} : {blocking} est un fichier, pas un dossier ; la base ne peut pas "
                f"y être créée. {_CHECK_PATH}"
            )
        return
    if not stat.S_ISREG(mode):
        raise ConfigError(
            f"{where} : ce n'est pas un fichier ordinaire (périphérique, tube ou socket), "
            f"donc pas une base SQLite. {_CHECK_PATH}"
        )
    try:
        with path.open("rb") as file:
            head = file.read(len(SQLITE_HEADER))
    except OSError:
        return  # unreadable: SQLite says so, in the store's words
    if head and head != SQLITE_HEADER:  # empty, it is an empty base to SQLite
        raise ConfigError(
            f"{where} : ce fichier n'est pas une base SQLite (ou il est chiffré) ; il est "
            f"laissé tel quel. {_CHECK_PATH}"
        )


def sqlite_tables(path: Path) -> set[str] | None:
    """The tables of the SQLite base at ``path``, read without writing anything there
    (the store's engine would turn it to WAL mode and tighten its modes); None when it
    cannot be read so (absent, unreadable, locked): the store then says why."""
    if _mode(path) is None:
        return None
    try:
        uri = f"{path.absolute().as_uri()}?mode=ro"
        with closing(sqlite3.connect(uri, uri=True)) as connection:
            rows = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            return {name for (name,) in rows}
    except (sqlite3.Error, ValueError):
        return None


def folders_to_make(path: Path) -> list[Path]:
    """The folders missing on the way to ``path``, the deepest first: those a command
    that fails after making them removes (:func:`remove_made`)."""
    missing = []
    for folder in path.parents:
        if not is_absent(folder):
            break
        missing.append(folder)
    return missing


def is_absent(path: Path) -> bool:
    """Whether nothing is at ``path``, not even a link: False when it cannot be told
    (a folder on the way this account may not search), never to remove what is there."""
    try:
        os.lstat(path)
    except FileNotFoundError:
        return True
    except (OSError, ValueError):
        return False
    return False


def remove_made(paths: Iterable[Path]) -> None:
    """Removes what a failed command made: files, and folders once empty (the deepest
    first); what cannot be removed is left."""
    for each in paths:
        try:
            if each.is_dir() and not each.is_symlink():
                each.rmdir()  # only if empty: never what someone else put there meanwhile
            else:
                each.unlink(missing_ok=True)
        except OSError:
            pass


def _mode(path: Path) -> int | None:
    """The mode of ``path`` (through a link), None when absent or out of sight."""
    try:
        return os.stat(path).st_mode
    except (OSError, ValueError):
        return None


def _file_on_the_way(path: Path) -> Path | None:
    """The nearest existing folder on the way to ``path``, when it is no folder."""
    for folder in path.parents:
        mode = _mode(folder)
        if mode is not None:
            return None if stat.S_ISDIR(mode) else folder
    return None


def display_url(settings: Settings) -> str:
    path = settings.sqlite_path
    if path is not None:
        return str(path)
    from sqlalchemy.engine import make_url

    return make_url(settings.database_url).render_as_string(hide_password=True)


def print_errors(errors: list[Any], more: int = 0) -> None:
    for error in errors:
        err.print(error.describe(), highlight=False, markup=False, soft_wrap=True)
    if more:
        err.print(more_rejected(more), highlight=False)


def more_rejected(more: int) -> str:
    """« … et 1 autre ligne en erreur, non détaillée. », « … et 3 autres lignes … »."""
    rows = counted(more, "autre ligne en erreur", "autres lignes en erreur")
    return f"… et {rows}, non {plural_of(more, 'détaillée')}."
