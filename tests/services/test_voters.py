"""Looking voters up and opening the voter file: scoping, masking, journal entries."""

from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from csu.domain import masking
from csu.domain.clock import fixed_clock
from csu.domain.hashing import pseudonym
from csu.services.context import Deps, Forbidden, NotFound, OperatorContext, ServiceError
from csu.services.elections import load_election
from csu.services.operators import add_operator, disable_operator
from csu.services.rolls import import_voters, import_votes
from csu.services.voters import (
    REVEALABLE,
    _exact_statement,
    open_voter,
    record_search,
    reveal_field,
    search_voters,
)
from csu.store import journal
from csu.store.engine import make_engine
from csu.store.tables import Bureau, Credential, Intervention, JournalEntry, Material, Voter
from tests.conftest import ADMIN, AGENT, NOW, SUPERVISOR, TEST_KEY

ELECTIONS = Path(__file__).resolve().parents[2] / "data" / "elections"
PARIS = ZoneInfo("Europe/Paris")
HEADER = (
    "matricule;nom;prenom;date_naissance;email_pro;telephone_pro;telephone_mobile;bureau;"
    "qualite;identifiant;numen;nir;iban;carte_agent;question_defi;reponse_defi"
)
ROLL = [
    "AB1234;Dupont;Jeanne;12/03/1970;jeanne.dupont@interieur.gouv.fr;01 40 00 00 00;"
    "06 12 34 56 78;B75;électeur;ID-0001;;;FR7630006000011234567890189;XK12345678;;",
    "CD5678;Éluard;Paul;1965-07-01;;;;B75;électeur;ID-0002;;;;;;",
    "EF9012;Martin;Zoé;01/01/1980;;;;B13;électeur;ID-0003;;;;;;",
]
PRESIDENT_13 = OperatorContext(
    login="pres13", role="president", workstation="poste-test", bureau="B13"
)


def write_csv(path: Path, rows: list[str]) -> Path:
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def roll(deps: Deps, tmp_path: Path) -> Deps:
    """minint-2022 loaded and a roll of three voters (B75: two, B13: one) imported."""
    return with_roll(deps, tmp_path)


def with_roll(deps: Deps, tmp_path: Path) -> Deps:
    text = (ELECTIONS / "minint-2022.toml").read_text(encoding="utf-8")
    load_election(deps, ADMIN, text, "minint-2022.toml")
    report = import_voters(deps, ADMIN, write_csv(tmp_path / "roll.csv", ROLL), "minint-2022")
    assert report.committed, report.errors
    return deps


def voter(deps: Deps, matricule: str) -> Voter:
    with deps.reading() as session:
        return session.exec(select(Voter).where(Voter.matricule == matricule)).one()


def entries(deps: Deps, action: str | None = None) -> list[dict]:
    with deps.reading() as session:
        rows = session.exec(select(JournalEntry).order_by(JournalEntry.seq)).all()
        found = [journal.entry_fields(row) for row in rows]
    return [e for e in found if action is None or e["action"] == action]


def bodies(deps: Deps) -> str:
    with deps.reading() as session:
        return "\n".join(row.body.decode() for row in session.exec(select(JournalEntry)).all())


# ------------------------------------------------------------------ search


def test_search_by_matricule_typed_in_lower_case(roll: Deps) -> None:
    hits = search_voters(roll, AGENT, " cd5678 ")
    assert [(h.matricule, h.last_name, h.first_name) for h in hits] == [
        ("CD5678", "Éluard", "Paul")
    ]
    assert hits[0].voter_id == voter(roll, "CD5678").id


def test_search_by_matricule_read_out_in_groups_with_spaces(roll: Deps) -> None:
    # As read out over the phone: « cd 56 78 » found nothing.
    assert [h.matricule for h in search_voters(roll, AGENT, "cd 56 78")] == ["CD5678"]


def test_a_name_with_a_space_is_still_searched_as_a_name(roll: Deps) -> None:
    assert [h.matricule for h in search_voters(roll, AGENT, "martin zo")] == ["EF9012"]


def test_search_by_material_identifier(roll: Deps) -> None:
    assert [h.matricule for h in search_voters(roll, AGENT, "ID-0003")] == ["EF9012"]


def test_search_by_identifier_typed_in_lower_case(roll: Deps) -> None:
    assert [h.matricule for h in search_voters(roll, AGENT, "id-0003")] == ["EF9012"]


def test_search_lists_the_matricule_s_voter_before_the_voters_of_that_identifier(
    roll: Deps, tmp_path: Path
) -> None:
    # Marc's identifier is Jeanne's matricule: both are shown, hers first.
    row = "KL7890;Petit;Marc;01/01/1975;;;;B13;électeur;AB1234;;;;;;"
    assert import_voters(roll, ADMIN, write_csv(tmp_path / "k.csv", [row]), "minint-2022").committed
    hits = search_voters(roll, AGENT, "ab1234")
    assert [(h.matricule, h.bureaus) for h in hits] == [("AB1234", ("B75",)), ("KL7890", ("B13",))]
    assert entries(roll)[-1]["details"]["query"] == masking.mask_matricule("AB1234")
    assert [h.matricule for h in search_voters(roll, AGENT, "ab1234", limit=1)] == ["AB1234"]


def test_president_finds_by_identifier_a_voter_of_their_bureau_whose_matricule_is_elsewhere(
    roll: Deps, tmp_path: Path
) -> None:
    row = "KL7890;Petit;Marc;01/01/1975;;;;B13;électeur;AB1234;;;;;;"
    assert import_voters(roll, ADMIN, write_csv(tmp_path / "k.csv", [row]), "minint-2022").committed
    assert [h.matricule for h in search_voters(roll, PRESIDENT_13, "AB1234")] == ["KL7890"]
    assert entries(roll)[-1]["details"] == {"query": masking.mask_matricule("AB1234"), "results": 1}


def test_voter_found_by_matricule_and_identifier_is_one_hit_counting_each_material_once(
    roll: Deps, tmp_path: Path
) -> None:
    row = "GH3456;Bernard;Alice;01/01/1975;;;;B75;électeur;GH3456;;;;;;"
    assert import_voters(roll, ADMIN, write_csv(tmp_path / "g.csv", [row]), "minint-2022").committed
    alice = voter(roll, "GH3456")
    with roll.writing() as session:  # a second capacity, voted
        session.add(Material(
            election_id="minint-2022", voter_id=alice.id or 0, capacity="suppléant",
            identifier="GH3456-S", bureau_code="B75", voted_at=NOW, created_at=NOW,
        ))  # fmt: skip
    (hit,) = search_voters(roll, AGENT, "gh3456")
    assert (hit.matricule, hit.status) == ("GH3456", "a voté (1/2)")
    assert [h.status for h in search_voters(roll, AGENT, "bernard alice")] == ["a voté (1/2)"]


@pytest.mark.postgres
def test_on_postgresql_a_search_reads_its_hits_materials_voter_by_voter(
    postgres_deps: Deps, tmp_path: Path
) -> None:
    """Not a join the planner may turn into a scan of every material (a hash join: 3 ms
    at 20,000 voters, growing with the roll)."""
    with_roll(postgres_deps, tmp_path)
    statement = _exact_statement(("exact", "postgresql", False, True, 2)).params(
        matricule="AB1234", i0="AB1234", i1="ab1234", limit=50
    )
    with postgres_deps.reading() as session:
        connection = session.connection()
        compiled = statement.compile(dialect=connection.dialect)
        rows = connection.exec_driver_sql(f"EXPLAIN {compiled}", compiled.construct_params())
        plan = "\n".join(row[0] for row in rows)
    assert "Nested Loop Left Join" in plan and "Hash" not in plan.split("\n")[1], plan


def test_search_by_name_prefix_last_name_first(roll: Deps) -> None:
    assert [h.matricule for h in search_voters(roll, AGENT, "eluard p")] == ["CD5678"]


def test_search_by_name_prefix_first_name_first_with_accents_and_case(roll: Deps) -> None:
    assert [h.matricule for h in search_voters(roll, AGENT, "Paul ÉL")] == ["CD5678"]


def test_search_by_prefix_ending_in_z(roll: Deps) -> None:
    assert [h.matricule for h in search_voters(roll, AGENT, "martin z")] == ["EF9012"]
    assert [h.matricule for h in search_voters(roll, AGENT, "ZOÉ")] == ["EF9012"]


def test_search_name_prefix_matches_nothing_else(roll: Deps) -> None:
    assert search_voters(roll, AGENT, "dupontx") == []
    assert [h.matricule for h in search_voters(roll, AGENT, "du")] == ["AB1234"]


def test_search_returns_at_most_fifty(roll: Deps, tmp_path: Path) -> None:
    rows = [
        f"MC{n:04d};Marchand;Luc;01/01/1970;;;;B75;électeur;MC-{n:04d};;;;;;" for n in range(60)
    ]
    assert import_voters(roll, ADMIN, write_csv(tmp_path / "m.csv", rows), "minint-2022").committed
    assert len(search_voters(roll, AGENT, "marchand")) == 50
    assert len(search_voters(roll, AGENT, "marchand", limit=500)) == 50
    assert len(search_voters(roll, AGENT, "marchand", limit=7)) == 7


def test_short_query_returns_nothing_and_journals_nothing(roll: Deps) -> None:
    before = len(entries(roll))
    assert search_voters(roll, AGENT, "d") == []
    assert search_voters(roll, AGENT, "  e  ") == []
    assert len(entries(roll)) == before


def test_search_hit_shows_bureau_election_and_status(roll: Deps) -> None:
    (hit,) = search_voters(roll, AGENT, "AB1234")
    assert (hit.bureaus, hit.elections, hit.status) == (("B75",), ("minint-2022",), "actif")


def test_search_hit_of_a_voter_who_voted_says_a_vote(roll: Deps, tmp_path: Path) -> None:
    votes = tmp_path / "votes.csv"
    votes.write_text("identifiant;vote_le\nID-0002;02/12/2022 10:15\n", encoding="utf-8")
    assert import_votes(roll, ADMIN, votes, "minint-2022").committed
    assert search_voters(roll, AGENT, "CD5678")[0].status == "a voté"


def test_search_hit_of_a_locked_voter_says_verrouille(roll: Deps) -> None:
    with roll.writing() as session:
        row = session.exec(select(Voter).where(Voter.matricule == "AB1234")).one()
        row.locked_until = NOW + timedelta(minutes=15)
    assert search_voters(roll, AGENT, "AB1234")[0].status == "verrouillé"


def test_each_search_journals_one_recherche_with_the_matricule_masked(roll: Deps) -> None:
    before = len(entries(roll))
    search_voters(roll, AGENT, "cd5678")
    after = entries(roll)
    assert len(after) == before + 1
    entry = after[-1]
    assert (entry["action"], entry["subject"], entry["operator"]) == ("recherche", None, "agent")
    assert entry["details"] == {"query": masking.mask_matricule("CD5678"), "results": 1}
    assert "CD5678" not in bodies(roll).upper()


def test_each_search_journals_a_name_as_its_first_three_letters(roll: Deps) -> None:
    search_voters(roll, AGENT, "Paul ÉL")
    search_voters(roll, AGENT, "eluard p")
    found = entries(roll, "recherche")
    assert [e["details"] for e in found] == [
        {"query": "pau…", "results": 1},
        {"query": "elu…", "results": 1},
    ]
    body = bodies(roll).lower()
    assert "eluard" not in body and "éluard" not in body and "paul" not in body


def test_search_without_hits_is_journalled_too(roll: Deps) -> None:
    assert search_voters(roll, AGENT, "ZZ9999") == []
    assert entries(roll)[-1]["details"] == {"query": "ZZ***9", "results": 0}


# As the agent types, the look-up searches without journalling each keystroke, then
# journals the search the agent settled on.


def test_search_as_you_type_journals_nothing(roll: Deps) -> None:
    before = len(entries(roll))
    for typed in ("du", "dup", "dupo"):
        assert [h.matricule for h in search_voters(roll, AGENT, typed, journal=False)] == ["AB1234"]
    assert len(entries(roll)) == before


def test_search_as_you_type_finds_what_the_journalled_search_finds(roll: Deps) -> None:
    for query in ("cd5678", "id-0003", "paul él", "B75", "zz9999"):
        assert search_voters(roll, AGENT, query, journal=False) == search_voters(roll, AGENT, query)


@pytest.mark.postgres
def test_search_as_you_type_keeps_the_connections_prepared_statements(
    postgres_store: Engine, tmp_path: Path
) -> None:
    """psycopg follows a ROLLBACK with DEALLOCATE ALL: a search ending so would throw the
    connection's prepared statements away at each keystroke, and every statement after
    it would be planned again. Psycopg prepares a statement on its fifth run."""
    url = postgres_store.url.render_as_string(hide_password=False)
    engine = make_engine(url, pool_size=1, max_overflow=0)  # one connection: the same one
    try:
        deps = with_roll(Deps(engine=engine, key=TEST_KEY, clock=fixed_clock(NOW)), tmp_path)
        for _ in range(6):
            assert search_voters(deps, AGENT, "cd5678", journal=False)
        with engine.connect() as connection:
            prepared = connection.exec_driver_sql(
                "SELECT statement FROM pg_prepared_statements"
            ).scalars().all()
    finally:
        engine.dispose()
    assert any("FROM voter" in statement for statement in prepared), prepared


def test_search_as_you_type_reads_a_lock(roll: Deps) -> None:
    with roll.writing() as session:
        row = session.exec(select(Voter).where(Voter.matricule == "AB1234")).one()
        row.locked_until = NOW + timedelta(minutes=15)
    assert search_voters(roll, AGENT, "AB1234", journal=False)[0].status == "verrouillé"


def test_search_as_you_type_keeps_a_president_to_their_bureau(roll: Deps) -> None:
    assert search_voters(roll, PRESIDENT_13, "AB1234", journal=False) == []
    assert search_voters(roll, PRESIDENT_13, "ID-0001", journal=False) == []
    found = search_voters(roll, PRESIDENT_13, "mar", journal=False)
    assert [h.matricule for h in found] == ["EF9012"]


def test_settled_search_is_journalled_once_with_the_matricule_masked(roll: Deps) -> None:
    hits = search_voters(roll, AGENT, "cd5678", journal=False)
    record_search(roll, AGENT, "cd5678", hits)
    (entry,) = entries(roll, "recherche")
    assert entry["operator"] == "agent"
    assert entry["details"] == {"query": masking.mask_matricule("CD5678"), "results": 1}
    assert "CD5678" not in bodies(roll).upper()


def test_settled_name_search_is_journalled_as_its_first_three_letters(roll: Deps) -> None:
    record_search(roll, AGENT, "eluard p", search_voters(roll, AGENT, "eluard p", journal=False))
    assert entries(roll, "recherche")[-1]["details"] == {"query": "elu…", "results": 1}
    assert "eluard" not in bodies(roll).lower()


def test_settled_search_journals_the_same_entry_as_a_journalled_search(roll: Deps) -> None:
    for query in ("ID-0002", "dupont", "zz9999", "jeanne.dupont@interieur.gouv.fr"):
        record_search(roll, AGENT, query, search_voters(roll, AGENT, query, journal=False))
        search_voters(roll, AGENT, query)
    details = [e["details"] for e in entries(roll, "recherche")]
    assert details[0::2] == details[1::2]


def test_settled_search_from_plain_hits_reads_the_query_alike(roll: Deps) -> None:
    hits = list(search_voters(roll, AGENT, "cd5678", journal=False))
    record_search(roll, AGENT, "cd5678", hits)
    assert entries(roll, "recherche")[-1]["details"]["query"] == masking.mask_matricule("CD5678")


def test_settled_search_with_hits_of_another_query_journals_the_query_given(
    roll: Deps,
) -> None:
    """The query as its search read it is kept with the hits, and read again no more:
    only for that very query."""
    hits = search_voters(roll, AGENT, "eluard p", journal=False)
    record_search(roll, AGENT, "cd5678", hits)
    assert entries(roll, "recherche")[-1]["details"]["query"] == masking.mask_matricule("CD5678")


def test_settled_search_too_short_to_search_is_not_journalled(roll: Deps) -> None:
    before = len(entries(roll))
    record_search(roll, AGENT, " d ", [])
    assert len(entries(roll)) == before


# -------------------------------------------------------------- voter file


def test_open_voter_returns_identity_and_masked_contact_fields(roll: Deps) -> None:
    jeanne = voter(roll, "AB1234")
    assert jeanne.id is not None
    file = open_voter(roll, AGENT, jeanne.id)
    assert (file.matricule, file.last_name, file.first_name) == ("AB1234", "Dupont", "Jeanne")
    assert file.birth_date == date(1970, 3, 12)
    assert file.email_pro == masking.mask_email("jeanne.dupont@interieur.gouv.fr")
    assert file.phone_pro == masking.mask_phone("+33140000000")
    assert file.phone_mobile == masking.mask_phone("+33612345678")
    shown = repr(file)
    for clear in ("jeanne.dupont@", "+33140000000", "+33612345678", "0612345678", "12 34 56"):
        assert clear not in shown


def test_open_voter_never_returns_a_hash_only_the_secrets_on_record(roll: Deps) -> None:
    jeanne = voter(roll, "AB1234")
    assert jeanne.id is not None and jeanne.iban6_hash and jeanne.card6_hash
    file = open_voter(roll, AGENT, jeanne.id)
    assert file.secrets_on_record == ("IBAN (6 derniers)", "carte agent (6 premiers)")
    assert jeanne.iban6_hash not in repr(file) and jeanne.card6_hash not in repr(file)
    paul = voter(roll, "CD5678")
    assert paul.id is not None
    assert open_voter(roll, AGENT, paul.id).secrets_on_record == ()


def test_open_voter_journals_a_consultation_with_the_pseudonym(roll: Deps) -> None:
    paul = voter(roll, "CD5678")
    assert paul.id is not None
    before = len(entries(roll))
    open_voter(roll, AGENT, paul.id)
    after = entries(roll)
    assert len(after) == before + 1
    entry = after[-1]
    assert entry["action"] == "consultation" and entry["outcome"] == "ok"
    assert entry["subject"] == paul.pseudonym == pseudonym(roll.key, "CD5678")
    assert entry["election"] is None
    body = bodies(roll)
    assert "luard" not in body and "Paul" not in body and "CD5678" not in body


def test_voter_file_shows_the_material_and_original_credentials(roll: Deps) -> None:
    zoe = voter(roll, "EF9012")
    assert zoe.id is not None
    (material,) = open_voter(roll, AGENT, zoe.id).materials
    assert (material.election_id, material.identifier, material.bureau) == (
        "minint-2022",
        "ID-0003",
        "B13",
    )
    assert material.election_title and material.capacity == "électeur"
    assert (material.status, material.voted_at) == ("actif", None)
    assert [(c.kind, c.label, c.status) for c in material.credentials] == [
        ("security_key", "clé de sécurité", "d'origine (notice)"),
        ("password", "mot de passe", "d'origine (notice)"),
    ]


def test_voter_file_shows_the_vote_in_paris_time(roll: Deps, tmp_path: Path) -> None:
    votes = tmp_path / "votes.csv"
    votes.write_text("identifiant;vote_le\nID-0002;02/12/2022 10:15\n", encoding="utf-8")
    import_votes(roll, ADMIN, votes, "minint-2022")
    paul = voter(roll, "CD5678")
    assert paul.id is not None
    (material,) = open_voter(roll, AGENT, paul.id).materials
    assert material.status == "a voté"
    assert material.voted_at == datetime(2022, 12, 2, 10, 15, tzinfo=PARIS)
    assert material.voted_at is not None and material.voted_at.utcoffset() == timedelta(hours=1)


def test_voter_file_shows_credential_states_without_hashes(roll: Deps) -> None:
    zoe = voter(roll, "EF9012")
    issued = NOW - timedelta(hours=2)
    with roll.writing() as session:
        material = session.exec(select(Material).where(Material.voter_id == zoe.id)).one()
        assert material.id is not None
        common = {"material_id": material.id, "scheme": "hmac-sha256", "issued_by": "agent"}
        session.add(
            Credential(
                kind="security_key",
                hash="h-old",
                status="revoked",
                issued_at=issued - timedelta(hours=1),
                revoked_at=issued,
                **common,
            )
        )
        session.add(Credential(kind="security_key", hash="h-new", issued_at=issued, **common))
        session.add(
            Credential(
                kind="password",
                hash="h-pass",
                status="revoked",
                issued_at=issued,
                revoked_at=issued + timedelta(minutes=5),
                **common,
            )
        )
    assert zoe.id is not None
    (view,) = open_voter(roll, AGENT, zoe.id).materials
    key, password = view.credentials
    assert (key.status, key.since, key.revoked_at) == ("actif", issued, None)
    assert (password.status, password.since, password.revoked_at) == (
        "révoqué",
        issued,
        issued + timedelta(minutes=5),
    )
    assert "h-new" not in repr(view) and "h-old" not in repr(view)


def test_voter_file_shows_the_bureau_and_its_president(roll: Deps) -> None:
    with roll.writing() as session:
        bureau = session.get(Bureau, "B13")
        assert bureau is not None
        bureau.name = "Préfecture du Nord"
        bureau.president_name = "Camille Président"
    add_operator(
        roll,
        ADMIN,
        "pres13",
        role="president",
        password="Pluie-sur-Brest-42",
        display_name="C. P.",
        bureau="B13",
    )
    zoe = voter(roll, "EF9012")
    assert zoe.id is not None
    (bureau_view,) = open_voter(roll, AGENT, zoe.id).bureaus
    assert (bureau_view.code, bureau_view.name, bureau_view.president) == (
        "B13",
        "Préfecture du Nord",
        "Camille Président",
    )
    assert bureau_view.president_operator == "C. P. (pres13)"


def test_voter_file_names_the_bureau_s_active_presidents_in_login_order(roll: Deps) -> None:
    for login, name in (("pres13b", "B. P."), ("pres13a", "A. P."), ("pres13c", "C. P.")):
        add_operator(roll, ADMIN, login, role="president", password="Pluie-sur-Brest-42",
                     display_name=name, bureau="B13")  # fmt: skip
    disable_operator(roll, ADMIN, "pres13c")
    zoe = voter(roll, "EF9012")
    assert zoe.id is not None
    (bureau_view,) = open_voter(roll, AGENT, zoe.id).bureaus
    assert bureau_view.president_operator == "A. P. (pres13a), B. P. (pres13b)"


def test_voter_file_of_a_bureau_without_a_president_operator_says_none(roll: Deps) -> None:
    zoe = voter(roll, "EF9012")
    assert zoe.id is not None
    (bureau_view,) = open_voter(roll, AGENT, zoe.id).bureaus
    assert (bureau_view.code, bureau_view.president_operator) == ("B13", None)


def test_voter_file_lists_interventions_latest_first(roll: Deps) -> None:
    paul = voter(roll, "CD5678")
    with roll.writing() as session:
        for n, (channel, outcome) in enumerate([("phone", "résolu"), ("president", None)]):
            session.add(
                Intervention(
                    id=f"00000000-0000-0000-0000-00000000000{n}",
                    operator_login="agent",
                    voter_id=paul.id,
                    channel=channel,
                    opened_at=NOW - timedelta(hours=2 - n),
                    outcome=outcome,
                )
            )
    assert paul.id is not None
    found = open_voter(roll, AGENT, paul.id).interventions
    assert [(i.opened_at, i.operator, i.channel, i.outcome) for i in found] == [
        (NOW - timedelta(hours=1), "agent", "présentiel via président", None),
        (NOW - timedelta(hours=2), "agent", "téléphone", "résolu"),
    ]
    assert all(i.opened_at.tzinfo is not None for i in found)


def test_voter_file_shows_a_lock_only_while_it_lasts(roll: Deps) -> None:
    until = NOW + timedelta(minutes=10)
    with roll.writing() as session:
        for matricule, moment in (("AB1234", until), ("CD5678", NOW - timedelta(minutes=1))):
            row = session.exec(select(Voter).where(Voter.matricule == matricule)).one()
            row.locked_until = moment
    jeanne, paul = voter(roll, "AB1234"), voter(roll, "CD5678")
    assert jeanne.id is not None and paul.id is not None
    locked = open_voter(roll, AGENT, jeanne.id).locked_until
    assert locked == until and locked is not None and locked.tzinfo is not None
    assert open_voter(roll, AGENT, paul.id).locked_until is None


def test_voter_file_says_whether_the_roll_gives_a_home_address_never_which(
    roll: Deps,
) -> None:
    address = "12 rue des Lilas\n75011 Paris"
    with roll.writing() as session:
        row = session.exec(select(Voter).where(Voter.matricule == "AB1234")).one()
        row.adresse_postale = address
    jeanne, paul = voter(roll, "AB1234"), voter(roll, "CD5678")
    assert jeanne.id is not None and paul.id is not None
    file = open_voter(roll, AGENT, jeanne.id)
    assert file.has_address is True
    assert "Lilas" not in repr(file)
    assert open_voter(roll, AGENT, paul.id).has_address is False


def test_open_unknown_voter_is_not_found(roll: Deps) -> None:
    with pytest.raises(NotFound, match="Électeur introuvable"):
        open_voter(roll, AGENT, 999_999)


# --------------------------------------------------------------- presidents


def test_president_search_excludes_voters_of_other_bureaus(roll: Deps) -> None:
    assert search_voters(roll, PRESIDENT_13, "AB1234") == []
    assert search_voters(roll, PRESIDENT_13, "dupont") == []
    assert search_voters(roll, PRESIDENT_13, "ID-0001") == []
    assert [h.matricule for h in search_voters(roll, PRESIDENT_13, "martin")] == ["EF9012"]
    assert entries(roll)[-1]["details"]["results"] == 1


def test_president_opening_a_voter_of_another_bureau_is_told_it_is_absent(roll: Deps) -> None:
    jeanne = voter(roll, "AB1234")
    assert jeanne.id is not None
    with pytest.raises(NotFound) as refused:
        open_voter(roll, PRESIDENT_13, jeanne.id)
    assert str(refused.value) == "Aucun électeur de votre bureau ne correspond."
    with pytest.raises(NotFound) as absent:
        open_voter(roll, PRESIDENT_13, 999_999)
    assert str(absent.value) == str(refused.value)
    entry = entries(roll, "consultation")[-1]
    assert (entry["outcome"], entry["subject"]) == ("refusé", jeanne.pseudonym)


def test_president_opens_a_voter_of_their_bureau(roll: Deps) -> None:
    zoe = voter(roll, "EF9012")
    assert zoe.id is not None
    assert open_voter(roll, PRESIDENT_13, zoe.id).matricule == "EF9012"


# ------------------------------------------------------------------- reveal


def test_supervisor_reveals_a_field_and_it_is_journalled(roll: Deps) -> None:
    jeanne = voter(roll, "AB1234")
    assert jeanne.id is not None
    reason = "Appel de l'électrice, vérifiée"
    assert reveal_field(roll, SUPERVISOR, jeanne.id, "phone_mobile", reason) == "+33612345678"
    entry = entries(roll)[-1]
    assert (entry["action"], entry["subject"], entry["operator"]) == (
        "révélation",
        jeanne.pseudonym,
        "sup",
    )
    assert entry["details"] == {"field": "phone_mobile", "reason": reason}
    assert "+33612345678" not in bodies(roll)


def test_every_revealable_field_gives_the_clear_value(roll: Deps) -> None:
    jeanne = voter(roll, "AB1234")
    assert jeanne.id is not None
    values = [reveal_field(roll, SUPERVISOR, jeanne.id, f, "contrôle") for f in REVEALABLE]
    assert values == ["jeanne.dupont@interieur.gouv.fr", "+33140000000", "+33612345678"]


def test_agent_cannot_reveal(roll: Deps) -> None:
    jeanne = voter(roll, "AB1234")
    assert jeanne.id is not None
    before = len(entries(roll))
    with pytest.raises(Forbidden):
        reveal_field(roll, AGENT, jeanne.id, "email_pro", "je veux voir")
    # Nothing revealed: only the refusal is journalled.
    [refused] = entries(roll)[before:]
    assert (refused["action"], refused["outcome"], refused.get("subject")) == (
        "role_refused", "refusé", None,
    )  # fmt: skip


def test_reveal_with_a_short_reason_is_refused_in_french(roll: Deps) -> None:
    jeanne = voter(roll, "AB1234")
    assert jeanne.id is not None
    with pytest.raises(ServiceError, match="Motif trop court"):
        reveal_field(roll, SUPERVISOR, jeanne.id, "email_pro", " ok  ")


def test_reveal_of_another_field_is_refused(roll: Deps) -> None:
    jeanne = voter(roll, "AB1234")
    assert jeanne.id is not None
    with pytest.raises(ServiceError, match="ne peut pas être révélé"):
        reveal_field(roll, SUPERVISOR, jeanne.id, "iban6_hash", "contrôle")


def test_reveal_of_an_empty_field_says_so(roll: Deps) -> None:
    paul = voter(roll, "CD5678")
    assert paul.id is not None
    with pytest.raises(NotFound, match="Aucun courriel professionnel"):
        reveal_field(roll, SUPERVISOR, paul.id, "email_pro", "contrôle")
