"""The local outbox: each message becomes a file, ``.eml`` for e-mail, ``.json`` for SMS,
``.pdf`` for a letter (the print folder, another instance: csu.delivery.factory).

The files hold what the voter receives (codes, links, addresses) in clear: the folder
is the owner's only (0700, an existing one is tightened), each file too (0600), and a
file lives at most ``retention`` (``CSU_OUTBOX_FOLDER_RETENTION_HOURS``): the outbox
erases older ones on its regular pass, and ``csu purge`` also those of the messages
it purges. Only files of this transport's own naming are ever erased.
"""

import base64
import json
import os
import re
import stat
import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from csu.delivery import DeliveryFailed, Message
from csu.delivery.headers import MAIL_POLICY, recipient_address
from csu.delivery.reasons import os_reason

SENDER_ADDRESS = "csu-electeurs@localhost"
DEFAULT_RETENTION = timedelta(hours=24)
# The names send() gives: anything else in the folder is not ours to erase.
FILE_NAME = re.compile(r"\d{8}T\d{6}-[0-9a-f]{8}\.(?:eml|json|pdf)")


def _now() -> datetime:
    return datetime.now(UTC)


class FolderDelivery:
    def __init__(
        self,
        folder: Path,
        retention: timedelta = DEFAULT_RETENTION,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        """``clock`` dates the files and tells their age (tests move it)."""
        self.folder = folder
        self.retention = retention
        self.clock = clock

    def send(self, message: Message) -> str:
        stamp = self.clock().astimezone(UTC)
        if message.channel == "email":
            suffix, data = ".eml", _eml(message, stamp)
        elif message.channel == "post":
            suffix, data = ".pdf", _pdf(message)
        else:
            suffix, data = ".json", _sms(message, stamp)
        try:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            self._tighten()
            for _ in range(16):
                # The microsecond first: within a second too, the names sort as the
                # messages were sent. Its random end tells apart messages of the same
                # microsecond (a clock held still): drawn again if the name is taken.
                name = f"{stamp:%Y%m%dT%H%M%S}-{stamp.microsecond:05x}{uuid.uuid4().hex[:3]}"
                path = self.folder / f"{name}{suffix}"
                try:
                    # 0600: the outbox holds codes in clear, as the real message would.
                    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                    break
                except FileExistsError:
                    continue
            else:
                raise FileExistsError(17, "noms de fichier tous pris")
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
        except OSError as error:
            raise DeliveryFailed(
                f"boîte d'envoi {self.folder} inaccessible ({os_reason(error)})"
            ) from error
        return path.name

    def erase(self, references: Iterable[str] = (), *, dry_run: bool = False) -> int:
        """Erases the files these references name (a reference that is no name of
        this folder's is ignored) and the files older than the retention; tightens the
        folder's mode. Returns how many files were (would be) erased."""
        if not dry_run:
            self._tighten()
        wanted = set(references)
        limit = self.clock() - self.retention
        doomed = (
            p for p in self._files() if p.name in wanted or (_written(p) or limit) < limit
        )
        return self._remove(doomed, dry_run)

    def _files(self) -> Iterator[Path]:
        try:
            entries = list(self.folder.iterdir())
        except OSError:  # no folder yet (nothing sent), or unreadable: nothing to erase
            return
        yield from (p for p in entries if FILE_NAME.fullmatch(p.name))

    def _remove(self, paths: Iterable[Path], dry_run: bool) -> int:
        count = 0
        for path in paths:
            if dry_run:
                count += path.is_file()
                continue
            try:
                path.unlink()
            except OSError:  # gone meanwhile, or not ours: the next sweep tries again
                continue
            count += 1
        return count

    def _tighten(self) -> None:
        """A folder made by an older version or by hand may be readable by others."""
        try:
            mode = stat.S_IMODE(self.folder.stat().st_mode)
            if mode & 0o077:
                self.folder.chmod(mode & 0o700)
        except OSError:  # missing, or another account's: the files stay 0600 anyway
            pass


def _written(path: Path) -> datetime | None:
    """When send() wrote the file, from its name (UTC, to the second): the same clock
    as the sweep's, whatever a copy or a backup did to the file's times."""
    try:
        return datetime.strptime(path.name[:15], "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
    except ValueError:  # not a date: not a name send() gave
        return None


def _eml(message: Message, stamp: datetime) -> bytes:
    to = recipient_address(message.recipient)
    # ASCII headers (RFC 5322, names in RFC 2047), the domain in IDNA as SMTP sends it;
    # a non-ASCII local part has no ASCII form: UTF-8 headers then (RFC 6532), as the
    # SMTP path asks SMTPUTF8, rather than an encoded word inside the address.
    utf8 = to is not None and not to.addr_spec.isascii()
    # The From name by whole words, as by SMTP.
    mail = EmailMessage(policy=MAIL_POLICY.clone(utf8=True) if utf8 else MAIL_POLICY)
    # Address keeps a display name with commas or quotes as one name (formataddr's
    # encoded text would read back as two addresses).
    mail["From"] = Address(display_name=message.sender_name, addr_spec=SENDER_ADDRESS)
    mail["To"] = message.recipient if to is None else to
    mail["Subject"] = message.subject
    mail["Date"] = format_datetime(stamp)
    mail.set_content(message.body)
    return bytes(mail)


def _pdf(message: Message) -> bytes:
    """A letter's PDF, as the outbox carries it (base64 text)."""
    try:
        data = base64.b64decode(message.body, validate=True)
    except ValueError:
        raise DeliveryFailed("courrier illisible (PDF mal encodé)") from None
    if not data.startswith(b"%PDF-"):
        raise DeliveryFailed("courrier illisible (ce n'est pas un PDF)")
    return data


def _sms(message: Message, stamp: datetime) -> bytes:
    record = {
        "to": message.recipient,
        "from": message.sender_name,
        "text": message.body,
        "at": stamp.isoformat(),
    }
    return json.dumps(record, ensure_ascii=False, indent=2).encode()
