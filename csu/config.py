"""Settings, read once at start from the environment (``CSU_*``) and passed down."""

import json
import os
import re
import secrets
import socket
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from argon2 import PasswordHasher
from platformdirs import user_data_path
from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from csu.domain.numbers import french_shortest
from csu.domain.plural import counted
from csu.domain.text import holds_lone_surrogate


class ConfigError(Exception):
    """A setting that stops every command, with a French message."""


def default_data_dir() -> Path:
    return user_data_path("csu", appauthor=False)


def _not_utf8(value: Any) -> bool:
    """Whether a setting (a text, a secret, or CSU_KEYMAP's object) holds a lone surrogate."""
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if isinstance(value, Mapping):
        return any(_not_utf8(key) or _not_utf8(each) for key, each in value.items())
    return isinstance(value, str) and holds_lone_surrogate(value)


class Settings(BaseSettings):
    """Every value is checked when read; a wrong one stops with a :class:`ConfigError`
    naming its ``CSU_`` variable and what is expected, in French (see __init__)."""

    # allow_inf_nan: « inf » or « nan » is no duration, count or delay.
    model_config = SettingsConfigDict(env_prefix="CSU_", extra="ignore", allow_inf_nan=False)

    database_url: str = ""
    secret_key: SecretStr | None = None
    data_dir: Path = default_data_dir()
    workstation: str = socket.gethostname()
    # NORMAL: commits survive a crash of CSU; FULL: also a power cut (one flush per commit).
    sqlite_synchronous: Literal["NORMAL", "FULL", "EXTRA"] = "NORMAL"
    # PostgreSQL (a cell, docs/postgresql.md): connections kept per workstation, extra
    # ones at a peak, and how long a transaction waits for a lock (the journal head)
    # before the service is retried; the server's max_connections must cover them all.
    database_pool_size: Annotated[int, Field(ge=1, le=100)] = 2
    database_max_overflow: Annotated[int, Field(ge=0, le=100)] = 3
    database_lock_timeout_ms: Annotated[int, Field(ge=0, le=3_600_000)] = 15_000
    # argon2id parameters for operators' passwords and short credentials (argon2 asks
    # for at least 8 KiB per lane: see _argon2_memory_covers_the_lanes).
    argon2_time_cost: Annotated[int, Field(ge=1, le=100)] = 3
    argon2_memory_kib: Annotated[int, Field(ge=8, le=4_194_304)] = 65536
    argon2_parallelism: Annotated[int, Field(ge=1, le=64)] = 4
    # Minutes without a key press before the terminal returns to the login screen.
    idle_minutes: Annotated[float, Field(gt=0, le=1440)] = 15
    # Seconds a contact detail revealed by a supervisor stays in clear in the voter file.
    reveal_seconds: float = 30
    # Remapped keys, by binding id: CSU_KEYMAP='{"help": "f2"}'.
    # NoDecode: read by _keymap_from_json, which refuses in French what json.loads
    # cannot read, even a value nested too deep for it (RecursionError).
    keymap: Annotated[dict[str, str], NoDecode] = {}
    # csu serve: browser sessions at once (each a process), new sessions per client
    # address per minute, sessions open at once per client address (one address cannot
    # hold every place), and minutes a served session may sit at the login screen
    # without a key press before it ends (freeing its place).
    serve_max_sessions: int = 20
    serve_sessions_per_minute: int = 10
    serve_sessions_per_address: int = 3
    serve_login_minutes: float = 5
    # Seconds between the server's pings to a page: a page that answers none for this
    # and half of it more (network gone, laptop shut) has its session ended, logged out.
    serve_heartbeat_seconds: Annotated[float, Field(ge=1, le=300)] = 15
    # csu api: seconds each service of a request may wait for a busy store, all its
    # attempts included, before the 503 with Retry-After (csu.api.app.STORE_WAIT_S, the
    # default; csu.services.context.store_wait_cap). Past a platform's own timeout
    # (30 s is common) a longer wait only holds one of the API's threads.
    api_store_wait_seconds: Annotated[float, Field(gt=0, le=120)] = 5

    # Delivery of one-time codes and credentials to voters. "folder" writes each
    # message into the local outbox (demo, tests, a cell without a relay); the real
    # transports are chosen per channel, so a cell may have SMTP but no SMS gateway.
    email_transport: Literal["folder", "smtp"] = "folder"
    smtp_host: str = ""
    # 587 is the submission port (STARTTLS); 465 goes with "ssl", 25 with "none".
    smtp_port: Annotated[int, Field(ge=1, le=65535)] = 587
    # "none" is for a relay on the same host or a trusted network only.
    smtp_security: Literal["starttls", "ssl", "none"] = "starttls"
    # Empty: no AUTH (a relay that trusts the workstation's address).
    smtp_username: str = ""
    smtp_password: SecretStr | None = None
    # The envelope sender and From address; the display name comes from the election.
    smtp_from: str = "csu-electeurs@localhost"
    sms_transport: Literal["folder", "http"] = "folder"
    # The gateway's endpoint: receives {"to", "from", "text"} as JSON with a bearer token.
    sms_url: str = ""
    sms_token: SecretStr | None = None
    # Empty: the election's sms_sender (operators may impose a registered sender id);
    # 11 letters or digits at most, as gateways accept.
    sms_sender: str = ""
    # Seconds to wait for a server before telling the agent the message did not leave,
    # so the agent is never left waiting on an unreachable relay.
    delivery_timeout_seconds: float = 10
    # The outbox folder's files hold codes, links and addresses in clear: each is erased
    # this many hours after it was written (by the outbox's regular pass and csu purge).
    outbox_folder_retention_hours: float = 24

    # Signed checkpoints of the journal (csu audit keygen / checkpoint). With a key file,
    # the terminal signs one every so many entries or minutes; keep the file out of the
    # database's backups and readable by the terminal's account only (0600).
    checkpoint_key_file: Path | None = None
    # The log's name on the checkpoint's first line; empty: the key's name, which
    # « csu audit keygen » derives from the deployment (see checkpoint_log_name).
    checkpoint_origin: str = ""
    checkpoint_every_entries: Annotated[int, Field(ge=1)] = 1000
    checkpoint_every_minutes: Annotated[float, Field(gt=0, le=525_600)] = 60
    # The verifier key (name+hash+key, or its .pub file) that the verification screen
    # checks signatures with on a workstation that has no private key.
    checkpoint_public_key: str = ""

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as error:
            raise ConfigError(describe_settings_error(error)) from None

    @field_validator("*", mode="before")
    @classmethod
    def _text_in_utf8(cls, value: Any) -> Any:
        # The environment's bytes that are not UTF-8 reach Python as lone surrogates,
        # which no table, journal body, message or signed note can encode, nor the
        # database's URL a folder is part of: refused here, naming the variable, rather
        # than where the value is first encoded.
        if _not_utf8(value):
            raise ValueError("octets qui ne sont pas de l'UTF-8 : réglez la variable en UTF-8")
        return value

    @field_validator("keymap", mode="before")
    @classmethod
    def _keymap_from_json(cls, value: Any) -> Any:
        if not isinstance(value, str):  # Settings(keymap={...}) in tests and the app
            return value
        try:
            found = json.loads(value)
        except RecursionError:  # "[[[[…": deeper than the parser's stack
            raise ValueError(f"{_KEYMAP_EXPECTED}, pas une valeur imbriquée si profond") from None
        except ValueError:
            raise ValueError(_KEYMAP_EXPECTED) from None
        # A flat object only: nothing nested reaches the checks below, which recurse.
        if not isinstance(found, dict) or not all(
            isinstance(each, str) for each in found.values()
        ):
            raise ValueError(_KEYMAP_EXPECTED)
        return found

    @field_validator("database_url")
    @classmethod
    def _a_database_csu_can_open(cls, value: str) -> str:
        if value:
            check_database_url(value)
        return value

    @field_validator("sms_sender")
    @classmethod
    def _a_sender_gateways_accept(cls, value: str) -> str:
        from csu.domain.election import check_sms_sender

        return check_sms_sender(value.strip()) if value.strip() else ""

    @model_validator(mode="after")
    def _argon2_memory_covers_the_lanes(self) -> "Settings":
        if self.argon2_memory_kib < 8 * self.argon2_parallelism:
            raise ValueError(
                f"CSU_ARGON2_MEMORY_KIB : {8 * self.argon2_parallelism} Kio au moins pour "
                f"CSU_ARGON2_PARALLELISM={self.argon2_parallelism} (8 Kio par voie, règle "
                f"d'argon2), reçu {self.argon2_memory_kib}."
            )
        return self

    def checkpoint_log_name(self) -> str:
        """The configured origin, else one derived from the deployment: the workstation
        and SQLite file, or the PostgreSQL server and database (no space, no « + »)."""
        if self.checkpoint_origin:
            return self.checkpoint_origin
        url = make_url(self.database_url)
        if self.sqlite_path is not None:
            where = f"{self.workstation}/{self.sqlite_path.stem}"
        else:
            where = f"{url.host or 'localhost'}/{url.database or 'csu'}"
        return "csu-electeurs/" + "".join("-" if c.isspace() or c == "+" else c for c in where)

    def model_post_init(self, __context: object) -> None:
        if not self.database_url:
            self.database_url = sqlite_url(self.data_dir / "csu.sqlite")

    def hasher(self) -> PasswordHasher:
        return PasswordHasher(
            time_cost=self.argon2_time_cost,
            memory_cost=self.argon2_memory_kib,
            parallelism=self.argon2_parallelism,
        )

    @property
    def outbox_dir(self) -> Path:
        """The local outbox (folder transport): messages to voters, as files."""
        return self.data_dir / "outbox"

    @property
    def is_sqlite(self) -> bool:
        return make_url(self.database_url).get_backend_name() == "sqlite"

    @property
    def sqlite_path(self) -> Path | None:
        url = make_url(self.database_url)
        if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
            return None
        return Path(url.database)

    @property
    def key_file(self) -> Path | None:
        """The file holding the secret key beside a SQLite database."""
        path = self.sqlite_path
        return path.with_name(path.name + ".key") if path else None

    def key_bytes(self) -> bytes:
        """The deployment key; stops with a French message when there is none."""
        if self.secret_key is not None:
            value = self.secret_key.get_secret_value().strip()
            if len(value) < MIN_KEY_CHARACTERS:
                raise ConfigError(
                    f"CSU_SECRET_KEY : {MIN_KEY_CHARACTERS} caractères au moins sont requis."
                )
            return value.encode()
        key_file = self.key_file
        if key_file is not None and key_file.exists():
            return _read_key_file(key_file)
        if key_file is None:
            raise ConfigError(
                "Aucune clé secrète : définissez CSU_SECRET_KEY pour une base PostgreSQL "
                "(la même sur tous les postes de la cellule)."
            )
        raise ConfigError(
            f"Aucune clé secrète pour {self.sqlite_path} : lancez « csu init » "
            "ou définissez CSU_SECRET_KEY."
        )

    def ensure_key(self) -> bytes:
        """Create the key file beside a SQLite database when no key exists yet."""
        key_file = self.key_file
        if self.secret_key is None and key_file is not None and not key_file.exists():
            key_file.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32) + "\n")
        return self.key_bytes()


# The deployment key keys every hash of a secret, phone number and pseudonym: one short
# enough to guess would let a copy of the database be searched as if in clear.
MIN_KEY_CHARACTERS = 16


def _read_key_file(path: Path) -> bytes:
    """The key beside a SQLite file: a small regular file of text (never waited on, as
    a FIFO would be, nor read whole if it is something else)."""
    if not path.is_file():
        raise ConfigError(f"{path} n'est pas un fichier : la clé secrète y est attendue.")
    with path.open("rb") as handle:
        data = handle.read(4097)
    try:
        key = data.decode("utf-8-sig").strip()  # an editor's byte-order mark is no key
    except UnicodeDecodeError:
        key = ""
    if len(data) > 4096 or not key:
        raise ConfigError(f"{path} ne contient pas une clé secrète lisible (une ligne de texte).")
    if len(key) < MIN_KEY_CHARACTERS:  # as CSU_SECRET_KEY: a key edited by hand, too short
        raise ConfigError(
            f"{path} : la clé secrète fait {counted(len(key), 'caractère')}, "
            f"{MIN_KEY_CHARACTERS} au moins sont requis."
        )
    return key.encode()


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def load_settings(database_url: str | None = None) -> Settings:
    """Settings from the environment, the ``--db`` option overriding CSU_DATABASE_URL."""
    settings = Settings()
    if database_url:
        settings.database_url = normalise_db_option(database_url)
    return settings


def normalise_db_option(value: str) -> str:
    """``--db`` accepts a URL or a plain path to a SQLite file."""
    if "://" in value:
        try:
            check_database_url(value)
        except ValueError as error:
            raise ConfigError(f"--db : {error}") from None
        return value
    return sqlite_url(Path(value).expanduser().resolve())


_URL_EXAMPLES = "sqlite:///chemin/csu.sqlite ou postgresql+psycopg://utilisateur@hôte:5432/base"


def check_database_url(value: str) -> None:
    """Refuse, with a French ValueError, a database URL that CSU could not open: one
    that does not parse, another kind of database or driver, a port out of range."""
    try:
        url = make_url(value)
    except (ArgumentError, ValueError):  # ValueError: a bad port or IPv6 host
        raise ValueError(f"adresse de base illisible ; attendu {_URL_EXAMPLES}") from None
    backend = url.get_backend_name()
    if backend not in ("sqlite", "postgresql", "postgres"):
        raise ValueError(f"base « {backend} » non prise en charge ; attendu {_URL_EXAMPLES}")
    if backend != "sqlite" and url.drivername not in (
        "postgresql",
        "postgres",
        "postgresql+psycopg",
    ):
        raise ValueError(
            f"pilote « {url.drivername} » non pris en charge ; utilisez postgresql+psycopg://"
        )
    if backend == "sqlite" and url.drivername not in ("sqlite", "sqlite+pysqlite"):
        raise ValueError(f"pilote « {url.drivername} » non pris en charge ; utilisez sqlite:///")
    if url.port is not None and not 0 < url.port < 65536:
        raise ValueError(f"port {url.port} hors de 1 à 65535")


# --- French messages for values that do not check --------------------------------

# Values never quoted back: secrets, and URLs (they may carry a password or a token).
_SECRET_WORDS = ("key", "password", "token", "secret", "url")


def describe_settings_error(error: ValidationError) -> str:
    """One French sentence per wrong setting, naming its ``CSU_`` variable, what is
    expected and the value received (never the value of a secret)."""
    lines = []
    for fault in error.errors():
        loc = fault.get("loc") or ()
        if not loc:  # a rule between settings: its message names them
            lines.append(_value_error_text(fault))
            continue
        name = str(loc[0])
        variable = f"CSU_{name.upper()}"
        sentence = f"{variable} : {french_fault(fault, _choices(name))}"
        if fault["type"] != "missing" and not any(w in name for w in _SECRET_WORDS):
            sentence += f" (reçu « {shown(fault.get('input'))} »)"
        lines.append(sentence + ".")
    return "\n".join(lines)


def french_fault(fault: Mapping[str, Any], choices: tuple[str, ...] = ()) -> str:
    """What a pydantic error says, in French (also for the command's options)."""
    kind = fault["type"]
    ctx = fault.get("ctx") or {}
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return "nombre entier attendu"
    if kind in ("float_parsing", "float_type"):
        return "nombre attendu"
    if kind == "finite_number":
        return "nombre fini attendu"
    if kind == "int_parsing_size":
        return "nombre bien trop grand"
    if kind == "greater_than_equal":
        return f"doit valoir au moins {_number(ctx.get('ge'))}"
    if kind == "greater_than":
        return f"doit être supérieur à {_number(ctx.get('gt'))}"
    if kind == "less_than_equal":
        return f"doit valoir au plus {_number(ctx.get('le'))}"
    if kind == "less_than":
        return f"doit être inférieur à {_number(ctx.get('lt'))}"
    if kind in ("literal_error", "enum"):
        allowed = choices or tuple(re.findall(r"'([^']*)'", str(ctx.get("expected", ""))))
        return "valeurs admises : " + _either(allowed)
    if kind in ("bool_parsing", "bool_type"):
        return "oui ou non attendu (true ou false, 1 ou 0)"
    if kind in ("dict_type", "json_invalid", "json_type"):
        return 'objet JSON attendu (par exemple {"help": "f2"})'
    if kind in ("string_type", "string_unicode"):
        return "texte attendu"
    if kind == "string_too_long":
        limit = ctx.get("max_length")
        return f"{counted(limit, 'caractère') if isinstance(limit, int) else limit} au plus"
    if kind in ("path_type",):
        return "chemin de fichier attendu"
    if kind == "missing":
        return "valeur obligatoire absente"
    if kind in ("value_error", "assertion_error"):
        return _value_error_text(fault)
    return "valeur invalide"


def shown(value: object) -> str:
    """A received value as quoted in a message: one line, cut short."""
    text = value if isinstance(value, str) else repr(value)
    text = "".join(c if c.isprintable() else "?" for c in text)
    return text if len(text) <= 60 else text[:59] + "…"


def _number(value: object) -> str:
    """A bound as French writes it (csu.domain.numbers)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return french_shortest(value)
    return str(value)


def _value_error_text(fault: Mapping[str, Any]) -> str:
    error = (fault.get("ctx") or {}).get("error")
    return str(error) if error is not None else "valeur invalide"


def _choices(name: str) -> tuple[str, ...]:
    field = Settings.model_fields.get(name)
    if field is None:
        return ()
    return tuple(_literals(field.annotation))


def _literals(annotation: Any) -> list[str]:
    if typing.get_origin(annotation) is Literal:
        return [str(arg) for arg in typing.get_args(annotation)]
    return [found for arg in typing.get_args(annotation) for found in _literals(arg)]


def _either(values: tuple[str, ...]) -> str:
    quoted = [f"« {value} »" for value in values]
    if len(quoted) < 2:
        return "".join(quoted)
    return ", ".join(quoted[:-1]) + " ou " + quoted[-1]


_KEYMAP_EXPECTED = 'objet JSON attendu, par exemple {"help": "f2"}'

