"""No credential in what an operator types: a closing note, a reason, a case's outcome.

Such a text goes to the append-only journal, to the review and to the export; a key or
a password written there would stay in clear for good. The text is refused, with a
French sentence saying why, rather than silently masked: the operator is at the
keyboard, the window keeps what was typed, and learns not to write a code again (a
masked note would also say something else than what they wrote). It is refused when:

- a stretch has the evident shape of one of the election's grouped credentials (the
  security key, the vote code: its alphabet and length, a group mixing letters and
  digits or the dashed capitals of the screen, csu.domain.credentials.evident_codes);
  where the election is not known (a reason given without the voter), the shape of a
  grouped code of any election (csu.domain.credentials.grouped_code_spans);
- a stretch is one of the voter's active credentials, compared with its hash: the
  only way to tell an ungrouped mixed-case password from a word, with no false
  positive. Only stretches of the format's length and alphabet are compared; keyed
  HMACs are cheap, argon2id (~0.1 s each) is capped at :data:`MAX_SLOW_COMPARISONS`
  per text, those that look drawn first;
- a stretch is the first characters of the voter's security key (the « préfixe » an
  S3 caller reads out to prove who they are): at each word's start, the first
  :data:`csu.domain.credentials.PREFIX_LENGTH` letters and digits read onwards across
  single separators (« K7MP-X2 », « K7 MP X2 », « K-7-M-P-X-2 », « K7MPX2Z9… »), of
  the key's alphabet once read as a key is, compared with the key's ``prefix_hash``
  (keyed, :data:`MAX_PREFIX_FAST_COMPARISONS` a text) or an original's ``prefix_phc``
  (argon2id: those mixing letters and digits only, :data:`MAX_PREFIX_SLOW_COMPARISONS`
  a text). Allowances of their own: whole-code candidates cannot use them up.

- a stretch is one of the voter's secret answers to a verification, kept only as keyed
  hashes: the answer to the challenge question (« question défi »: each run of up to
  :data:`MAX_ANSWER_WORDS` words, read as the verification reads an answer, accents,
  case and the punctuation around the words aside), the first characters of the agent
  card's serial and the last of the IBAN (each run of 6 letters and digits or more),
  the first 10 digits of the NIR (each run of 10 digits or more, spaces and dots
  between them allowed); at most :data:`MAX_ANSWER_COMPARISONS` a text. A newcomer
  wrote « réponse défi Blanchard OK » in a closing note; « carte 0VWFFT, IBAN 453547 »
  and « NIR 1700259337 » went through the personal data masks too.

- a département of birth said as such (S7: « née dans le 67 »), by its shape
  (:func:`birth_department_said`), whoever the voter.

A refusal by a hash match (not by a shape) is a :class:`CredentialInText`: the service's
``retried`` journals it (« code_in_text », the kind matched, never the text), for a
note is otherwise a way to try guesses at a voter's key prefix unseen.

The personal data masks (csu.domain.masking.mask_personal_data) run first: an IBAN's
groups, once masked, are not taken for a key.
"""

import contextlib
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlmodel import Session, col

from csu.domain import credentials as creds
from csu.domain.election import CredentialFormat
from csu.domain.errors import InvalidValue
from csu.domain.hashing import (
    CARD6,
    CHALLENGE_ANSWER,
    IBAN6,
    NIR10,
    argon2_verifies,
    credential_purpose,
    matches,
)
from csu.domain.identifiers import (
    card_head,
    iban_tail,
    nir_factor,
    normalise_answer,
    parse_department,
)
from csu.services import active_credentials
from csu.services.context import CredentialInText, Deps, ServiceError
from csu.services.elections import get_definition
from csu.store.tables import Credential, Escalation, Intervention, Material, Voter

if TYPE_CHECKING:
    from argon2 import PasswordHasher

__all__ = [
    "MAX_ANSWER_COMPARISONS",
    "MAX_ANSWER_WORDS",
    "MAX_PREFIX_FAST_COMPARISONS",
    "MAX_PREFIX_SLOW_COMPARISONS",
    "MAX_SLOW_COMPARISONS",
    "CodeCheck",
    "HeldCredential",
    "code_check",
    "for_escalation",
    "for_intervention",
    "refuse_codes",
    "voter_check",
]

MAX_SLOW_COMPARISONS = 4
"""argon2id comparisons a text may cost at most (a password, a short vote code)."""
_MAX_FAST_COMPARISONS = 64  # keyed HMACs: microseconds each, a bound all the same
MAX_PREFIX_SLOW_COMPARISONS = 2
"""argon2id comparisons with an original key's ``prefix_phc`` a text may cost at most:
an allowance of its own, that password-length words cannot use up (nor it theirs)."""
MAX_PREFIX_FAST_COMPARISONS = 64
"""Keyed comparisons with a key's ``prefix_hash`` a text may cost at most, apart from
those of whole codes (which could otherwise leave none to the prefix)."""
MAX_ANSWER_WORDS = 6
"""The longest run of words compared with the voter's challenge answer."""
MAX_ANSWER_COMPARISONS = 15_000
"""Keyed comparisons with the voter's secret answers a text may cost at most (some tens
of ms): every run of words of the longest note (2,000 characters, 1,000 words of one
letter at most, 6 runs each, with and without their punctuation, and 3 of the words
spelt out), so that a long note does not hide a secret past the budget. The runs of
digits and letters come first."""
# Between the letters of an answer spelt out: what is not a letter or a digit.
_NOT_A_LETTER = re.compile(r"[\W_]+")
_SPELT_WORDS = 3  # pieces an answer spelt out is joined from (« Besan çon »: two)
# Words after which a number may be the département of birth (S7), as folded.
# Words after which a number may be the département of birth (S7), as folded; not
# « ne » (the negation: « il ne rappellera qu'à 14 h ») nor « dép. » (a départ).
_DEPARTMENT_WORDS = frozenset({"nee", "naissance", "departement", "dept", "dpt"})
# What after a number says it is no département: an hour, a duration, a day's month.
_NOT_A_DEPARTMENT_AFTER = frozenset({
    "h", "heure", "heures", "min", "mn", "minute", "minutes", "s", "jours", "jour", "fois",
    "tentatives", "essais", "janvier", "fevrier", "mars", "avril", "mai", "juin", "juillet",
    "aout", "septembre", "octobre", "novembre", "decembre",
})  # fmt: skip
_DEPARTMENT_REACH = 3  # « née dans le 67 »: the number three words on
# Around a word, not part of what the caller answered (« Blanchard, » « (Blanchard) »).
_AROUND_A_WORD = ".,;:!?()[]{}«»\"'“”‘’…"
_ALPHANUMERIC_RUN = re.compile(r"[0-9A-Za-z]{6,}")
# Digits in groups (« 1 70 02… »): a NIR is read from each group's start on.
# Grouped by spaces, dots, dashes or slashes (« 1-58-11-20-195 », « 1/58/11… »).
_DIGIT_RUN = re.compile(r"[0-9](?:[ .\-/\u00a0\u202f]?[0-9AaBb])+")
_GROUP_SEPARATORS = re.compile(r"[ .\-/\u00a0\u202f]")
# The secret answers by their factor, and how the verification reads each one.
_BY_RUN = (("agent_card", CARD6, card_head), ("iban", IBAN6, iban_tail))
# What may stand between a prefix's characters as typed, and how many in a row.
_PREFIX_SEPARATORS = frozenset("-./_ \t\u00a0\u202f\u2007")
_MAX_SEPARATORS_IN_A_ROW = 2

# "à une clé de sécurité": what the refusal says the text seems to hold.
_PREFIX = creds.SECURITY_KEY_PREFIX
_RESEMBLES: dict[str, str] = {
    "security_key": "à une clé de sécurité",
    "password": "à un mot de passe",
    "vote_code": "à un code de vote",
    "identifier": "à un identifiant de vote",
    _PREFIX: "au début de la clé de sécurité de l'électeur",
    CHALLENGE_ANSWER: "à la réponse secrète de l'électeur (question défi)",
    "agent_card": "au n° de série de la carte agent de l'électeur",
    "iban": "à la fin de l'IBAN de l'électeur",
    "nir10": "au NIR de l'électeur",
    "birth_department": "au département de naissance de l'électeur",
}
_ANY_CODE = "à une clé de sécurité ou un code"
_NEVER = {
    CHALLENGE_ANSWER: "une réponse secrète",
    "agent_card": "une réponse de vérification",
    "iban": "une réponse de vérification",
    "nir10": "une réponse de vérification",
    "birth_department": "une réponse de vérification",
}


@dataclass(frozen=True, slots=True)
class HeldCredential:
    """One of the voter's active credentials, as stored."""

    kind: str
    scheme: str
    hash: str = field(repr=False)
    # A security key's first characters: keyed hash (issued by the cell), argon2id
    # (an original, as the platform exported it); None when not known.
    prefix_hash: str | None = field(default=None, repr=False)
    prefix_phc: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class CodeCheck:
    """What a text about one voter is compared with: the credential formats of the
    election, the voter's active credentials, and how they were hashed."""

    key: bytes = field(repr=False)
    hasher: "PasswordHasher"
    formats: tuple[CredentialFormat, ...] = ()
    held: tuple[HeldCredential, ...] = ()
    # Whom and which election a refusal by a match is journalled about (never the text).
    subject: str | None = None
    election: str | None = None
    # The voter's secret answers to a verification, by factor: their keyed hashes.
    answers: dict[str, str] = field(default_factory=dict, repr=False)


def code_check(
    deps: Deps, session: Session, voter_id: int | None, election_id: str | None
) -> CodeCheck | None:
    """The check for a text about ``voter_id`` in ``election_id`` (the credentials of
    all the voter's materials in that election); formats alone without a voter; None
    without an election (:func:`refuse_codes` then knows any election's shape only)."""
    if election_id is None:
        return None
    formats = tuple(get_definition(session, election_id).credentials.values())
    held: tuple[HeldCredential, ...] = ()
    subject: str | None = None
    answers: dict[str, str] = {}
    if voter_id is not None:
        found = session.execute(
            select(
                col(Voter.pseudonym), col(Voter.challenge_answer_hash), col(Voter.card6_hash),
                col(Voter.iban6_hash), col(Voter.nir10_hash),
            ).where(col(Voter.id) == voter_id)
        ).one_or_none()  # fmt: skip
        if found is not None:
            subject = found[0]
            factors = ("challenge_answer", "agent_card", "iban", "nir10")
            answers = {f: h for f, h in zip(factors, found[1:], strict=True) if h is not None}
        rows = active_credentials.of_voter(
            session, voter_id, election_id,
            col(Credential.kind), col(Credential.scheme), col(Credential.hash),
            col(Credential.prefix_hash), col(Credential.prefix_phc),
        )  # fmt: skip
        held = tuple(HeldCredential(*row) for row in rows)
    return CodeCheck(deps.key, deps.hasher, formats, held, subject, election_id, answers)


def voter_check(deps: Deps, session: Session, voter_id: int) -> CodeCheck | None:
    """The check for a text about a voter whatever the election (an unlock, a field
    revealed): the formats of every election the voter has material in, and the voter's
    active credentials in all of them. None for a voter with no material."""
    elections = session.execute(
        select(col(Material.election_id)).where(col(Material.voter_id) == voter_id).distinct()
    ).scalars().all()
    checks = [code_check(deps, session, voter_id, election) for election in sorted(elections)]
    found = [check for check in checks if check is not None]
    if not found:
        return None
    return CodeCheck(
        deps.key,
        deps.hasher,
        tuple(dict.fromkeys(fmt for check in found for fmt in check.formats)),
        tuple(held for check in found for held in check.held),
        found[0].subject,
        found[0].election if len(found) == 1 else None,
        found[0].answers,
    )


def for_intervention(deps: Deps, intervention_id: str) -> CodeCheck | None:
    """The check for a note on an intervention (None: no such intervention, which its
    service refuses in its own words, or none of an election)."""
    with deps.reading() as session:
        row = session.get(Intervention, intervention_id)
        if row is None:
            return None
        return code_check(deps, session, row.voter_id, row.election_id)


def for_escalation(deps: Deps, case_id: int) -> CodeCheck | None:
    """The check for what is written when a case is closed (None: no such case)."""
    with deps.reading() as session:
        case = session.get(Escalation, case_id)
        if case is None:
            return None
        return code_check(deps, session, case.voter_id, case.election_id)


def refuse_codes(text: str, what: str, where: str, check: CodeCheck | None) -> None:
    """A :class:`ServiceError` if ``text`` seems to hold a credential: « La note contient
    ce qui ressemble à une clé de sécurité : n'écrivez jamais un code dans une note. »

    ``what`` names the text as the sentence's subject (« La note »), ``where`` as
    where not to write (« une note »). Without ``check`` (no voter known): any
    election's grouped shape only."""
    found = _held_kind(text, check)
    if found is None:
        return
    kind, by_hash = found
    seems = _RESEMBLES.get(kind, _ANY_CODE)
    never = _NEVER.get(kind, "un code")
    sentence = (
        f"{what} contient ce qui ressemble {seems} : n'écrivez jamais {never} dans "
        f"{where} (le journal le garderait en clair)."
    )
    if by_hash and check is not None:
        # One of the voter's own credentials: journalled by the service's ``retried``.
        raise CredentialInText(
            sentence, kind=kind, field=what, subject=check.subject, election=check.election
        )
    raise ServiceError(sentence)


def _held_kind(text: str, check: CodeCheck | None) -> tuple[str, bool] | None:
    """The kind of the first credential found in ``text`` ("" for the shape of any
    election's code) and whether its hash matched (not its shape alone), None when it
    seems to hold none."""
    if not text:
        return None
    if check is None:
        return ("", False) if creds.grouped_code_spans(text) else None
    evident = creds.evident_codes(text, check.formats)
    if evident:
        return evident[0].kind, False
    if birth_department_said(text):
        return "birth_department", False
    kind = _matching_kind(text, check) or _answer_in(text, check)
    return None if kind is None else (kind, True)


def _answer_in(text: str, check: CodeCheck) -> str | None:
    """The factor of the voter's secret answer written in ``text`` (compared with its
    keyed hash, read as the verification reads it), or None."""
    if not check.answers:
        return None
    compared: set[tuple[str, str]] = set()

    def written(factor: str, purpose: str, value: str) -> bool | None:
        """Whether ``value`` is the answer; None once the comparisons are spent."""
        if (factor, value) in compared:
            return False
        if len(compared) == MAX_ANSWER_COMPARISONS:
            return None
        compared.add((factor, value))
        return matches(check.key, purpose, value, check.answers[factor])

    candidates = [*_run_candidates(text, check), *_answer_candidates(text, check)]
    for factor, purpose, value in candidates:
        found = written(factor, purpose, value)
        if found is None:
            return None
        if found:
            return factor
    return None


def birth_department_said(text: str) -> bool:
    """Whether ``text`` says a département of birth: a number read as one within
    :data:`_DEPARTMENT_REACH` words after a word of birth or of a département (« née
    dans le 67 », « né(e) au 2A », « dépt. 971 »), not followed by a unit or a month
    (« née le 3 mai », « ne part pas, 14 h »). By its shape, whoever the voter: compared
    with the voter's own, a refusal would tell an agent which guess was right."""
    words = text.split()
    for index, word in enumerate(words):
        if _fold_word(word) not in _DEPARTMENT_WORDS:
            continue
        reach = words[index + 1 : index + 2 + _DEPARTMENT_REACH]  # one more: what follows
        following = [w.strip(_AROUND_A_WORD) for w in reach]
        for position, said in enumerate(following[:_DEPARTMENT_REACH]):
            after = following[position + 1] if position + 1 < len(following) else ""
            if _fold_word(after) in _NOT_A_DEPARTMENT_AFTER:
                continue
            try:
                parse_department(said)
            except InvalidValue:
                continue
            return True
    return False


def _fold_word(word: str) -> str:
    """A word as the rule above reads it: accents and case aside, « né(e) » as « nee »,
    without the punctuation around it."""
    bare = word.replace("(e)", "e").replace("(E)", "e").strip(_AROUND_A_WORD)
    with contextlib.suppress(InvalidValue):
        return normalise_answer(bare)
    return ""


def _answer_candidates(text: str, check: CodeCheck) -> list[tuple[str, str, str]]:
    """Runs of up to :data:`MAX_ANSWER_WORDS` words, with or without the punctuation
    around each, read as a challenge answer is; and each word with what separates its
    letters dropped (« B.e.s.a.n.ç.o.n », « B-e-s-a-n-c-o-n »), alone or joined to the
    next one or two (« Besan çon »): an answer spelt out passed (attack run)."""
    if CHALLENGE_ANSWER not in check.answers:
        return []
    words = text.split()
    bare = [word.strip(_AROUND_A_WORD) for word in words]
    squeezed = [_NOT_A_LETTER.sub("", word) for word in words]
    found: list[tuple[str, str, str]] = []

    def add(said: str) -> None:
        with contextlib.suppress(InvalidValue):  # nothing left to compare
            found.append((CHALLENGE_ANSWER, CHALLENGE_ANSWER, normalise_answer(said)))

    for start in range(len(words)):
        for end in range(start + 1, min(start + MAX_ANSWER_WORDS, len(words)) + 1):
            for run in (words[start:end], bare[start:end]):
                add(" ".join(run))
        for end in range(start + 1, min(start + _SPELT_WORDS, len(words)) + 1):
            add("".join(squeezed[start:end]))
    return found


def _run_candidates(text: str, check: CodeCheck) -> list[tuple[str, str, str]]:
    """Runs of letters and digits read as a card's serial or an IBAN's end, and runs of
    digits as a NIR, each as the verification reads it."""
    found: list[tuple[str, str, str]] = []
    for run in _ALPHANUMERIC_RUN.findall(text):
        for factor, purpose, read in _BY_RUN:
            if factor in check.answers:
                try:
                    found.append((factor, purpose, read(run)))
                except InvalidValue:
                    continue
    if "nir10" in check.answers:
        for run in _DIGIT_RUN.findall(text):
            groups = _GROUP_SEPARATORS.split(run)
            # From each group on (« matricule 12345 1700259337 » is one run): as said,
            # 10, 13 or 15 characters, and its first 10 whatever follows them.
            for start in range(len(groups)):
                said = "".join(groups[start:])
                if len(said) < 10:
                    break
                for value in dict.fromkeys((said[:15], said[:13], said[:10])):
                    try:
                        found.append(("nir10", NIR10, nir_factor(value)))
                    except InvalidValue:
                        continue
    return found


@dataclass(slots=True)
class _Budget:
    """Comparisons a text has cost so far, against the caps."""

    fast: int = 0
    slow: int = 0
    prefix_fast: int = 0
    prefix_slow: int = 0

    def spend(self, scheme: str) -> bool:
        """Whether one more comparison of a whole code by ``scheme`` is allowed."""
        if scheme == creds.SCHEME_HMAC:
            self.fast += 1
            return self.fast <= _MAX_FAST_COMPARISONS
        self.slow += 1
        return self.slow <= MAX_SLOW_COMPARISONS

    def spend_prefix(self, scheme: str) -> bool:
        """Whether one more comparison of a key's prefix by ``scheme`` is allowed."""
        if scheme == creds.SCHEME_HMAC:
            self.prefix_fast += 1
            return self.prefix_fast <= MAX_PREFIX_FAST_COMPARISONS
        self.prefix_slow += 1
        return self.prefix_slow <= MAX_PREFIX_SLOW_COMPARISONS


def _matching_kind(text: str, check: CodeCheck) -> str | None:
    """The kind of the voter's credential written in ``text``, by its hash, or
    ``security_key_prefix`` for the first characters of the voter's key."""
    formats = {fmt.kind: fmt for fmt in check.formats}
    budget = _Budget()
    for held in check.held:
        fmt = formats.get(held.kind)
        if fmt is None or held.scheme not in (creds.SCHEME_HMAC, creds.SCHEME_ARGON2):
            continue
        for code in creds.drawn_first(creds.codes_in_text(text, fmt)):
            if not budget.spend(held.scheme):
                break
            if held.scheme == creds.SCHEME_HMAC:
                if matches(check.key, credential_purpose(held.kind), code.value, held.hash):
                    return held.kind
            elif argon2_verifies(check.hasher, held.hash, code.value):
                return held.kind
    # The prefixes after the whole codes: a whole key is what is most often written.
    for held in check.held:
        fmt = formats.get(held.kind)
        if held.kind != "security_key" or fmt is None or fmt.length <= creds.PREFIX_LENGTH:
            continue
        if _holds_prefix(text, held, fmt, check, budget):
            return _PREFIX
    return None


def _holds_prefix(
    text: str, held: HeldCredential, fmt: CredentialFormat, check: CodeCheck, budget: _Budget
) -> bool:
    """Whether ``text`` holds the first characters of the security key ``held``
    (:func:`_prefix_candidates`), compared with its prefix hashes."""
    if held.prefix_hash is None and held.prefix_phc is None:
        return False
    for code in creds.drawn_first(_prefix_candidates(text, fmt)):
        if (
            held.prefix_hash is not None
            and budget.spend_prefix(creds.SCHEME_HMAC)
            and matches(check.key, creds.SECURITY_KEY_PREFIX, code.value, held.prefix_hash)
        ):
            return True
        # argon2id (an original's prefix, up to the platform's import parameters, inside
        # the service's write transaction): only a candidate mixing letters and digits,
        # as a drawn prefix mostly does, so that prose costs none. Left out: a prefix of
        # letters only or digits only (« KMPXQD », « 234578 »), about 1 in 6 of drawn
        # keys' prefixes for a 22-letter, 8-digit alphabet ((22/30)^6 = 15.6 %): written
        # alone, such an original's prefix is not found. An issued key's keyed
        # ``prefix_hash`` is compared whatever the candidate's shape.
        if (
            held.prefix_phc is not None
            and _mixes(code.value)
            and budget.spend_prefix(creds.SCHEME_ARGON2)
            and argon2_verifies(check.hasher, held.prefix_phc, code.value)
        ):
            return True
    return False


def _mixes(value: str) -> bool:
    return any(c.isalpha() for c in value) and any(c.isdigit() for c in value)


def _prefix_candidates(text: str, fmt: CredentialFormat) -> list[creds.CodeInText]:
    """What may be a key's first characters in ``text``: at each word's start (a letter
    or digit after none), the first :data:`~csu.domain.credentials.PREFIX_LENGTH`
    letters and digits read onwards, skipping separators (:data:`_PREFIX_SEPARATORS`,
    at most :data:`_MAX_SEPARATORS_IN_A_ROW` in a row), whatever follows them; kept when
    they are of the key's alphabet once read as a typed key is (normalise_typed)."""
    found: list[creds.CodeInText] = []
    length = creds.PREFIX_LENGTH
    for start, char in enumerate(text):
        if not char.isalnum() or (start > 0 and text[start - 1].isalnum()):
            continue
        kept: list[str] = []
        end, in_a_row = start, 0
        for pos in range(start, len(text)):
            char = text[pos]
            if char.isalnum():
                kept.append(char)
                end, in_a_row = pos + 1, 0
                if len(kept) == length:
                    break
            elif char in _PREFIX_SEPARATORS and in_a_row < _MAX_SEPARATORS_IN_A_ROW:
                in_a_row += 1
            else:
                break
        if len(kept) < length:
            continue
        value = creds.normalise_typed(fmt, "".join(kept))
        if len(value) == length and all(c in fmt.alphabet for c in value):
            found.append(creds.CodeInText(_PREFIX, start, end, text[start:end], value))
    return found
