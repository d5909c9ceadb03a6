"""How a credential is named in French, and what agrees with it: « la clé de sécurité…
Lisez-la… active », « le mot de passe… Lisez-le… actif ». Screens and services read
these words, never « un(e) » nor « actif(ve) »."""

from dataclasses import dataclass

from csu.domain.election import CREDENTIAL_LABELS

# The credentials named by a feminine noun (« une clé »).
FEMININE_CREDENTIALS = frozenset({"security_key"})
VOWELS = frozenset("aeiouyéèêàâîô")


@dataclass(frozen=True, slots=True)
class CredentialWords:
    """How the windows name one kind of credential, and agree with it: « la clé de
    sécurité… Lisez-la… Elle ne sera plus jamais affichée », « le mot de passe…
    Lisez-le… Il ne sera plus jamais affiché »."""

    label: str  # « clé de sécurité »
    feminine: bool

    def pick(self, masculine: str, feminine: str) -> str:
        return feminine if self.feminine else masculine

    @property
    def e(self) -> str:
        """The feminine ending of a regular participle: « invalidé{e} »."""
        return self.pick("", "e")

    @property
    def name(self) -> str:
        """At the start of a title: « Clé de sécurité »."""
        return self.label[:1].upper() + self.label[1:]

    @property
    def the(self) -> str:
        """« la clé de sécurité », « le mot de passe », « l'identifiant de vote »."""
        if self.label[:1] in VOWELS:
            return f"l'{self.label}"
        return f"{self.pick('le', 'la')} {self.label}"

    @property
    def the_capitalised(self) -> str:
        """The same, at the start of a sentence: « La clé de sécurité »."""
        return self.the[:1].upper() + self.the[1:]

    @property
    def it(self) -> str:
        """The object pronoun: « Lisez-la », « Lisez-le »."""
        return self.pick("le", "la")

    @property
    def a_new(self) -> str:
        """« délivrez-en une nouvelle », « délivrez-en un nouveau »."""
        return self.pick("un nouveau", "une nouvelle")

    @property
    def a(self) -> str:
        """« une clé de sécurité », « un mot de passe »."""
        return f"{self.pick('un', 'une')} {self.label}"

    @property
    def new_title(self) -> str:
        """« Nouvelle clé de sécurité », « Nouveau mot de passe », « Nouvel identifiant »."""
        if self.feminine:
            return f"Nouvelle {self.label}"
        return f"{'Nouvel' if self.label[:1] in VOWELS else 'Nouveau'} {self.label}"


def words(kind: str) -> CredentialWords:
    """The words of ``kind`` (a key of ``CREDENTIAL_LABELS``; another reads « code »)."""
    if kind not in CREDENTIAL_LABELS:
        return CredentialWords("code", feminine=False)
    return CredentialWords(CREDENTIAL_LABELS[kind], feminine=kind in FEMININE_CREDENTIALS)
