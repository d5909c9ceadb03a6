"""Settings, read once at start from the environment (``CSU_*``) and passed down."""

import os
import secrets
import socket
from pathlib import Path
from typing import Literal

from argon2 import PasswordHasher
from platformdirs import user_data_path
from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url


class ConfigError(Exception):
    """A setting that stops every command, with a French message."""


def default_data_dir() -> Path:
    return user_data_path("csu", appauthor=False)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CSU_", extra="ignore")

    database_url: str = ""
    secret_key: SecretStr | None = None
    data_dir: Path = default_data_dir()
    workstation: str = socket.gethostname()
    # NORMAL: commits survive a crash of CSU; FULL: also a power cut (one flush per commit).
    sqlite_synchronous: Literal["NORMAL", "FULL", "EXTRA"] = "NORMAL"
    # PostgreSQL (a cell, docs/postgresql.md): connections kept per workstation, extra
    # ones at a peak, and how long a transaction waits for a lock (the journal head)
    # before the service is retried; the server's max_connections must cover them all.
    database_pool_size: int = 2
    database_max_overflow: int = 3
    database_lock_timeout_ms: int = 15_000
    # argon2id parameters for operators' passwords and short credentials.
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536
    argon2_parallelism: int = 4
    # Minutes without a key press before the terminal returns to the login screen.
    idle_minutes: float = 15
    # Remapped keys, by binding id: CSU_KEYMAP='{"help": "f2"}'.
    keymap: dict[str, str] = {}

    # Delivery of one-time codes and credentials to voters. "folder" writes each
    # message into the local outbox (demo, tests, a cell without a relay); the real
    # transports are chosen per channel, so a cell may have SMTP but no SMS gateway.
    email_transport: Literal["folder", "smtp"] = "folder"
    smtp_host: str = ""
    # 587 is the submission port (STARTTLS); 465 goes with "ssl", 25 with "none".
    smtp_port: int = 587
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
    # Empty: the election's sender name (operators may impose a registered sender id).
    sms_sender: str = ""
    # Seconds to wait for a server before telling the agent the message did not leave,
    # so the agent is never left waiting on an unreachable relay.
    delivery_timeout_seconds: float = 10

    # Signed checkpoints of the journal (csu audit keygen / checkpoint). With a key file,
    # the terminal signs one every so many entries or minutes; keep the file out of the
    # database's backups and readable by the terminal's account only (0600).
    checkpoint_key_file: Path | None = None
    # The log's name on the checkpoint's first line; empty: the key's name, which
    # « csu audit keygen » derives from the deployment (see checkpoint_log_name).
    checkpoint_origin: str = ""
    checkpoint_every_entries: int = 1000
    checkpoint_every_minutes: float = 60
    # The verifier key (name+hash+key, or its .pub file) that the verification screen
    # checks signatures with on a workstation that has no private key.
    checkpoint_public_key: str = ""

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
            if len(value) < 16:
                raise ConfigError("CSU_SECRET_KEY : 16 caractères au moins sont requis.")
            return value.encode()
        key_file = self.key_file
        if key_file is not None and key_file.exists():
            return key_file.read_text().strip().encode()
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
        return value
    return sqlite_url(Path(value).expanduser().resolve())
