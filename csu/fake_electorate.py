"""Realistic, valid fake electoral-roll rows for the demo and the benchmarks.

Each row is one CSV row of the roll import (one voter in one capacity), as a
dict of the seventeen ``COLUMNS``, every value a ``str`` ("" when absent). The
identity numbers are valid: NIR and IBAN (with its French RIB key) carry
correct check digits, phones are real French ranges, e-mails are ASCII.

Speed matters (a benchmark imports a million voters), so Faker is called only
to build small pools of names once per seed; rows then combine those pools
with a ``random.Random`` and plain arithmetic for the check digits.

Determinism: voter number ``n`` (``start`` + position) always yields the same
rows for a given election and seed, whatever ``start`` and ``count`` were
asked, so ``generate_roll(e, 10, start=5)`` continues ``generate_roll(e, 5)``.
Matricules and identifiers are injective functions of ``n``: disjoint
``[start, start + count)`` ranges never share one, and each election has its
own matricule prefix.
"""

from __future__ import annotations

import csv
import functools
import math
import operator
import pathlib
import random
import unicodedata
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from faker import Faker

from csu.domain import roll

# The columns of the roll import, in their order.
COLUMNS: tuple[str, ...] = roll.COLUMNS

# Voter numbers n must stay below this: matricules are a bijection of n
# onto 8 digits.
MAX_VOTERS = 10**8

_BLOCK = 1024  # the random stream is re-seeded every _BLOCK voters
_MATRICULE_MUL, _MATRICULE_ADD = 7_919_393, 4_242_421  # coprime with 10
_NUMBER_MUL, _NUMBER_ADD = 3_141_592_653, 2_718_281_828  # coprime with 10
_SCRUTIN_MUL = 2_654_435_761  # spreads the « scrutins » values over voter numbers

# Ages 20 to 66 on 2022-12-01.
_OLDEST_BIRTH = date(1955, 12, 2)
_YOUNGEST_BIRTH = date(2002, 12, 1)

# Starts of phone numbers ("0X Y") that phonenumbers (region FR) accepts for
# every 7-digit tail: fixed lines by zone, then mobiles.
_FIXED_PREFIXES: dict[str, tuple[str, ...]] = {
    "01": tuple(f"01 {d}" for d in "0123456789"),
    "02": tuple(f"02 {d}" for d in "012345789"),
    "03": tuple(f"03 {d}" for d in "0123456789"),
    "04": tuple(f"04 {d}" for d in "123456789"),
    "05": tuple(f"05 {d}" for d in "012345678"),
}
_ZONES = tuple(_FIXED_PREFIXES)
# Home addresses (letters, seed 002): a town per fixed-line zone, a few street names.
_TOWNS: dict[str | None, str] = {
    "01": "75015 PARIS", "02": "35000 RENNES", "03": "59000 LILLE", "04": "69003 LYON",
    "05": "33000 BORDEAUX", None: "75007 PARIS",
}  # fmt: skip
_STREETS = (
    "rue de la Paix", "avenue Jean Jaurès", "rue Victor Hugo", "boulevard Gambetta",
    "rue Pasteur", "place de la République", "rue des Écoles", "allée des Tilleuls",
)  # fmt: skip
_MOBILE_PREFIXES = (
    "06 0",
    "06 1",
    "06 2",
    "06 4",
    "06 5",
    "06 6",
    "06 7",
    "06 8",
    "07 3",
    "07 4",
    "07 5",
    "07 6",
    "07 7",
    "07 8",
    "07 9",
)
_DIGITS = "0123456789"
_DIGIT_PAIRS = tuple(f"{i:02d}" for i in range(100))

# Départements of birth (NIR characters 6-7).
_METRO_DEPARTMENTS = tuple(d for d in range(1, 96) if d != 20)
# INSEE country codes for people born abroad (NIR "99" + country).
_COUNTRIES = (350, 352, 351, 109, 134, 139, 131, 127, 132, 140, 341)

# Bank codes of French banks; 20041 (La Banque Postale) has a letter in its
# account numbers.
_BANKS = (
    30004,
    30003,
    30002,
    20041,
    10278,
    30066,
    10907,
    14505,
    17515,
    18206,
    16606,
    30056,
    12506,
    13335,
)
_LA_BANQUE_POSTALE = 20041

_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# Value of each letter in a French account number: for the RIB key, for ISO 13616.
_RIB_LETTERS = "12345678912345678923456789"
_IBAN_LETTERS = {ord(letter): str(value) for value, letter in enumerate(_UPPER, 10)}
_ALNUM_PAIRS = tuple(a + b for a in _ALNUM for b in _ALNUM)
_NUMEN_LETTERS = "EEEEEEPPSSAI"

_PETS = (
    "Médor",
    "Rex",
    "Félix",
    "Minou",
    "Caramel",
    "Noisette",
    "Pompon",
    "Filou",
    "Réglisse",
    "Titi",
    "Câline",
    "Oscar",
    "Biscotte",
    "Chipie",
    "Gribouille",
    "Milou",
    "Praline",
    "Tigrou",
    "Lola",
    "Éclair",
)
_CITIES = (
    "Paris",
    "Lille",
    "Lyon",
    "Marseille",
    "Bordeaux",
    "Rennes",
    "Nantes",
    "Toulouse",
    "Strasbourg",
    "Dijon",
    "Amiens",
    "Besançon",
    "Béziers",
    "Saint-Étienne",
    "Orléans",
    "Nîmes",
    "Créteil",
    "Aix-en-Provence",
    "Angoulême",
    "Valenciennes",
    "Châlons-en-Champagne",
    "Le Havre",
    "Brest",
    "Caen",
    "Clermont-Ferrand",
    "Limoges",
    "Pointe-à-Pitre",
    "Ajaccio",
    "Tourcoing",
    "Évry",
)
_CARS = (
    "Renault",
    "Peugeot",
    "Citroën",
    "Simca",
    "Talbot",
    "Fiat",
    "Volkswagen",
    "Opel",
    "Ford",
    "Toyota",
    "Dacia",
    "Seat",
    "Lancia",
    "Matra",
)
_DISHES = (
    "Blanquette de veau",
    "Pot-au-feu",
    "Crème brûlée",
    "Choucroute",
    "Cassoulet",
    "Tarte Tatin",
    "Bœuf bourguignon",
    "Ratatouille",
    "Gratin dauphinois",
    "Moules-frites",
    "Quiche lorraine",
    "Couscous",
    "Galette complète",
)
# (question, source of answers): "first" and "last" draw from the name pools.
_CHALLENGES: tuple[tuple[str, str | tuple[str, ...]], ...] = (
    ("Nom de votre premier animal ?", _PETS),
    ("Ville de naissance de votre mère ?", _CITIES),
    ("Prénom de votre meilleur ami d'enfance ?", "first"),
    ("Marque de votre première voiture ?", _CARS),
    ("Nom de jeune fille de votre grand-mère ?", "last"),
    ("Ville de votre première affectation ?", _CITIES),
    ("Votre plat préféré ?", _DISHES),
    ("Nom de votre instituteur de CP ?", "last"),
)

_FREE_MAIL = (
    "orange.fr",
    "wanadoo.fr",
    "free.fr",
    "laposte.net",
    "sfr.fr",
    "gmail.com",
    "hotmail.fr",
    "yahoo.fr",
)
_ACADEMY_DOMAINS = (
    "ac-lille.fr",
    "ac-amiens.fr",
    "ac-versailles.fr",
    "ac-creteil.fr",
    "ac-paris.fr",
    "ac-dijon.fr",
    "ac-lyon.fr",
    "ac-aix-marseille.fr",
    "ac-bordeaux.fr",
    "ac-rennes.fr",
    "ac-nantes.fr",
    "ac-toulouse.fr",
    "ac-strasbourg.fr",
    "ac-grenoble.fr",
    "ac-montpellier.fr",
    "ac-nancy-metz.fr",
)


@dataclass(frozen=True)
class _Bureau:
    code: str
    name: str
    zone: str | None = None  # fixed-line prefix "01".."05" of the area
    domain: str | None = None  # professional e-mail domain of its voters
    constituency: str | None = None  # CCI: the constituency its voters belong to (its CCIL)


_DEMO_BUREAUS: dict[str, tuple[_Bureau, ...]] = {
    "minint-2022": (
        _Bureau("MININT-75-01", "Bureau Paris préfecture de police", "01"),
        _Bureau("MININT-75-02", "Bureau Paris administration centrale", "01"),
        _Bureau("MININT-59-01", "Bureau Lille préfecture du Nord", "03"),
        _Bureau("MININT-69-01", "Bureau Lyon préfecture du Rhône", "04"),
        _Bureau("MININT-13-01", "Bureau Marseille préfecture des Bouches-du-Rhône", "04"),
        _Bureau("MININT-33-01", "Bureau Bordeaux préfecture de la Gironde", "05"),
        _Bureau("MININT-35-01", "Bureau Rennes préfecture d'Ille-et-Vilaine", "02"),
    ),
    "men-2022": (
        _Bureau("MEN-LILLE", "Bureau académie de Lille", "03", "ac-lille.fr"),
        _Bureau("MEN-AMIENS", "Bureau académie d'Amiens", "03", "ac-amiens.fr"),
        _Bureau("MEN-VERSAILLES", "Bureau académie de Versailles", "01", "ac-versailles.fr"),
        _Bureau("MEN-CRETEIL", "Bureau académie de Créteil", "01", "ac-creteil.fr"),
        _Bureau("MEN-DIJON", "Bureau académie de Dijon", "03", "ac-dijon.fr"),
        _Bureau(
            "MEN-AIX-MARSEILLE", "Bureau académie d'Aix-Marseille", "04", "ac-aix-marseille.fr"
        ),
        _Bureau("MEN-BORDEAUX", "Bureau académie de Bordeaux", "05", "ac-bordeaux.fr"),
        _Bureau("MEN-RENNES", "Bureau académie de Rennes", "02", "ac-rennes.fr"),
    ),
    # Seed 003 shows an address at ac-paris.fr: academies of 2011, each its own domain.
    "men-2011": (
        _Bureau("MEN11-PARIS", "Bureau académie de Paris (2011)", "01", "ac-paris.fr"),
        _Bureau("MEN11-LILLE", "Bureau académie de Lille (2011)", "03", "ac-lille.fr"),
        _Bureau("MEN11-LYON", "Bureau académie de Lyon (2011)", "04", "ac-lyon.fr"),
        _Bureau("MEN11-RENNES", "Bureau académie de Rennes (2011)", "02", "ac-rennes.fr"),
    ),
    "cci-hdf-2021": (
        _Bureau("CCI-HDF-GRAND-LILLE", "CCI Grand Lille", "03", constituency="Grand Lille"),
        _Bureau("CCI-HDF-ARTOIS", "CCI Artois", "03", constituency="Artois"),
        _Bureau(
            "CCI-HDF-LITTORAL",
            "CCI Littoral Hauts-de-France",
            "03",
            constituency="Littoral Hauts-de-France",
        ),
        _Bureau("CCI-HDF-AMIENS", "CCI Amiens-Picardie", "03", constituency="Amiens Picardie"),
        _Bureau("CCI-HDF-AISNE", "CCI Aisne", "03", constituency="Aisne"),
        _Bureau("CCI-HDF-OISE", "CCI Oise", "03", constituency="Oise"),
    ),
}


@dataclass(frozen=True)
class _Profile:
    """What one election's roll fills, and how often."""

    prefix: str  # matricule prefix, unique per known election
    identifiant: str  # "matricule", "email" or "number"
    domains: tuple[str, ...]  # e-mail domains when the bureau has none
    company_mail: float = 0.0  # share of e-mails at a company domain
    pro_phone: float = 0.0
    mobile: float = 0.0
    card: float = 0.0
    iban: bool = False
    # A home address for voters without an agent card (seed 002: their key comes by
    # post), or for every voter; derived from the voter's number, no random draw.
    address: str = ""  # "", "no_card" or "all"
    numen: bool = False
    nir: bool = False
    challenge: bool = False
    qualites: tuple[str, ...] = ("électeur",)  # first capacity drawn from these
    two_capacities: float = 0.0  # share of voters with a second row
    # The « scrutins » column, one of these by voter number (no random draw: adding the
    # column left every other value as it was); () leaves it empty.
    scrutins: tuple[str, ...] = ()


_PROFILES: dict[str, _Profile] = {
    "minint-2022": _Profile(
        prefix="MI",
        identifiant="matricule",
        domains=("interieur.gouv.fr",),
        pro_phone=0.92,
        mobile=0.88,
        card=0.96,
        iban=True,
        address="no_card",
        # data/elections/minint-2022.toml: every agent votes for the CSA, and for the CAP
        # (four in five, civil servants) or the CCP (contract staff).
        scrutins=("csa|cap",) * 4 + ("csa|ccp",),
    ),
    "men-2022": _Profile(
        prefix="EN",
        identifiant="email",
        domains=_ACADEMY_DOMAINS,
        mobile=0.9,
        numen=True,
        nir=True,
        challenge=True,
    ),
    # data/elections/men-2011.toml (seed 003): NUMEN + département of birth, an
    # identifier of its own sent by e-mail; no challenge question, no mobile.
    "men-2011": _Profile(
        prefix="EA",
        identifiant="number",
        domains=_ACADEMY_DOMAINS,
        numen=True,
        nir=True,
    ),
    "cci-hdf-2021": _Profile(
        prefix="CC",
        identifiant="number",
        domains=_FREE_MAIL,
        company_mail=0.35,
        pro_phone=0.7,
        mobile=0.9,
        # The capacities of data/elections/cci-hdf-2021.toml.
        qualites=("à titre personnel",) * 5 + ("représentant",),
        two_capacities=0.06,
    ),
}


def _unknown_profile(election_id: str) -> _Profile:
    # "Z" + a letter: never one of the known prefixes.
    letter = _UPPER[zlib.crc32(election_id.encode()) % 26]
    return _Profile(
        prefix="Z" + letter,
        identifiant="number",
        domains=("fonction-publique.gouv.fr",),
        pro_phone=1.0,
        mobile=1.0,
        card=1.0,
        iban=True,
        address="all",
        numen=True,
        nir=True,
        challenge=True,
    )


def demo_bureaus(election_id: str) -> list[tuple[str, str]]:
    """(code, name) of the polling stations of the demo for ``election_id``."""
    return [(b.code, b.name) for b in _bureaus_of(election_id)]


def _bureaus_of(election_id: str) -> tuple[_Bureau, ...]:
    known = _DEMO_BUREAUS.get(election_id)
    if known is not None:
        return known
    stem = "".join(c if c.isalnum() else "-" for c in _ascii(election_id).upper()) or "BV"
    return tuple(_Bureau(f"{stem}-B{i:02d}", f"Bureau de vote n° {i}") for i in range(1, 5))


def _ascii(text: str) -> str:
    text = text.replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae").replace("Æ", "AE")
    decomposed = unicodedata.normalize("NFKD", text)
    return (
        "".join(c for c in decomposed if not unicodedata.combining(c))
        .encode("ascii", "ignore")
        .decode()
    )


def _slug(text: str) -> str:
    """ASCII, lower case, words joined by single hyphens: "Le Gall" -> "le-gall"."""
    out = "".join(c if c.isalnum() else "-" for c in _ascii(text).lower())
    return "-".join(part for part in out.split("-") if part)


@dataclass(frozen=True)
class _Pools:
    first: tuple[tuple[str, str, int], ...]  # (name, e-mail slug, NIR sex digit)
    last: tuple[tuple[str, str], ...]  # (name, e-mail slug)
    companies: tuple[str, ...]  # company e-mail domains
    births: tuple[tuple[str, int], ...]  # ("dd/mm/yyyy", NIR yymm as a number)


@functools.lru_cache(maxsize=8)
def _pools(seed: int) -> _Pools:
    """Names drawn once per seed from Faker fr_FR, deduplicated by e-mail slug."""
    fake = Faker("fr_FR")
    fake.seed_instance(seed)
    rnd = fake.random

    first: dict[str, tuple[str, str, int]] = {}
    for _ in range(1000):
        male = rnd.random() < 0.5
        draw = fake.first_name_male if male else fake.first_name_female
        name = draw()
        if rnd.random() < 0.05:  # compound first names: Jean-Marc, Marie-Hélène
            lead = rnd.choice(("Jean", "Pierre") if male else ("Marie", "Anne"))
            other = name if name != lead else draw()
            if other != lead:
                name = f"{lead}-{other}"
        first.setdefault(_slug(name), (name, _slug(name), 1 if male else 2))

    last: dict[str, tuple[str, str]] = {}
    for _ in range(2000):
        name = fake.last_name()
        if rnd.random() < 0.015:  # double names: Martin-Lefèvre
            other = fake.last_name()
            if other != name:
                name = f"{name}-{other}"
        last.setdefault(_slug(name), (name, _slug(name)))

    companies: dict[str, None] = {}
    for _ in range(300):
        companies.setdefault(_slug(fake.company()) + ".fr")

    births = []
    day = _OLDEST_BIRTH
    while day <= _YOUNGEST_BIRTH:
        births.append((day.strftime("%d/%m/%Y"), day.year % 100 * 100 + day.month))
        day += timedelta(days=1)

    return _Pools(tuple(first.values()), tuple(last.values()), tuple(companies), tuple(births))


def generate_roll(
    election_id: str,
    count: int,
    *,
    seed: int = 0,
    start: int = 0,
    bureaus: Sequence[str] | None = None,
) -> Iterator[dict[str, str]]:
    """Rows of ``count`` voters numbered ``start`` .. ``start + count - 1``.

    ``count`` counts voters, not rows: a CCI voter with two capacities gives
    two rows (same matricule, different identifiant), so that roll has a few
    percent more rows than voters. ``bureaus`` are the codes voters are spread
    over; by default those of ``demo_bureaus(election_id)``.
    """
    if count < 0 or start < 0:
        raise ValueError("count and start must be zero or more")
    if start + count > MAX_VOTERS:
        raise ValueError(f"start + count must not exceed {MAX_VOTERS}")
    profile = _PROFILES.get(election_id) or _unknown_profile(election_id)
    if bureaus is None:
        stations = _bureaus_of(election_id)
    else:
        known = {b.code: b for b in _bureaus_of(election_id)}
        stations = tuple(known.get(code) or _Bureau(code, code) for code in bureaus)
        if not stations:
            raise ValueError("bureaus must not be empty")
    return _rows(election_id, profile, stations, _pools(seed), seed, start, start + count)


def _rows(
    election_id: str,
    p: _Profile,
    stations: tuple[_Bureau, ...],
    pools: _Pools,
    seed: int,
    start: int,
    end: int,
) -> Iterator[dict[str, str]]:
    first, last, births = pools.first, pools.last, pools.births
    n_first, n_births = len(first), len(births)
    n_names = n_first * len(last)
    # Names are an affine bijection of n over first x last (plus a homonym
    # number past that), so e-mails never repeat within an election.
    tuner = random.Random(f"names\x1f{election_id}\x1f{seed}")
    step = int(n_names * 0.6180339887) + tuner.randrange(n_names)
    while math.gcd(step, n_names) != 1:
        step += 1
    offset = tuner.randrange(n_names)

    prefix, ident_kind = p.prefix, p.identifiant
    domains, companies = p.domains, pools.companies
    company_mail, pro_phone, mobile, card = p.company_mail, p.pro_phone, p.mobile, p.card
    fill_iban, fill_numen, fill_nir, fill_challenge = p.iban, p.numen, p.nir, p.challenge
    qualites, two_capacities, scrutins = p.qualites, p.two_capacities, p.scrutins
    challenges = [
        (q, [f[0] for f in first] if a == "first" else [x[0] for x in last] if a == "last" else a)
        for q, a in _CHALLENGES
    ]
    pairs, upper, mobiles = _ALNUM_PAIRS, _UPPER, _MOBILE_PREFIXES
    places = [(b, _FIXED_PREFIXES[b.zone] if b.zone else None) for b in stations]

    rng = random.Random()
    rnd = rng.random
    for block in range(start // _BLOCK, (end + _BLOCK - 1) // _BLOCK):
        rng.seed(f"roll\x1f{election_id}\x1f{seed}\x1f{block}")
        for n in range(block * _BLOCK, min(end, (block + 1) * _BLOCK)):
            # Every draw is made even for voters before `start`, so that a
            # voter's rows do not depend on where the call began.
            x = (n * step + offset) % n_names
            homonym = n // n_names
            prenom, first_slug, sex = first[x % n_first]
            nom, last_slug = last[x // n_first]
            born, yymm = births[int(rnd() * n_births)]
            station, fixed = places[int(rnd() * len(places))]
            matricule = f"{prefix}{(n * _MATRICULE_MUL + _MATRICULE_ADD) % 10**8:08d}"

            if company_mail and rnd() < company_mail:
                domain = companies[int(rnd() * len(companies))]
            else:
                domain = station.domain or domains[int(rnd() * len(domains))]
            email = f"{first_slug}.{last_slug}{homonym + 1 if homonym else ''}@{domain}"

            telephone_pro = telephone_mobile = carte = iban = numen = nir = ""
            if rnd() < pro_phone:
                zone = fixed or _FIXED_PREFIXES[_ZONES[int(rnd() * len(_ZONES))]]
                telephone_pro = _phone(zone[int(rnd() * len(zone))], rnd)
            if rnd() < mobile:
                telephone_mobile = _phone(mobiles[int(rnd() * len(mobiles))], rnd)
            if rnd() < card:  # 12 characters cut to 10, 11 or 12
                carte = (
                    pairs[int(rnd() * 1296)]
                    + pairs[int(rnd() * 1296)]
                    + pairs[int(rnd() * 1296)]
                    + pairs[int(rnd() * 1296)]
                    + pairs[int(rnd() * 1296)]
                    + pairs[int(rnd() * 1296)]
                )[: 10 + int(rnd() * 3)]
            if fill_iban:
                iban = _iban(rnd)
            if fill_numen:
                numen = (
                    f"{int(rnd() * 100):02d}{_NUMEN_LETTERS[int(rnd() * 12)]}"
                    f"{int(rnd() * 10_000_000):07d}"
                    f"{upper[int(rnd() * 26)]}{upper[int(rnd() * 26)]}{upper[int(rnd() * 26)]}"
                )
            if fill_nir:
                nir = _nir(sex * 10_000 + yymm, rnd)
            question = answer = ""
            if fill_challenge:
                question, answers = challenges[int(rnd() * len(challenges))]
                answer = answers[int(rnd() * len(answers))]
            capacities = 2 if rnd() < two_capacities else 1
            qualite = qualites[int(rnd() * len(qualites))]
            if n < start:
                continue

            for capacity in range(capacities):
                if ident_kind == "matricule":
                    identifiant = matricule
                elif ident_kind == "email":
                    identifiant = email
                else:  # a notice / voter number: two per voter at most
                    k = 2 * n + capacity
                    identifiant = f"{(k * _NUMBER_MUL + _NUMBER_ADD) % 10**10:010d}"
                if capacity:  # the second capacity is the other qualité
                    qualite = qualites[-1] if qualite == qualites[0] else qualites[0]
                yield {
                    "matricule": matricule,
                    "nom": nom,
                    "prenom": prenom,
                    "date_naissance": born,
                    "email_pro": email,
                    "telephone_pro": telephone_pro,
                    "telephone_mobile": telephone_mobile,
                    "bureau": station.code,
                    "qualite": qualite,
                    "identifiant": identifiant,
                    "numen": numen,
                    "nir": nir,
                    "iban": iban,
                    "carte_agent": carte,
                    "question_defi": question,
                    "reponse_defi": answer,
                    "scrutins": scrutins[(n * _SCRUTIN_MUL >> 7) % len(scrutins)]
                    if scrutins
                    else "",
                    "adresse_postale": _address(n, station)
                    if p.address == "all" or (p.address == "no_card" and not carte)
                    else "",
                    "circonscription": station.constituency
                    or (station.name if p.address == "all" else ""),
                }


def _address(n: int, station: _Bureau) -> str:
    """A home address of three lines (« / » between them), from the voter's number."""
    street = _STREETS[n % len(_STREETS)]
    return f"Appartement {n % 40 + 1} / {n * 7 % 150 + 1} {street} / {_TOWNS[station.zone]}"


def _phone(prefix: str, draw: Callable[[], float]) -> str:
    """French national format, ``prefix`` being its start: "06 1" -> "06 12 34 56 78"."""
    pairs = _DIGIT_PAIRS
    return (
        f"{prefix}{_DIGITS[int(draw() * 10)]} {pairs[int(draw() * 100)]}"
        f" {pairs[int(draw() * 100)]} {pairs[int(draw() * 100)]}"
    )


def _nir(head: int, draw: Callable[[], float]) -> str:
    """A NIR starting with ``head`` (sex digit, then year and month of birth).

    Built as a number: the key is 97 - (first 13 digits mod 97), Corsica's 2A
    and 2B counting as 19 and 18.
    """
    corsica = ""
    place = draw()
    if place < 0.88:
        department = _METRO_DEPARTMENTS[int(draw() * len(_METRO_DEPARTMENTS))]
        commune = 1 + int(draw() * 900)
    elif place < 0.90:  # Corsica: 20 for births before the 1976 split, then 2A / 2B
        corsica = "2A" if draw() < 0.5 else "2B"
        department = 19 if corsica == "2A" else 18
        if 50 <= head // 100 % 100 < 76:
            corsica, department = "", 20
        commune = 1 + int(draw() * 360)
    elif place < 0.94:  # overseas: 971 .. 976
        department = 97
        commune = 100 * (1 + int(draw() * 6)) + 1 + int(draw() * 34)
    else:  # born abroad: 99 + INSEE country code
        department = 99
        commune = _COUNTRIES[int(draw() * len(_COUNTRIES))]
    body = ((head * 100 + department) * 1000 + commune) * 1000 + 1 + int(draw() * 999)
    nir = f"{body}{97 - body % 97:02d}"  # 13 digits: the sex digit is never 0
    return f"{nir[:5]}{corsica}{nir[7:]}" if corsica else nir


def _iban(draw: Callable[[], float]) -> str:
    """A French IBAN: bank, branch, account, RIB key, ISO 13616 check digits."""
    bank = _BANKS[int(draw() * len(_BANKS))]
    branch = int(draw() * 100_000)
    if bank == _LA_BANQUE_POSTALE:  # accounts there: 7 digits, a letter, 3 digits
        head, letter, tail = int(draw() * 10**7), int(draw() * 26), int(draw() * 1000)
        rib_account = head * 10_000 + int(_RIB_LETTERS[letter]) * 1000 + tail
        rib_key = 97 - (89 * bank + 15 * branch + 3 * rib_account) % 97
        bban = f"{bank}{branch:05d}{head:07d}{_UPPER[letter]}{tail:03d}{rib_key:02d}"
        # ISO 13616: BBAN then "FR00", letters read as 10..35, mod 97.
        numeric = int(bban.translate(_IBAN_LETTERS) + "152700")
    else:
        rib_account = int(draw() * 10**11)
        rib_key = 97 - (89 * bank + 15 * branch + 3 * rib_account) % 97
        number = bank * 10**18 + branch * 10**13 + rib_account * 100 + rib_key
        bban = str(number)  # 23 digits: bank codes have no leading zero
        numeric = number * 10**6 + 152700
    return f"FR{98 - numeric % 97:02d}{bban}"


def write_roll_csv(
    rows: Iterable[dict[str, str]], path: pathlib.Path, *, delimiter: str = ";"
) -> int:
    """Write ``rows`` as a UTF-8 CSV with a header row; return the rows written.

    Each row must have every column of ``COLUMNS`` (a KeyError names the one
    missing); other keys are not written.
    """
    in_order = operator.itemgetter(*COLUMNS)  # a plain writer: 3x DictWriter's speed
    written = 0
    with pathlib.Path(path).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(COLUMNS)
        for row in rows:
            writer.writerow(in_order(row))
            written += 1
    return written
