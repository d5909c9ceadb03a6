"""Which logins a new operator may have: none that reads as another's in the journal."""

import pytest

from csu.domain.errors import InvalidValue
from csu.domain.logins import login_form, new_login


@pytest.mark.parametrize(
    ("typed", "login"),
    [("Camille", "camille"), (" c.mar-2_b ", "c.mar-2_b"), ("Élodie", "élodie"),
     ("ｃａｍｉｌｌｅ", "camille"), ("ﬁona", "fiona"), ("Lætitia", "lætitia")],
)  # fmt: skip
def test_a_login_is_kept_in_its_plain_lower_case_form(typed: str, login: str) -> None:
    assert new_login(typed) == login
    assert login_form(typed) == login


@pytest.mark.parametrize(
    "typed",
    ["\u0430gent",  # a Cyrillic « а »
     "\u03bfscar",  # a Greek « ο »
     "agent\u0663",  # an Arabic-Indic digit
     "a\u0261ent",  # « ɡ », a Latin letter that is no « g » with an accent
     "adm\u0131n",  # « ı », a dotless i
     "jean dupont", "jean@dupont", "日本", "", "   "],
)  # fmt: skip
def test_a_login_with_another_script_or_sign_is_refused(typed: str) -> None:
    with pytest.raises(InvalidValue, match=r"^Identifiant : lettres \(accents compris\)"):
        new_login(typed)


@pytest.mark.parametrize("typed", ["système", "SYSTÈME", "systeme", "ｓｙｓｔèｍｅ"])
def test_the_journal_s_own_name_is_refused(typed: str) -> None:
    with pytest.raises(InvalidValue, match="nom que le journal donne à CSU lui-même"):
        new_login(typed)
