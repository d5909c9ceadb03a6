"""An election's professional mail domains: an address there is never a personal one."""

import pytest

from csu.domain.mail_domains import (
    DoubtfulDomain,
    domain_pattern_fault,
    likely_typo,
    professional_match,
    professional_refusal,
    refuse_doubtful_domain,
)

EDUCATION = ("ac-*.fr", "education.gouv.fr")


@pytest.mark.parametrize(
    "address",
    ["t.peron@ac-lille.fr", "x@ac-creteil.fr", "x@AC-Dijon.FR", "x@ac-.fr"],
)
def test_any_academys_mailbox_is_professional(address: str) -> None:
    assert professional_match(address, EDUCATION) == "ac-*.fr"


def test_a_domain_covers_its_subdomains() -> None:
    assert professional_match("x@dgesco.education.gouv.fr", EDUCATION) == "education.gouv.fr"


def test_a_trailing_dot_of_the_domain_changes_nothing() -> None:
    assert professional_match("x@education.gouv.fr.", EDUCATION) == "education.gouv.fr"


@pytest.mark.parametrize(
    "address",
    [
        "claire.jullien@yahoo.fr",
        "x@mac-lille.fr",  # « ac-* » starts the label, not a part of it
        "x@ac-lille.fr.exemple.com",  # a lookalike under another domain
        "x@ac-lille.com",
        "x@education.gouv.fr.exemple.com",
        "x@neducation.gouv.fr",
        "ac-lille.fr@gmail.com",  # the domain is after the last « @ »
    ],
)
def test_a_mailbox_elsewhere_is_not_professional(address: str) -> None:
    assert professional_match(address, EDUCATION) is None


def test_without_professional_domains_no_address_is_refused() -> None:
    assert professional_match("t.peron@ac-lille.fr", ()) is None


def test_the_refusal_names_the_domain_and_the_files_pattern() -> None:
    said = professional_refusal("t.peron@ac-lille.fr", EDUCATION, "le lien")

    assert said == (
        "L'adresse saisie est une adresse professionnelle (ac-lille.fr : l'élection compte "
        "« ac-*.fr » comme domaine professionnel) : le lien doit partir vers une adresse "
        "personnelle."
    )


@pytest.mark.parametrize("pattern", ["ac-*.fr", "education.gouv.fr", "*.gouv.fr", "a.b"])
def test_domains_and_wildcards_within_a_label_are_patterns(pattern: str) -> None:
    assert domain_pattern_fault(pattern) is None


@pytest.mark.parametrize(
    ("pattern", "fault"),
    [
        ("fr", "au moins deux parties"),
        ("AC-*.FR", "en minuscules"),
        ("ac-*.fr.", "au moins deux parties"),
        (".gouv.fr", "au moins deux parties"),
        ("ac_lille.fr", "domaine attendu"),
        ("-ac.fr", "domaine attendu"),
        ("gmail.*", "ne peut pas remplacer l'extension"),
        ("*.*", "ne peut pas remplacer l'extension"),
        ("*.fr", "couvrirait tout le .fr"),  # orange.fr, free.fr... all professional
        ("*-*.fr", "une partie fixe est attendue"),
        ("a" * 251 + ".fr", "253 caractères au plus"),
    ],
)
def test_a_pattern_that_is_no_domain_is_refused_saying_why(pattern: str, fault: str) -> None:
    said = domain_pattern_fault(pattern)

    assert said is not None and fault in said


# ------------------------------------------------------------ likely typos


@pytest.mark.parametrize(
    ("address", "meant"),
    [
        ("thomas.peron@gmail.con", "gmail.com"),
        ("x@exemple.con", "exemple.com"),
        ("x@gmial.com", "gmail.com"),
        ("x@hotmial.fr", "hotmail.fr"),
        ("x@Orage.FR", "orange.fr"),
        ("x@exemple.fr.fr", "exemple.fr"),
        ("x@gmail.com.com", "gmail.com"),
        ("x@gmail.fr", "gmail.com"),
        ("x@laposte.fr", "laposte.net"),
    ],
)
def test_a_domain_a_key_away_from_the_one_meant_is_a_likely_typo(address: str, meant: str) -> None:
    assert likely_typo(address) == meant


@pytest.mark.parametrize(
    "address",
    ["x@gmail.com", "x@GMAIL.COM", "x@wanadoo.fr", "x@laposte.net", "x@mail.com",
     "x@exemple.fr", "x@ac-lille.fr", "x@univ-lille.fr", "x@exemple-été.fr", "x@free.fr."],
)
def test_a_domain_that_looks_right_is_not_doubted(address: str) -> None:
    assert likely_typo(address) is None


def test_a_doubtful_domain_is_refused_saying_what_was_likely_meant_and_what_to_do() -> None:
    with pytest.raises(DoubtfulDomain) as refused:
        refuse_doubtful_domain("thomas.peron@gmail.con", "Adresse personnelle")
    assert str(refused.value) == (
        "Adresse personnelle : le domaine « gmail.con » ressemble à une faute de frappe pour "
        "« gmail.com » : relisez l'adresse à l'électeur, puis corrigez-la, ou confirmez-la "
        "si elle est juste"
    )
    assert (refused.value.domain, refused.value.meant) == ("gmail.con", "gmail.com")
