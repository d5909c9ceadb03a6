"""The French messages CSU sends to voters, one template per purpose.

An election may override any template in its TOML (``[messages.<purpose>]`` with
``subject`` and ``body``); the placeholders (``$sender``, ``$code``...) are checked
when the election is loaded, so that a typo fails then and not in a voter's inbox.

Every message also ends with whom the voter calls: an e-mail with the support numbers
of the voter's election (its ``[[support_numbers]]``, a CCI voter's CCIL), an SMS with
the one number the voter calls, unless its body already gives it, and in the GSM-7
alphabet (csu.domain.sms). The outbox appends them whatever the template
(csu.services.support.with_support), so no election's wording can leave them out.

An SMS must stay short: :func:`sms_segments` counts the segments of each message sent
by SMS (:data:`SMS_PURPOSES`) with realistic values, and the election's load refuses a
wording over :data:`MAX_SMS_SEGMENTS` (csu.domain.election).
"""

from collections.abc import Iterable
from string import Template

from csu.domain.errors import InvalidValue
from csu.domain.notice_wording import LETTER
from csu.domain.plural import counted, plural_of
from csu.domain.sms import segments, with_contact

# purpose -> the placeholders its template may use
PLACEHOLDERS: dict[str, frozenset[str]] = {
    "otp": frozenset({"sender", "code", "validity"}),
    "vote_code_link": frozenset({"sender", "link", "validity", "support_phone"}),
    # ``identity``: what the link's page will ask and how many wrong answers void it
    # (the election's redeem_factors), a sentence, or nothing when it asks nothing.
    "password_link": frozenset({"sender", "link", "validity", "support_phone", "identity"}),
    "identifier": frozenset({"sender", "identifier", "support_phone"}),
    "substitution": frozenset({"sender", "materials", "support_phone"}),
    "notice": frozenset({"sender", "what", "when", "support_phone"}),
    "link_notice": frozenset({"sender", "what", "when", "support_phone"}),
    "link_voided_notice": frozenset({"sender", "what", "when", "support_phone"}),
    "substitution_refused_notice": frozenset({"sender", "what", "when", "support_phone"}),
}

# purpose -> the placeholder its body must hold, and what the voter would miss without
# it: the body, since an SMS carries the body alone.
ESSENTIAL: dict[str, tuple[str, str]] = {
    "otp": ("code", "l'électeur ne recevrait jamais le code"),
    "vote_code_link": ("link", "l'électeur ne recevrait jamais le lien"),
    "password_link": ("link", "l'électeur ne recevrait jamais le lien"),
    "identifier": ("identifier", "l'électeur ne recevrait jamais son identifiant"),
    "substitution": ("materials", "l'électeur ne recevrait jamais son matériel"),
    "notice": ("what", "l'électeur ne saurait pas ce qui a changé"),
    "link_notice": ("what", "l'électeur ne saurait pas quel lien a été demandé"),
    "link_voided_notice": ("what", "l'électeur ne saurait pas quel lien a été annulé"),
    "substitution_refused_notice": (
        "what", "l'électeur ne saurait pas quelle demande a été refusée"
    ),
}

DEFAULTS: dict[str, tuple[str, str]] = {
    "otp": (
        "Votre code de vérification",
        # Whoever calls the voter and asks for the code is the usual fraud (issue L10).
        # Defaults avoid letters GSM-7 lacks (ê, î, ô...): an SMS would lose their accent.
        "$sender : votre code de vérification est $code. Il est valable $validity et ne sert "
        "qu'une fois. Ne le donnez qu'à l'agent de la cellule de support que vous avez "
        "appelée, jamais à quelqu'un qui vous appelle.",
    ),
    "vote_code_link": (
        "Votre nouveau code de vote",
        "$sender : pour obtenir votre nouveau code de vote, ouvrez ce lien (valable "
        "$validity, une seule fois) : $link\n"
        "Si vous n'avez rien demandé, appelez le $support_phone.",
    ),
    # By e-mail only (seed 003): the password shows once, on the voter's screen.
    "password_link": (
        "Votre mot de passe de vote",
        "$sender : pour afficher votre mot de passe de vote, ouvrez ce lien (une seule fois, "
        "valable $validity) : $link\n${identity}"
        "Notez le mot de passe soigneusement : il ne s'affichera plus. "
        "Si vous n'avez rien demandé, appelez le $support_phone.",
    ),
    "identifier": (
        "Votre identifiant de vote",
        "$sender : votre identifiant de vote est $identifier.\n"
        "Votre mot de passe vous est communiqué par la cellule de support. "
        "Si vous n'avez rien demandé, appelez le $support_phone.",
    ),
    "substitution": (
        "Votre matériel de vote de substitution",
        "$sender : votre demande de matériel de substitution est accordée. Votre matériel "
        "d'origine ne fonctionne plus.\n\n$materials\n\n"
        "Si vous n'avez rien demandé, appelez le $support_phone.",
    ),
    "notice": (
        "Modification de vos identifiants de vote",
        "$sender : le $when, $what. Si vous n'avez rien demandé, appelez sans tarder le "
        "$support_phone.",
    ),
    # A link sent changes nothing until it is opened (then comes a « notice »): this one
    # says what was asked, not that anything changed or arrived (issue L1).
    "link_notice": (
        "Demande de lien à usage unique",
        "$sender : le $when, $what. Rien ne change tant que ce lien n'est pas ouvert. Si "
        "vous n'avez rien demandé, appelez sans tarder le $support_phone.",
    ),
    # A link voided on its page by wrong identity answers: nothing changed, and the voter
    # who asked for it needs a new one; someone else may have held it.
    "link_voided_notice": (
        "Lien à usage unique annulé",
        "$sender : le $when, $what. Si vous attendiez ce lien, appelez le $support_phone "
        "pour en recevoir un nouveau ; sinon, signalez-le à ce numéro.",
    ),
    # A substitution refused by a supervisor: nothing changed, and the reason, written
    # for the journal, is not sent; the voter calls to learn it (or to report a request
    # they never made).
    "substitution_refused_notice": (
        "Votre demande de matériel de substitution",
        "$sender : le $when, $what. Pour en connaitre le motif, ou si vous n'avez rien "
        "demandé, appelez le $support_phone.",
    ),
}

# Purposes that may go by SMS: a code to the mobile, a link to a typed mobile, a notice
# to a voter whose only other channel of record is their mobile. The identifier and
# substitution material go by e-mail only.
SMS_PURPOSES: tuple[str, ...] = (
    "otp", "vote_code_link", "notice", "link_notice", "link_voided_notice",
    "substitution_refused_notice",
)
# Gateways and handsets cap concatenated SMS at 6 to 8 parts, each is billed, and the
# code or link sits in the first ones: three at most (cell's policy).
MAX_SMS_SEGMENTS = 3
# The longest of what the services put in an SMS, for the load-time count: a 6-digit
# code, a date, and the longest notice (a key by post, csu.services.letters).
SMS_SAMPLES: dict[str, str] = {
    "code": "123456",
    "when": "08/12/2022 à 16:59",
    "what": LETTER.format(identifier="MI12161814"),
}


def check_template(purpose: str, subject: str, body: str, where: str) -> tuple[str, str]:
    """A template read from an election file: known purpose, known placeholders, and
    in its body the one placeholder the message exists for (:data:`ESSENTIAL`)."""
    if purpose not in PLACEHOLDERS:
        raise InvalidValue(where, f"message inconnu (messages possibles : {', '.join(DEFAULTS)})")
    allowed = PLACEHOLDERS[purpose]
    for part, text in (("subject", subject), ("body", body)):
        template = Template(text)
        if not template.is_valid():
            raise InvalidValue(f"{where}.{part}", "« $ » mal placé (écrivez $$ pour un dollar)")
        unknown = set(template.get_identifiers()) - allowed
        if unknown:
            raise InvalidValue(
                f"{where}.{part}",
                f"variable inconnue ${sorted(unknown)[0]} (variables possibles : "
                + ", ".join(f"${name}" for name in sorted(allowed))
                + ")",
            )
    name, missed = ESSENTIAL[purpose]
    if name not in Template(body).get_identifiers():
        raise InvalidValue(f"{where}.body", f"variable ${name} absente : sans elle, {missed}")
    return subject, body


def render(
    overrides: dict[str, tuple[str, str]], purpose: str, **values: str
) -> tuple[str, str]:
    """Subject and body of ``purpose``, the election's template if it has one."""
    subject, body = overrides.get(purpose) or DEFAULTS[purpose]
    return Template(subject).safe_substitute(values), Template(body).safe_substitute(values)


def sms_segments(
    overrides: dict[str, tuple[str, str]],
    purpose: str,
    values: dict[str, str],
    numbers: Iterable[tuple[str, str]],
) -> int:
    """The most segments ``purpose`` takes by SMS with these ``values``, whichever of
    ``numbers`` (line, phone: « CSU électeurs : 01 80 15 43 21 ») is the voter's: the
    body in GSM-7 and, unless it gives that number already, the number's line
    (csu.domain.sms.with_contact). ``values`` without ``support_phone``: each number's."""
    counts = []
    for line, phone in numbers:
        _, body = render(overrides, purpose, **({"support_phone": phone} | values))
        counts.append(segments(with_contact(body, line, phone)))
    return max(counts, default=0)


def identity_asked(labels: list[str], limit: int | None) -> str:
    """The ``$identity`` of a password link, ended by a line break: « La page du lien
    vous demandera : NUMEN et département de naissance. Ayez-les sous la main : 3
    réponses fausses l'annulent. »; nothing when the page asks nothing."""
    if not labels:
        return ""
    them = "Ayez-le" if len(labels) == 1 else "Ayez-les"
    wrong = counted(limit or 0, "réponse fausse", "réponses fausses")
    void = plural_of(limit or 0, "l'annule", "l'annulent")
    voids = f" : {wrong} {void}" if limit else ""
    return (
        f"La page du lien vous demandera : {' et '.join(labels)}. "
        f"{them} sous la main{voids}.\n"
    )


def with_time_left(body: str, whole: float, left: float) -> str:
    """``body`` of a code or link that has ``left`` seconds of the ``whole`` validity it
    was written with (sent late, a retry): « valable 2 minutes » becomes « valable 30
    secondes ». Only after « valable »: the same duration said for something else
    stays, and a wording that does not say « valable $validity » is sent as written."""
    said = f"valable {duration(max(1, int(left)))}"
    for written in dict.fromkeys((duration(round(whole)), duration(int(whole)))):
        if f"valable {written}" in body:
            return body.replace(f"valable {written}", said, 1)
    return body


def duration(seconds: int) -> str:
    """« 2 minutes », « 30 minutes », « 1 min 30 s », « 45 secondes »."""
    minutes, rest = divmod(seconds, 60)
    if not minutes:
        return counted(rest, "seconde")
    if not rest:
        return counted(minutes, "minute")
    return f"{minutes} min {rest:02d} s"
