"""The authorization matrix: every operation, every caller, on her own and on others' objects.

``tests/authz_matrix.csv`` declares the expected status of each cell; one test per operation
runs its rows against one world (``tests/authz_recipes.py``), each cell inside a savepoint
rolled back afterwards, so that no cell sees what another changed. An operation of the spec
missing from the table fails, as does a row whose operation no longer exists.

While the cells run, every response (body and headers) to the anonymous caller, the other
alumna, the buyer and the API keys is searched for the canaries planted in other people's
personal fields; only the deliberate disclosures of ``ALLOWED`` pass. ``test_figures`` prints
the figures (rows, cells, responses scanned, canary hits) at the end of the module.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from api.openapi import spec_document
from api.state import get_state
from tests import factories
from tests.authz_recipes import (
    CALLERS,
    OTHERS,
    OWN,
    PERSON,
    SCANNED,
    Canary,
    World,
    build_world,
    has_recipe,
    request_for,
)

TABLE = Path(__file__).with_name("authz_matrix.csv")
METHODS = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True)
class Row:
    operation: str
    variant: str
    expected: dict[str, int]


def load_table() -> list[Row]:
    lines = [line for line in TABLE.read_text().splitlines() if not line.startswith("#")]
    reader = csv.reader(lines, skipinitialspace=True)
    header = [cell.strip() for cell in next(reader)]
    assert header == ["operation", "variant", *CALLERS, "note"], header
    rows = []
    for cells in reader:
        cells = [cell.strip() for cell in cells]
        expected = dict(zip(CALLERS, (int(c) for c in cells[2 : 2 + len(CALLERS)]), strict=True))
        rows.append(Row(cells[0], cells[1], expected))
    keys = [(row.operation, row.variant) for row in rows]
    assert len(keys) == len(set(keys)), "a row is declared twice"
    return rows


ROWS = load_table()
OPERATIONS = list(dict.fromkeys(row.operation for row in ROWS))


@dataclass(frozen=True)
class Allowed:
    """A deliberate disclosure: these canaries may reach these callers through these
    operations."""

    operations: tuple[str, ...]
    what: str  # a canary field, or a prefix ending in "."
    callers: tuple[str, ...]
    owners: tuple[str, ...]  # whose canaries
    reason: str

    def covers(self, operation: str, canary: Canary, caller: str) -> bool:
        field_matches = canary.what == self.what or (
            self.what.endswith(".") and canary.what.startswith(self.what)
        )
        return (
            operation in self.operations
            and field_matches
            and caller in self.callers
            and canary.owner in self.owners
        )


REVIEWS = ("listProductReviews", "listBusinessReviews", "getReview")


def both(part: str) -> tuple[str, str]:
    """The person of this part on either side of the world."""
    return OWN[part], OTHERS[part]


ALLOWED = (
    Allowed(
        ("contactBusiness",),
        "business.whatsapp",
        ("other_alumna", "buyer"),
        both("alumna"),
        "the operation's purpose: a signed-in person asks for the seller's WhatsApp number; "
        "the reveal is recorded as a lead and limited per day",
    ),
    Allowed(
        REVIEWS,
        "review.text",
        SCANNED,
        both("buyer"),
        "reviews are public by design",
    ),
    Allowed(
        (
            "listMentoringOffers",
            "getMentoringOffer",
            "getMentor",
            "getGroupMentoringSession",
            "registerForGroupMentoringSession",
            "withdrawFromGroupMentoringSession",
            "listGroupMentoringSessions",
        ),
        "user.name",
        SCANNED,
        both("mentor"),
        "a mentor's name is her public profile, shown with her offers and workshops",
    ),
    Allowed(
        ("verifyTrainingCertificate",),
        "user.name",
        SCANNED,
        both("alumna"),
        "the certificate's purpose: whoever holds its code (printed on it) sees the name it "
        "states, to check it",
    ),
    Allowed(
        ("listCheckIns",),
        "checkin.",
        ("key",),
        (OWN["alumna"],),
        "the owner consented to the partner's company seeing her figures (grantConsent)",
    ),
    Allowed(
        ("getSalesSummary",),
        "sale.amount",
        ("key",),
        (OWN["alumna"],),
        "the owner consented to the partner's company seeing her figures (grantConsent)",
    ),
)


@dataclass
class Figures:
    rows: int = 0
    cells: int = 0
    scanned: int = 0
    allowed: int = 0
    hits: int = 0
    seen: set[str] = field(default_factory=set)  # canaries found in any response (a control)


FIGURES = Figures()


@dataclass
class Matrix:
    app: Flask
    connection: Connection
    client: FlaskClient
    world: World
    scopes: dict[str, str | None]


def spec_operations(app: Flask) -> dict[str, dict[str, Any]]:
    paths = spec_document(app)["paths"]
    return {
        op["operationId"]: op
        for item in paths.values()
        for method, op in item.items()
        if method in METHODS
    }


@pytest.fixture(scope="module")
def matrix(app: Flask) -> Iterator[Matrix]:
    """One world for the whole module, in a transaction rolled back at its end."""
    state = get_state(app)
    with state.engine.connect() as connection:
        outer = connection.begin()
        state.sessionmaker.configure(bind=connection, join_transaction_mode="create_savepoint")
        session = Session(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        factories.bind(session)
        try:
            world = build_world(app, session, app.test_client())
            session.commit()
            scopes = {name: op.get("x-api-key-scope") for name, op in spec_operations(app).items()}
            yield Matrix(app, connection, app.test_client(), world, scopes)
        finally:
            factories.bind(None)
            session.close()
            state.sessionmaker.configure(
                bind=state.engine, join_transaction_mode="conservative_savepoint"
            )
            outer.rollback()


def test_every_operation_of_the_spec_has_a_row_and_every_row_an_operation(app: Flask) -> None:
    in_spec = set(spec_operations(app))
    in_table = set(OPERATIONS)
    missing, stale = sorted(in_spec - in_table), sorted(in_table - in_spec)
    assert not missing and not stale, (
        f"operations missing from {TABLE.name}: {missing}; rows of operations that no longer "
        f"exist: {stale}"
    )
    assert [op for op in OPERATIONS if not has_recipe(op)] == []


def send(m: Matrix, operation: str, variant: str, caller: str) -> list[tuple[str, TestResponse]]:
    """The cell's request (after the GET its ETag comes from), inside a savepoint; each
    response with the operation it answers."""
    req = request_for(m.world, operation, variant, caller)
    headers = m.world.caller_headers(caller, m.scopes.get(operation))
    responses = []
    savepoint = m.connection.begin_nested()
    try:
        if req.etag_from:
            # An app reads with a key that may read (the cell's key may only write).
            reader = {"X-API-Key": m.world.key_all} if "X-API-Key" in headers else headers
            first = m.client.get(req.etag_from, headers=reader)
            responses.append((req.etag_operation, first))
            headers = {**headers, "If-Match": first.headers.get("ETag", '"none"')}
        kwargs: dict[str, Any] = {}
        if req.files:
            kwargs["data"] = {k: (io.BytesIO(v[0]), v[1]) for k, v in req.files.items()}
            kwargs["content_type"] = "multipart/form-data"
        elif req.json is not None:
            kwargs["json"] = req.json
        made = m.client.open(req.path, method=req.method, headers=headers, **kwargs)
        responses.append((operation, made))
    finally:
        savepoint.rollback()
    return responses


def _text(response: TestResponse) -> str:
    headers = "\n".join(f"{k}: {v}" for k, v in response.headers.items())
    return (response.get_data().decode("latin-1") + "\n" + headers).lower()


def note_seen(m: Matrix, responses: list[tuple[str, TestResponse]]) -> None:
    """Which canaries some response carried (to anyone): a canary never seen proves nothing."""
    for _, response in responses:
        text = _text(response)
        FIGURES.seen.update(c.token for c in m.world.canaries if c.token in text)


def scan(m: Matrix, caller: str, responses: list[tuple[str, TestResponse]]) -> list[str]:
    """Canaries of other people in what the caller got, beyond the deliberate disclosures."""
    me = PERSON.get(caller)
    found = []
    for operation, response in responses:
        FIGURES.scanned += 1
        text = _text(response)
        for canary in m.world.canaries:
            if canary.token not in text or canary.owner == me:
                continue
            if any(a.covers(operation, canary, caller) for a in ALLOWED):
                FIGURES.allowed += 1
                continue
            FIGURES.hits += 1
            found.append(f"{canary.what} of {canary.owner} ({canary.token})")
    return found


def _detail(response: TestResponse) -> str:
    body = response.get_json(silent=True)
    if isinstance(body, dict) and "code" in body:
        return f" {body['code']}: {body.get('detail', '')}"[:160]
    return ""


@pytest.mark.parametrize("operation", OPERATIONS)
def test_cells(matrix: Matrix, operation: str) -> None:
    failures = []
    for row in (r for r in ROWS if r.operation == operation):
        FIGURES.rows += 1
        for caller in CALLERS:
            responses = send(matrix, operation, row.variant, caller)
            FIGURES.cells += 1
            note_seen(matrix, responses)
            last = responses[-1][1]
            got, wanted = last.status_code, row.expected[caller]
            where = f"{row.variant or '-'} / {caller}"
            if got != wanted:
                failures.append(f"{where}: expected {wanted}, got {got}{_detail(last)}")
            if caller in SCANNED:
                for leak in scan(matrix, caller, responses):
                    failures.append(f"{where}: response carries {leak}")
    assert not failures, f"{operation}:\n" + "\n".join(failures)


def test_the_scan_finds_what_it_looks_for(matrix: Matrix) -> None:
    """A control: the owner's own view of her business, had it reached the buyer, is caught."""
    responses = send(matrix, "getBusiness", "own", "owner")
    figures = (FIGURES.scanned, FIGURES.hits)
    leaks = scan(matrix, "buyer", responses)
    FIGURES.scanned, FIGURES.hits = figures  # not part of the matrix's figures
    fields = {leak.split(" of ")[0] for leak in leaks}
    assert {"business.address", "business.whatsapp", "business.village"} <= fields, leaks


def test_figures(matrix: Matrix, capsys: pytest.CaptureFixture[str]) -> None:
    """The matrix's figures (printed); no canary where it should not be, and every kind of
    canary somewhere (in a response to someone entitled to it), which shows its tokens are
    written the way the API renders them."""
    if FIGURES.cells == 0:
        pytest.skip("the matrix did not run")
    with capsys.disabled():
        print(
            f"\nauthz matrix: {FIGURES.rows} rows, {FIGURES.cells} cells, "
            f"{FIGURES.scanned} responses scanned, {FIGURES.hits} canary hits "
            f"({FIGURES.allowed} allowed disclosures)"
        )
    assert FIGURES.hits == 0
    if FIGURES.rows == len(ROWS):
        kinds = {c.what for c in matrix.world.canaries}
        seen = {c.what for c in matrix.world.canaries if c.token in FIGURES.seen}
        assert sorted(kinds - seen) == [], "kinds of canary no response ever carried"
