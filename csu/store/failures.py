"""Failures of the store told in French, naming the store: the SQLite file, or the
PostgreSQL server and base. What the drivers say (SQLite's and libpq's words) is
English; the commands (csu.cli.common.friendly) and the terminal (csu.startup,
open_workplace) tell the operator this instead."""

import logging
import os
import re
import sqlite3
import stat
from collections.abc import Callable
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from csu.domain.text import terminal_safe
from csu.store.engine import (
    PG_CONNECT_TIMEOUT_S,
    SQLITE_BUSY_MESSAGES,
    _driver_error,
    _psycopg,
)

# The URL of the store opened last in this context (a command's, or the terminal's in
# its worker): the one named when the store fails (describe_store_error).
_log = logging.getLogger(__name__)

_store_url: ContextVar[str | None] = ContextVar("csu_store_url", default=None)


def remember_store(url: str) -> None:
    """The store this command (or the terminal's worker) opens: named by its failures."""
    _store_url.set(url)


# What the drivers say (SQLite's and libpq's words are English) told in French, naming
# the store: the SQLite file, or the PostgreSQL server and base. Shared by the commands
# (csu.cli.common.friendly) and the terminal (open_workplace).


def describe_store_error(error: BaseException | None, url: str | None = None) -> str | None:
    """A French sentence saying what is wrong with the store and which store it is, for
    an error of the database (SQLAlchemy's, or its driver's let through bare); None for
    any other. ``url``: the store's, by default the one opened last here."""
    if error is None:
        return None
    driver = _driver_error(error)
    url = url or _store_url.get()
    try:
        parsed = make_url(url) if url else None
    except ArgumentError:
        parsed = None
    if isinstance(driver, sqlite3.Error):
        database = parsed.database if parsed is not None else None
        if database and database != ":memory:" and not database.startswith("file:"):
            return _sqlite_problem(driver, Path(database))
        return f"Base SQLite : {_sqlite_reason(driver)}"
    if _psycopg(driver):
        return _postgres_problem(driver, parsed)
    if isinstance(error, PoolTimeout):
        return (
            f"{_store_name(parsed)} : toutes les connexions sont occupées depuis trop "
            "longtemps ; l'opération n'a pas abouti, réessayez dans un instant."
        )
    if isinstance(error, ArgumentError):  # SQLAlchemy could not read the address
        check = "Vérifiez l'adresse donnée à --db ou à CSU_DATABASE_URL."
        if "port" in str(error):
            return f"Adresse de la base : port non numérique. {check}"
        return f"Adresse de la base illisible. {check}"
    if isinstance(error, SQLAlchemyError):
        _log.warning("store error told as generic: %s", type(error).__name__)
        return f"{_store_name(parsed)} : l'opération n'a pas abouti (erreur de la base)."
    return None


def _store_name(parsed: Any) -> str:
    if parsed is None:
        return "Base de données"
    if parsed.get_backend_name() == "sqlite":
        return f"Base {parsed.database}"
    return f"Base PostgreSQL « {parsed.database or ''} » du serveur {_server(parsed)}"


def _first_line(error: BaseException) -> str:
    """The driver's message, for the log: it may quote a stored value, whose control
    characters are written as codes (a log is read in a terminal too)."""
    text = str(error).strip()
    return terminal_safe(text.splitlines()[0]) if text else type(error).__name__


# --- SQLite ----------------------------------------------------------------------

_SAME_ACCOUNT = "ou lancez CSU depuis le compte qui en est propriétaire"


def _sqlite_problem(error: sqlite3.Error, path: Path) -> str:
    """What went wrong with the SQLite file ``path``: told by SQLite's error code, and
    for a file it could not open or write, by looking at the file and its folder."""
    name = getattr(error, "sqlite_errorname", "") or ""
    text = str(error)
    where = f"Base {path}"
    if name.startswith("SQLITE_CANTOPEN") or "unable to open database file" in text:
        return f"{where} : {cannot_open(path)}"
    if name.startswith("SQLITE_READONLY") or "readonly database" in text:
        unwritable = sqlite_unwritable(path, "cette commande")
        if unwritable is not None:
            return unwritable
        return (
            f"{where} : elle n'accepte aucune écriture (support ou ouverture en lecture "
            "seule), or cette commande doit y écrire."
        )
    return f"{where} : {_sqlite_reason(error, path)}"


def _sqlite_reason(error: sqlite3.Error, path: Path | None = None) -> str:
    """What SQLite's error code means, whatever the file."""
    name = getattr(error, "sqlite_errorname", "") or ""
    text = str(error)
    folder = f" de {path.parent}" if path is not None else ""
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or any(
        message in text for message in SQLITE_BUSY_MESSAGES
    ):
        return (
            "verrouillée par un autre programme qui y écrit (un terminal, une commande csu, "
            "un outil SQLite) et ne l'a pas libérée à temps. L'opération n'a pas abouti : "
            "réessayez quand il aura fini."
        )
    if name.startswith("SQLITE_NOTADB") or "file is not a database" in text:
        return (
            "ce fichier n'est pas une base SQLite (ou il est chiffré). Vérifiez le chemin "
            "donné à --db ou à CSU_DATABASE_URL."
        )
    if name.startswith("SQLITE_CORRUPT") or "malformed" in text:
        return (
            "le fichier est endommagé (SQLite le dit corrompu). N'y écrivez plus, gardez-en "
            "une copie et repartez de la dernière sauvegarde."
        )
    if name.startswith("SQLITE_FULL") or "disk is full" in text:
        return f"disque plein : libérez de la place sur le disque{folder}, puis réessayez."
    if name.startswith("SQLITE_IOERR") or "disk I/O error" in text:
        return (
            f"erreur d'entrée-sortie du disque{folder} (retiré, plein ou défaillant ?). "
            "Vérifiez-le avant de réessayer."
        )
    if name.startswith("SQLITE_CANTOPEN") or "unable to open database file" in text:
        return "impossible d'ouvrir le fichier de la base."
    _log.warning("SQLite error told as generic: %s", name or _first_line(error))
    return "SQLite a refusé l'opération."


def cannot_open(path: Path) -> str:
    """Why SQLite could not open ``path``, as far as the file system tells."""
    folder = path.parent
    if _is(path, stat.S_ISDIR):
        return (
            "c'est un dossier, pas un fichier SQLite. Indiquez le fichier de la base "
            "(--db ou CSU_DATABASE_URL), pas son dossier."
        )
    if not os.access(folder, os.X_OK):
        return (
            f"le dossier {folder} n'est pas accessible à ce compte (droits). Corrigez ses "
            f"droits, {_SAME_ACCOUNT}."
        )
    if _is(path) and not os.access(path, os.R_OK):
        return f"fichier illisible pour ce compte (droits). Corrigez ses droits, {_SAME_ACCOUNT}."
    if not os.access(folder, os.W_OK):
        if _read_only_mount(folder):
            return f"le disque de {folder} est monté en lecture seule."
        made = "créer ses fichiers -wal et -shm" if _is(path) else "la créer"
        return (
            f"impossible de {made} : le dossier {folder} n'est pas accessible en écriture à "
            f"ce compte (droits). Corrigez ses droits, {_SAME_ACCOUNT}."
        )
    if _is(path) and not os.access(path, os.W_OK):
        return (
            f"fichier en lecture seule pour ce compte (droits). Rendez-le modifiable, "
            f"{_SAME_ACCOUNT}."
        )
    return (
        "impossible d'ouvrir le fichier. Vérifiez le chemin, et que le fichier et son "
        "dossier sont accessibles en lecture et en écriture à ce compte."
    )


def sqlite_unwritable(path: Path, writer: str) -> str | None:
    """Why this account cannot write the SQLite base at ``path``, a sentence naming it:
    the file, its -wal and -shm beside it, or the folder where SQLite makes them even to
    read; None when the file system allows it (a missing file: told when made).
    ``writer``: what must write there (« cette commande », « le terminal »)."""
    if not _is(path, stat.S_ISREG):
        return None
    where = f"Base {path}"
    folder = path.parent
    if _read_only_mount(folder):
        return f"{where} : {writer} doit y écrire, or son disque est monté en lecture seule."
    if not os.access(path, os.W_OK):
        return (
            f"{where} : {writer} doit y écrire, or le fichier est en lecture seule pour ce "
            f"compte (droits). Rendez-le modifiable, {_SAME_ACCOUNT}."
        )
    for each in (Path(f"{path}-wal"), Path(f"{path}-shm")):
        if _is(each) and not os.access(each, os.W_OK):
            return (
                f"{where} : SQLite doit écrire dans {each.name} à côté d'elle, même pour la "
                f"lire, or ce fichier est en lecture seule pour ce compte (droits). Rendez-le "
                f"modifiable, {_SAME_ACCOUNT}."
            )
    if not os.access(folder, os.W_OK):
        return (
            f"{where} : SQLite doit créer {path.name}-wal et {path.name}-shm à côté d'elle, "
            f"même pour la lire, or le dossier {folder} n'est pas accessible en écriture à "
            f"ce compte (droits). Corrigez ses droits, {_SAME_ACCOUNT}."
        )
    return None


def _is(path: Path, kind: Callable[[int], bool] | None = None) -> bool:
    """Whether ``path`` is there (and of that ``kind``, e.g. ``stat.S_ISDIR``); False
    when it cannot be told either (a folder on the way this account may not search)."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return False
    return kind is None or kind(mode)


def _read_only_mount(folder: Path) -> bool:
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except (OSError, AttributeError):  # gone, or no statvfs (Windows)
        return False


# --- PostgreSQL ------------------------------------------------------------------

# The SQLSTATE of an error the server sent, with what it means here.
_PG_STATES = {
    "55P03": "une autre session tient le verrou attendu et ne l'a pas libéré à temps "
    "(CSU_DATABASE_LOCK_TIMEOUT_MS). L'opération n'a pas abouti : réessayez dans un instant.",
    "40001": "conflit avec une autre session. L'opération n'a pas abouti : réessayez.",
    "40P01": "conflit avec une autre session. L'opération n'a pas abouti : réessayez.",
    "57014": "opération interrompue par le serveur (délai dépassé). Réessayez.",
    "25P03": "transaction fermée par le serveur, restée trop longtemps inactive. Réessayez.",
    "53300": "le serveur refuse de nouvelles connexions, toutes ses places sont prises "
    "(max_connections). Réessayez dans un instant.",
    "57P01": "le serveur s'arrête. Réessayez dans un instant.",
    "57P02": "le serveur s'arrête. Réessayez dans un instant.",
    "57P03": "le serveur démarre ou s'arrête. Réessayez dans un instant.",
    "42501": "droits insuffisants pour cette opération ; voyez docs/postgresql.md.",
    "25006": "le serveur n'accepte que des lectures (réplique en lecture seule ?).",
    "3D000": "cette base n'existe pas sur le serveur.",
    "53100": "disque du serveur plein.",
}


# By the class of the SQLSTATE (its first two characters), when the code has no
# sentence of its own.
_PG_CLASSES = {
    "08": "connexion au serveur perdue. L'opération n'a pas abouti : réessayez.",
    "22": "une valeur a été refusée par le serveur (format ou longueur).",
    "23": "une contrainte de la base n'est pas respectée : rien n'a été enregistré.",
    "40": "conflit avec une autre session. L'opération n'a pas abouti : réessayez.",
    "53": "le serveur manque de ressources. Réessayez dans un instant.",
    "57": "opération interrompue par le serveur. Réessayez dans un instant.",
}


def _server(parsed: Any) -> str:
    if not parsed.host:
        return "local (socket)"
    return f"{parsed.host}:{parsed.port or 5432}"


# libpq's words for a parameter of the address it does not know or cannot read: the name
# only (a value may be a password), and only as a parameter's name is written.
_BAD_OPTION = re.compile(
    r'invalid connection option "(?P<name>[A-Za-z_]{1,40})"'
    r'|invalid (?P<mode>ssl[a-z_]{1,30}|gss[a-z_]{1,30}|target_session_attrs|load_balance_hosts'
    r'|channel_binding|require_auth) value'
    r'|invalid (?:integer )?value "[^"]*" for connection option "(?P<of>[A-Za-z_]{1,40})"'
)


def _postgres_problem(error: BaseException, parsed: Any) -> str:
    """What went wrong with the PostgreSQL server or base of ``parsed``: from the
    SQLSTATE the server sent, else (a connection that failed: psycopg gives none, the
    server's refusal included) from libpq's words."""
    server = _server(parsed) if parsed is not None else "?"
    base = (parsed.database or "") if parsed is not None else ""
    user = (parsed.username or "") if parsed is not None else ""
    where = f"Base PostgreSQL « {base} » du serveur {server}"
    state = getattr(error, "sqlstate", None)
    if state is not None:  # its words may quote the values refused: the code only
        told = _PG_STATES.get(state) or _PG_CLASSES.get(state[:2])
        if told is None:
            told = f"l'opération a été refusée par le serveur (code {state})."
        return f"{where} : {told}"
    text = str(error)
    check = "Vérifiez l'adresse donnée à --db ou à CSU_DATABASE_URL."
    # libpq refuses the address's parameters itself, before any server is reached.
    option = _BAD_OPTION.search(text)
    if option is not None:
        name = option.group("name") or option.group("of") or option.group("mode")
        fault = "inconnu" if option.group("name") else "de valeur invalide"
        return f"Adresse de la base PostgreSQL : paramètre « {name} » {fault}. {check}"
    if "database" in text and "does not exist" in text:
        return f"{where} : cette base n'existe pas sur le serveur. {check}"
    if "role" in text and "does not exist" in text:
        return f"Serveur PostgreSQL {server} : l'utilisateur « {user} » n'y existe pas. {check}"
    if "password authentication failed" in text:
        return f"Serveur PostgreSQL {server} : mot de passe refusé pour l'utilisateur « {user} »."
    if "no password supplied" in text:
        return (
            f"Serveur PostgreSQL {server} : un mot de passe est demandé pour l'utilisateur "
            f"« {user} » ; mettez-le dans l'adresse de la base ou dans ~/.pgpass."
        )
    if "no pg_hba.conf entry" in text:
        return (
            f"Serveur PostgreSQL {server} : ce poste n'est pas autorisé à s'y connecter en "
            f"tant que « {user} » sur la base « {base} » (pg_hba.conf du serveur)."
        )
    if "Connection refused" in text:
        return (
            f"Serveur PostgreSQL {server} injoignable : connexion refusée (serveur arrêté, "
            f"ou mauvais hôte ou port). {check}"
        )
    if any(words in text for words in ("resolve host", "translate host name", "not known")):
        host = parsed.host if parsed is not None else ""
        return f"Serveur PostgreSQL : hôte « {host} » inconnu (nom introuvable). {check}"
    if "timeout expired" in text or "timed out" in text:
        return (
            f"Serveur PostgreSQL {server} injoignable : pas de réponse en "
            f"{PG_CONNECT_TIMEOUT_S} s (réseau, pare-feu ou serveur surchargé)."
        )
    if ("too many" in text and "connections" in text) or "connection slots" in text:
        return f"Serveur PostgreSQL {server} : {_PG_STATES['53300']}"
    if any(words in text for words in ("starting up", "shutting down", "in recovery")):
        return f"Serveur PostgreSQL {server} : {_PG_STATES['57P03']}"
    if "No such file or directory" in text and parsed is not None and not parsed.host:
        return (
            "Serveur PostgreSQL local introuvable (aucun socket) : indiquez l'hôte dans "
            "l'adresse (par exemple postgresql://csu@127.0.0.1:5432/csu)."
        )
    if "SSL" in text:
        return (
            f"Serveur PostgreSQL {server} : la connexion chiffrée (SSL) a échoué ; vérifiez "
            "le paramètre sslmode de l'adresse."
        )
    if "connection" in text and ("failed" in text or "closed" in text or "lost" in text):
        return (
            f"Serveur PostgreSQL {server} injoignable ou connexion perdue. L'opération n'a "
            "pas abouti : réessayez dans un instant."
        )
    _log.warning("PostgreSQL error told as generic: %s", _first_line(error))
    return f"{where} : l'opération a échoué (le serveur l'a refusée)."
