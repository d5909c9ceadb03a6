"""The Interior security key by post (issue 14 §3, seed 002: « je suis destinataire d'un
courrier à mon domicile contenant ma clé de sécurité »).

:func:`send_key_by_post` issues a new security key inside the agent's verified
intervention, as ``ctrl+k`` does, but nobody sees it: it exists only inside a letter
to the voter's home address (the roll's ``adresse_postale``), a PDF made here with
fpdf2 and queued through the outbox to the print folder (csu.delivery.factory:
0700, each file 0600), delivered after the commit. The journal records the issue and
the letter with the address masked, never the key; the key is kept only as its hash,
and the voter is told of the change on another channel of record (a notice).

:func:`letter_preview` says what the voter file may offer (the masked address, or why
no letter can go); :func:`render_letter` is the PDF itself, for tests and the README
sample (docs/lettre-cle-de-securite.png).
"""

import base64
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime

from csu.domain import credentials as creds
from csu.domain.clock import to_paris
from csu.domain.contacts import mask_postal_address
from csu.domain.election import ElectionDefinition
from csu.domain.notice_wording import LETTER
from csu.domain.permissions import Situation, election_allows, refusal
from csu.services.context import (
    Deps,
    NotFound,
    OperatorContext,
    ServiceError,
    enforce,
    journals_refusals,
    retried,
)
from csu.services.credentials import (
    new_credential,
    replace_credential,
    require_verified_for,
)
from csu.services.elections import get_definition
from csu.services.interventions import owned_open, usable_material
from csu.services.notices import notify_change
from csu.services.outbox import Outgoing, deliver, enqueue
from csu.services.sessions import require_live_in
from csu.services.support import support_for
from csu.store.tables import Material, Voter

KIND = "security_key"
ACTION = "letter"  # its rule in csu.domain.permissions, the voter file's « Clé par courrier »
PURPOSE = "letter"  # the outbox purpose of a letter
CHANNEL = "post"


@dataclass(frozen=True, slots=True)
class Letter:
    """What a letter says. ``key`` is the new key as displayed (groups): it exists
    here, in the PDF and in the sealed outbox body until the letter is printed."""

    organiser: str
    sender: str  # the cell, as the election names it
    election: str
    recipient: str  # "Léa MARTIN"
    address: tuple[str, ...]  # lines
    day: date  # Paris date of the letter
    matricule: str
    key: str = field(repr=False)
    platform: str | None  # the voting site, when the file gives it
    support: tuple[str, ...]  # one line per number to call


@dataclass(frozen=True, slots=True)
class LetterPreview:
    """What the voter file shows before an agent sends a key by post."""

    allowed: bool
    refusal: str | None  # French: why no letter can go
    address: str | None  # masked: "1* r** d** L***, 59*** L****"


@dataclass(frozen=True, slots=True)
class LetterQueued:
    """A key sent by post: no value here, only where it goes and the letter's state."""

    credential_id: int
    material_identifier: str
    message_id: int
    address: str  # masked
    state: str  # the outbox state after the delivery attempt: sent (to the print folder)...


def letter_preview(
    deps: Deps, who: OperatorContext, intervention_id: str, material_id: int
) -> LetterPreview:
    """Whether the operator's open intervention may send this material's voter a new
    key by post, and to which (masked) address."""
    with deps.reading() as session:
        require_live_in(session, who)  # a disabled account reads nothing more
        row = owned_open(session, who, intervention_id)
        material = session.get(Material, material_id)
        if material is None or material.voter_id != row.voter_id:
            raise NotFound("Ce matériel n'appartient pas à l'électeur de l'intervention.")
        voter = session.get(Voter, material.voter_id)
        definition = get_definition(session, material.election_id)
        found = refusal(ACTION, _situation(who, definition, voter, material, deps.clock()))
        address = voter.adresse_postale if voter else None
        return LetterPreview(
            allowed=found is None,
            refusal=found.sentence if found is not None else None,
            address=mask_postal_address(address) if address else None,
        )


@journals_refusals
@retried
def send_key_by_post(
    deps: Deps, who: OperatorContext, intervention_id: str, material_id: int
) -> LetterQueued:
    """Revokes the material's security key and sends a new one in a letter home.

    The rule the voter file greys « Clé par courrier » with (``letter`` in
    csu.domain.permissions: the election sends keys by post, a desk role, the call
    verified, a home address on the roll, the material active), checked again under
    lock, with an issue's own checks (open election, material not voted, the election's
    ``verification_for``)."""
    enforce(ACTION, Situation(who.role, kind=KIND), deps=deps, who=who)
    now = deps.clock()
    with deps.reading() as session:
        material = session.get(Material, material_id)
        if material is None:
            raise NotFound("Matériel de vote introuvable.")
        definition = get_definition(session, material.election_id)
        voter = session.get(Voter, material.voter_id)
        fmt = definition.credentials.get(KIND)
        if fmt is None:
            raise ServiceError("Ce scrutin ne prévoit pas de clé de sécurité.")
        value = creds.generate(fmt)
        # The PDF (~30 ms) is made before the write transaction, which checks that what
        # it says is still the roll's; refusals wait for that transaction's checks.
        letter = (
            letter_for(definition, voter, creds.display(fmt, value), now)
            if voter is not None
            and refusal(ACTION, _situation(who, definition, voter, material, now)) is None
            else None
        )
    pdf = base64.b64encode(render_letter(letter)).decode("ascii") if letter else ""
    new = new_credential(deps, fmt, KIND, value)
    with deps.writing() as session:
        row, material, voter, definition = usable_material(
            session, who, intervention_id, material_id, now, ACTION, KIND
        )
        require_verified_for(definition, row, KIND)
        enforce(ACTION, _situation(who, definition, voter, material, now))
        assert voter.adresse_postale is not None
        if letter is None or letter_for(definition, voter, letter.key, now) != letter:
            raise ServiceError("La fiche de l'électeur a changé pendant l'envoi : recommencez.")
        masked = mask_postal_address(voter.adresse_postale)
        credential = replace_credential(
            session, deps, who, row, material, voter, new, now,
            reason="réassort par courrier",
            # Where it went, as a message's: the channel and the masked address.
            details={"channel": CHANNEL, "recipient": masked},
        )  # fmt: skip
        recipient = "\n".join((letter.recipient, *letter.address))
        queued = enqueue(
            session,
            deps,
            who,
            voter,
            Outgoing(
                purpose=PURPOSE,
                channel=CHANNEL,
                recipient=recipient,
                recipient_masked=masked,
                subject=f"Fiche « clé de sécurité » — {definition.title}"[:300],
                body=pdf,
                sender_name=definition.sender_name,
            ),
            election_id=definition.id,
            intervention_id=row.id,
            now=now,
        )
        notice = notify_change(
            session, deps, who, voter, definition,
            what=LETTER.format(identifier=material.identifier),
            used=None, intervention_id=row.id, now=now,
        )  # fmt: skip
        result = (credential.id or 0, material.identifier, queued.id or 0, masked)
    message_ids = [result[2]] + ([notice.id or 0] if notice is not None else [])
    states = deliver(deps, message_ids, who.actor)
    return LetterQueued(*result, state=states[result[2]])


def letter_for(definition: ElectionDefinition, voter: Voter, key: str, now: datetime) -> Letter:
    """The letter of a new key for ``voter`` (its address on the roll, its numbers)."""
    return Letter(
        organiser=definition.organiser,
        sender=definition.sender_name,
        election=definition.title,
        recipient=f"{voter.first_name} {voter.last_name.upper()}",
        address=tuple((voter.adresse_postale or "").splitlines()),
        day=to_paris(now).date(),
        matricule=voter.matricule,
        key=key,
        platform=definition.platform_url,
        support=tuple(support_for(definition, voter).lines()),
    )


def _situation(
    who: OperatorContext,
    definition: ElectionDefinition,
    voter: Voter | None,
    material: Material,
    now: datetime,
) -> Situation:
    """The letter as :func:`csu.domain.permissions.refusal` rules it, from the roll: the
    election's routes, the home address, the material (``usable_material`` checks the
    call's state under lock)."""
    return Situation(
        who.role,
        election=election_allows(definition, now),
        kind=KIND,
        has_address=voter is not None and bool(voter.adresse_postale),
        material_active=material.status == "active",
    )


# --------------------------------------------------------------------------- the PDF

# fpdf2's built-in fonts (no font file to ship) write Latin-1 only: the few common
# characters outside it are given their usual plain forms.
_PLAIN = str.maketrans({
    "’": "'", "‘": "'", "“": '"', "”": '"', "—": "-", "–": "-", "‑": "-", "…": "...",
    "œ": "oe", "Œ": "OE", "\u202f": " ", "\u2009": " ", "€": "EUR",
})  # fmt: skip


def _latin1(text: str) -> str:
    text = text.translate(_PLAIN)
    if all(ord(c) < 256 for c in text):
        return text
    out = []
    for char in text:
        if ord(char) < 256:
            out.append(char)
            continue
        bare = "".join(
            c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
        )
        out.append(bare if bare and all(ord(c) < 256 for c in bare) else "?")
    return "".join(out)


def render_letter(letter: Letter) -> bytes:
    """The letter as a one-page A4 PDF: sender, the address in the window of a DL
    envelope, the key in large characters in a box, how to use it, whom to call."""
    # Imported here: fpdf2 brings Pillow and fontTools, which the terminal's start
    # need not pay for (bench/terminal.py measures the cold start).
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos

    pdf = FPDF(format="A4", unit="mm")
    pdf.set_creation_date(datetime(letter.day.year, letter.day.month, letter.day.day))
    pdf.set_title(_latin1(f"Fiche clé de sécurité - {letter.election}"))
    pdf.set_author(_latin1(letter.sender))
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.set_margins(20, 18, 20)
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin

    def line(text: str, size: float = 10.5, style: str = "", height: float = 5.2) -> None:
        pdf.set_font("Helvetica", style=style, size=size)
        pdf.multi_cell(width, height, _latin1(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    line(letter.organiser, 11, "B")
    line(letter.sender, 10)
    # The recipient where a DL window envelope shows it (right, ~45 mm from the top).
    pdf.set_xy(110, 45)
    pdf.set_font("Helvetica", size=11)
    for part in (letter.recipient, *letter.address):
        pdf.set_x(110)
        pdf.cell(80, 5.5, _latin1(part), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_y(85)
    line(f"Le {letter.day:%d/%m/%Y}", 10.5)
    pdf.ln(4)
    line("Fiche « clé de sécurité »", 15, "B", 8)
    line(letter.election, 11, "", 6)
    pdf.ln(4)
    line("Madame, Monsieur,")
    pdf.ln(1)
    line(
        "Vous avez demandé à la cellule de support aux électeurs une nouvelle clé de "
        "sécurité. La voici ; votre clé précédente ne fonctionne plus."
    )
    pdf.ln(5)
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(
        width, 6, _latin1(f"Matricule : {letter.matricule}"), new_x=XPos.LMARGIN, new_y=YPos.NEXT
    )
    pdf.ln(2)
    pdf.set_font("Courier", "B", 22)
    pdf.set_draw_color(40, 40, 40)
    pdf.set_line_width(0.6)
    pdf.cell(
        width, 18, _latin1(letter.key), border=1, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT
    )
    pdf.ln(5)
    site = f" sur {letter.platform}" if letter.platform else " sur le site de vote"
    line(
        f"Pour voter, connectez-vous{site} avec votre matricule, votre date de naissance, "
        "cette clé de sécurité et le mot de passe de votre notice de vote (remise en main "
        "propre par votre référent RH de proximité)."
    )
    pdf.ln(2)
    line(
        "Cette clé est personnelle : ne la communiquez à personne. La cellule de support ne "
        "vous la demandera jamais. Conservez ce courrier jusqu'à la fin du vote, puis "
        "détruisez-le.",
        style="I",
    )
    pdf.ln(5)
    if letter.support:
        line("En cas de difficulté, contactez :", 10.5, "B")
        for number in letter.support:
            line(f"- {number}", 10)
    pdf.ln(6)
    line(letter.sender, 10)
    return bytes(pdf.output())
