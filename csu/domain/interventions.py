"""Interventions: one support case (a call, a visit), opened and closed by an operator."""

OUTCOMES: dict[str, str] = {
    "résolu": "résolu",
    "escaladé": "escaladé",
    "refusé": "refusé",
    "abandonné": "abandonné",
}
"""How an intervention ends (the value is its French label, the key is stored)."""

ABANDONED = "abandonné"
"""The outcome of an intervention still open when its operator's session ends."""

MAX_NOTE_LENGTH = 2000
