"""Reading the files an operator names: regular files only, never more than a bound.

A path typed on a command line may name anything: a FIFO (opening it waits for a
writer, forever), a device such as ``/dev/zero`` (endless), a directory, a huge or
binary file. These helpers refuse all but a regular file before reading a byte,
without blocking, and read at most a stated size, so that a mistaken or hostile path
ends in a French sentence naming it, never in a hang or in memory exhaustion.
"""

import errno
import os
import stat
from pathlib import Path
from typing import BinaryIO

from csu.domain.text import escaped, visible_text
from csu.services.context import ServiceError

KIB = 1024
MIB = 1024 * KIB

_OS_REASONS = {
    errno.ENOENT: "fichier ou dossier introuvable",
    errno.ENOSPC: "disque plein",
    errno.EROFS: "système de fichiers en lecture seule",
    errno.EACCES: "accès refusé",
    errno.EPERM: "accès refusé",
    errno.ENOTDIR: "un élément du chemin n'est pas un dossier",
    errno.ENAMETOOLONG: "chemin trop long",
    errno.ELOOP: "trop de liens symboliques",
    errno.EISDIR: "c'est un dossier, pas un fichier",
    errno.EIO: "erreur d'entrée-sortie du disque",
}


class UnreadableFile(ServiceError):
    """A named file that cannot be read as asked; the text says which and why."""

    def __init__(self, message: str, *, missing: bool = False) -> None:
        super().__init__(message)
        self.missing = missing


def open_regular(path: Path, what: str) -> BinaryIO:
    """``path`` opened for reading in binary, once known to be a regular file.

    ``what`` names the expected content in messages (« Liste électorale »…). The file
    is opened non-blocking, so a FIFO without a writer is refused at once instead of
    hanging, then checked by its own descriptor (no window for a swap)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        raise UnreadableFile(f"{what} introuvable : {_shown(path)}.", missing=True) from None
    except ValueError:  # a NUL byte in the path
        raise UnreadableFile(f"{what} : chemin invalide « {_shown(path)} ».") from None
    except OSError as error:
        raise UnreadableFile(f"{what} : {_shown(path)} illisible ({_reason(error)}).") from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise UnreadableFile(f"{what} : {_shown(path)} est un dossier, pas un fichier.")
        if not stat.S_ISREG(mode):
            raise UnreadableFile(
                f"{what} : {_shown(path)} n'est pas un fichier ordinaire (tube, périphérique ou "
                "socket) ; indiquez un fichier."
            )
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_text(path: Path, what: str, limit: int) -> str:
    """The whole UTF-8 text of a small regular file of at most ``limit`` bytes (a BOM
    is dropped); refused, naming the file and line, when it is bigger or not UTF-8."""
    with open_regular(path, what) as handle:
        try:
            data = handle.read(limit + 1)
        except OSError as error:
            raise UnreadableFile(f"{what} : {_shown(path)} illisible ({_reason(error)}).") from None
    if len(data) > limit:
        raise UnreadableFile(
            f"{what} : {_shown(path)} est trop volumineux (plus de {_size(limit)}) ; "
            "est-ce bien le bon fichier ?"
        )
    return decode(data, path, what)


def decode(data: bytes, path: Path, what: str) -> str:
    """UTF-8 text (BOM dropped), or a refusal naming the line of the first bad byte."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise UnreadableFile(
            f"{what} : {_shown(path)}, ligne {line} : le fichier n'est pas encodé en UTF-8."
        ) from None


def describe_os_error(error: OSError) -> str:
    """A short French reason for a system error (the system's own text is English)."""
    return _reason(error)


def _reason(error: OSError) -> str:
    return _OS_REASONS.get(error.errno or 0, "erreur d'entrée-sortie")


def _size(limit: int) -> str:
    if limit >= MIB:
        return f"{limit // MIB} Mio"
    if limit >= KIB:
        return f"{limit // KIB} Kio"
    return f"{limit} octets"


def file_name(path: Path) -> str:
    """The name of a file given to CSU, as its journal entry and messages record it: a
    path with a control, bidirectional or invisible character, in its name or in a
    folder's (« evil\\n=cmd\\u202e.csv », « dir\\x1b]0;…/liste.csv »), is refused before
    anything is read or written, as what is compared with a record is (csu.domain.text):
    messages print the path, the journal keeps the name."""
    visible_text(str(path), f"Chemin du fichier « {_shown(path)} »")
    return path.name


def _shown(path: Path) -> str:
    """The path as a message names it: its end kept (the file's name, what was wrong)
    when it is long."""
    shown = escaped(str(path))
    return shown if len(shown) <= 200 else "…" + shown[-199:]
