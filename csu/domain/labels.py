"""The one catalogue of French words for what the journal records: every action, outcome,
state and detail key, and the values that are codes of the vocabulary.

The services and the journal keep codes (``credential_issue``, ``attempts``); the
screens and the CSV export name them from here, so a code is never shown raw nor named
two ways: the journal review, an entry's detail, an intervention's timeline, the voter
file's panel, the dashboard and the spreadsheet an auditor opens all read this module.
``tests/screens/test_labels_walk.py`` walks every screen and fails on a key that this
catalogue does not name.
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from csu.domain.clock import to_paris
from csu.domain.contact_fields import CONTACT_FIELD_LABELS
from csu.domain.credential_words import words
from csu.domain.election import CREDENTIAL_KINDS, CREDENTIAL_LABELS
from csu.domain.interventions import OUTCOMES
from csu.domain.roles import ROLE_LABELS
from csu.domain.substitution import STATE_LABELS as SUBSTITUTION_STATES
from csu.domain.verification import CHANNEL_LABELS as VERIFICATION_CHANNELS
from csu.domain.verification import CHANNELS, DOCUMENT_TYPES, FACTOR_LABELS

ACTION_LABELS: dict[str, str] = {
    "login": "connexion",
    "logout": "déconnexion",
    "recherche": "recherche d'électeur",
    "consultation": "consultation du dossier",
    "révélation": "affichage d'une coordonnée masquée",
    "intervention_open": "intervention ouverte",
    "intervention_close": "intervention close",
    "code_in_text": "code écrit dans un texte refusé",
    "role_refused": "action hors de son rôle refusée",
    "verification": "vérification d'identité",
    "presence_request": "vérification en personne demandée",
    "presence_list": "demandes en personne consultées",
    "presence_attest": "vérification en personne attestée",
    "presence_decline": "vérification en personne refusée",
    "otp_send": "code à usage unique envoyé",
    "credential_issue": "code délivré",
    # Whatever the channel: an entry's own name says how (entry_label below).
    "credential_read_out": "code communiqué",
    "credential_revoke": "code invalidé",
    "vote_code_link_send": "lien de réassort envoyé",
    "vote_code_redeem": "code de vote réassorti",
    "identifier_send": "identifiant envoyé",
    "message_queue": "message à envoyer",  # « mis en file » was the cell's jargon
    "message_sent": "message envoyé",
    "message_failed": "échec d'envoi",
    "message_resend": "message renvoyé",
    "message_abandon": "message abandonné",
    "substitution_request": "demande de substitution",
    "substitution_check": "demande à corriger (non enregistrée)",
    "substitution_list": "demandes de substitution consultées",
    "substitution_grant": "substitution accordée",
    "substitution_refuse": "substitution refusée",
    "voter_unlock": "électeur déverrouillé",
    "contact_set_aside": "coordonnée écartée",
    "operator_add": "opérateur créé",
    "operator_change": "rôle ou bureau d'opérateur changé",
    "operator_disable": "opérateur désactivé",
    "operator_totp_reset": "authentificateur réinitialisé",
    "operator_unlock": "opérateur déverrouillé",
    "election_load": "scrutin chargé",
    "roll_import": "liste électorale importée",
    "votes_import": "émargement importé",
    "demo_build": "base de démonstration créée",
    "journal_export": "export du journal",
    "journal_verify": "vérification du journal",
    "journal_checkpoint": "point de contrôle du journal signé",
    # Never written: what an entry whose body is no entry reads as (csu.store.journal).
    "journal_entry_unreadable": "entrée illisible (altérée ?)",
    "journal_set_aside_ack": "entrée mise à l'écart examinée",
    "journal_queue_rejected": "entrée en attente écartée (illisible)",
    "journal_search": "recherche dans le journal",
    "journal_entry_view": "lecture d'une entrée du journal",
    "journal_intervention_view": "lecture d'une intervention",
    "purge": "purge des données personnelles",
    "key_fingerprint": "empreinte de la clé enregistrée",
    "alert_review": "consultation des alertes",
    "platform_client_add": "client de l'API créé",
    "platform_client_revoke": "client de l'API révoqué",
    "platform_login_check": "connexion vérifiée (plateforme)",
    "emargement_feed": "émargements reçus de la plateforme",
    "webhook_queue": "webhook mis en file",
    "webhook_sent": "webhook remis à la plateforme",
    "webhook_failed": "échec d'envoi d'un webhook",
    "webhook_resend": "webhook renvoyé",
    "webhook_abandon": "webhook abandonné",
    "credentials_import": "codes d'origine importés",
    "escalation_open": "dossier escaladé ouvert",
    "escalation_list": "dossiers escaladés consultés",
    "escalation_take": "dossier escaladé pris en charge",
    "escalation_release": "dossier escaladé remis en attente",
    "escalation_callback": "numéro de rappel affiché",
    "escalation_close": "dossier escaladé clos",
    "platform_key_refused": "clé d'API refusée",
}
"""Every action of the journal (:data:`csu.domain.actions.ACTIONS`), by its code."""

STATE_LABELS: dict[str, str] = {
    "pending": "à réessayer",
    "sending": "en cours",
    "sent": "remis",
    "failed": "échec",
    "abandoned": "abandonné",
}
"""The states of an outgoing message or webhook (a failed attempt stays "pending" while
it is retried): the outcome of a failed sending is its message's state."""

OUTCOME_LABELS: dict[str, str] = {
    # Most outcomes are already written in French words in the journal; they are
    # named here all the same, so that the catalogue says every one.
    "ok": "ok",
    "illisible": "illisible",  # an entry whose body is unreadable (csu.store.journal)
    "refusé": "refusé",
    "partiel": "partiel",
    "verrouillé": "verrouillé",
    "vérifié": "vérifié",
    "non vérifié": "non vérifié",
    "attesté": "attesté",
    "créé": "créé",
    "mis à jour": "mis à jour",
    "valide": "valide",
    "invalide": "invalide",
    "bloqué": "bloqué",
    **{label: label for label in SUBSTITUTION_STATES.values()},
    **OUTCOMES,
    "redirigé": "redirigé",  # the closing window says where to; a table column is narrow
    **STATE_LABELS,
}
"""Every outcome an entry records (intervention outcomes and message states included)."""

DETAIL_LABELS: dict[str, str] = {
    # An entry set aside from the queue (csu_journal_set_aside, written by SQL: the
    # scan of the code's journalled keys does not see them).
    "queue": "n° dans la file d'attente",
    "length": "longueur (octets)",
    "sha256": "empreinte SHA-256",
    "truncated": "contenu tronqué",
    "body": "contenu (base64, 64 Kio au plus)",
    "event_id": "identifiant d'événement",
    # What an entry whose body is no entry reads as (csu.store.journal.unreadable_fields).
    "problem": "ce qui ne va pas",
    "accepted": "émargements acceptés",
    "account_failures": "codes faux après le bon mot de passe (tous postes)",
    "action": "action",
    "after_display": "confirmation après la fin de l'affichage",
    "alerts": "alertes",
    # What the supervisor pressed on a refusal (substitution_refuse): worded by value
    # below, « approbation demandée : non » read as if approval was never asked for.
    "anomalies": "anomalies",
    "approval_asked": "choix du superviseur",
    "approved": "approuvée par un autre superviseur",
    "attempts": "tentatives",
    "attested_by": "attestée par",
    "automatic": "automatique",
    "bodies_read": "chaque contenu lu comme une entrée",
    "before": "avant le",
    "bureau": "bureau",
    "changes": "changements",
    "callback": "numéro de rappel",
    "caller": "appelant",
    "caller_matches_work_phone": "appel du poste de travail enregistré",
    "caller_region": "région de l'appelant",
    "channel": "canal",
    "checklist_missing": "pièces manquantes",
    "client": "client de l'API",
    "closes_at": "clôture du vote",
    "count": "nombre d'entrées",
    "counts": "nombres",
    "credential": "n° du code",
    "credentials": "codes",
    "codes_expired": "codes à usage unique expirés",
    "deadline": "échéance",
    "deadline_minutes": "délai (minutes)",
    "declared_on": "déclarée le",
    "document": "pièce d'identité",
    "domain_doubted": "domaine douteux, confirmé par l'agent",
    "duplicates": "doublons",
    "election": "scrutin",
    "elections": "scrutins",
    "emargements": "émargements",
    "error": "erreur",
    "escalation": "n° du dossier escaladé",
    "escalations": "dossiers escaladés",
    "event": "événement",
    "events": "événements",
    "expires_at": "expire le",
    "factor": "facteur",
    "factors_failed": "facteurs faux",
    "factors_tried": "facteurs essayés",
    "failure_limit": "erreurs admises",
    "failures": "échecs",
    "field": "champ",
    "fields": "champs",
    "file": "fichier",
    "format": "format",
    "identity_match": "identité concordante",
    "intervention": "intervention",
    "interventions": "interventions",
    "key": "clé",
    "key_id": "n° de clé",
    "key_prefix_hash": "début de la clé (empreinte)",
    "kind": "type",
    "kinds": "types",
    "links_voided": "liens annulés",
    "lock": "verrouillage",
    "locked_until": "verrouillé jusqu'au",
    "login": "identifiant",
    "login_hash": "identifiant saisi (empreinte)",
    "material": "matériel",
    "material_id": "matériel",
    "materials": "matériels",
    "matricule": "filtre sur un matricule",
    "message": "n° du message",
    "messages_abandoned": "messages abandonnés",
    "mode": "mode",
    "not_journalled_before": "refus non journalisés avant",
    "note": "note",
    "notice": "n° de l'avis à l'électeur",
    "operator": "opérateur",
    "origin": "origine",
    "outcome": "résultat",
    "owner": "pris en charge par",
    "outdated_document": "pièce attestée qui n'est plus acceptée",
    "overdue": "en retard",
    "path": "chemin",
    "presence_check": "vérification en personne",
    "presence_checks": "vérifications en personne",
    "president": "président de bureau",
    "purpose": "objet",
    "query": "recherche",
    "range": "plage",
    "reason": "motif",
    "recipient": "destinataire",
    "reference": "référence de l'envoi",
    "rejected": "lignes rejetées",
    "remote_lock_until": "verrouillé à distance jusqu'au",
    "replaces": "remplace la demande n°",
    "request": "n° de la demande",
    "requested_by": "demandée par",
    "requests": "demandes",
    "requires_approval": "approbation requise",
    "resolution": "suite donnée",
    "results": "résultats",
    "retention_days": "conservation (jours)",
    "revoked": "code remplacé n°",
    "role": "rôle",
    "roles": "réservé aux rôles",
    "root": "racine",
    "rows": "lignes",
    "rule": "règle",
    "scheme": "empreinte",
    "seed": "graine",
    "seq": "entrée n°",
    "seq_from": "à partir de l'entrée n°",
    "seq_to": "jusqu'à l'entrée n°",
    "seqs": "entrées",
    "service": "action demandée",
    "set": "facteurs retenus",
    "since": "depuis",
    "size": "taille",
    "source": "source",
    "status": "état",
    "to": "envoi à",
    "typed_recipient": "destinataire saisi",
    "until": "jusqu'à",
    "valid_seconds": "validité (secondes)",
    "verified_by": "vérifiée par",
    "voters": "électeurs",
    "waited_minutes": "attente (minutes)",
    "was": "valeur écartée (masquée)",
    "was_locked": "verrouillé",
    "was_locked_until": "verrouillé jusqu'au",
    "webhook": "n° du webhook",
    "webhook_url": "adresse du webhook",
    "written": "lignes écrites",
    "link": "lien (n°)",
    "link_kind": "lien de",
    "link_voided": "lien annulé",
    "voided_links": "liens annulés par celui-ci (n°)",
    "verified": "identité vérifiée",
    "by_president": "par le président lui-même",
}
"""Every key of an entry's details, by its code."""

CHANNEL_LABELS: dict[str, str] = VERIFICATION_CHANNELS | {
    "sms": "SMS",
    "post": "courrier",
    "link": "page du lien",  # an identity asked on a one-time link's page (seed 003)
}
"""How a voter reached the cell, or how a message went (e-mail is « courriel » for both)."""

PURPOSE_LABELS: dict[str, str] = {
    "otp": "code à usage unique",
    "vote_code_link": "lien code de vote",
    "password_link": "lien mot de passe",
    "identifier": "identifiant",
    "notice": "avis de changement",
    "link_notice": "avis de lien demandé",
    "link_voided_notice": "avis de lien annulé",
    "substitution_refused_notice": "avis de refus de substitution",
    "substitution": "matériel de substitution",
    "letter": "courrier",
}
"""What a message to a voter is for (the outbox's ``purpose``)."""

# Detail values that are codes of the vocabulary, shown by their French names.
# The services a role refusal names (« role_refused »: csu.services.context.require_role
# journals the service's name), as the review shows them.
SERVICE_LABELS: dict[str, str] = {
    "abandon": "abandon d'un message en attente",
    "acknowledge_set_aside": "prise en compte d'une entrée mise de côté",
    "add_demo_operator": "création d'un opérateur de démonstration",
    "add_operator": "création d'un opérateur",
    "add_platform_client": "ajout d'une plateforme de vote",
    "attest_presence": "attestation de présence",
    "build_demo": "création de la base de démonstration",
    "callback_number": "numéro de rappel d'un dossier escaladé",
    "check_integrity": "contrôle d'intégrité du journal",
    "close_escalation": "clôture d'un dossier escaladé",
    "checklist": "procédure d'une intervention",
    "count_entries": "comptage des entrées du journal",
    "current_alerts": "alertes en cours",
    "dashboard": "tableau de bord",
    "decide_substitution": "décision sur une substitution",
    "change_operator": "changement du rôle ou du bureau d'un opérateur",
    "decline_presence": "refus d'une vérification en personne",
    "disable_operator": "désactivation d'un opérateur",
    "entry_detail": "détail d'une entrée du journal",
    "escalation_counts": "comptage des dossiers escaladés",
    "escalation_queue": "file des dossiers escaladés",
    "export_filter_warnings": "préparation d'un export du journal",
    "export_journal": "export du journal",
    "export_journal_file": "export du journal vers un fichier",
    "filter_choices": "filtres de la revue du journal",
    "get_substitution": "lecture d'une demande de substitution",
    "import_originals": "import des originaux",
    "import_voters": "import de la liste électorale",
    "import_votes": "import des émargements",
    "integrate_journal": "intégration du journal",
    "intervention_timeline": "déroulé d'une intervention",
    "issue_credential": "délivrance d'un code",
    "journal_backlog": "file d'attente du journal",
    "latest_checkpoint": "dernier point de contrôle",
    "list_bureaus": "liste des bureaux",
    "list_messages": "liste des messages",
    "list_operators": "liste des opérateurs",
    "list_platform_clients": "liste des plateformes de vote",
    "list_webhooks": "liste des notifications aux plateformes",
    "next_page": "page suivante de la revue du journal",
    "open_intervention": "ouverture d'une intervention",
    "open_voter": "ouverture d'un dossier d'électeur",
    "pending_entries": "entrées en attente d'intégration",
    "pending_substitutions": "substitutions en attente",
    "presence_requests": "demandes de vérification en personne",
    "prove_journal": "vérification du journal",
    "purge": "purge des données d'un scrutin",
    "queue_health": "état de la file du journal",
    "record_search": "recherche d'électeur",
    "redirected_count": "comptage des renvois vers le libre-service",
    "request_address": "adresse d'envoi d'une demande de substitution",
    "request_check": "contrôle d'une demande de substitution",
    "request_presence_check": "demande de vérification en personne",
    "request_substitution": "demande de substitution",
    "resend": "renvoi d'un message",
    "resend_webhook": "renvoi d'une notification à une plateforme",
    "reset_totp": "nouvel authentificateur d'un opérateur",
    "reveal_field": "affichage d'une coordonnée masquée",
    "set_contact_aside": "coordonnée écartée",
    "review_alerts": "revue des alertes",
    "revoke_credential": "invalidation d'un code",
    "revoke_platform_client": "révocation d'une plateforme de vote",
    "search_journal": "recherche dans le journal",
    "search_voters": "recherche d'électeur",
    "send_identifier": "envoi de l'identifiant",
    "send_key_by_post": "envoi de la clé par courrier",
    "send_one_time_code": "envoi d'un code à usage unique",
    "send_password_link": "envoi d'un lien de mot de passe",
    "send_vote_code_link": "envoi d'un lien de code de vote",
    "set_aside_after": "entrées mises de côté",
    "sign_checkpoint": "signature d'un point de contrôle",
    "store_definitions": "chargement d'un scrutin",
    "take_escalation": "prise en charge d'un dossier escaladé",
    "unlock_operator": "déverrouillage d'un opérateur",
    "unlock_voter": "déverrouillage d'un électeur",
    "verify_checkpoint": "vérification d'un point de contrôle",
    "verify_identity": "vérification d'identité",
    "voter_support": "assistance d'un électeur",
    "waiting_presence_checks": "vérifications en personne en attente",
}

VALUE_LABELS: dict[str, Mapping[str, str]] = {
    "channel": CHANNEL_LABELS,
    # the contact a supervisor revealed or set aside (« champ : email_pro » read raw), or
    # the address of a substitution request shown to decide it
    "field": {
        **CONTACT_FIELD_LABELS,
        "substitution_email": "adresse d'envoi d'une demande de substitution",
    },
    "role": ROLE_LABELS,
    "roles": ROLE_LABELS,
    "service": SERVICE_LABELS,
    # A note refused for holding the first characters of the voter's key (code_in_text).
    "kind": {
        **CREDENTIAL_LABELS,
        "security_key_prefix": "début de la clé de sécurité",
        "challenge_answer": "réponse secrète (question défi)",
        "agent_card": "n° de série de la carte agent",
        "iban": "fin de l'IBAN",
        "nir10": "NIR",
    },
    "kinds": CREDENTIAL_LABELS,
    "link_kind": CREDENTIAL_LABELS,
    "factor": FACTOR_LABELS,
    "factors_tried": FACTOR_LABELS,
    "factors_failed": FACTOR_LABELS,
    "set": FACTOR_LABELS,
    "verified_by": FACTOR_LABELS,
    "action": ACTION_LABELS,
    "outcome": OUTCOME_LABELS,
    # a message's purpose, or a link's (the credential it reveals)
    "purpose": PURPOSE_LABELS | CREDENTIAL_LABELS,
    # the identity document seen in person, alone or with its last characters
    "document": DOCUMENT_TYPES,
    "outdated_document": DOCUMENT_TYPES,
}


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action)


# A credential's entry names the credential and, for a read-out, how its value reached
# the voter (the intervention's channel), in the words of the button the operator
# pressed. Participles in the masculine: a feminine credential adds « e » to them.
CREDENTIAL_PARTICIPLES: dict[str, str] = {
    "credential_issue": "délivré",
    "credential_revoke": "invalidé",
}
READ_OUT_WAYS: dict[str | None, tuple[str, str]] = {
    # channel: (participle, complement); None: an entry written before the channel was
    # recorded, or a channel without its own words
    "phone": ("lu", " à l'appelant"),
    "president": ("remis", " en main propre"),
    # S2: the agent read it to the president calling for the voter at their side
    "president_call": ("lu", " au président qui appelle"),
    "email": ("communiqué", ""),
    None: ("communiqué", ""),
}


def entry_label(action: str, details: Mapping[str, Any]) -> str:
    """One entry's name: its action's, made precise by what it recorded. A credential's
    issue, read-out or revocation names the credential, with agreement (« clé de
    sécurité lue à l'appelant », « mot de passe remis en main propre »); an entry
    without its kind keeps its action's name (« code communiqué »)."""
    kind = details.get("kind")
    if not isinstance(kind, str) or kind not in CREDENTIAL_KINDS:
        return action_label(action)
    if action == "credential_read_out":
        channel = details.get("channel")
        if channel == "president" and details.get("by_president") is False:
            channel = "president_call"
        way = READ_OUT_WAYS.get(channel) if isinstance(channel, str) else None
        participle, complement = way or READ_OUT_WAYS[None]
    elif action in CREDENTIAL_PARTICIPLES:
        participle, complement = CREDENTIAL_PARTICIPLES[action], ""
    else:
        return action_label(action)
    participle += words(kind).e
    return f"{CREDENTIAL_LABELS[kind]} {participle}{complement}"


ENTRY_LABELS: frozenset[str] = frozenset(
    {
        *ACTION_LABELS.values(),
        *(
            entry_label(action, {"kind": kind, "channel": channel})
            for action in ("credential_issue", "credential_read_out", "credential_revoke")
            for kind in CREDENTIAL_KINDS
            for channel in (*CHANNELS, None)
        ),
    }
)
"""Every name :func:`entry_label` gives an entry: the columns of the review and of the
timeline fit the longest."""


def outcome_label(outcome: str) -> str:
    return OUTCOME_LABELS.get(outcome, outcome)


def detail_label(key: str) -> str:
    """A detail's French name; a key the catalogue misses shows without underscores
    (the label walk test fails on it)."""
    return DETAIL_LABELS.get(key, key.replace("_", " "))


def factor_label(factor: str) -> str:
    return FACTOR_LABELS.get(factor, factor)


def channel_label(channel: str) -> str:
    return CHANNEL_LABELS.get(channel, channel)


MATERIAL_KEYS = ("material", "material_id")
"""The details that hold a material's number in the store."""
MATERIAL_LIST_KEYS = ("materials",)
"""The details that hold a list of materials' numbers (« materials » alone is a count in
a consultation's entry)."""

# Yes/no details said in words of their own: (when true, when false).
BOOLEAN_WORDS: dict[str, tuple[str, str]] = {
    "approval_asked": ("« Accorder », refusé par les règles", "« Refuser »"),
}


def detail_value(key: str, value: Any, materials: Mapping[int, str] | None = None) -> str:
    """A recorded value, readable: codes by their names, times in Paris, yes/no.
    ``materials``: the materials' numbers the entry's window could name (masked
    identifier and capacity), said beside each number."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        if key in BOOLEAN_WORDS:
            return BOOLEAN_WORDS[key][0 if value else 1]
        return "oui" if value else "non"
    if key in MATERIAL_KEYS and type(value) is int:
        # The store's number: the entry's window names the material.
        named = (materials or {}).get(value)
        return f"n° {value} — {named}" if named else f"n° {value}"
    if isinstance(value, list | tuple):
        item_key = "material" if key in MATERIAL_LIST_KEYS else key
        return ", ".join(detail_value(item_key, item, materials) for item in value)
    if isinstance(value, dict):
        return " ; ".join(f"{detail_label(k)} : {detail_value(k, v)}" for k, v in value.items())
    if isinstance(value, str):
        labels = VALUE_LABELS.get(key)
        if labels and value in labels:
            return labels[value]
        # Codes joined by commas, as a row stores factors (« birth_date,otp_mobile »).
        if labels and "," in value and all(part in labels for part in value.split(",")):
            return ", ".join(labels[part] for part in value.split(","))
        # A code and what follows it (a document and its last characters: « cni …12AB »).
        code, space, rest = value.partition(" ")
        if labels and space and code in labels:
            return f"{labels[code]} {rest}"
        moment = _moment(value)
        if moment is not None:
            return f"{to_paris(moment):%d/%m/%Y %H:%M:%S}"
    return str(value)


def labelled(
    details: Mapping[str, Any], materials: Mapping[int, str] | None = None
) -> tuple[tuple[str, str], ...]:
    """Every detail recorded as (French label, readable value), in label order (an
    empty detail says nothing and is left out): the entry's window and the CSV export.
    ``materials``: as :func:`detail_value`'s, for a list of materials' numbers."""
    found = [(detail_label(name), detail_value(name, value, materials))
             for name, value in details.items() if value is not None]  # fmt: skip
    return tuple(sorted(found, key=lambda pair: pair[0]))


def _moment(value: str) -> datetime | None:
    """A date-time written by a service (RFC 3339 or ISO with an offset), else None."""
    if len(value) < 19 or value[4] != "-" or value[10] != "T":
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


# Roles in the plural, as the app says whose screen a desk key opens (« Écran réservé aux
# présidents de bureau »).
ROLE_PLURALS: dict[str, str] = {
    "agent": "agents",
    "president": "présidents de bureau",
    "superviseur": "superviseurs",
    "admin": "administrateurs",
}


def name_and_login(name: str | None, login: str) -> str:
    """An operator as a colleague knows them, with the login the journal names: « Camille
    Agent (agent) »; the login alone without a name. The name alone, a display name
    another account may share, let one pass for another."""
    return f"{name} ({login})" if name and name != login else login


def actor_choice(login: str, name: str | None) -> str:
    """An author of entries as the journal's « Opérateur » list offers it: an operator
    with their name, else what kind of author it is (« cli:root » alone read as an
    internal name to a supervisor)."""
    if name:
        return f"{login} ({name})"
    if login.startswith("cli:"):
        return f"{login} (ligne de commande)"
    if login.startswith("plateforme:"):
        return f"{login} (plateforme de vote)"
    if login == "système":
        return "système (envois et tâches automatiques)"
    return login
