"""Renders the README's sample of a key-by-post letter (issue 14 §3) as a PNG.

    .venv/bin/python docs/letter_sample.py

The letter is csu.services.letters.render_letter's own PDF, for a fictitious voter of
data/elections/minint-2022.toml with a made-up key; pypdfium2 (PDFium, the renderer of
Chromium) draws its first page into docs/lettre-cle-de-securite.png.
"""

from datetime import date
from pathlib import Path

import pypdfium2 as pdfium

from csu.domain.contacts import voter_support
from csu.domain.election import parse_election
from csu.services.letters import Letter, render_letter

HERE = Path(__file__).resolve().parent
ELECTION = HERE.parent / "data" / "elections" / "minint-2022.toml"
OUTPUT = HERE / "lettre-cle-de-securite.png"


def main() -> None:
    definition = parse_election(ELECTION.read_text(encoding="utf-8"), ELECTION.name)
    letter = Letter(
        organiser=definition.organiser,
        sender=definition.sender_name,
        election=definition.title,
        recipient="Léa MARTIN (exemple fictif)",
        address=("Appartement 12", "18 rue de la Paix", "59000 LILLE"),
        day=date(2022, 12, 2),
        matricule="AB1234",
        key="K7MP-X2QD-9RFA-H3TW",
        platform=definition.platform_url or "electionspro2022.interieur.gouv.fr",
        support=tuple(voter_support(definition.contacts, None).lines()),
    )
    document = pdfium.PdfDocument(render_letter(letter))
    try:
        page = document[0]
        page.render(scale=1.25, grayscale=True).to_pil().save(OUTPUT, optimize=True)
        page.close()
    finally:
        document.close()
    print(OUTPUT)


if __name__ == "__main__":
    main()
