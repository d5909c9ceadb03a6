"""French words for what the network and TLS layers report: agents read the errors of
the transports (Messages envoyés, F6), so « Connection refused », « Name or service
not known », OpenSSL's reason codes or an exception's class name never reach them.

Each function gives a short French phrase; what is not known gets a generic one (with
the system's error number, which support can look up), never the English text.
"""

import errno
import socket
import ssl

_ERRNO: dict[int, str] = {
    errno.ECONNREFUSED: "connexion refusée",
    errno.ECONNRESET: "connexion réinitialisée par le serveur",
    errno.ECONNABORTED: "connexion interrompue",
    errno.EPIPE: "connexion rompue",
    errno.ETIMEDOUT: "délai dépassé",
    errno.EHOSTUNREACH: "hôte inaccessible",
    errno.EHOSTDOWN: "hôte hors service",
    errno.ENETUNREACH: "réseau inaccessible",
    errno.ENETDOWN: "réseau hors service",
    errno.ENETRESET: "connexion coupée par le réseau",
    errno.EADDRNOTAVAIL: "adresse indisponible sur ce poste",
    errno.EACCES: "accès refusé",
    errno.EPERM: "accès refusé",
    errno.ENOENT: "fichier ou dossier absent",
    errno.ENOTDIR: "un chemin n'est pas un dossier",
    errno.EISDIR: "un dossier porte déjà ce nom",
    errno.ENOSPC: "disque plein",
    errno.EDQUOT: "quota disque dépassé",
    errno.EROFS: "disque en lecture seule",
    errno.EMFILE: "trop de fichiers ouverts",
    errno.ENFILE: "trop de fichiers ouverts",
}

_RESOLVER: dict[int, str] = {
    code: text
    for name, text in (
        ("EAI_NONAME", "nom d'hôte inconnu"),
        ("EAI_NODATA", "nom d'hôte sans adresse"),
        ("EAI_ADDRFAMILY", "nom d'hôte sans adresse"),
        ("EAI_AGAIN", "serveur de noms momentanément injoignable"),
        ("EAI_FAIL", "échec du serveur de noms"),
        ("EAI_SERVICE", "port inconnu"),
    )
    if (code := getattr(socket, name, None)) is not None
}

# OpenSSL's X509_V_ERR_* codes an agent may meet.
_CERTIFICATE: dict[int, str] = {
    9: "certificat pas encore valide",
    10: "certificat expiré",
    18: "certificat auto-signé",
    19: "autorité de certification inconnue",
    20: "autorité de certification inconnue",
    21: "autorité de certification inconnue",
    23: "certificat révoqué",
    62: "certificat établi pour un autre nom d'hôte",
    64: "certificat établi pour une autre adresse IP",
}

# Parts of OpenSSL's reason codes (``WRONG_VERSION_NUMBER``...), in that order.
_TLS: tuple[tuple[str, str], ...] = (
    ("WRONG_VERSION_NUMBER", "le serveur ne parle pas TLS sur ce port"),
    ("UNSUPPORTED_PROTOCOL", "version de TLS refusée"),
    ("PROTOCOL_VERSION", "version de TLS refusée"),
    ("HANDSHAKE_FAILURE", "négociation TLS refusée"),
    ("UNEXPECTED_EOF", "connexion coupée pendant la négociation TLS"),
)


def os_reason(error: BaseException) -> str:
    """``connexion refusée``, ``nom d'hôte inconnu``, ``délai dépassé``, ``disque plein``…"""
    if isinstance(error, socket.gaierror):
        return _RESOLVER.get(error.errno or 0, "nom d'hôte introuvable")
    if isinstance(error, TimeoutError):
        return "délai dépassé"
    if isinstance(error, OSError) and error.errno in _ERRNO:
        return _ERRNO[error.errno]
    if isinstance(error, OSError) and error.errno:
        return f"erreur système n° {error.errno}"
    return "erreur système"


def certificate_reason(error: ssl.SSLCertVerificationError) -> str:
    """Why a server's certificate was not trusted, in French."""
    code = error.verify_code
    if code in _CERTIFICATE:
        return _CERTIFICATE[code]
    return f"certificat non vérifiable (code {code})" if code else "certificat non vérifiable"


def tls_reason(error: ssl.SSLError) -> str:
    """Why the TLS negotiation failed, in French."""
    reason = str(error.reason or "").upper()
    for part, text in _TLS:
        if part in reason:
            return text
    return "négociation TLS impossible"
