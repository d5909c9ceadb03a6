"""The catalogue of French labels (csu/domain/labels.py): it names every action,
outcome and detail key the code writes to the journal, its words fit the review's
columns at 120 columns, and the entry's detail reads recorded codes in French."""

import ast
import re
from pathlib import Path

from csu.domain.actions import ACTIONS, READ_ONLY_ACTIONS
from csu.domain.election import CREDENTIAL_KINDS
from csu.domain.entry_details import changes_of, factors_of, others
from csu.domain.labels import (
    ACTION_LABELS,
    DETAIL_LABELS,
    ENTRY_LABELS,
    OUTCOME_LABELS,
    PURPOSE_LABELS,
    SERVICE_LABELS,
    detail_label,
    detail_value,
    entry_label,
    labelled,
    name_and_login,
)
from csu.domain.messages import PLACEHOLDERS
from csu.domain.verification import CHANNELS
from csu.screens.intervention_timeline import TIMELINE_COLUMNS
from csu.screens.journal import COLUMNS
from csu.widgets.fitted_table import shrunk

CODE = Path(__file__).parents[2] / "csu"
SNAKE = re.compile(r"[a-z]+(?:_[a-z]+)+")  # how an action's code is written


def _trees() -> list[ast.Module]:
    return [ast.parse(path.read_text(encoding="utf-8")) for path in sorted(CODE.rglob("*.py"))]


def written_detail_keys() -> set[str]:
    """The keys of every ``details={...}`` the code writes, and of every dict it builds
    under a name holding « detail » (``details["x"] = …`` included)."""
    keys: set[str] = set()
    for tree in _trees():
        for node in ast.walk(tree):
            found: ast.AST | None = None
            if isinstance(node, ast.keyword) and node.arg == "details":
                found = node.value
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and (node.func.id.endswith("_journal"))
            ):  # a module's own journalling helper takes the details among its arguments
                found = next((arg for arg in node.args if isinstance(arg, ast.Dict)), None)
            elif isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and "detail" in t.id for t in node.targets
            ):
                found = node.value
            elif (
                isinstance(node, ast.Subscript)
                and isinstance(node.ctx, ast.Store)
                and isinstance(node.value, ast.Name)
                and "detail" in node.value.id
                and isinstance(node.slice, ast.Constant)
            ):
                keys.add(str(node.slice.value))
            if isinstance(found, ast.Dict):
                keys |= {str(k.value) for k in found.keys if isinstance(k, ast.Constant)}
    return keys


def written_actions() -> set[str]:
    """Every ``action="…"`` the code passes, literally or through a module constant."""
    found: set[str] = set()
    for tree in _trees():
        constants = {
            node.targets[0].id: node.value.value
            for node in tree.body
            if isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        }
        for node in ast.walk(tree):
            # A module's own journalling helper takes the action among its arguments.
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and (node.func.id.endswith("_journal"))
            ):
                found |= {
                    arg.value for arg in node.args
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
                    and SNAKE.fullmatch(arg.value)
                }  # fmt: skip
            if isinstance(node, ast.keyword) and node.arg == "action":
                if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                    found.add(node.value.value)
                elif isinstance(node.value, ast.Name) and node.value.id in constants:
                    found.add(constants[node.value.id])
    return found


def test_the_catalogue_names_every_action_of_the_journal_once() -> None:
    assert set(ACTION_LABELS) == ACTIONS | READ_ONLY_ACTIONS
    assert len(set(ACTION_LABELS.values())) == len(ACTION_LABELS)


def test_every_action_the_code_journals_is_a_known_action() -> None:
    assert written_actions() - ACTIONS == set()


def test_every_detail_key_the_code_journals_is_named() -> None:
    assert written_detail_keys() - set(DETAIL_LABELS) == set()


def test_at_120_columns_the_review_shows_the_longest_name_of_an_entry_and_outcome() -> None:
    """Its columns take their widest cell's width (csu.widgets.fitted_table): with the
    longest of each, a 7-digit number and a 12-letter login, none is cut at 120."""
    longest = {
        "N°": 7, "Quand": len("02/12 11:30:00"), "Opérateur": 12, "Matricule": 10,
        "Action": max(map(len, ENTRY_LABELS)),
        "Résultat": max(map(len, OUTCOME_LABELS.values())),
        "Scrutin": len("cci-hdf-2021"),
    }  # fmt: skip
    room = 120 - 2 - 2 * len(COLUMNS)  # the scroll bar, a cell of padding each side
    natural = [longest[fit.label] for fit in COLUMNS]
    assert shrunk(natural, [fit.floor for fit in COLUMNS], room) == tuple(natural)


def test_at_120_columns_the_timeline_shows_the_longest_name_of_a_step_and_outcome() -> None:
    """Long precisions give way first: the step's name and outcome stay whole."""
    longest = {
        "Heure": 8, "Opérateur": 12, "Poste": 12, "Précisions": 200,
        "Étape": max(map(len, ENTRY_LABELS)),
        "Résultat": max(map(len, OUTCOME_LABELS.values())),
    }  # fmt: skip
    room = 120 - 2 - 2 * len(TIMELINE_COLUMNS)
    natural = [longest[fit.label] for fit in TIMELINE_COLUMNS]
    widths = shrunk(
        natural,
        [fit.floor for fit in TIMELINE_COLUMNS],
        room,
        [fit.gives_way_first for fit in TIMELINE_COLUMNS],
    )
    labels = [fit.label for fit in TIMELINE_COLUMNS]
    for label in ("Étape", "Résultat"):
        assert widths[labels.index(label)] == longest[label]
    assert sum(widths) <= room


def test_the_factors_of_a_verification_say_which_checked() -> None:
    details = {"factors_tried": ["birth_date", "iban"], "factors_failed": ["iban"]}
    assert [(f.label, f.passed) for f in factors_of(details)] == [
        ("date de naissance", True),
        ("6 derniers caractères de l'IBAN", False),
    ]
    assert others("verification", details) == {}


def test_a_change_shows_before_and_after() -> None:
    details = {
        "login": "alice",
        "before": {"role": "agent", "active": True},
        "after": {"role": "superviseur", "active": True},
    }
    assert [(c.label, c.before, c.after) for c in changes_of("operator_add", details)] == [
        ("rôle", "agent", "superviseur")
    ]
    assert labelled(others("operator_add", details)) == (("identifiant", "alice"),)


def test_a_lifted_lock_shows_as_before_and_after_in_paris_time() -> None:
    details = {"reason": "appel du président", "was_locked_until": "2022-11-29T08:00:00+00:00"}
    assert [(c.label, c.before, c.after) for c in changes_of("voter_unlock", details)] == [
        ("verrouillé jusqu'au", "29/11/2022 09:00:00", "déverrouillé")
    ]
    assert labelled(others("voter_unlock", details)) == (("motif", "appel du président"),)


def test_codes_among_the_details_read_in_french() -> None:
    details = {"kind": "security_key", "material": "ID42", "channel": "phone", "attempts": 1}
    assert dict(labelled(details)) == {
        "canal": "téléphone",
        "matériel": "ID42",
        "tentatives": "1",
        "type": "clé de sécurité",
    }


def test_a_purge_s_date_is_a_detail_not_a_change() -> None:
    details = {"before": "2022-12-01T00:00:00+00:00", "rule": "fin de scrutin"}
    assert changes_of("purge", details) == ()
    assert dict(labelled(others("purge", details)))["avant le"] == "01/12/2022 01:00:00"


def test_yes_no_and_lists_read_as_words() -> None:
    assert detail_value("approved", True) == "oui"
    assert detail_value("set", ["birth_date", "numen"]) == "date de naissance, NUMEN"
    assert detail_value("note", None) == "—"


def test_details_within_a_detail_are_set_apart_as_french_writes_it() -> None:
    """« interventions : 1; matériels : 1 »: a space before « ; », as before « : »."""
    assert detail_value("counts", {"interventions": 1, "materials": 1}) == (
        "interventions : 1 ; matériels : 1"
    )


def test_factors_stored_joined_by_commas_read_as_their_names() -> None:
    assert detail_value("verified_by", "birth_date,otp_mobile") == (
        "date de naissance, code à usage unique envoyé par SMS"
    )


def test_every_purpose_of_a_message_is_named() -> None:
    assert set(PLACEHOLDERS) <= set(PURPOSE_LABELS)
    assert detail_value("purpose", "vote_code_link") == "lien code de vote"


def test_a_read_out_says_how_the_credential_reached_the_voter_with_agreement() -> None:
    assert entry_label("credential_read_out", {"kind": "security_key", "channel": "phone"}) == (
        "clé de sécurité lue à l'appelant"
    )
    assert entry_label("credential_read_out", {"kind": "password", "channel": "phone"}) == (
        "mot de passe lu à l'appelant"
    )
    assert entry_label("credential_read_out", {"kind": "password", "channel": "president"}) == (
        "mot de passe remis en main propre"
    )
    assert entry_label("credential_read_out", {"kind": "security_key", "channel": "president"}) == (
        "clé de sécurité remise en main propre"
    )
    assert entry_label("credential_read_out", {"kind": "vote_code", "channel": "email"}) == (
        "code de vote communiqué"
    )


def test_an_issue_and_a_revocation_name_the_credential_with_agreement() -> None:
    assert entry_label("credential_issue", {"kind": "security_key"}) == "clé de sécurité délivrée"
    assert entry_label("credential_issue", {"kind": "vote_code"}) == "code de vote délivré"
    assert entry_label("credential_revoke", {"kind": "security_key"}) == (
        "clé de sécurité invalidée"
    )
    assert entry_label("credential_revoke", {"kind": "password"}) == "mot de passe invalidé"


def test_a_read_out_recorded_without_its_channel_says_communicated() -> None:
    assert entry_label("credential_read_out", {"kind": "security_key"}) == (
        "clé de sécurité communiquée"
    )
    assert entry_label("credential_read_out", {"kind": "password", "channel": "fax"}) == (
        "mot de passe communiqué"
    )


def test_an_entry_without_a_known_credential_keeps_its_action_s_name() -> None:
    assert entry_label("credential_read_out", {"credential": 2}) == "code communiqué"
    assert entry_label("credential_issue", {"kind": ["password"]}) == "code délivré"
    assert entry_label("consultation", {"kind": "password"}) == "consultation du dossier"


def test_every_name_of_an_entry_is_one_of_the_catalogue() -> None:
    named = {
        entry_label(action, {"kind": kind, "channel": channel})
        for action in ACTION_LABELS
        for kind in (*CREDENTIAL_KINDS, None)
        for channel in (*CHANNELS, None)
    }
    assert named <= ENTRY_LABELS


def test_an_entry_set_aside_from_the_queue_reads_in_french() -> None:
    from csu.domain.labels import detail_label

    for key in ("queue", "length", "sha256", "truncated", "body", "event_id"):
        assert detail_label(key) != key.replace("_", " "), key


def test_an_identity_document_reads_by_its_name_with_or_without_its_last_characters() -> None:
    assert detail_value("document", "carte_agent") == "carte agent"
    assert detail_value("document", "cni …12AB") == "carte nationale d'identité …12AB"
    assert detail_value("outdated_document", "passeport") == "passeport"


def _services_that_journal_a_role_refusal() -> set[str]:
    """The services whose refusal for a role is journalled under their name."""
    found = set()
    for path in (Path(__file__).parents[2] / "csu" / "services").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.FunctionDef):
                continue
            if any(getattr(d, "id", None) == "journals_refusals" for d in node.decorator_list):
                found.add(node.name)
            for call in ast.walk(node):
                name = getattr(getattr(call, "func", None), "id", None)
                if name == "require_role" or (
                    name == "enforce" and any(k.arg == "deps" for k in call.keywords)
                ):
                    found.add(node.name)
    return found


def test_every_service_a_role_refusal_names_reads_in_french_in_the_review() -> None:
    missing = _services_that_journal_a_role_refusal() - set(SERVICE_LABELS)
    assert not missing, f"services without a label: {sorted(missing)}"
    assert detail_label("service") == "action demandée"
    assert detail_value("service", "unlock_voter") == "déverrouillage d'un électeur"


def test_an_operator_is_named_with_their_login_beside_their_name() -> None:
    """A display name alone let another account pass for an agent a president knows."""
    assert name_and_login("Camille Agent", "agent") == "Camille Agent (agent)"
    assert name_and_login(None, "agent") == "agent"
    assert name_and_login("agent", "agent") == "agent"
