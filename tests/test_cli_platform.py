"""``csu platform add/list/revoke`` (the API's clients and their keys) and ``csu api``
(what it refuses before listening; served for real in a subprocess, over HTTP and
over TLS)."""

import dataclasses
import datetime
import ipaddress
import os
import re
import signal
import socket
import sqlite3
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from csu.domain.clock import fixed_clock
from csu.services.platform_clients import Unauthenticated, authenticate, note_call
from tests.cli_support import assert_done, assert_refused, clean_environment, csu, initialised, said
from tests.test_cli import deps_of

ELECTIONS = Path(__file__).resolve().parents[1] / "data" / "elections"
KEY = re.compile(r"\bcsu_[A-Za-z0-9_-]{43}\b")


@pytest.fixture(autouse=True)
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clean_environment(tmp_path, monkeypatch)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A database made by the command, with the two shipped 2022 elections."""
    path = tmp_path / "cellule.sqlite"
    return initialised(path, ELECTIONS / "minint-2022.toml", ELECTIONS / "men-2022.toml")


def add(db: Path, name: str = "neovote", *options: str) -> str:
    """``csu platform add``: the key it printed."""
    result = csu("platform", "add", name, "--election", "minint-2022", *options, "--db", db)
    assert_done(result)
    [key] = KEY.findall(result.output)
    return key


def every_stored_text(db: Path) -> str:
    """Everything in the database file's tables, as text."""
    with closing(sqlite3.connect(db)) as conn:
        tables = [row[0] for row in conn.execute("SELECT name FROM sqlite_master "
                                                  "WHERE type = 'table'")]
        rows = [conn.execute(f'SELECT * FROM "{table}"').fetchall() for table in tables]
    return repr(rows)


# ---------------------------------------------------------------- csu platform


def test_add_prints_the_key_once_and_it_authenticates(db: Path) -> None:
    result = csu("platform", "add", "neovote", "--election", "minint-2022",
                 "--election", "men-2022", "--db", db)
    assert_done(result)
    assert "Client « neovote » créé pour : men-2022, minint-2022." in said(result)
    [key] = KEY.findall(result.output)
    assert result.output.rstrip("\n").endswith(key)  # alone on the last line, for scripts
    with deps_of(db) as deps:
        platform = authenticate(deps, key)
    assert (platform.name, platform.elections) == ("neovote", {"minint-2022", "men-2022"})


def test_the_key_is_kept_only_as_a_keyed_hash(db: Path) -> None:
    key = add(db)
    stored = every_stored_text(db)
    assert key not in stored and key[8:] not in stored


def test_list_shows_the_clients_with_the_start_of_their_key_only(db: Path) -> None:
    key = add(db, "neovote", "--webhook-url", "https://vote.exemple.fr/csu")
    result = csu("platform", "list", "--db", db)
    assert_done(result)
    text = said(result)
    assert "neovote" in text and "minint-2022" in text and "actif" in text
    assert f"{key[:8]}…" in text and key not in text
    assert "https://vote.exemple.fr/csu" in text


def test_list_shows_a_webhook_address_holding_markup_as_typed(db: Path) -> None:
    """The attack run's address drew « CLIQUEZ-ICI » as a link to another site."""
    address = "https://hooks.example/[link=https://phish.example/login]CLIQUEZ-ICI[/link]"
    add(db, "evilco", "--webhook-url", address)
    result = csu("platform", "list", "--db", db)
    assert_done(result)
    assert "[link=https://phish.example/login]CLIQUEZ-ICI[/link]" in said(result)


def row_of(result_output: str, name: str) -> str:
    """The line of ``csu platform list`` that names the client ``name``."""
    [line] = [line for line in result_output.splitlines() if f" {name} " in line]
    return line


def test_list_shows_each_clients_last_call_or_never(db: Path) -> None:
    key = add(db, "neovote")
    add(db, "autre")
    with deps_of(db) as deps:
        # A call of the API at 11:30 in Paris, as `csu api` records it when it authenticates.
        deps = dataclasses.replace(
            deps, clock=fixed_clock(datetime.datetime(2022, 12, 2, 10, 30, tzinfo=datetime.UTC))
        )
        note_call(deps, authenticate(deps, key))
    result = csu("platform", "list", "--db", db)
    assert_done(result)
    assert "Dernier appel" in said(result)
    assert "02/12/2022 11:30" in row_of(result.output, "neovote")
    assert "jamais" in row_of(result.output, "autre")
    assert "jamais" not in row_of(result.output, "neovote")


def test_revoke_ends_the_key(db: Path) -> None:
    key = add(db)
    assert_done(csu("platform", "revoke", "neovote", "--db", db))
    with deps_of(db) as deps, pytest.raises(Unauthenticated):
        authenticate(deps, key)
    assert "révoqué le" in said(csu("platform", "list", "--db", db))


def test_revoking_twice_or_an_unknown_client_is_refused(db: Path) -> None:
    add(db)
    assert_done(csu("platform", "revoke", "neovote", "--db", db))
    assert_refused(csu("platform", "revoke", "neovote", "--db", db), "déjà révoqué")
    assert_refused(csu("platform", "revoke", "personne", "--db", db),
                   "Aucun client de plateforme « personne »")


def test_an_unknown_election_is_refused_and_nothing_is_created(db: Path) -> None:
    result = csu("platform", "add", "neovote", "--election", "cci-hdf-2021", "--db", db)
    assert_refused(result, "Élection inconnue : « cci-hdf-2021 »")
    assert "neovote" not in said(csu("platform", "list", "--db", db))


def test_a_name_already_used_is_refused(db: Path) -> None:
    add(db)
    assert_refused(
        csu("platform", "add", "neovote", "--election", "men-2022", "--db", db),
        "Un client « neovote » existe déjà (actif)",
    )


def test_a_malformed_name_is_refused_with_its_rule(db: Path) -> None:
    assert_refused(csu("platform", "add", "Neo Vote", "--election", "men-2022", "--db", db),
                   "Nom du client : 1 à 50 minuscules")


def test_a_webhook_address_in_clear_http_is_refused(db: Path) -> None:
    result = csu("platform", "add", "neovote", "--election", "men-2022",
                 "--webhook-url", "http://vote.exemple.fr/csu", "--db", db)
    assert_refused(result, "Adresse des webhooks : adresse https:// attendue")


def test_adding_and_revoking_are_journalled_without_the_key(db: Path) -> None:
    key = add(db)
    assert_done(csu("platform", "revoke", "neovote", "--db", db))
    with closing(sqlite3.connect(db)) as conn:
        rows = conn.execute(
            "SELECT action, operator, CAST(body AS TEXT) FROM journal_entry "
            "WHERE action LIKE 'platform_client_%' ORDER BY seq"
        ).fetchall()
    assert [(action, operator.startswith("cli:")) for action, operator, _ in rows] == [
        ("platform_client_add", True), ("platform_client_revoke", True)
    ]
    assert all(key not in body and key[:8] not in body for *_, body in rows)


# ---------------------------------------------------------------- csu api


def test_api_refuses_a_non_loopback_host_without_tls(db: Path) -> None:
    assert_refused(csu("api", "--host", "0.0.0.0", "--db", db),
                   "0.0.0.0 n'est pas une adresse locale", "--certfile")


def test_api_refuses_a_fifo_as_certificate_without_waiting_on_it(
    db: Path, tmp_path: Path
) -> None:
    fifo = tmp_path / "cert.pem"
    os.mkfifo(fifo)
    _, private = self_signed(tmp_path)
    assert_refused(csu("api", "--certfile", fifo, "--keyfile", private, "--db", db),
                   "Certificat TLS (--certfile)", "n'est pas un fichier ordinaire")


def test_api_refuses_a_device_as_key_by_name(db: Path, tmp_path: Path) -> None:
    cert, _ = self_signed(tmp_path)
    assert_refused(csu("api", "--certfile", cert, "--keyfile", "/dev/zero", "--db", db),
                   "Clé TLS (--keyfile)", "n'est pas un fichier ordinaire")


def test_api_refuses_a_directory_as_certificate_in_french(db: Path, tmp_path: Path) -> None:
    _, private = self_signed(tmp_path)
    assert_refused(csu("api", "--certfile", tmp_path, "--keyfile", private, "--db", db),
                   "est un dossier, pas un fichier")


def test_api_refuses_a_key_that_is_not_the_certificates_saying_what_it_needs(
    db: Path, tmp_path: Path
) -> None:
    cert, _ = self_signed(tmp_path)
    junk = tmp_path / "key.pem"
    junk.write_text("pas une clé\n")
    assert_refused(csu("api", "--certfile", cert, "--keyfile", junk, "--db", db),
                   "Certificat ou clé TLS inutilisable", "au format PEM")


def test_api_refuses_a_port_out_of_range(db: Path) -> None:
    assert_refused(csu("api", "--port", "70000", "--db", db), "Port 70000 impossible")


def test_api_refuses_a_certificate_without_its_key(db: Path, tmp_path: Path) -> None:
    cert, _ = self_signed(tmp_path)
    assert_refused(csu("api", "--certfile", cert, "--db", db), "--certfile et --keyfile")


def test_api_refuses_a_port_already_in_use(db: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert_refused(csu("api", "--port", str(port), "--db", db), "port déjà utilisé")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, as an administrator would install."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "csu-api-test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "api.crt", folder / "api.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@contextmanager
def running_api(db: Path, *options: str | Path) -> Iterator[tuple[int, Path]]:
    """``csu api`` in a process of its own; stopped by SIGTERM, as a service manager does."""
    port = free_port()
    log = db.parent / "api.log"
    env = {name: value for name, value in os.environ.items() if not name.startswith("CSU_")}
    env["CSU_DATA_DIR"] = str(db.parent)
    command = [sys.executable, "-m", "csu.launch", "api", "--port", str(port), "--db", str(db)]
    with log.open("wb") as output:
        server = subprocess.Popen([*command, *map(str, options)], env=env, stdout=output,
                                  stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert server.poll() is None, log.read_text(errors="replace")
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert time.monotonic() < deadline, log.read_text(errors="replace")
            time.sleep(0.1)
        yield port, log
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    # uvicorn shuts down gracefully, then ends by the signal it was sent, as it should.
    text = last_words(log)
    assert server.returncode in (0, -signal.SIGTERM), text
    assert "Application shutdown complete." in text
    # Its argon2 workers stopped with it: no semaphore left for the resource tracker.
    assert "leaked" not in text, text


def last_words(log: Path, timeout: float = 10.0) -> str:
    """The log once no process holds it open: the API's resource tracker, a process of
    its own, writes there after the API has exited."""
    target = str(log.resolve())
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(
        _points_to(fd, target) for fd in Path("/proc").glob("[0-9]*/fd/*")
    ):
        time.sleep(0.05)
    return log.read_text(errors="replace")


def _points_to(fd: Path, target: str) -> bool:
    try:
        return os.readlink(fd) == target
    except OSError:  # the process or the descriptor is gone
        return False


def test_csu_api_serves_a_platform_with_its_key(db: Path) -> None:
    key = add(db)
    with running_api(db) as (port, log):
        base = f"http://127.0.0.1:{port}"
        assert httpx.get(f"{base}/v1/health").json() == {"status": "ok"}
        check = httpx.post(
            f"{base}/v1/elections/minint-2022/logins/check",
            json={"identifier": "MI-INCONNU",
                  "secrets": {"security_key": "AAAA-BBBB-CCCC-DDDD", "password": "abcdefghijkm"}},
            headers={"Authorization": f"Bearer {key}"},
            timeout=60,  # argon2id at the shipped cost, on a machine the suite keeps busy
        )
        assert check.status_code == 200 and check.json() == {"valid": False, "scrutins_open": []}
        assert httpx.post(f"{base}/v1/tokens/redeem", json={"token": "x"}).status_code == 401
    assert f"API de la plateforme de vote sur http://127.0.0.1:{port}" in log.read_text()


def test_csu_api_speaks_tls_with_a_certificate_and_its_key(db: Path, tmp_path: Path) -> None:
    cert, private = self_signed(tmp_path)
    with running_api(db, "--certfile", cert, "--keyfile", private) as (port, _):
        trusted = ssl.create_default_context(cafile=str(cert))
        answer = httpx.get(f"https://127.0.0.1:{port}/v1/health", verify=trusted)
        assert answer.json() == {"status": "ok"}
        with pytest.raises(httpx.HTTPError):
            httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=5)
