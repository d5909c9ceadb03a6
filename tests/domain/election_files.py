"""The shipped election files as tests read them: a test that brings its own wording of
a message first takes out the file's own (TOML refuses a table declared twice)."""

import re
from pathlib import Path

ELECTIONS = Path(__file__).resolve().parents[2] / "data" / "elections"
_OWN_MESSAGE = re.compile(r"\n\[messages\.\w+\]\n.*?(?=\n\[|\Z)", re.DOTALL)


def without_own_messages(path: Path) -> str:
    """The file's text with its own ``[messages.*]`` tables taken out: every message
    in the cell's default wording (csu.domain.messages)."""
    return _OWN_MESSAGE.sub("\n", path.read_text(encoding="utf-8"))
