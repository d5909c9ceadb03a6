"""SQLModel tables. Datetimes are aware and stored in UTC (SQLModel's UTCDateTime)."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Identity,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    literal,
    literal_column,
    text,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Field, SQLModel

ACTIVE_ONLY = text("status = 'active'")
# The retry passes' rows (csu.services.outbox and webhooks, ``deliver_due``): each branch
# of the pass by its partial index, not every pending row of the day (migration 0025).
PENDING_ONLY = text("state = 'pending'")
SENDING_ONLY = text("state = 'sending'")
# The same states as the passes' SQL says them: literals, not bound parameters, which
# match a partial index's condition only in a plan made for their value (PostgreSQL may
# keep a generic plan for a statement psycopg prepared after a few runs).
PENDING_SQL = literal_column("'pending'")
SENDING_SQL = literal_column("'sending'")


ISSUED_IN_A_CALL = text("intervention_id IS NOT NULL")


def _partial(name: str, *columns: str, where: Any) -> Index:
    """An index of the rows ``where`` holds, on both dialects."""
    return Index(name, *columns, sqlite_where=where, postgresql_where=where)


class Meta(SQLModel, table=True):
    """Small facts about the database itself (e.g. ``demo`` for a demo database)."""

    __tablename__ = "csu_meta"
    key: str = Field(primary_key=True, max_length=64)
    value: str = Field(sa_column=Column(Text, nullable=False))


class Election(SQLModel, table=True):
    __tablename__ = "election"
    id: str = Field(primary_key=True, max_length=64)
    title: str = Field(max_length=300)
    organiser: str = Field(max_length=300)
    opens_at: datetime
    closes_at: datetime
    definition: str = Field(sa_column=Column(Text, nullable=False))  # JSON of the TOML
    loaded_at: datetime
    # When its voters' personal data was purged (csu.services.retention).
    purged_at: datetime | None = None


class OriginalsCost(SQLModel, table=True):
    """The argon2id parameters of an election's originals, one row each (migration
    0028): each verification of its login checks holds its worker as long as the
    slowest of them takes, so that how long a check takes says nothing of which
    identifier has which hash (csu.services.platform)."""

    __tablename__ = "originals_cost"
    election_id: str = Field(primary_key=True, foreign_key="election.id", max_length=64)
    memory_kib: int = Field(primary_key=True)
    time_cost: int = Field(primary_key=True)
    parallelism: int = Field(primary_key=True)


class Bureau(SQLModel, table=True):
    """A polling station; its president is the operator whose bureau_code names it."""

    __tablename__ = "bureau"
    code: str = Field(primary_key=True, max_length=64)
    name: str = Field(default="", max_length=300)
    president_name: str = Field(default="", max_length=300)


class Voter(SQLModel, table=True):
    __tablename__ = "voter"
    id: int | None = Field(default=None, primary_key=True)
    matricule: str = Field(max_length=64, unique=True)
    # A unique index, not a constraint: the first import builds it at the end (migration 0017).
    pseudonym: str = Field(max_length=64, unique=True, index=True)
    last_name: str = Field(max_length=200)
    first_name: str = Field(max_length=200)
    # Accent- and case-free "nom prenom" and "prenom nom" for prefix search.
    search_name: str = Field(max_length=400, index=True)
    search_name_rev: str = Field(max_length=400, index=True)
    birth_date: date | None = None
    email_pro: str | None = Field(default=None, max_length=320)
    phone_pro: str | None = Field(default=None, max_length=20)
    phone_mobile: str | None = Field(default=None, max_length=20)
    # The home address, lines joined by "\n": a contact like the ones above, shown masked
    # and purged with them (the Interior key by post, csu.services.letters).
    adresse_postale: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # The electoral constituency the roll gives (CCI: it names the voter's CCIL).
    circonscription: str | None = Field(default=None, max_length=100)
    # Keyed hashes (csu.domain.hashing) of the parts used as secrets, never the values.
    numen_hash: str | None = Field(default=None, max_length=64)
    nir10_hash: str | None = Field(default=None, max_length=64)
    birth_department_hash: str | None = Field(default=None, max_length=64)
    iban6_hash: str | None = Field(default=None, max_length=64)
    card6_hash: str | None = Field(default=None, max_length=64)
    challenge_question: str | None = Field(default=None, max_length=300)
    challenge_answer_hash: str | None = Field(default=None, max_length=64)
    locked_until: datetime | None = Field(default=None, index=True)
    # Failed verifications before this moment no longer count (a supervisor unlocked).
    failures_cleared_at: datetime | None = None
    updated_at: datetime
    purged_at: datetime | None = None


class Material(SQLModel, table=True):
    """Voting material: one per voter, election and capacity (qualité)."""

    __tablename__ = "material"
    __table_args__ = (
        UniqueConstraint("election_id", "identifier", name="uq_material_identifier"),
        Index(
            "uq_material_active_capacity",
            "election_id",
            "voter_id",
            "capacity",
            unique=True,
            sqlite_where=ACTIVE_ONLY,
            postgresql_where=ACTIVE_ONLY,
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    election_id: str = Field(foreign_key="election.id", max_length=64)
    voter_id: int = Field(foreign_key="voter.id", index=True)
    capacity: str = Field(max_length=100)
    identifier: str = Field(max_length=100, index=True)
    bureau_code: str = Field(foreign_key="bureau.code", max_length=64, index=True)
    status: str = Field(default="active", max_length=20)  # active, invalidated, substituted
    # When every scrutin of the material was voted (see Emargement).
    voted_at: datetime | None = None
    replaces_id: int | None = Field(default=None, foreign_key="material.id")
    created_at: datetime
    # The scrutin ids its roll row gave ("csa|cap"); None: the election file decides
    # (csu.domain.scrutins.material_scrutins).
    scrutins: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class folded(FunctionElement[str]):  # lower-case: a SQL function, named as one
    """``lower()`` of its text, ASCII letters only, as Python's ``str.lower`` of ASCII
    text: SQLite's lower() folds nothing else, and PostgreSQL's under the "C" collation
    neither (under another, the locale's rules: a Turkish one lowers I to ı)."""

    type = String()
    name = "lower"
    inherit_cache = True


@compiles(folded)
def _folded(element: folded, compiler: SQLCompiler, **kw: Any) -> str:
    return f"lower({compiler.process(element.clauses, **kw)})"


@compiles(folded, "postgresql")
def _folded_postgresql(element: folded, compiler: SQLCompiler, **kw: Any) -> str:
    return f'lower({compiler.process(element.clauses, **kw)} COLLATE "C")'


class at_sign(FunctionElement[int]):  # lower-case: a SQL function, named as one
    """Where « @ » is in its text, from 1; 0 if nowhere."""

    type = Integer()
    inherit_cache = True


@compiles(at_sign)
def _at_sign(element: at_sign, compiler: SQLCompiler, **kw: Any) -> str:
    return f"instr({compiler.process(element.clauses, **kw)}, '@')"


@compiles(at_sign, "postgresql")
def _at_sign_postgresql(element: at_sign, compiler: SQLCompiler, **kw: Any) -> str:
    return f"strpos({compiler.process(element.clauses, **kw)}, '@')"


def holds_at(text: Any) -> Any:
    """Whether ``text`` holds « @ »: an identifier that is an e-mail address. Not LIKE
    '%@%': a roll's import rebuilds the indexes it set aside from their definitions
    (csu.services.rolls), where psycopg would read « % » as a placeholder. The 0 is
    written in the statement, not bound: a partial index serves a condition only when
    it is its own, word for word (PostgreSQL's generic plan sees a parameter as any)."""
    return at_sign(text) > literal_column("0")


# The identifiers that are e-mail addresses, by their lower-case form: the platform's
# login check finds « Jean.Dupont@… » as « jean.dupont@… » by this index (migration
# 0024), which covers no other identifier (a matricule, a number: compared as typed). A
# query uses it when its condition holds ``holds_at(identifier)`` too, word for word.
_identifier = Material.__table__.c.identifier  # type: ignore[attr-defined]
Index(
    "ix_material_identifier_folded",
    Material.__table__.c.election_id,  # type: ignore[attr-defined]
    folded(_identifier),
    sqlite_where=holds_at(_identifier),
    postgresql_where=holds_at(_identifier),
)


def _like_literally(text: str) -> str:
    """``text`` as a LIKE pattern matching itself only (« / » escapes, as SQLAlchemy's
    ``autoescape``)."""
    return text.replace("/", "//").replace("%", "/%").replace("_", "/_")


class ends_with(FunctionElement[bool]):  # lower-case: a SQL condition, named as one
    """Whether its text ends with ``ending``, taken literally. On PostgreSQL its reverse
    begins with the ending reversed, which an index on ``reverse(…)`` with a pattern
    operator class serves (an intervention's last characters, migration 0029): « LIKE
    '%…' » read the whole table. SQLite has no reverse(); one workstation's table is
    read whole."""

    type = Boolean()
    inherit_cache = True

    def __init__(self, text: Any, ending: str) -> None:
        super().__init__(
            text,
            literal(_like_literally(ending)),
            literal(_like_literally(ending[::-1])),
            literal("%"),  # bound: psycopg would read a « % » written in the statement
        )


@compiles(ends_with)
def _ends_with(element: ends_with, compiler: SQLCompiler, **kw: Any) -> str:
    text, ending, _, anything = (compiler.process(c, **kw) for c in element.clauses)
    return f"{text} LIKE {anything} || {ending} ESCAPE '/'"


@compiles(ends_with, "postgresql")
def _ends_with_postgresql(element: ends_with, compiler: SQLCompiler, **kw: Any) -> str:
    text, _, gnidne, anything = (compiler.process(c, **kw) for c in element.clauses)
    return f"reverse({text}) LIKE {gnidne} || {anything} ESCAPE '/'"


class Emargement(SQLModel, table=True):
    """The platform's record that a material voted in one scrutin: when, and where CSU
    learnt it (the API feed, idempotent by the platform's ``event_id``, or a file)."""

    __tablename__ = "emargement"
    __table_args__ = (
        UniqueConstraint("material_id", "scrutin_id", name="uq_emargement_scrutin"),
        UniqueConstraint("election_id", "event_id", name="uq_emargement_event"),
        # The dashboard's émargements per hour of an election (migration 0014).
        Index("ix_emargement_election_voted_at", "election_id", "voted_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    election_id: str = Field(foreign_key="election.id", max_length=64)
    material_id: int = Field(foreign_key="material.id")
    scrutin_id: str = Field(max_length=64)
    voted_at: datetime
    source: str = Field(max_length=20)  # plateforme, fichier
    event_id: str | None = Field(default=None, max_length=100)
    recorded_at: datetime
    recorded_by: str = Field(max_length=64)


class Credential(SQLModel, table=True):
    """An issued credential, kept only as a hash; at most one active per material and kind."""

    __tablename__ = "credential"
    __table_args__ = (
        Index(
            "uq_credential_active_kind",
            "material_id",
            "kind",
            unique=True,
            sqlite_where=ACTIVE_ONLY,
            postgresql_where=ACTIVE_ONLY,
        ),
        # Those an intervention issued: its close looks for one (migration 0030).
        _partial("ix_credential_intervention", "intervention_id", where=ISSUED_IN_A_CALL),
    )
    id: int | None = Field(default=None, primary_key=True)
    material_id: int = Field(foreign_key="material.id", index=True)
    kind: str = Field(max_length=20)  # security_key, password, vote_code
    scheme: str = Field(max_length=20)  # hmac-sha256 or argon2id
    hash: str = Field(max_length=200)
    prefix_hash: str | None = Field(default=None, max_length=64)
    # An original the platform mailed (csu.services.originals): the argon2id PHC string
    # of its key's first characters, as the platform exported it (CSU never saw them).
    prefix_phc: str | None = Field(default=None, max_length=200)
    status: str = Field(default="active", max_length=20)  # active, revoked
    issued_at: datetime
    issued_by: str = Field(max_length=64)
    # The intervention that issued it (None: imported or issued outside the desk).
    intervention_id: str | None = Field(default=None, foreign_key="intervention.id", max_length=36)
    revoked_at: datetime | None = None
    revoked_by: str | None = Field(default=None, max_length=64)
    revoke_reason: str | None = Field(default=None, max_length=300)


class Operator(SQLModel, table=True):
    __tablename__ = "operator"
    id: int | None = Field(default=None, primary_key=True)
    login: str = Field(max_length=64, unique=True)
    display_name: str = Field(max_length=200)
    role: str = Field(max_length=20)  # agent, president, superviseur, admin
    bureau_code: str | None = Field(default=None, foreign_key="bureau.code", max_length=64)
    active: bool = True
    password_hash: str = Field(max_length=200)  # argon2id
    totp_secret_sealed: str = Field(max_length=200)  # AES-GCM under the deployment key
    # Wrong codes typed after the right password, in a row from all origins, and the
    # account's lock they led to (failures by origin: LoginFailures; migration 0027).
    failed_logins: int = 0
    locked_until: datetime | None = None
    last_totp_step: int | None = None
    created_at: datetime
    # The random id of the operator's live session on the terminal (csu.services.auth):
    # set by a login, cleared by that session's logout. A newer login replaces it, and
    # the session it replaced ends itself (migration 0026).
    session_id: str | None = Field(default=None, max_length=64)
    # Where the operator last logged in from (a workstation, or ``web:<address>`` under
    # csu serve): a lock of the whole account does not apply there (migration 0027).
    last_login_origin: str | None = Field(default=None, max_length=100)


class LoginFailures(SQLModel, table=True):
    """Failed logins in a row of one operator from one origin (a workstation, or
    ``web:<address>`` under csu serve), and the lock they led to: failures from one place
    lock that place out, not the operator everywhere (csu.services.auth, migration 0027)."""

    __tablename__ = "login_failures"
    login: str = Field(primary_key=True, max_length=64)
    origin: str = Field(primary_key=True, max_length=100)
    failures: int = 0
    locked_until: datetime | None = None
    # Rows idle for a day are deleted at the operator's next failure (a bound on what
    # many addresses can write here).
    last_failure_at: datetime | None = None


class Intervention(SQLModel, table=True):
    __tablename__ = "intervention"
    # The open ones, by operator: the dashboard's count and an operator's open call read
    # them, not the whole day (migration 0025).
    __table_args__ = (
        _partial(
            "ix_intervention_open_operator", "operator_login", where=text("closed_at IS NULL")
        ),
    )
    id: str = Field(primary_key=True, max_length=36)
    operator_login: str = Field(max_length=64, index=True)
    election_id: str | None = Field(default=None, foreign_key="election.id", max_length=64)
    voter_id: int | None = Field(default=None, foreign_key="voter.id", index=True)
    channel: str = Field(max_length=20)
    caller_masked: str | None = Field(default=None, max_length=40)
    caller_region: str | None = Field(default=None, max_length=8)
    # Keyed hash of the caller's number, compared with the voter's work phone once known.
    caller_hash: str | None = Field(default=None, max_length=64, index=True)
    # Whether the number shown was the voter's registered work phone when the call was
    # taken (seed 002: « j'appelle de mon poste de travail »): a presumption recorded
    # for the review, never a secret factor (None: no number shown, or none on record).
    caller_presumed_workstation: bool | None = None
    # S2: the president who called for a voter they saw in person.
    president_login: str | None = Field(default=None, max_length=64)
    president_bureau: str | None = Field(default=None, max_length=64)
    opened_at: datetime
    verified_at: datetime | None = None
    verified_factors: str | None = Field(default=None, max_length=300)
    closed_at: datetime | None = None
    outcome: str | None = Field(default=None, max_length=20)
    note: str | None = Field(default=None, sa_column=Column(Text))


# An intervention looked up by 8 of its number's characters, its first or its last (the
# journal's filter, csu.services.journal_review.settled): on PostgreSQL by these indexes
# (migration 0029), whatever the database's collation (LIKE reads the primary key's index
# only under "C"). SQLite reads one workstation's table.
_intervention_id = Intervention.__table__.c.id  # type: ignore[attr-defined]
Index(
    "ix_intervention_id_pattern",
    _intervention_id,
    postgresql_ops={"id": "varchar_pattern_ops"},
).ddl_if(dialect="postgresql")
Index(
    "ix_intervention_id_reversed",
    func.reverse(_intervention_id).label("id_reversed"),
    postgresql_ops={"id_reversed": "text_pattern_ops"},
).ddl_if(dialect="postgresql")


class VerificationAttempt(SQLModel, table=True):
    """One identity check: which factors were tried and failed (for supervisors, and for
    counting failures per voter across agents); never the values typed."""

    __tablename__ = "verification_attempt"
    id: int | None = Field(default=None, primary_key=True)
    voter_id: int = Field(foreign_key="voter.id", index=True)
    intervention_id: str = Field(foreign_key="intervention.id", max_length=36)
    operator_login: str = Field(max_length=64)
    channel: str = Field(max_length=20)
    at: datetime = Field(index=True)
    passed: bool
    factors_tried: str = Field(max_length=300)
    factors_failed: str = Field(max_length=300)


class OneTimeCode(SQLModel, table=True):
    """A one-time code sent to a voter's registered mobile or address. The code itself is
    never stored: only the sealed random HOTP secret it derives from."""

    __tablename__ = "one_time_code"
    id: int | None = Field(default=None, primary_key=True)
    voter_id: int = Field(foreign_key="voter.id", index=True)
    intervention_id: str = Field(foreign_key="intervention.id", max_length=36, index=True)
    factor: str = Field(max_length=20)  # otp_mobile, otp_email
    secret_sealed: str = Field(max_length=200)
    sent_at: datetime
    expires_at: datetime
    used_at: datetime | None = None


class PresenceCheck(SQLModel, table=True):
    """S2: an agent's request that the president of the voter's bureau check the voter's
    identity document in person, from the president's own session. Bound to one
    intervention; attested or declined once by that president, used once."""

    __tablename__ = "presence_check"
    id: str = Field(primary_key=True, max_length=36)
    intervention_id: str = Field(foreign_key="intervention.id", max_length=36, index=True)
    voter_id: int = Field(foreign_key="voter.id", index=True)
    election_id: str | None = Field(default=None, foreign_key="election.id", max_length=64)
    bureau_code: str = Field(foreign_key="bureau.code", max_length=64, index=True)
    requested_by: str = Field(max_length=64)
    president_login: str = Field(max_length=64)
    requested_at: datetime
    expires_at: datetime  # pending: until the president may attest; attested: may be used
    status: str = Field(default="pending", max_length=12, index=True)
    decided_at: datetime | None = None
    document_type: str | None = Field(default=None, max_length=20)  # never its number
    decline_reason: str | None = Field(default=None, max_length=300)
    used_at: datetime | None = None


class JournalEntry(SQLModel, table=True):
    """One journal entry. ``body`` holds the canonical bytes that the hash covers and
    is the only source of what is shown; the other columns repeat fields of the
    body so that reviews can filter on indexes (verification checks they agree)."""

    __tablename__ = "journal_entry"
    # Each filter of the review goes with seq: a page is read in seq order from the
    # index, and a period's range of seq from the ts index alone (migration 0007). The
    # voter and the intervention, which most entries leave empty, are indexed only where
    # set (migration 0018).
    __table_args__ = tuple(
        Index(f"ix_journal_entry_{name}_seq", name, "seq")
        for name in ("ts", "operator", "election", "action", "outcome")
    ) + tuple(
        _partial(f"ix_journal_entry_{name}_seq", name, "seq", where=text(f"{name} IS NOT NULL"))
        for name in ("subject", "intervention")
    )
    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    event_id: str = Field(max_length=36, unique=True)
    ts: str = Field(max_length=32)
    operator: str | None = Field(default=None, max_length=64)
    role: str | None = Field(default=None, max_length=20)
    workstation: str | None = Field(default=None, max_length=100)
    election: str | None = Field(default=None, max_length=64)
    subject: str | None = Field(default=None, max_length=64)
    intervention: str | None = Field(default=None, max_length=36)
    action: str = Field(max_length=64)
    outcome: str = Field(max_length=32)
    body: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    hash: str = Field(max_length=64)


class JournalQueued(SQLModel, table=True):
    """An entry committed with its action but not yet in the chain (PostgreSQL: see
    csu/store/sequencer.py). ``body`` is already its final canonical form; the
    sequencer gives it its position and hash and moves it to ``journal_entry``."""

    __tablename__ = "journal_queue"
    # Insertion order (not commit order: the sequencer's docstring says why it is
    # still a sound order to chain them in).
    id: int | None = Field(
        default=None,
        sa_column=Column(
            BigInteger().with_variant(Integer(), "sqlite"), Identity(), primary_key=True
        ),
    )
    event_id: str = Field(max_length=36, unique=True)
    body: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    queued_at: datetime = Field(sa_column_kwargs={"server_default": text("CURRENT_TIMESTAMP")})


class ChainHead(SQLModel, table=True):
    """The one row that serialises appends to the chain: the sequencer locks it FOR
    UPDATE on PostgreSQL, the one writer holds the whole file on SQLite."""

    __tablename__ = "journal_head"
    id: int = Field(default=1, primary_key=True)
    seq: int = 0
    hash: str = Field(max_length=64)


class OutboundMessage(SQLModel, table=True):
    """A message to a voter, written in the transaction of the change it announces and
    delivered after the commit (a transactional outbox). Recipient and body are sealed
    (a body may hold a code or a link) and erased once delivered or abandoned; the
    masked recipient stays for the operators."""

    __tablename__ = "outbound_message"
    __table_args__ = (
        _partial("ix_outbound_message_pending_next", "next_attempt_at", where=PENDING_ONLY),
        _partial("ix_outbound_message_pending_expires", "expires_at", where=PENDING_ONLY),
        _partial("ix_outbound_message_sending_claimed", "claimed_at", where=SENDING_ONLY),
    )
    id: int | None = Field(default=None, primary_key=True)
    voter_id: int = Field(foreign_key="voter.id", index=True)
    election_id: str | None = Field(default=None, foreign_key="election.id", max_length=64)
    intervention_id: str | None = Field(default=None, foreign_key="intervention.id",
                                        max_length=36)
    purpose: str = Field(max_length=40)  # otp, vote_code_link, identifier, notice...
    channel: str = Field(max_length=10)  # sms, email
    recipient_masked: str = Field(max_length=340)
    recipient_sealed: str | None = Field(default=None, sa_column=Column(Text))
    typed_recipient: bool = False  # typed for this delivery, not on record
    # Keyed hash of a typed recipient (csu.domain.alerts.contact_hash), for the alerts.
    recipient_hash: str | None = Field(default=None, max_length=64, index=True)
    subject: str = Field(max_length=300)
    body_sealed: str | None = Field(default=None, sa_column=Column(Text))
    state: str = Field(default="pending", max_length=12, index=True)
    attempts: int = 0
    next_attempt_at: datetime
    claimed_at: datetime | None = None
    last_error: str | None = Field(default=None, max_length=500)
    reference: str | None = Field(default=None, max_length=300)
    created_at: datetime = Field(index=True)
    created_by: str = Field(max_length=64)
    sent_at: datetime | None = None
    # When what it carries stops working (a one-time code, a link): never delivered
    # after, given up instead (csu.services.outbox). None: it does not expire.
    expires_at: datetime | None = None
    # The same on every automatic attempt (SMS ``reference``/``Idempotency-Key``, the
    # e-mail's Message-ID): a gateway that took it but answered late drops the retry.
    idempotency_key: str | None = Field(default=None, max_length=64)
    # The link it carries: abandoned, not delivered, once a newer link voids it.
    link_token_id: int | None = Field(default=None, foreign_key="link_token.id")


class LinkToken(SQLModel, table=True):
    """A one-time link (S6): only the keyed hash of its random token is kept. Sending a
    new one voids the previous; redeeming spends it."""

    __tablename__ = "link_token"
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    purpose: str = Field(max_length=20)  # vote_code
    voter_id: int = Field(foreign_key="voter.id", index=True)
    material_id: int = Field(foreign_key="material.id")
    intervention_id: str | None = Field(default=None, foreign_key="intervention.id",
                                        max_length=36)
    created_at: datetime
    created_by: str = Field(max_length=64)
    expires_at: datetime
    used_at: datetime | None = None
    voided_at: datetime | None = None


class SubstitutionRequest(SQLModel, table=True):
    """A request for replacement material (S5): what the operator checked, the decision
    and its reason. The address the new material goes to is sealed while the request
    waits (erased once decided: the outbox keeps its own sealed copy until delivery),
    and kept masked for the operators."""

    __tablename__ = "substitution_request"
    id: int | None = Field(default=None, primary_key=True)
    election_id: str = Field(foreign_key="election.id", max_length=64)
    voter_id: int = Field(foreign_key="voter.id", index=True)
    intervention_id: str = Field(foreign_key="intervention.id", max_length=36)
    # JSON object: each item of the election's checklist -> ticked (true) or not.
    checklist: str = Field(sa_column=Column(Text, nullable=False))
    identity_match: bool  # name, first name and birth date agree with the roll
    email_sealed: str | None = Field(default=None, sa_column=Column(Text))
    email_masked: str = Field(max_length=340)
    declared_on: date  # when the voter declared the loss or non-receipt
    notes: str | None = Field(default=None, sa_column=Column(Text))
    state: str = Field(default="pending", max_length=12, index=True)  # pending, granted, refused
    reason: str | None = Field(default=None, sa_column=Column(Text))  # why it was refused
    requested_by: str = Field(max_length=64)
    requested_at: datetime
    decided_by: str | None = Field(default=None, max_length=64)
    decided_at: datetime | None = None
    decision_note: str | None = Field(default=None, max_length=500)  # the supervisor's words


class SubstitutionItem(SQLModel, table=True):
    """One material of a request (one per voter number concerned) and, once granted,
    the material that replaces it."""

    __tablename__ = "substitution_item"
    __table_args__ = (
        UniqueConstraint("request_id", "material_id", name="uq_substitution_item"),
    )
    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="substitution_request.id", index=True)
    material_id: int = Field(foreign_key="material.id", index=True)
    new_material_id: int | None = Field(default=None, foreign_key="material.id")


class Checkpoint(SQLModel, table=True):
    """A signed checkpoint of the journal: its first ``size`` entries have the RFC 6962
    Merkle root ``root_hash``; ``note`` is the signed C2SP tlog-checkpoint note, as
    written to the file handed to auditors."""

    __tablename__ = "checkpoint"
    id: int | None = Field(default=None, primary_key=True)
    size: int = Field(index=True)
    root_hash: str = Field(max_length=64)  # hex
    origin: str = Field(max_length=200)
    key_name: str = Field(max_length=200)
    key_id: str = Field(max_length=8)  # hex of the note key hash (4 bytes)
    note: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime
    created_by: str = Field(max_length=64)


class PlatformClient(SQLModel, table=True):
    """A voting platform allowed to call CSU's API (``csu platform add``). Its API key
    is shown once and kept only as a keyed hash; ``key_hint`` (its first characters)
    tells keys apart in a list."""

    __tablename__ = "platform_client"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64, unique=True)
    key_hash: str = Field(max_length=64, unique=True)
    key_hint: str = Field(max_length=16)
    webhook_url: str | None = Field(default=None, max_length=500)
    # The Standard Webhooks signing secret (whsec_…), sealed: CSU must read it to sign.
    webhook_secret_sealed: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime
    created_by: str = Field(max_length=64)
    revoked_at: datetime | None = None
    revoked_by: str | None = Field(default=None, max_length=64)
    # Its last call of the API, to the minute or so (csu.services.platform_clients,
    # ``note_call``): the dashboard shows it; each call itself is in the journal.
    last_seen_at: datetime | None = None


class PlatformClientElection(SQLModel, table=True):
    """An election a platform client's key reaches."""

    __tablename__ = "platform_client_election"
    client_id: int = Field(foreign_key="platform_client.id", primary_key=True)
    election_id: str = Field(foreign_key="election.id", primary_key=True, max_length=64)


class PlatformLoginFailures(SQLModel, table=True):
    """Failed login checks in a row for one identifier of an election, and the lock
    they led to. The identifier is kept as a keyed hash: a platform may check
    identifiers that are on no roll."""

    __tablename__ = "platform_login_failures"
    election_id: str = Field(foreign_key="election.id", primary_key=True, max_length=64)
    identifier_hash: str = Field(primary_key=True, max_length=64)
    failures: int = 0
    last_failure_at: datetime | None = None
    locked_until: datetime | None = None


class WebhookEvent(SQLModel, table=True):
    """A credential event for one platform client, written in the transaction of the
    change (a transactional outbox, like OutboundMessage) and POSTed after the commit,
    signed (Standard Webhooks), retried with backoff. The payload names the identifier
    and a hash of the new credential: sealed, and erased once delivered or abandoned."""

    __tablename__ = "webhook_event"
    __table_args__ = (
        _partial("ix_webhook_event_pending_next", "next_attempt_at", where=PENDING_ONLY),
        _partial("ix_webhook_event_sending_claimed", "claimed_at", where=SENDING_ONLY),
    )
    id: int | None = Field(default=None, primary_key=True)
    # The webhook-id header: the same on every attempt, so the platform can deduplicate.
    message_id: str = Field(max_length=64, unique=True)
    client_id: int = Field(foreign_key="platform_client.id", index=True)
    election_id: str = Field(foreign_key="election.id", max_length=64)
    material_id: int = Field(foreign_key="material.id", index=True)
    credential_id: int | None = Field(default=None, foreign_key="credential.id")
    # credential.issued, credential.revoked, material.substituted (csu.domain.webhooks)
    event_type: str = Field(max_length=40)
    kind: str = Field(max_length=20)
    payload_sealed: str | None = Field(default=None, sa_column=Column(Text))
    state: str = Field(default="pending", max_length=12, index=True)
    attempts: int = 0
    next_attempt_at: datetime
    claimed_at: datetime | None = None
    last_error: str | None = Field(default=None, max_length=500)
    reference: str | None = Field(default=None, max_length=40)  # "HTTP 204"
    created_at: datetime
    created_by: str = Field(max_length=64)
    sent_at: datetime | None = None


class Escalation(SQLModel, table=True):
    """An intervention closed « escaladé », waiting in the supervisors' queue until one
    takes it (``owner_login``, ``taken_at``) and closes it. ``deadline_at`` comes from the
    election file ([escalation]); the caller's callback number is sealed while the case
    is open (erased when it closes) and shown masked (csu.services.escalation)."""

    __tablename__ = "escalation"
    id: int | None = Field(default=None, primary_key=True)
    intervention_id: str = Field(foreign_key="intervention.id", max_length=36, unique=True)
    election_id: str | None = Field(default=None, foreign_key="election.id", max_length=64)
    voter_id: int | None = Field(default=None, foreign_key="voter.id", index=True)
    escalated_by: str = Field(max_length=64)
    escalated_at: datetime
    deadline_at: datetime = Field(index=True)
    reason: str | None = Field(default=None, sa_column=Column(Text))
    callback_masked: str | None = Field(default=None, max_length=40)
    callback_sealed: str | None = Field(default=None, sa_column=Column(Text))
    owner_login: str | None = Field(default=None, max_length=64, index=True)
    taken_at: datetime | None = None
    closed_at: datetime | None = Field(default=None, index=True)
    closed_by: str | None = Field(default=None, max_length=64)
    outcome: str | None = Field(default=None, max_length=20)
    resolution: str | None = Field(default=None, sa_column=Column(Text))


def core_tables(*models: type[SQLModel]) -> tuple[Table, ...]:
    """The Core tables of ``models``, for statements read as tuples (no ORM loading)."""
    return tuple(model.__table__ for model in models)  # type: ignore[attr-defined]
