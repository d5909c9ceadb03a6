"""Opening the store: settings, the deployment key and a migrated schema.

Shared by the commands (``csu.cli``) and by the terminal, which calls
:func:`open_workplace` in a worker after its first frame is drawn.
"""

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine

from csu.config import ConfigError, Settings, load_settings, sqlite_url
from csu.domain.addresses import WEB_PREFIX, reads_as_web_workstation
from csu.domain.errors import InvalidValue
from csu.services.context import Deps, ServiceError, StoreBusy, check_workstation
from csu.services.deployment_key import KeyMismatch, check_deployment_key
from csu.store.engine import make_engine
from csu.store.failures import (
    cannot_open,
    describe_store_error,
    remember_store,
    sqlite_unwritable,
)
from csu.store.migrate import NewerStore, current_revision, head_revision, refuse_newer

if TYPE_CHECKING:
    from csu.delivery import Delivery
    from csu.domain.checkpoint import NoteVerifier
    from csu.services.checkpoints import CheckpointPolicy


# --db and --demo together, refused by the commands and the terminal alike.
DB_AND_DEMO = "--db et --demo désignent chacun une base : gardez l'une ou l'autre."


class StoreUnavailable(ServiceError):
    """The terminal could not open its store; the text says what to do, in French."""


def out_of_reach(error: BaseException) -> bool:
    """Whether ``error`` says the store cannot be reached or is busy (a server down, a
    file gone, every connection taken): what the terminal's own looks keep quiet about."""
    return isinstance(error, StoreBusy | StoreUnavailable) or (
        describe_store_error(error) is not None
    )


@dataclass(frozen=True)
class Workplace:
    """What the terminal needs from the settings once the store is open."""

    deps: Deps
    workstation: str
    idle_minutes: float
    keymap: dict[str, str]
    # Automatic signed checkpoints (a key file is configured), and the public key the
    # verification screen checks signatures with.
    checkpoints: "CheckpointPolicy | None" = None
    checkpoint_verifier: "NoteVerifier | None" = None
    reveal_seconds: float = 30  # CSU_REVEAL_SECONDS
    login_minutes: float = 5  # CSU_SERVE_LOGIN_MINUTES, in a browser (csu serve)


def settings_engine(settings: Settings) -> Engine:
    remember_store(settings.database_url)
    return make_engine(
        settings.database_url,
        sqlite_synchronous=settings.sqlite_synchronous,
        pool_size=settings.database_pool_size,
        max_overflow=settings.database_max_overflow,
        lock_timeout_ms=settings.database_lock_timeout_ms,
    )


# How textual-serve starts each browser session's process (its AppService).
WEB_DRIVER = "textual.drivers.web_driver:WebDriver"


def _refuse_browser_name(workstation: str, *, terminal: bool) -> None:
    """« web:address » is the name csu serve gives each browser session it starts: a
    terminal under Textual's web driver. Given by a command, or by a terminal of its
    own, it would pass their journal entries for a browser's at that address; written
    otherwise (« WEB: », « ｗｅｂ: », a space before, « wеb: » with a Cyrillic « е »), it
    would read as one; a browser's own session is named « web: » exactly. A name, not
    a proof: whoever sets a terminal's environment may set the driver too, and that
    terminal then speaks the web driver's protocol, not a terminal's; a command never
    starts Textual, so no driver exempts it."""
    served = terminal and os.environ.get("TEXTUAL_DRIVER") == WEB_DRIVER
    if reads_as_web_workstation(workstation) and not (
        served and workstation.startswith(WEB_PREFIX)
    ):
        raise ConfigError(
            f"CSU_WORKSTATION (nom du poste) : « {WEB_PREFIX} » en tête est réservé aux "
            "sessions du navigateur (csu serve) ; donnez un autre nom à ce poste."
        )


def open_store(
    db: str | None, settings: Settings | None = None, *, terminal: bool = False
) -> tuple[Settings, Deps]:
    """Settings, key and a migrated store, or a French error saying what to do.
    ``terminal``: for the terminal (csu run, a csu serve session), not a command."""
    settings = settings or load_settings(db)
    try:  # named in every journal entry: checked before anything is written
        check_workstation(settings.workstation, "CSU_WORKSTATION (nom du poste)")
    except InvalidValue as error:
        raise ConfigError(str(error)) from None
    _refuse_browser_name(settings.workstation, terminal=terminal)
    path = settings.sqlite_path
    if path is not None:
        _refuse_missing(path, db)
    key = settings.key_bytes()
    engine = settings_engine(settings)
    revision = current_revision(engine)
    try:
        refuse_newer(revision)  # a newer CSU's store
    except NewerStore as error:
        raise ConfigError(str(error)) from None
    if revision != head_revision():
        raise ConfigError(
            "Base non initialisée ou pas à jour : lancez « csu init » ou « csu db upgrade »."
        )
    deps = Deps(engine=engine, key=key)
    check_key(settings, deps)
    return settings, deps


def _refuse_missing(path: Path, db: str | None) -> None:
    """A SQLite base that is not there, or that this account cannot even look for."""
    try:
        present = path.exists()
    except OSError:  # a folder on the way this account may not search
        raise ConfigError(f"Base {path} : {cannot_open(path)}") from None
    if present:
        return
    if db is not None and db == demo_url():
        # `csu run --demo` before `make run` built it: init would make an empty base.
        raise ConfigError(
            f"Base de démonstration introuvable : {path}. Créez-la avec « csu demo » "
            "(ou « make run », qui la crée puis ouvre le terminal)."
        )
    raise ConfigError(f"Base introuvable : {path}. Créez-la avec « csu init --db {path} ».")


def check_key(settings: Settings, deps: Deps) -> None:
    """:func:`check_deployment_key`, its refusal as the commands' French stop."""
    source = "CSU_SECRET_KEY" if settings.secret_key is not None else str(settings.key_file)
    try:
        check_deployment_key(deps, source, settings.workstation)
    except KeyMismatch as error:
        raise ConfigError(str(error)) from None


def demo_url() -> str:
    return sqlite_url(Settings().data_dir / "demo.sqlite")


def open_workplace(db: str | None, demo: bool = False) -> Workplace:
    """The terminal's store (the demo database with ``demo`` and no ``db``), with the
    argon2id cost of the settings; any failure is a :class:`StoreUnavailable`."""
    if demo and db and db != demo_url():  # « csu run --demo --db X »: as the commands say
        raise StoreUnavailable(DB_AND_DEMO)
    try:
        settings, deps = open_store(demo_url() if demo and not db else db, terminal=True)
    except ConfigError as error:
        raise StoreUnavailable(str(error)) from error
    except Exception as error:
        told = describe_store_error(error)
        if told is None:
            raise
        raise StoreUnavailable(told) from error
    path = settings.sqlite_path
    # Opened read-only, the terminal would fail at its first journalled step (the login).
    unwritable = sqlite_unwritable(path, "le terminal") if path is not None else None
    if unwritable is not None:
        raise StoreUnavailable(unwritable)
    from csu.delivery.factory import build_delivery

    try:
        delivery: Delivery = build_delivery(settings)
    except ConfigError as error:
        raise StoreUnavailable(str(error)) from error
    from csu.services.demo import is_demo

    # The base's own mark, however it was named (--demo, --db with its path): the demo's
    # voter reads on the terminal's screen; a cell's base named demo.sqlite does not.
    if is_demo(deps):
        from csu.delivery.demo_phone import DemoPhone

        delivery = DemoPhone(delivery)
    return Workplace(
        deps=replace(deps, hasher=settings.hasher(), delivery=delivery),
        workstation=settings.workstation,
        idle_minutes=settings.idle_minutes,
        keymap=settings.keymap,
        reveal_seconds=settings.reveal_seconds,
        login_minutes=settings.serve_login_minutes,
        **_checkpoints(settings),
    )


def _checkpoints(settings: Settings) -> dict[str, Any]:
    """The checkpoint policy and verifier of the settings; a key file that cannot be
    used stops the terminal with the reason (better than checkpoints silently missing)."""
    from csu.services.checkpoints import (
        CheckpointPolicy,
        check_origin,
        load_signer,
        load_verifier,
    )

    found: dict[str, Any] = {}
    try:
        if settings.checkpoint_key_file is not None:
            signer = load_signer(settings.checkpoint_key_file)
            check_origin(settings.checkpoint_origin or signer.name, signer)
            found["checkpoints"] = CheckpointPolicy(
                signer,
                settings.checkpoint_origin or signer.name,
                settings.checkpoint_every_entries,
                settings.checkpoint_every_minutes,
            )
            found["checkpoint_verifier"] = signer.verifier
        if settings.checkpoint_public_key:
            found["checkpoint_verifier"] = load_verifier(settings.checkpoint_public_key)
    except ServiceError as error:
        raise StoreUnavailable(str(error)) from error
    return found
