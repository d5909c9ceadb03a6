"""Interventions: one support case (a call, a visit), opened and closed by an operator."""

OUTCOMES: dict[str, str] = {
    "résolu": "résolu",
    "escaladé": "escaladé",
    "refusé": "refusé",
    "abandonné": "abandonné",
    "redirigé": "redirigé vers le libre-service",
}
"""How an intervention ends (the value is its French label, the key is stored)."""

REDIRECTED = "redirigé"
"""The voter was sent to a self-service route (eVote-CS « E-Clé », FranceConnect, the
portal's own reissue...): the election's call script offers them first."""

RESOLVED = "résolu"

ABANDONED = "abandonné"
"""The outcome of an intervention still open when its operator's session ends."""

MAX_NOTE_LENGTH = 2000

UNCONFIRMED_RESOLVED = (
    "« Résolu » alors que la remise du code n'a pas été confirmée : précisez dans la note "
    "comment l'électeur l'a eu, ou choisissez une autre issue."
)
"""Refused closing: a code issued in the call was never confirmed as handed over (it
stays active, the voter may not have it), and the operator said nothing of it."""
