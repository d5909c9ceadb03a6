"""The words of the voter file for each kind of intervention: a phone call, a voter at the
polling station before their president (S4), or a request that came by e-mail. Nobody is
on the phone in the last two, and an abandoned request is not « traitée »: each place
that names the intervention (the path, the procedure panel, the closing sentence, the
footer's next-intervention key) reads its words here, so they never disagree."""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class InterventionWords:
    path: str  # the path line's name: « Appel : 1 Ouvrir › … »
    panel_title: str  # the procedure panel's border
    closed_line: str  # the panel's line once the intervention is closed
    over: str  # the path's sentence once it is closed, before the next key
    next_label: str  # the footer's label of the key to the next intervention
    single_script: str  # the refusal to choose another procedure where there is one
    this: str  # what an intervention is opened for (before it opens, only a call or a visit)


CALL = InterventionWords(
    path="Appel",
    panel_title="Procédure d'appel",
    closed_line="✓ Appel terminé : intervention close.",
    over="Appel terminé. Appel suivant",
    next_label="Nouvel appel",
    single_script="Ce scrutin n'a qu'une procédure d'appel",
    this="cet appel",
)
IN_PERSON = InterventionWords(
    path="Passage au bureau",
    panel_title="Procédure au bureau",
    closed_line="✓ Intervention terminée : intervention close.",
    over="Intervention terminée. Électeur suivant",
    next_label="Électeur suivant",
    single_script="Ce scrutin n'a qu'une procédure",
    this="cet électeur",
)
BY_MAIL = InterventionWords(
    path="Demande par courriel",
    panel_title="Procédure de la demande",
    closed_line=IN_PERSON.closed_line,
    over="Intervention terminée. Intervention suivante",
    next_label="Intervention suivante",
    single_script=IN_PERSON.single_script,
    this="cette demande",
)


def words_for(*, in_person: bool, by_mail: bool) -> InterventionWords:
    """The words of an intervention in person (before a president), else by e-mail, else
    of a call."""
    return IN_PERSON if in_person else BY_MAIL if by_mail else CALL
