"""The local outbox: each message becomes a file, ``.eml`` for e-mail, ``.json`` for SMS."""

import json
import os
import uuid
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from csu.delivery import DeliveryFailed, Message

SENDER_ADDRESS = "csu-electeurs@localhost"


class FolderDelivery:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, message: Message) -> str:
        stamp = datetime.now(UTC)
        name = f"{stamp:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
        if message.channel == "email":
            path, data = self.folder / f"{name}.eml", _eml(message, stamp)
        else:
            path, data = self.folder / f"{name}.json", _sms(message, stamp)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            # 0600: the outbox holds codes in clear, as the real message would.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
        except OSError as error:
            raise DeliveryFailed(
                f"boîte d'envoi {self.folder} inaccessible ({error.strerror})"
            ) from error
        return path.name


def _eml(message: Message, stamp: datetime) -> bytes:
    mail = EmailMessage()
    # Address keeps a display name with commas or quotes as one name (formataddr's
    # encoded text would read back as two addresses).
    mail["From"] = Address(display_name=message.sender_name, addr_spec=SENDER_ADDRESS)
    mail["To"] = message.recipient
    mail["Subject"] = message.subject
    mail["Date"] = format_datetime(stamp)
    mail.set_content(message.body)
    return bytes(mail)


def _sms(message: Message, stamp: datetime) -> bytes:
    record = {
        "to": message.recipient,
        "from": message.sender_name,
        "text": message.body,
        "at": stamp.isoformat(),
    }
    return json.dumps(record, ensure_ascii=False, indent=2).encode()
