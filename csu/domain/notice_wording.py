"""What a notice to the voter says of the change it announces (its ``what``), in French:
one wording for the services that queue the notices and for the election file's check
that every SMS fits (csu.domain.election measures each at its longest)."""

from collections.abc import Iterable

# By the credential's kind: French agreement differs.
ISSUED = {
    "security_key": "une nouvelle clé de sécurité vous a été délivrée",
    "password": "un nouveau mot de passe vous a été délivré",
    "vote_code": "un nouveau code de vote vous a été délivré",
}
REVOKED = {
    "security_key": "votre clé de sécurité a été invalidée",
    "password": "votre mot de passe a été invalidé",
    "vote_code": "votre code de vote a été invalidé",
}
# The letter is only queued for printing when the notice goes, and the old key is
# already revoked: say so, not that the key was delivered (issue L2).
LETTER = (
    "une nouvelle clé de sécurité vous sera envoyée par courrier à votre domicile "
    "({identifier}) ; votre clé précédente ne fonctionne plus"
)
# A one-time link opened, by the credential it showed.
REDEEMED = {
    "vote_code": "un nouveau code de vote a été délivré par le lien reçu",
    "password": "un nouveau mot de passe a été affiché par le lien reçu",
}
# A one-time link voided on its page after too many wrong identity answers: whoever
# opened it did not know the voter's answers; the voter learns it, and that the link
# they may still be waiting for no longer works.
VOIDED = {
    "vote_code": (
        "votre lien de réassort du code de vote a été annulé après des réponses "
        "d'identité erronées sur sa page ; votre code de vote n'a pas changé"
    ),
    "password": (
        "votre lien affichant le mot de passe de vote a été annulé après des réponses "
        "d'identité erronées sur sa page ; votre mot de passe n'a pas changé"
    ),
}
# What a one-time link is for, by the credential it shows.
LINK_REQUESTED = {
    "vote_code": "un lien de réassort de votre code de vote",
    "password": "un lien affichant votre mot de passe de vote",
}


def credential_notice(wording: str, identifier: str) -> str:
    """An issued or revoked credential's notice (``ISSUED`` or ``REVOKED``), naming the
    material as the voter knows it."""
    return f"{wording} ({identifier})"


def link_requested(kind: str, recipient_masked: str) -> str:
    """A link asked for: worded as a request, since the link may never arrive and
    nothing changes until it is opened."""
    return f"{LINK_REQUESTED[kind]} a été demandé ; il vous est envoyé à {recipient_masked}"


def substituted(replaced: Iterable[tuple[str, str]], recipient_masked: str) -> str:
    """Substitution material sent: each replaced material as ``(identifier, capacity)``,
    as the voter knows it, never its row id (issue M6)."""
    materials = " ; ".join(
        f"identifiant {identifier}, qualité {capacity}" for identifier, capacity in replaced
    )
    return (
        f"un matériel de vote de substitution a remplacé le vôtre ({materials}) "
        f"et a été envoyé à {recipient_masked}"
    )


def substitution_refused(concerned: Iterable[tuple[str, str]]) -> str:
    """A request for substitution material refused by a supervisor: each material it
    concerned as ``(identifier, capacity)``, as the voter knows it. Nothing changed: the
    voter's material still works. Never the reason, which the supervisor wrote for the
    journal: the voter calls to learn it."""
    materials = " ; ".join(
        f"identifiant {identifier}, qualité {capacity}" for identifier, capacity in concerned
    )
    return (
        f"votre demande de matériel de vote de substitution ({materials}) a été refusée ; "
        "votre matériel de vote actuel reste valable"
    )
