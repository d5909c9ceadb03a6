"""A material a substitution cannot replace is named in the refusal as screens name it:
an identifier that is an address, masked. The sentence is the refusal's reason, stored
and journalled (``substitution_request``, ``substitution_refuse``,
``substitution_check``), and the journal outlives the purge of the material."""

from csu.domain.substitution import AT_MATERIAL, MaterialFacts, material_faults

ADDRESS = "jean.dupont@ac-paris.fr"


def test_a_voted_material_known_by_its_address_is_named_masked() -> None:
    [fault] = material_faults([MaterialFacts(ADDRESS, "active", voted=True)])
    assert fault.text == (
        "L'électeur a déjà voté avec le matériel j***@ac-paris.fr : aucun matériel de "
        "substitution n'est délivrable."
    )
    assert (fault.at, fault.items) == (AT_MATERIAL, (ADDRESS,))  # the form still finds it


def test_an_inactive_material_known_by_its_address_is_named_masked() -> None:
    [fault] = material_faults([MaterialFacts(ADDRESS, "substituted", voted=False)])
    assert ADDRESS not in fault.text and "j***@ac-paris.fr" in fault.text


def test_a_material_known_by_a_number_is_named_whole() -> None:
    [fault] = material_faults([MaterialFacts("CCI-000123", "invalidated", voted=False)])
    assert fault.text.startswith("Le matériel CCI-000123 n'est plus actif")
