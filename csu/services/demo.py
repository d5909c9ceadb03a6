"""A demo database: the shipped elections, moved so that the vote is open today, a
fake electorate, bureaus with presidents, and one operator per role.

The voters asked for are shared evenly by ``SHARED_ELECTIONS``; the smaller
``EXTRA_ELECTIONS`` (men-2011, seed 003) get a tenth more each, numbered after them, so
that adding one left the others' rolls as they were. ``DEMO_ELECTIONS`` names them all."""

import random
import re
import tempfile
import tomllib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlmodel import Session

from csu.domain.clock import PARIS, to_paris
from csu.domain.election import build_election
from csu.domain.identifiers import nir_department, nir_secret
from csu.services.context import Deps, OperatorContext, ServiceError, require_role
from csu.services.elections import store_definition
from csu.services.operators import add_demo_operator
from csu.services.rolls import import_voters, import_votes
from csu.store import journal
from csu.store.tables import Bureau, JournalEntry, Material, Meta, Operator

ELECTIONS_DIR = Path(__file__).resolve().parents[2] / "data" / "elections"
SHARED_ELECTIONS = ("minint-2022", "men-2022", "cci-hdf-2021")
EXTRA_ELECTIONS = ("men-2011",)
DEMO_ELECTIONS = SHARED_ELECTIONS + EXTRA_ELECTIONS
EXTRA_SHARE = 10  # each extra election gets voters // EXTRA_SHARE voters (one at least)
DEMO_PASSWORD = "demo"
# Fixed TOTP seeds so that the README can document them; never used outside a demo.
DEMO_OPERATORS: tuple[tuple[str, str, str, str], ...] = (
    ("agent", "agent", "Camille Agent (démo)", "CSUDEMOAGENTAAAAAAAAAAAAAAAAAAAA"),
    ("president", "president", "Dominique Président (démo)", "CSUDEMOPRESIDENTAAAAAAAAAAAAAAAA"),
    ("superviseur", "superviseur", "Claude Superviseur (démo)", "CSUDEMOSUPERVISEURAAAAAAAAAAAAAA"),
    ("admin", "admin", "Alix Admin (démo)", "CSUDEMOADMINAAAAAAAAAAAAAAAAAAAA"),
)
VOTED_SHARE = 0.2
PARTLY_VOTED_SHARE = 0.3  # of the others, where the election names its scrutins


@dataclass(frozen=True, slots=True)
class DemoBuilt:
    voters: int
    elections: tuple[str, ...]
    president_bureau: str


def build_demo(deps: Deps, who: OperatorContext, voters: int = 3000, seed: int = 2022) -> DemoBuilt:
    """Fill an empty, migrated database with demo data through the real services."""
    require_role(deps, who, "admin")
    from csu import fake_electorate  # Faker is heavy: only the demo builder needs it

    now = to_paris(deps.clock())
    # The vote opened yesterday at 9:00 and closes in six days at 17:00.
    opens = (now - timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
    closes = (now + timedelta(days=6)).replace(hour=17, minute=0, second=0, microsecond=0)
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="csu-demo-") as workdir:
        for election_id, count, start in demo_rolls(voters):
            source = f"{election_id}.toml"
            data = tomllib.loads((ELECTIONS_DIR / source).read_text(encoding="utf-8"))
            _shift(data, opens, closes)
            store_definition(deps, who, build_election(data, source), source)
            roll = Path(workdir) / f"{election_id}.csv"
            rows = list(fake_electorate.generate_roll(election_id, count, seed=seed, start=start))
            fake_electorate.write_roll_csv(rows, roll)
            report = import_voters(deps, who, roll, election_id)
            if not report.committed:
                problems = " ; ".join(error.describe() for error in report.errors[:5])
                raise ServiceError(f"Liste de démo {election_id} refusée : {problems}")
            votes = Path(workdir) / f"{election_id}-votes.csv"
            voted = [row for row in rows if rng.random() < VOTED_SHARE]
            votes.write_text(_votes_file(rows, voted, opens, seed), encoding="utf-8")
            report = import_votes(deps, who, votes, election_id)
            if not report.committed:
                problems = " ; ".join(error.describe() for error in report.errors[:5])
                raise ServiceError(f"Émargement de démo {election_id} refusé : {problems}")
    president_bureau = _first_bureau(deps)
    for login, role, name, secret in DEMO_OPERATORS:
        # The one place a password skips the strength rule: the README documents `demo`.
        add_demo_operator(
            deps,
            who,
            login,
            role=role,
            password=DEMO_PASSWORD,
            display_name=name,
            bureau=president_bureau if role == "president" else None,
            totp_secret=secret,
        )
    with deps.writing() as session:
        _name_bureaus(session)
        bureau = session.get(Bureau, president_bureau)
        assert bureau is not None
        bureau.president_name = "Dominique Président (démo)"
        session.merge(Meta(key="demo", value="true"))
        journal.append(
            session,
            actor=who.actor,
            action="demo_build",
            outcome="ok",
            at=deps.clock(),
            details={"voters": voters, "seed": seed},
        )
    built = sum(count for _, count, _ in demo_rolls(voters))  # men-2011's tenth included
    return DemoBuilt(voters=built, elections=DEMO_ELECTIONS, president_bureau=president_bureau)


def _votes_file(
    rows: list[dict[str, str]], voted: list[dict[str, str]], opens: datetime, seed: int
) -> str:
    """The platform's émargement: ``voted`` rows voted in every scrutin at the opening;
    where the roll names scrutins, some other voters voted in their first one only
    (PARTLY_VOTED_SHARE of them, two hours later)."""
    if not any(row["scrutins"] for row in rows):
        return "identifiant;vote_le\n" + "".join(
            f"{row['identifiant']};{opens.isoformat()}\n" for row in voted
        )
    draw = random.Random(f"partly\x1f{seed}")  # its own stream: the full votes stay as they were
    done = {row["identifiant"] for row in voted}
    lines = [
        f"{row['identifiant']};{scrutin};{opens.isoformat()}\n"
        for row in voted
        for scrutin in row["scrutins"].split("|")
    ]
    later = (opens + timedelta(hours=2)).isoformat()
    lines += [
        f"{row['identifiant']};{row['scrutins'].split('|')[0]};{later}\n"
        for row in rows
        if row["identifiant"] not in done and draw.random() < PARTLY_VOTED_SHARE
    ]
    return "identifiant;scrutin;vote_le\n" + "".join(lines)


def _split(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if index < total % parts else 0) for index in range(parts)]


def demo_rolls(voters: int) -> list[tuple[str, int, int]]:
    """(election, voters, number of its first voter) of each demo roll."""
    rolls: list[tuple[str, int, int]] = []
    start = 0
    shares = _split(voters, len(SHARED_ELECTIONS))
    for election_id, count in zip(SHARED_ELECTIONS, shares, strict=True):
        rolls.append((election_id, count, start))
        start += count
    for election_id in EXTRA_ELECTIONS:
        count = max(1, voters // EXTRA_SHARE) if voters else 0
        rolls.append((election_id, count, start))
        start += count
    return rolls


def _shift(data: dict, opens: datetime, closes: datetime) -> None:
    """Move the vote (and the dates tied to it) so that it is open today."""
    old_opens = data["opens_at"]
    delta = opens.replace(tzinfo=None) - old_opens
    data["opens_at"] = opens.astimezone(PARIS).replace(tzinfo=None)
    data["closes_at"] = closes.astimezone(PARIS).replace(tzinfo=None)
    for section in data.values():
        if isinstance(section, dict):
            for key, value in section.items():
                if isinstance(value, datetime):
                    section[key] = value + delta
                elif hasattr(value, "toordinal") and not isinstance(value, datetime):
                    section[key] = value + timedelta(days=delta.days)
    # A deadline of one-time links (men-2011: « jusqu'au 20 octobre ») before the moved
    # closing would end the demo's links early: it follows the closing instead.
    timings = data.get("timings")
    if isinstance(timings, dict) and "links_until" in timings:
        timings["links_until"] = max(timings["links_until"], data["closes_at"])
    # Declarations of loss are accepted from the opening day in the demo: shifted, the
    # real gap after the opening would put that day after the build day.
    substitution = data.get("substitution")
    if isinstance(substitution, dict) and "from" in substitution:
        substitution["from"] = min(substitution["from"], data["opens_at"].date())
    # The organiser's hours name days in words (« du 01/12/22 au 08/12/22 »): every
    # message to a voter repeats them, so they move with the vote.
    for number in data.get("support_numbers", ()):
        for key in ("hours", "note"):
            if isinstance(number.get(key), str):
                number[key] = shift_written_days(number[key], delta.days)


_WRITTEN_DAY = re.compile(r"\b(\d{2})/(\d{2})/(\d{2})\b")


def shift_written_days(text: str, days: int) -> str:
    """``text`` with each day written dd/mm/yy moved by ``days`` (20yy: the seeds'
    century); what is not a real day is left as written."""

    def moved(match: re.Match[str]) -> str:
        day, month, year = (int(part) for part in match.groups())
        try:
            written = date(2000 + year, month, day)
        except ValueError:
            return match.group(0)
        return (written + timedelta(days=days)).strftime("%d/%m/%y")

    return _WRITTEN_DAY.sub(moved, text)


def _name_bureaus(session: Session) -> None:
    """Give the imported bureaus their demo names (journalled with the demo build)."""
    from csu import fake_electorate

    for election_id in DEMO_ELECTIONS:
        for code, name in fake_electorate.demo_bureaus(election_id):
            bureau = session.get(Bureau, code)
            if bureau is not None:
                bureau.name = name


def _first_bureau(deps: Deps) -> str:
    with deps.reading() as session:
        code = session.execute(
            select(Material.bureau_code)
            .where(Material.election_id == DEMO_ELECTIONS[0])
            .order_by(Material.bureau_code)
            .limit(1)
        ).scalar_one()
    return str(code)


def is_demo(deps: Deps) -> bool:
    """Whether this database was built by ``build_demo`` (demo logins may show)."""
    with deps.reading() as session:
        row = session.get(Meta, "demo")
        return row is not None and row.value == "true"


# ------------------------------------------------------------------ demo callers


@dataclass(frozen=True, slots=True)
class DemoCaller:
    """A fictitious voter of the demo roll and what they would answer on the phone."""

    election: str
    matricule: str
    name: str
    bureau: str
    answers: dict[str, str]  # factor -> what the caller says
    # Whether the roll has their mobile: a one-time code by SMS can reach them.
    mobile: bool = False
    # The login of their bureau's president, when the demo has one: who can attest them
    # in person (S2) or hand them a password (S4).
    president: str | None = None


# Roll columns a caller reads out, by verification factor.
_ANSWER_COLUMNS = (
    ("birth_date", "date_naissance"),
    ("agent_card", "carte_agent"),
    ("iban", "iban"),
    ("numen", "numen"),
    ("nir10", "nir"),
    ("challenge_answer", "reponse_defi"),
)


def demo_callers(deps: Deps, per_election: int = 3) -> list[DemoCaller]:
    """On a demo database only: a few voters who have not voted, with the answers they
    would give. The demo roll is regenerated from its seed (the journal's ``demo_build``
    entry): its clear answers were never stored, and are not now."""
    from csu import fake_electorate

    if not is_demo(deps):
        raise ServiceError("Ce n'est pas une base de démo : aucune fiche d'appelant.")
    with deps.reading() as session:
        entry = session.execute(
            select(JournalEntry).where(JournalEntry.action == "demo_build").limit(1)
        ).scalar_one()
        details = journal.entry_fields(entry).get("details") or {}
        voted = set(
            session.execute(
                select(Material.identifier).where(Material.voted_at.is_not(None))  # type: ignore[union-attr]
            ).scalars()
        )
        presidents = dict(
            session.execute(
                select(Operator.bureau_code, Operator.login).where(
                    Operator.role == "president",
                    Operator.active == True,  # noqa: E712
                )
            ).all()
        )
    seed, voters = int(details["seed"]), int(details["voters"])
    callers: list[DemoCaller] = []
    for election_id, count, start in demo_rolls(voters):
        found = 0
        for row in fake_electorate.generate_roll(election_id, count, seed=seed, start=start):
            if found >= per_election:
                break
            if row["identifiant"] in voted:
                continue
            answers = {factor: row[column] for factor, column in _ANSWER_COLUMNS if row[column]}
            if "nir10" in answers:
                answers["nir10"] = nir_secret(row["nir"])
                answers["birth_department"] = nir_department(row["nir"])
            if "iban" in answers:
                answers["iban"] = answers["iban"][-6:]
            if "agent_card" in answers:
                answers["agent_card"] = answers["agent_card"][:6]
            callers.append(
                DemoCaller(
                    election=election_id,
                    matricule=row["matricule"],
                    name=f"{row['nom']} {row['prenom']}",
                    bureau=row["bureau"],
                    answers=answers,
                    mobile=bool(row["telephone_mobile"]),
                    president=presidents.get(row["bureau"]),
                )
            )
            found += 1
    # Those a code by SMS reaches first, in each election: the first caller a newcomer
    # takes should let them try the whole verification.
    order = {election_id: place for place, (election_id, _, _) in enumerate(demo_rolls(voters))}
    return sorted(callers, key=lambda caller: (order[caller.election], not caller.mobile))
