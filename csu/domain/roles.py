"""The four roles of the cell and their French names."""

from typing import Literal

Role = Literal["agent", "president", "superviseur", "admin"]
ROLES: tuple[Role, ...] = ("agent", "president", "superviseur", "admin")
ROLE_LABELS: dict[str, str] = {
    "agent": "agent",
    "president": "président de bureau",
    "superviseur": "superviseur",
    "admin": "administrateur",
}
# Who reads the messages sent to voters (the outbox): a president hands over in
# person and sends none.
MESSAGE_READERS: tuple[Role, ...] = ("agent", "superviseur", "admin")
